"""Triage in the admin from a real browser: approve the top pending upgrade candidate."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, query, screenshot

pytestmark = pytest.mark.e2e


def test_approve_a_candidate_in_the_admin(browser, synthetic_site):
    site = synthetic_site
    [(candidate_id,)] = query(
        site,
        "SELECT id FROM upgrade_candidates WHERE user_action = 'pending' "
        "ORDER BY priority_score DESC, id LIMIT 1",
    )
    page = log_in(browser, site)
    page.click("nav >> text=Admin")
    page.goto(site.base_url + "/admin/upgrades/upgradecandidate/?user_action__exact=pending")
    page.check(f"input[name=_selected_action][value='{candidate_id}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index], .actions button[type=submit]")
    page.fill("textarea[name=note], input[name=note]", "buy the FLAC")
    screenshot(page, "admin-approve-confirm")
    page.click("input[type=submit][value=Approve]")
    assert "1 candidate set to approved" in page.inner_text(".messagelist")
    screenshot(page, "admin-approved")
    [(action, action_at, notes)] = query(
        site,
        "SELECT user_action, action_at, notes FROM upgrade_candidates WHERE id = ?",
        (candidate_id,),
    )
    assert action == "approved" and action_at and "buy the FLAC" in (notes or "")
    page.close()
