"""The Content-Security-Policy in a real browser: every page renders with nothing blocked."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, query

pytestmark = pytest.mark.e2e


def test_no_page_breaks_the_content_security_policy(browser, synthetic_site):
    site = synthetic_site
    [(file_id,)] = query(site, "SELECT MIN(id) FROM library_index WHERE is_active = 1")
    page = log_in(browser, site)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    for path in (
        "/", "/files/", f"/files/{file_id}/", "/dedup/", "/upgrades/", "/upgrades/candidates/",
        "/dedup/review/", "/dedup/decisions/", "/jobs/", "/monitoring/", "/imports/",
        "/admin/", "/admin/dedup/deduphistory/", "/admin/upgrades/upgradecandidate/",
        "/admin/upgrades/upgradejob/",
        f"/admin/upgrades/upgradecandidate/{file_id}/change/",
    ):  # fmt: skip
        response = page.goto(site.base_url + path)
        assert response is not None and response.status in (200, 302), path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
    assert violations == []
    share = page.goto(site.base_url + "/") and page.locator("#share-lossless rect.fill")
    assert float(share.get_attribute("width")) > 0  # the share bar is drawn, without a style
    page.close()
