from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from musicquality.filters import InvalidFilterIs400Mixin
from musicquality.tables import DEFAULT_PER_PAGE, PAGE_SIZES, PresortedListData, per_page_from
from upgrades.filters import QUERY_1_DEFAULTS, UpgradeCandidateFilter
from upgrades.models import UpgradeCandidate, UserAction
from upgrades.selectors import (
    RECENT_ACQUISITION_DAYS,
    UpgradeAlbums,
    candidates_playlists_attach,
    upgrade_acquisitions_recent,
    upgrade_action_counts,
    upgrade_availability_counts,
    upgrade_candidates_top,
    upgrade_shopping_list,
)
from upgrades.services import upgrade_album_act
from upgrades.tables import UpgradeAlbumTable, UpgradeCandidateTable


class CandidateListView(LoginRequiredMixin, InvalidFilterIs400Mixin, SingleTableMixin, FilterView):
    """Appendix B query 1 (pending MP3s scoring below 70, by priority) by default; each
    filter can be widened."""

    model = UpgradeCandidate
    table_class = UpgradeCandidateTable
    filterset_class = UpgradeCandidateFilter
    template_name = "upgrades/candidates.html"
    table_pagination = {"per_page": DEFAULT_PER_PAGE}

    def get_queryset(self):
        return UpgradeCandidate.objects.select_related(
            "library_file__quality", "library_file__verification"
        ).order_by("-priority_score", "id")

    def get_table_kwargs(self):
        """The one-click decisions only for those who may change candidates."""
        if self.request.user.has_perm("upgrades.change_upgradecandidate"):
            return {}
        return {"exclude": ("decide",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_sizes"] = PAGE_SIZES
        context["per_page"] = per_page_from(self.request.GET.get("per_page"))
        return context

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
        "top_pending": candidates_playlists_attach(upgrade_candidates_top(limit=10)),
        "shopping_list": upgrade_shopping_list(),
        "acquired": upgrade_acquisitions_recent(),
        "acquired_days": RECENT_ACQUISITION_DAYS,
    }
    return render(request, "upgrades/dashboard.html", context)


@login_required
def albums(request):
    """``/upgrades/albums/``: the pending candidates per album, since collectors buy albums."""
    albums = UpgradeAlbums(order_by=request.GET.get("sort", ""))
    table = UpgradeAlbumTable(PresortedListData(albums), request=request, order_by=albums.order_by)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "upgrades/albums.html", {"table": table})


@require_POST
@permission_required("upgrades.change_upgradecandidate", raise_exception=True)
def album_approve(request):
    """Approve every pending candidate of one album in one click."""
    artist, album = request.POST.get("artist", ""), request.POST.get("album", "")
    result = upgrade_album_act(artist=artist, album=album, action=UserAction.APPROVED)
    messages.success(
        request,
        f"{album} ({artist or 'no artist'}): {result.changed} "
        f"candidate{'s' if result.changed != 1 else ''} approved.",
    )
    return redirect("upgrades:albums")
