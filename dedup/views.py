from django.shortcuts import render
from django.utils import timezone
from django_tables2 import RequestConfig

from dedup.dashboard_selectors import (
    deletions_by_reason,
    deletions_per_day,
    duplicate_pair_details_fill,
    duplicate_pairs_with_quality_gap,
    recent_cutoff,
)
from dedup.filters import DedupSessionFilter, DuplicatePairForm
from dedup.models import DedupHistory
from dedup.selectors import dedup_sessions_totals, duplicate_groups_suggested
from dedup.tables import DedupSessionTable, DuplicatePairTable, PresortedListData
from musicquality.charts import bar_chart


def dashboard(request):
    """``/dedup/``: what dedup runs removed lately, per session, and duplicates still there."""
    now = timezone.now()
    session_filter = DedupSessionFilter(request.GET, queryset=DedupHistory.objects.all())
    pair_form = DuplicatePairForm(request.GET or None)
    pairs = duplicate_pairs_with_quality_gap(
        min_diff=pair_form.min_diff_value(), order_by=request.GET.get("p-sort", "")
    )
    sessions_table = DedupSessionTable(dedup_sessions_totals(rows=session_filter.qs), prefix="s-")
    pairs_table = DuplicatePairTable(PresortedListData(pairs), prefix="p-")
    RequestConfig(request, paginate={"per_page": 10}).configure(sessions_table)
    RequestConfig(request, paginate={"per_page": 10}).configure(pairs_table)
    duplicate_pair_details_fill(pairs=[row.record for row in pairs_table.page.object_list])
    per_day = deletions_per_day(now=now)
    context = {
        "groups": duplicate_groups_suggested(),
        "reasons": deletions_by_reason(since=recent_cutoff(now=now)),
        "per_day_chart": bar_chart(
            items=[(day[5:], count) for day, count in per_day],
            title="Files removed per day, last 30 days",
            label_every=5,
        ),
        "deleted_recently": sum(count for _, count in per_day),
        "session_filter": session_filter,
        "sessions_table": sessions_table,
        "pair_form": pair_form,
        "pairs_table": pairs_table,
        "pair_count": len(pairs),
    }
    return render(request, "dedup/dashboard.html", context)
