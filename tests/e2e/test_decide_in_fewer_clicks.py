"""Issue 17 in a real browser: decisions in one click, lists that fit 1,280 and 390 px, next
steps that lead to the work, groups with their keeper marked, and axe-core on every page.

axe-core comes from the npm registry (package.json; ``make install`` runs ``npm ci``) and is
injected from ``node_modules`` on this machine, never fetched from a CDN. The pages' CSP
allows no injected script, so the axe pages' browser context bypasses it (the CSP itself is
checked by ``test_content_security_policy.py``).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO_ROOT, manage_env, run_manage
from tests.e2e.conftest import ADMIN_USER, log_in, query, screenshot

pytestmark = pytest.mark.e2e

AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CANDIDATES = "/admin/upgrades/upgradecandidate/"
HISTORY = "/admin/dedup/deduphistory/"


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def page_overflow(page) -> int:
    """How far the page scrolls sideways (0 when it does not)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
@pytest.mark.parametrize("url", [CANDIDATES, HISTORY], ids=["candidates", "deletion-history"])
def test_the_changelists_have_no_horizontal_overflow(browser, synthetic_site, viewport, url):
    page = log_in(browser, synthetic_site, viewport=viewport)
    page.goto(synthetic_site.base_url + url)
    assert page.locator("#result_list tbody tr").count() > 0
    assert page_overflow(page) == 0, f"{url} at {viewport['width']} px: {overflowing(page)}"
    if viewport is WIDE:
        # the table fits its results box: no column hidden behind a scroll bar
        table, box = page.evaluate(
            "[document.querySelector('#result_list').scrollWidth,"
            " document.querySelector('#changelist .results').clientWidth]"
        )
        print(f"{url} at 1280 px: table {table} px in a results box of {box} px")
        assert table <= box
    screenshot(page, f"changelist-{url.strip('/').replace('/', '-')}-{viewport['width']}")
    page.close()


def overflowing(page) -> list[str]:
    """The outermost elements reaching past the viewport's right edge (for the message)."""
    return page.evaluate(
        """() => { const w = document.documentElement.clientWidth; const out = [];
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect();
          const p = e.parentElement;
          if (r.right > w + 1 && p && getComputedStyle(p).overflowX === 'visible'
              && p.getBoundingClientRect().right <= w + 1)
            out.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.right));
        } return out.slice(0, 8); }"""
    )


def navigations(page) -> list[str]:
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return loads


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_one_click_on_a_row_approves_that_candidate(browser, synthetic_site, viewport):
    site = synthetic_site
    [(candidate_id,)] = query(
        site,
        "SELECT id FROM upgrade_candidates WHERE user_action = 'pending' "
        "ORDER BY priority_score DESC, id LIMIT 1",
    )
    page = log_in(browser, site, viewport=viewport)
    page.goto(site.base_url + CANDIDATES)
    row = page.locator(f"#result_list tr:has(input[value='{candidate_id}'])")
    with page.expect_navigation():
        row.locator("button.decide-approved").click()  # CSRF on: the page's own token
    assert "approved." in page.inner_text(".messagelist")
    [(action, action_at)] = query(
        site, "SELECT user_action, action_at FROM upgrade_candidates WHERE id = ?", (candidate_id,)
    )
    assert action == "approved" and action_at
    # the list shows it: counted as approved, and listed among the approved ones
    [(approved,)] = query(
        site, "SELECT count(*) FROM upgrade_candidates WHERE user_action = 'approved'"
    )
    assert number(page.inner_text("#upgrade-action-counts [data-action=approved]")) == approved
    page.goto(site.base_url + CANDIDATES + "?user_action__exact=approved")
    shown = page.locator(f"#result_list tr:has(input[value='{candidate_id}']) .user-action")
    assert shown.inner_text() == "approved"
    page.close()


def test_approve_3_reject_2_ignore_1_in_few_interactions(browser, synthetic_site):
    """The issue's measure: 18 interactions and 8 page loads before."""
    site = synthetic_site
    ids = [
        row[0]
        for row in query(
            site,
            "SELECT id FROM upgrade_candidates WHERE user_action = 'pending' "
            "ORDER BY priority_score DESC, id LIMIT 6 OFFSET 5",
        )
    ]
    page = log_in(browser, site)
    page.goto(site.base_url + CANDIDATES + "?user_action__exact=pending")
    loads = navigations(page)
    interactions = 0

    def tick_and(button: str, chosen: list[int]) -> None:
        nonlocal interactions
        for candidate_id in chosen:
            page.check(f"input[name=_selected_action][value='{candidate_id}']")
            interactions += 1
        with page.expect_navigation():
            page.click(f"#bulk-bar button.bulk-{button}")
        interactions += 1

    tick_and("approved", ids[:3])
    tick_and("rejected", ids[3:5])
    with page.expect_navigation():  # one left: its row's button
        page.click(f"#result_list tr:has(input[value='{ids[5]}']) button.decide-ignored")
    interactions += 1
    decided = dict(
        query(
            site,
            f"SELECT id, user_action FROM upgrade_candidates WHERE id IN ({','.join('?' * 6)})",
            ids,
        )
    )
    assert [decided[i] for i in ids] == ["approved"] * 3 + ["rejected"] * 2 + ["ignored"]
    print(f"approve 3, reject 2, ignore 1: {interactions} interactions, {len(loads)} page loads")
    assert interactions == 8 and len(loads) == 3
    page.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_the_overview_cards_lead_to_lists_with_the_same_counts(browser, synthetic_site, viewport):
    site = synthetic_site
    page = log_in(browser, site, viewport=viewport)
    cards = page.locator("#next-steps a.next-step")
    assert cards.count() > 0
    found = {
        cards.nth(i).get_attribute("id"): (
            int(cards.nth(i).get_attribute("data-count")),
            cards.nth(i).get_attribute("href"),
        )
        for i in range(cards.count())
    }
    assert "next-upgrades" in found and "next-duplicates" in found
    for card, (count, href) in found.items():
        page.goto(site.base_url + "/")
        with page.expect_navigation():
            page.click(f"#{card}")
        if card == "next-upgrades":
            text = page.inner_text("#changelist .paginator")
            shown = number(re.search(r"([\d,]+) upgrade candidate", text).group(1))
        elif card == "next-duplicates":
            shown = number(page.inner_text("#group-count"))
        elif href.startswith("/files/"):
            shown = number(page.inner_text("#result-count"))
        else:
            continue  # jobs: the page that starts the work, no count of its own
        assert shown == count, card
    page.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_dedup_shows_each_groups_keeper_first_and_marked(browser, synthetic_site, viewport):
    site = synthetic_site
    env = manage_env(site.folder)
    result = run_manage(env, "find_duplicates", "--no-confirm", "--json", "-")
    assert result.returncode == 0, result.stderr
    keepers = [g["keeper"]["library_id"] for g in json.loads(result.stdout)["groups"]]
    page = log_in(browser, site, viewport=viewport)
    page.goto(site.base_url + "/dedup/")
    groups = page.locator("#groups .dup-group")
    assert groups.count() == min(len(keepers), 25)
    for i in range(groups.count()):
        first = groups.nth(i).locator("tbody tr").first
        assert first.get_attribute("data-role") == "keep"
        assert first.locator(".keeper-mark").inner_text() == "keeper"
        assert int(first.get_attribute("data-id")) in keepers
        assert groups.nth(i).locator(".keeper-mark").count() == 1
        assert groups.nth(i).locator(".keeper-rule").inner_text()
    screenshot(page, "dedup-groups")
    page.close()


def axe_pages(site) -> list[str]:
    [(file_id,)] = query(site, "SELECT min(id) FROM library_index WHERE is_active = 1")
    [(candidate_id,)] = query(site, "SELECT min(id) FROM upgrade_candidates")
    [(history_id,)] = query(site, "SELECT min(id) FROM dedup_history")
    [(vetting_id,)] = query(site, "SELECT min(id) FROM import_vetting", app=True)
    [(job_id,)] = query(site, "SELECT min(id) FROM jobs_job", app=True)
    assert vetting_id and job_id, "the synthetic site has a vetting and its job"
    return [
        "/",
        "/files/",
        f"/files/{file_id}/",
        "/files/unreadable/",
        "/dedup/",
        "/dedup/pairs/",
        "/dedup/review/",
        "/dedup/decisions/",
        "/upgrades/",
        "/upgrades/candidates/",
        "/upgrades/albums/",
        "/imports/",
        f"/imports/{vetting_id}/",
        "/jobs/",
        f"/jobs/{job_id}/",
        "/monitoring/",
        "/admin/",
        CANDIDATES,
        f"{CANDIDATES}{candidate_id}/change/",
        HISTORY,
        f"{HISTORY}{history_id}/change/",
        "/no-such-page/",
    ]


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_axe_core_finds_no_violation_on_any_page(browser, synthetic_site, viewport):
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run make install (npm ci)"
    site = synthetic_site
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    problems = {}

    def check(url: str) -> None:
        page.goto(site.base_url + url)
        page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate("async () => (await axe.run(document)).violations")
        if violations:
            problems[url] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
            ]
        if page_overflow(page):
            problems[f"{url} scrolls sideways"] = overflowing(page)

    check("/login/")  # logged out: the page every visitor meets first
    assert page.url == site.base_url + "/login/"
    page.fill("#id_username", ADMIN_USER)
    page.fill("#id_password", site.password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == site.base_url + "/"
    for url in axe_pages(site):
        check(url)
    context.close()
    assert not problems, json.dumps(problems, indent=1)
