from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from musicquality.filters import InvalidFilterIs400Mixin
from upgrades.filters import QUERY_1_DEFAULTS, UpgradeCandidateFilter
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.selectors import (
    RECENT_ACQUISITION_DAYS,
    upgrade_acquisitions_recent,
    upgrade_action_counts,
    upgrade_availability_counts,
    upgrade_candidates_top,
    upgrade_shopping_list,
)
from upgrades.tables import UpgradeCandidateTable


class CandidateListView(LoginRequiredMixin, InvalidFilterIs400Mixin, SingleTableMixin, FilterView):
    """Appendix B query 1 (pending MP3s scoring below 70, by priority) by default; each
    filter can be widened."""

    model = UpgradeCandidate
    table_class = UpgradeCandidateTable
    filterset_class = UpgradeCandidateFilter
    template_name = "upgrades/candidates.html"
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return UpgradeCandidate.objects.order_by("-priority_score", "id")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = self.request.GET.copy()
        for key, value in QUERY_1_DEFAULTS.items():
            data.setdefault(key, value)
        kwargs["data"] = data
        return kwargs


@login_required
def dashboard(request):
    context = {
        "action_counts": upgrade_action_counts(),
        "availability_pending": upgrade_availability_counts(user_action=UserAction.PENDING),
        "top_pending": upgrade_candidates_top(limit=10),
        "shopping_list": upgrade_shopping_list(),
        "acquired": upgrade_acquisitions_recent(),
        "acquired_days": RECENT_ACQUISITION_DAYS,
    }
    return render(request, "upgrades/dashboard.html", context)
