"""Log in, open every page in chromium, and check what it shows against the database."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.template.defaultfilters import filesizeformat

from quality.versions import ANALYZER_VERSION
from tests.conftest import manage_env, run_manage
from tests.e2e.conftest import log_in, query, screenshot

pytestmark = pytest.mark.e2e


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


@pytest.fixture
def page(browser, synthetic_site):
    page = log_in(browser, synthetic_site)
    yield page
    page.close()


def test_anonymous_visitor_is_sent_to_login(browser, synthetic_site):
    page = browser.new_page()
    page.goto(synthetic_site.base_url + "/dedup/")
    assert page.url == synthetic_site.base_url + "/login/?next=/dedup/"
    assert page.locator("h1").inner_text() == "Log in"
    screenshot(page, "login")
    page.close()


def test_overview_numbers_match_the_database(page, synthetic_site):
    site = synthetic_site
    [(files, size)] = query(
        site, "SELECT count(*), sum(file_size) FROM library_index WHERE is_active = 1"
    )
    [(backlog,)] = query(
        site,
        "SELECT count(*) FROM library_index li LEFT JOIN file_quality fq "
        "ON fq.library_file_id = li.id WHERE li.is_active = 1 "
        "AND (fq.id IS NULL OR fq.analyzed_at < li.file_mtime "
        "OR fq.analyzer_version IS NULL OR fq.analyzer_version != ?)",
        (ANALYZER_VERSION,),
    )
    assert number(page.inner_text("#files-count")) == files
    assert int(page.get_attribute("#total-size", "data-bytes")) == size
    assert number(page.inner_text("#backlog-count")) == backlog
    # Appendix B query 3, over the files still in the library
    expected = query(
        site,
        "SELECT fq.file_format, COUNT(*), AVG(quality_score), "
        "SUM(CASE WHEN is_lossless = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_hires = 1 THEN 1 ELSE 0 END) FROM file_quality fq "
        "JOIN library_index li ON li.id = fq.library_file_id WHERE li.is_active = 1 "
        "GROUP BY fq.file_format ORDER BY COUNT(*) DESC",
    )
    rows = page.locator("#formats tbody tr:not(.codec-split)")
    assert rows.count() == len(expected)
    # a container of several codecs (m4a: AAC and ALAC) has a row per codec
    split = query(
        site,
        "SELECT fq.file_format, fq.codec, COUNT(*) FROM file_quality fq "
        "JOIN library_index li ON li.id = fq.library_file_id WHERE li.is_active = 1 "
        "AND fq.file_format IN (SELECT f.file_format FROM file_quality f "
        "JOIN library_index l ON l.id = f.library_file_id WHERE l.is_active = 1 "
        "GROUP BY f.file_format HAVING COUNT(DISTINCT f.codec) > 1) "
        "GROUP BY fq.file_format, fq.codec",
    )
    assert page.locator("#formats tr.codec-split").count() == len(split)
    for fmt, codec, count in split:
        row = page.locator(f"#formats tr.codec-split[data-format='{fmt}'][data-codec='{codec}']")
        assert number(row.locator("td").nth(1).inner_text()) == count
    for index, (fmt, count, avg, lossless, hires) in enumerate(expected):
        cells = rows.nth(index).locator("td").all_inner_texts()
        assert cells[0] == fmt
        assert [number(cells[1]), float(cells[2]), number(cells[3]), number(cells[4])] == [
            count,
            round(avg, 1),
            lossless,
            hires,
        ]
    bins = {
        label: n
        for label, n in query(
            site,
            "SELECT min(CAST(quality_score / 10 AS INTEGER), 9), count(*) FROM file_quality fq "
            "JOIN library_index li ON li.id = fq.library_file_id WHERE li.is_active = 1 "
            "GROUP BY 1",
        )
    }
    bars = page.locator("svg.chart g[data-label]")
    assert bars.count() == 10
    for index in range(10):
        assert float(bars.nth(index).get_attribute("data-value")) == bins.get(index, 0)
    stylesheet = page.evaluate("getComputedStyle(document.querySelector('.topbar')).display")
    assert stylesheet == "flex"  # the CSS came through whitenoise's manifest storage
    screenshot(page, "overview")


def test_overview_on_a_phone(browser, synthetic_site):
    page = log_in(browser, synthetic_site, viewport={"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the overview scrolls sideways on a phone"
    screenshot(page, "overview-phone")
    page.close()


def test_files_table_sorts_and_filters(page, synthetic_site):
    site = synthetic_site
    page.click("nav >> text=Files")
    [(files,)] = query(site, "SELECT count(*) FROM library_index WHERE is_active = 1")
    assert number(page.inner_text("#result-count")) == files
    page.click("#files-table th >> text=Score")
    page.click("#files-table th >> text=Score")  # second click: descending
    assert "sort=-quality_score" in page.url
    [(best,)] = query(site, "SELECT max(quality_score) FROM file_quality")
    first_score = page.locator("#files-table tbody tr").first.locator("td").nth(7).inner_text()
    assert float(first_score) == best
    screenshot(page, "files-sorted")

    page.fill("#id_q", "Artist 0001")
    page.select_option("#id_file_format", "mp3")
    page.fill("#id_score_max", "60")
    page.click("#file-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*score_max=60.*"))
    [(count,)] = query(
        site,
        "SELECT count(*) FROM library_index li JOIN file_quality fq ON fq.library_file_id = li.id "
        "WHERE li.is_active = 1 AND li.file_format = 'mp3' AND fq.quality_score <= 60 AND "
        "(li.artist LIKE '%Artist%' OR li.title LIKE '%Artist%' OR li.album LIKE '%Artist%' "
        " OR li.file_path LIKE '%Artist%') AND (li.artist LIKE '%0001%' OR li.title LIKE "
        "'%0001%' OR li.album LIKE '%0001%' OR li.file_path LIKE '%0001%')",
    )
    assert count > 0
    # A filtered page is never counted (issue 16): one page of rows, "Next" while more match.
    assert page.locator("#result-count").count() == 0
    assert page.locator("#files-table tbody tr").count() == min(count, 50)  # one page
    assert page.locator("nav.keyset a.next").count() == (1 if count > 50 else 0)
    screenshot(page, "files-filtered")


def test_file_detail_from_the_table(page, synthetic_site):
    """The file page lists the other members of the file's duplicate groups: exactly those
    ``find_duplicates`` reports for it (one definition of a group)."""
    site = synthetic_site
    groups = find_duplicates_groups(site)
    recording = next(g for g in groups if g["matched_by"] == "metadata_hash")
    file_id = recording["keeper"]["library_id"]
    holding = [
        g
        for g in groups
        if file_id in {g["keeper"]["library_id"], *(o["library_id"] for o in g["others"])}
    ]
    members = {member["library_id"] for g in holding for member in (g["keeper"], *g["others"])}
    [(path, score)] = query(
        site,
        "SELECT li.file_path, fq.quality_score FROM library_index li "
        "JOIN file_quality fq ON fq.library_file_id = li.id WHERE li.id = ?",
        (file_id,),
    )
    page.goto(site.base_url + f"/files/?q={path.rsplit('/', 1)[1].split()[0]}")
    page.click(f"#files-table tr[data-id='{file_id}'] td >> nth=1 >> a")
    page.wait_for_url(site.base_url + f"/files/{file_id}/")
    assert page.inner_text("#file-path") == path
    assert float(page.inner_text("#quality-score")) == score
    others = members - {file_id}
    assert others
    # every member of each group holding the file, the file itself included, keeper first
    rows = page.locator("#duplicates tbody tr[data-id]")
    assert rows.count() == sum(1 + len(g["others"]) for g in holding)
    shown = rows.all_inner_texts()
    firsts = {
        page.locator(f"#duplicates tbody tr[data-group='{n}']").first.get_attribute("data-id")
        for n in range(1, len(holding) + 1)
    }
    assert firsts == {str(g["keeper"]["library_id"]) for g in holding}
    assert page.locator("#duplicates tr.keeper .keeper-mark").count() == len(holding)
    assert page.locator("#duplicates tr.current").count() == len(holding)
    [(other_path,)] = query(
        site, "SELECT file_path FROM library_index WHERE id = ?", (min(others),)
    )
    assert any(other_path in row for row in shown)
    screenshot(page, "file-detail")


def find_duplicates_groups(site) -> list[dict]:
    """The groups ``manage.py find_duplicates`` reports over the site's library."""
    env = manage_env(site.folder)
    result = run_manage(env, "find_duplicates", "--no-confirm", "--json", "-")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["groups"]


def test_dedup_dashboard_numbers_match_the_database(page, synthetic_site):
    site = synthetic_site
    page.click("nav >> text=Duplicates")
    cutoff = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)).isoformat()
    expected = query(  # Appendix B query 2 with an ISO cut-off (the column holds 'T' text)
        site,
        "SELECT deletion_reason, COUNT(*), AVG(quality_score), SUM(file_size) "
        "FROM dedup_history WHERE deleted_at >= ? GROUP BY deletion_reason",
        (cutoff,),
    )
    rows = page.locator("#reasons-table tbody tr[data-reason]")
    assert rows.count() == len(expected)
    shown = {
        rows.nth(i).get_attribute("data-reason"): rows.nth(i).locator("td").all_inner_texts()
        for i in range(rows.count())
    }
    for reason, count, avg, size in expected:
        cells = shown[reason]
        assert number(cells[1]) == count
        assert float(cells[2]) == round(avg, 1)
        assert cells[3] == filesizeformat(size)
    [(sessions,)] = query(site, "SELECT count(DISTINCT deletion_session_id) FROM dedup_history")
    assert page.locator("#sessions-table tbody tr").count() == min(sessions, 10)  # one page
    [(pairs,)] = query(  # Appendix B query 4, files still in the library
        site,
        "SELECT count(*) FROM library_index li1 JOIN library_index li2 "
        "ON li1.metadata_hash = li2.metadata_hash "
        "JOIN file_quality fq1 ON li1.id = fq1.library_file_id "
        "JOIN file_quality fq2 ON li2.id = fq2.library_file_id "
        "WHERE li1.id < li2.id AND li1.is_active = 1 AND li2.is_active = 1 "
        "AND ABS(fq1.quality_score - fq2.quality_score) > 20",
    )
    screenshot(page, "dedup")
    page.click("#pairs-link")  # query 4 is its own labelled view
    assert page.url.endswith("/dedup/pairs/")
    assert number(page.inner_text("#pair-count")) == pairs
    page.locator("#pairs-table tbody tr").first.locator("td").nth(2).locator("a").click()
    assert re.search(r"/files/\d+/$", page.url)


def test_health_has_counts_and_no_paths(browser, synthetic_site):
    response = browser.new_context().request.get(synthetic_site.base_url + "/health")
    assert response.status == 200
    data = response.json()
    [(rows,)] = query(synthetic_site, "SELECT count(*) FROM library_index")
    assert data["row_counts"]["library_index"] == rows
    assert "/music" not in json.dumps(data) and "/tmp" not in json.dumps(data)
