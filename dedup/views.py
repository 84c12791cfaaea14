from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from dedup.dashboard_selectors import (
    deletions_by_reason,
    deletions_per_day,
    duplicate_pairs_count,
    duplicate_pairs_page,
    recent_cutoff,
)
from dedup.filters import DedupSessionFilter, DuplicatePairForm
from dedup.models import DecisionKind, DedupHistory
from dedup.selectors import (
    dedup_sessions_summary,
    dedup_sessions_totals,
    duplicate_decisions_list,
    duplicate_groups_review,
    duplicate_groups_snapshot,
)
from dedup.services.decisions import (
    DecisionRefused,
    duplicate_decision_create,
    duplicate_decision_undo,
)
from dedup.tables import (
    DecisionTable,
    DedupSessionTable,
    DuplicatePairTable,
    PresortedListData,
)
from musicquality.charts import bar_chart
from musicquality.tables import AppPaginator

#: Duplicate groups per page of ``/dedup/``.
DASHBOARD_GROUPS_PER_PAGE = 25


def dashboard(request):
    """``/dedup/``: the duplicate groups (keeper first, marked, with the rule that chose it),
    what dedup runs removed lately, per session. The report's query 4 (pairs) is
    ``/dedup/pairs/``."""
    now = timezone.now()
    session_filter = DedupSessionFilter(request.GET, queryset=DedupHistory.objects.none())
    narrowed = session_filter.form.cleaned_data if session_filter.is_valid() else {}
    sessions_table = DedupSessionTable(
        dedup_sessions_totals(
            deletion_reason=narrowed.get("deletion_reason") or None,
            matched_by=narrowed.get("matched_by") or None,
            can_recover=narrowed.get("can_recover"),
        ),
        prefix="s-",
    )
    RequestConfig(request, paginate={"per_page": 10}).configure(sessions_table)
    groups = duplicate_groups_snapshot()
    groups_page = AppPaginator(groups.report.groups, DASHBOARD_GROUPS_PER_PAGE).get_page(
        request.GET.get("g-page")
    )
    per_day = deletions_per_day(now=now)
    context = {
        "groups": groups.totals,
        "groups_freshness": groups.freshness,
        "groups_page": groups_page,
        "group_cards": duplicate_groups_review(groups=groups_page.object_list),
        "group_page_links": groups_page.paginator.get_elided_page_range(
            groups_page.number, on_each_side=2
        ),
        "reasons": deletions_by_reason(since=recent_cutoff(now=now)),
        "per_day_chart": bar_chart(
            items=[(day[5:], count) for day, count in per_day],
            title="Files removed per day, last 30 days",
            label_every=5,
        ),
        "deleted_recently": sum(count for _, count in per_day),
        "session_filter": session_filter,
        "sessions_table": sessions_table,
    }
    return render(request, "dedup/dashboard.html", context)


def pairs(request):
    """``/dedup/pairs/``: the design report's query 4, pair by pair (same metadata hash,
    scores far apart), as its own labelled view beside the groups; paged by keyset through
    the summary's pairs (docs/summary.md)."""
    pair_form = DuplicatePairForm(request.GET or None)
    min_diff = pair_form.min_diff_value()
    page = duplicate_pairs_page(
        min_diff=min_diff,
        order_by=request.GET.get("p-sort", ""),
        after=request.GET.get("p-after"),
        before=request.GET.get("p-before"),
    )
    page.prefix, page.query = "p-", {k: v for k, v in request.GET.items() if v}
    pairs_table = DuplicatePairTable(PresortedListData(page.rows), prefix="p-")
    RequestConfig(request, paginate=False).configure(pairs_table)
    context = {
        "pair_form": pair_form,
        "pairs_table": pairs_table,
        "pairs_page": page,
        "pair_count": duplicate_pairs_count(min_diff=min_diff),
    }
    return render(request, "dedup/pairs.html", context)


REVIEW_GROUPS_PER_PAGE = 10
RECENT_SESSIONS = 10


@require_GET
def review(request):
    """``/dedup/review/``: each duplicate group side by side, the keeper and why; staff pick
    another keeper, keep both, or quarantine (a job, after a dry run: ``jobs.views``)."""
    groups = duplicate_groups_snapshot()
    report = groups.report
    page = AppPaginator(report.groups, REVIEW_GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "report": report,
        "totals": groups.totals,
        "groups_freshness": groups.freshness,
        "page": page,
        # A few numbers around this page and at both ends: thousands of groups at 500,000
        # files would otherwise be thousands of links.
        "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "cards": duplicate_groups_review(groups=page.object_list),
        "sessions": [s for s in dedup_sessions_summary(limit=RECENT_SESSIONS) if s.recoverable],
        "decision_kinds": DecisionKind.choices,
    }
    return render(request, "dedup/review.html", context)


def _back(request, fallback: str) -> str:
    back = request.POST.get("back", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return fallback


def _staff_only(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("staff only: ask an administrator")


@require_POST
def decision_add(request):
    """Keep the selected files of a group (the keeper and the ticked ones): no quarantine."""
    _staff_only(request)
    ids = []
    for value in request.POST.getlist("keeper") + request.POST.getlist("remove"):
        if value.isdigit():
            ids.append(int(value))
    try:
        decision = duplicate_decision_create(
            file_ids=ids,
            kind=request.POST.get("kind") or DecisionKind.KEEP_BOTH,
            note=request.POST.get("note", ""),
            user=request.user,
        )
    except DecisionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Decision #{decision.pk}: {decision.get_kind_display()} for "
            f"{len(ids)} files; undo it on the decisions page.",
        )
    return redirect(_back(request, "/dedup/review/"))


@require_GET
def decisions(request):
    """``/dedup/decisions/``: the keep-both decisions in force and those undone."""
    active = DecisionTable(duplicate_decisions_list(), prefix="a-", request=request)
    undone = DecisionTable(
        duplicate_decisions_list(undone=True),
        prefix="u-",
        request=request,
        exclude=("undo",),
        attrs={"id": "undone-decisions-table"},
    )
    RequestConfig(request, paginate={"per_page": 25}).configure(active)
    RequestConfig(request, paginate={"per_page": 25}).configure(undone)
    return render(request, "dedup/decisions.html", {"active": active, "undone": undone})


@require_POST
def decision_undo(request, decision_id: int):
    _staff_only(request)
    try:
        duplicate_decision_undo(decision_id=decision_id, user=request.user)
    except DecisionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Decision #{decision_id} undone: its files are duplicates again."
        )
    return redirect("dedup_decisions")
