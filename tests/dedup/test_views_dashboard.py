import datetime
import html
import random
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from dedup.dashboard_selectors import PAIR_SORTS, duplicate_pairs_with_quality_gap
from dedup.tables import DuplicatePairTable
from tests.conftest import LIBRARY_DBS
from tests.factories import dedup_history_make, file_quality_make, library_file_make
from tests.ui_fixtures import (
    EXPECTED,
    SESSION_LAST_WEEK,
    SESSION_OLD,
    SESSION_TODAY,
)


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_deletions_by_reason_in_the_last_30_days(superuser_client, small_library):
    response = superuser_client.get(reverse("dedup_dashboard"))
    assert response.status_code == 200
    reasons = {
        r.deletion_reason: (r.count, r.avg_quality_deleted, r.bytes_freed)
        for r in response.context["reasons"]
    }
    assert reasons.keys() == EXPECTED["reasons_30_days"].keys()
    for reason, (count, avg, size) in EXPECTED["reasons_30_days"].items():
        assert reasons[reason] == (count, pytest.approx(avg), size)


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_chart_has_30_days_ending_today(superuser_client, small_library):
    context = superuser_client.get(reverse("dedup_dashboard")).context
    bars = context["per_day_chart"].bars
    assert len(bars) == 30
    assert bars[-1].value == 3  # three rows today
    assert sum(bar.value for bar in bars) == 4  # + one ten days ago; the 40-day-old row is out
    assert bars[-11].value == 1
    assert context["deleted_recently"] == 4


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_the_table_by_reason_counts_the_days_the_chart_shows(superuser_client):
    """Both cover the last 30 UTC days, today included: a deletion early on the day 29 days
    back is in both, one on the day before in neither (the table used to reach back 30 x 24
    hours, into a 31st calendar day the chart does not show)."""
    midnight = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=1)
    for days_ago, reason in ((0, "exact_duplicate"), (29, "lower_quality"), (30, "manual")):
        moment = midnight - datetime.timedelta(days=days_ago)
        dedup_history_make(deleted_at=moment.isoformat(), deletion_reason=reason)
    context = superuser_client.get(reverse("dedup_dashboard")).context
    reasons = {row.deletion_reason: row.count for row in context["reasons"]}
    assert reasons == {"exact_duplicate": 1, "lower_quality": 1}
    assert sum(reasons.values()) == context["deleted_recently"] == 2


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_sessions_with_totals(superuser_client, small_library):
    table = superuser_client.get(reverse("dedup_dashboard")).context["sessions_table"]
    rows = {row.record["deletion_session_id"]: row.record for row in table.paginated_rows}
    assert list(rows) == [SESSION_TODAY, SESSION_LAST_WEEK, SESSION_OLD]  # newest first
    today = rows[SESSION_TODAY]
    assert (today["files"], today["bytes_freed"], today["recoverable"]) == (3, 15_000_000, 3)
    assert rows[SESSION_LAST_WEEK]["recoverable"] == 0


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_sessions_filter_by_reason(superuser_client, small_library):
    table = superuser_client.get(
        reverse("dedup_dashboard"), {"deletion_reason": "lower_quality"}
    ).context["sessions_table"]
    rows = {row.record["deletion_session_id"]: row.record["files"] for row in table.paginated_rows}
    assert rows == {SESSION_TODAY: 1, SESSION_LAST_WEEK: 1}


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_duplicate_pairs_with_links_to_both_files(superuser_client, small_library):
    response = superuser_client.get(reverse("dedup_pairs"))
    pairs = [row.record for row in response.context["pairs_table"].paginated_rows]
    assert len(pairs) == EXPECTED["pairs"]
    pair = pairs[0]
    assert (pair.id1, pair.id2) == (small_library.mp3_128.pk, small_library.flac_hires.pk)
    assert pair.score_diff == pytest.approx(67.3)
    assert (pair.path1, pair.path2) == (
        small_library.mp3_128.file_path,
        small_library.flac_hires.file_path,
    )
    assert (pair.artist, pair.title) == (small_library.mp3_128.artist, small_library.mp3_128.title)
    html = response.content.decode()
    for file in (small_library.mp3_128, small_library.flac_hires):
        assert f'href="{reverse("file_detail", args=[file.pk])}"' in html
    # each file with its quality badge (the analysis rows made above: MP3 128 CBR, FLAC 24/96)
    assert (pair.badge1, pair.badge2) == ("MP3 128 CBR", "FLAC 24/96")
    first = reverse("file_detail", args=[pair.id1])
    assert f'<span class="badge quality">MP3 128 CBR</span> <a href="{first}"' in html


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize(
    "order", ["score_diff", "-score_diff", "artist", "-artist", "title", "-title", "score1"]
)
def test_dashboard_pairs_in_the_order_django_tables2_would_sort_them(
    superuser_client, small_library, order
):
    """The view shows the selector's order as it is; django-tables2 must agree with it."""
    for artist, title, scores in ((None, "Middle", (10, 90)), ("Zed", "Aardvark", (20, 95))):
        for score in scores:
            file = library_file_make(artist=artist, title=title, metadata_hash=f"{title:>32}")
            file_quality_make(file, quality_score=score)
    shown = [
        row.record
        for row in superuser_client.get(
            reverse("dedup_pairs"), {"min_diff": "0.5", "p-sort": order}
        )
        .context["pairs_table"]
        .paginated_rows
    ]
    resorted = [row.record for row in DuplicatePairTable(list(shown), order_by=order).rows]
    assert len(shown) >= 3
    assert [(p.id1, p.id2) for p in shown] == [(p.id1, p.id2) for p in resorted]
    assert all(pair.path1 and pair.path2 for pair in shown)


def test_every_sortable_pair_column_is_sorted_by_the_selector():
    table = DuplicatePairTable([])
    assert {column.name for column in table.columns if column.orderable} == set(PAIR_SORTS) - {""}


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_pair_threshold_from_the_form(superuser_client, small_library):
    context = superuser_client.get(reverse("dedup_pairs"), {"min_diff": "0.5"}).context
    assert context["pair_count"] == 2
    context = superuser_client.get(reverse("dedup_pairs"), {"min_diff": "abc"}).context
    assert context["pair_count"] == 1  # an invalid value falls back to the report's 20


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_of_an_empty_database(superuser_client):
    response = superuser_client.get(reverse("dedup_dashboard"))
    assert response.context["reasons"] == [] and response.context["group_cards"] == []
    assert 'id="no-groups"' in response.content.decode()
    assert superuser_client.get(reverse("dedup_pairs")).context["pair_count"] == 0
    assert response.context["per_day_chart"].is_empty


PAIRS_NEXT = re.compile(r'<a href="(\?[^"]*)" class="next"')


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
@pytest.mark.parametrize("order", ["", "artist", "-score_diff", "title", "-score2"])
def test_every_pair_exactly_once_while_files_are_added_between_pages(
    clean_library, superuser_client, order
):
    rng = random.Random(order)
    for group in range(12):
        for _ in range(4):
            file = library_file_make(
                artist=rng.choice(["A", "B", None]), title=f"Song {group}",
                metadata_hash=f"{group:032x}",
            )  # fmt: skip
            file_quality_make(file, quality_score=float(rng.choice([10, 40, 70, 95])))
    expected = {(p.id1, p.id2) for p in duplicate_pairs_with_quality_gap(min_diff=0)}
    url = reverse("dedup_pairs") + "?" + urlencode({"min_diff": "0", "p-sort": order})
    seen: list[tuple[int, int]] = []
    pages = 0
    for _round in range(100):
        pages += 1
        response = superuser_client.get(url)
        seen += [(r.record.id1, r.record.id2) for r in response.context["pairs_table"].rows]
        found = PAIRS_NEXT.search(response.content.decode())
        if not found:
            break
        # A new copy of one of the songs: new pairs appear anywhere in the order.
        group = rng.randrange(12)
        file = library_file_make(title=f"Song {group}", metadata_hash=f"{group:032x}")
        file_quality_make(file, quality_score=float(rng.randint(0, 100)))
        url = reverse("dedup_pairs") + html.unescape(found.group(1))
    assert len(seen) == len(set(seen)), "a pair shown twice"
    assert expected <= set(seen), "a pair never shown"
    assert pages >= 3, "the pairs never took more than two pages"


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_dashboard_lists_groups_keeper_first_and_marked_with_the_rule(
    superuser_client, small_library
):
    from dedup.selectors import duplicate_groups_suggested

    response = superuser_client.get(reverse("dedup_dashboard"))
    report = duplicate_groups_suggested()
    cards = response.context["group_cards"]
    assert [card.group.number for card in cards] == [g.number for g in report.groups][:25]
    html = response.content.decode()
    assert "pairs-table" not in html and 'href="/dedup/pairs/"' in html
    for card in cards:
        group = card.group
        section = html.split(f'id="dup-group-{group.number}"', 1)[1].split("</table>", 1)[0]
        rows = section.split("<tr ")[1:]  # the header row is a bare <tr>
        assert f'data-id="{group.keeper.id}" data-role="keep"' in rows[0]
        assert "keeper-mark" in rows[0]
        assert all("keeper-mark" not in row for row in rows[1:])
        assert card.keeper_rule in section
