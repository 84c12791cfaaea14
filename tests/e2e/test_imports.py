"""The Imports page in a real browser: vet a download folder (a background job run by a real
worker beside gunicorn), review the verdicts beside the library copies, apply a selection
after its dry run (a job too); then the Upgrades page shows what was acquired.

The library and the import folder are real audio made by ``tests/imports/helpers.py`` and run
through the commands a user runs; the expectations are read from the databases directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import (
    log_in,
    query,
    screenshot,
    site_env,
    site_start,
    worker_start,
    worker_stop,
)
from tests.e2e.test_jobs import job_finished
from tests.imports.helpers import sha256, template_make

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def import_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-imports")
    made = template_make(folder)
    roots = {
        "MUSICQUALITY_LIBRARY_ROOTS": str(folder / "music"),
        "MUSICQUALITY_IMPORT_ROOTS": str(folder / "incoming"),
    }
    worker = worker_start(site_env(folder, **roots), folder / "worker.log")
    try:
        yield from ((site, made) for site in site_start(folder, **roots))
    finally:
        worker_stop(worker)


def test_vet_review_and_apply_a_download_folder(browser, import_site):
    site, made = import_site
    folder = site.folder
    digests = {name: sha256(folder / path) for name, path in made.incoming.items()}
    page = log_in(browser, site)
    page.click("nav >> text=Imports")
    page.fill("#id_folder", str(folder / "incoming"))
    page.click("#vet-form button[type=submit]")
    page.wait_for_url(f"{site.base_url}/jobs/*/")
    assert job_finished(page) == "done"
    assert "7 files vetted: 2 new, 2 duplicate, 2 upgrade, 1 uncertain" in page.inner_text(".job")
    page.click("#vetting-link")
    page.wait_for_url(f"{site.base_url}/imports/*/")
    rows = page.locator("#import-files tbody tr")
    assert rows.count() == 7
    verdicts = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        name = row.locator("td").nth(1).locator("span").get_attribute("title")
        verdicts[name] = row.get_attribute("data-verdict")
    assert verdicts == {
        str(folder / made.incoming[name]): verdict for name, verdict in made.verdicts.items()
    }
    # side by side: the upgrade of C names the library's MP3 and both scores
    upgrade = page.locator(
        f"#import-files tr:has(span[title='{folder / made.incoming['c_flac']}'])"
    )
    text = upgrade.inner_text()
    assert "C.mp3" in text and "score 32.7" in text and "score 85.0" in text
    assert "1 file not vetted" in page.inner_text("details summary")
    screenshot(page, "imports-review")

    # new and upgrades are selected by default; leave new2 out
    new2 = page.locator(f"#import-files tr:has(span[title='{folder / made.incoming['new2']}'])")
    assert new2.locator("input[name=select]").is_checked()
    new2.locator("input[name=select]").uncheck()
    page.fill("#id_into", str(folder / "music" / "Imported"))
    page.click("#apply-button")
    page.wait_for_url(f"{site.base_url}/jobs/imports/apply/")
    plan = page.inner_text("#plan-table")
    imported = folder / "music" / "Imported" / "Newcomer" / "Debut" / "new1.flac"
    assert str(imported) in plan and str(folder / made.replaces["c_flac"]) in plan
    assert not imported.exists()  # the dry run changed nothing
    screenshot(page, "imports-dry-run")
    page.click("#confirm-apply")
    page.wait_for_url(f"{site.base_url}/jobs/*/")
    assert job_finished(page) == "done"
    assert "1 imported, 2 replaced" in page.inner_text(".job")
    page.click("#vetting-link")
    states = page.locator("#import-files tbody tr[data-verdict=upgrade]").all_inner_texts()
    assert len(states) == 2 and all("moved into quarantine" in text for text in states)
    screenshot(page, "imports-applied")

    assert sha256(imported) == digests["new1"]
    assert sha256(folder / made.incoming["new2"]) == digests["new2"]  # not selected: stays
    for name in ("c_flac", "d_flac"):
        old = folder / made.replaces[name]
        [(kept, recoverable)] = query(
            site,
            "SELECT kept_file_path, can_recover FROM dedup_history WHERE file_path = ?",
            (str(old),),
        )
        assert (Path(kept), recoverable) == (old.with_suffix(".flac"), 1)
        assert sha256(old.with_suffix(".flac")) == digests[name]
    assert query(
        site,
        "SELECT COUNT(*) FROM upgrade_jobs WHERE job_status = 'completed' AND download_source = ?",
        (f"import:{folder / 'incoming'}",),
    ) == [(2,)]

    page.click("nav >> text=Upgrades")
    acquired = page.inner_text("#acquired")
    assert "Artist C – Song C" in acquired and "Artist D – Song D" in acquired
    assert f"import:{folder / 'incoming'}" in acquired
    screenshot(page, "upgrades-acquired")
    page.close()
