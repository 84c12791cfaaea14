"""The ``make demo`` pipeline over real generated audio, then the browser: numbers, recovery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import log_in, query, screenshot

pytestmark = pytest.mark.e2e


def test_overview_and_detail_of_a_scanned_library(browser, demo_site):
    site = demo_site
    page = log_in(browser, site)
    [(files, analysed)] = query(
        site,
        "SELECT count(*), (SELECT count(*) FROM file_quality) FROM library_index "
        "WHERE is_active = 1",
    )
    assert int(page.inner_text("#files-count").replace(",", "")) == files
    assert int(page.inner_text("#analysed-count").replace(",", "")) == analysed
    screenshot(page, "demo-overview")
    [(file_id, codec, score)] = query(
        site,
        "SELECT li.id, fq.codec, fq.quality_score FROM library_index li JOIN file_quality fq "
        "ON fq.library_file_id = li.id WHERE fq.is_lossless = 0 ORDER BY li.id LIMIT 1",
    )
    page.goto(f"{site.base_url}/files/{file_id}/")
    assert float(page.inner_text("#quality-score")) == score
    breakdown = page.inner_text("#score-breakdown")
    assert codec in breakdown and "lossy base" in breakdown
    assert page.locator("#score-outdated").count() == 0
    screenshot(page, "demo-file-detail")
    page.close()


def test_recover_a_quarantined_file_from_the_admin(browser, demo_site):
    site = demo_site
    rows = query(
        site,
        "SELECT id, file_path, file_size, recovery_path FROM dedup_history "
        "WHERE can_recover = 1 ORDER BY id LIMIT 1",
    )
    assert rows, "the demo's dedupe --apply quarantined nothing"
    [(history_id, original, size, quarantined)] = rows
    assert not Path(original).exists() and Path(quarantined).is_file()
    page = log_in(browser, site)
    page.goto(site.base_url + "/dedup/")
    assert page.locator("#sessions-table tbody tr").count() >= 1
    screenshot(page, "demo-dedup")
    page.goto(site.base_url + "/admin/dedup/deduphistory/")
    page.check(f"input[name=_selected_action][value='{history_id}']")
    page.select_option("select[name=action]", "recover_selected")
    page.click(".actions button[type=submit]")
    message = page.inner_text(".messagelist")
    assert re.search(r"1 files? recovered", message), message
    screenshot(page, "admin-recovered")
    assert Path(original).is_file() and Path(original).stat().st_size == size
    assert not Path(quarantined).exists()
    [(can_recover,)] = query(
        site, "SELECT can_recover FROM dedup_history WHERE id = ?", (history_id,)
    )
    assert can_recover == 0
    [(indexed,)] = query(
        site,
        "SELECT count(*) FROM library_index WHERE file_path = ? AND is_active = 1",
        (original,),
    )
    assert indexed == 1
    page.close()
