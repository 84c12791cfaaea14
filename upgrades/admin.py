"""Admin triage of upgrade candidates: the place where the user decides.

Candidates are made by ``identify_upgrades`` only, so the admin cannot add or delete them;
it lists them (pending first, then by priority), filters and searches them, and sets the
user's decision through :mod:`upgrades.services`: one click on a row's Approve / Reject /
Ignore, or a bulk button for the ticked rows. The intermediate page (with a note) comes only
when asked for ("with a note…") or for more than :data:`BULK_CONFIRM_ABOVE` candidates.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from musicquality.admin_list import PlainActionCheckboxMixin
from musicquality.filters import SearchWordsLimitAdminMixin
from quality.badges import file_quality_badge
from upgrades.links import ROW_DECISIONS, decision_buttons, file_detail_url
from upgrades.models import JobStatus, UpgradeCandidate, UpgradeJob, UserAction
from upgrades.rules import PRIORITY_BANDS, priority_band_label
from upgrades.selectors import (
    candidates_playlists_attach,
    upgrade_action_counts,
    upgrade_candidates_with_action_count,
)
from upgrades.services import upgrade_candidate_edit, upgrade_candidates_act, upgrade_job_close

#: A bulk change of more candidates than this asks for confirmation first (a slip of "select
#: all" should not decide hundreds); fewer apply at once, like a row's button.
BULK_CONFIRM_ABOVE = 20
_DECISION_ACTIONS: dict[str, tuple[str, str]] = {
    action.value: (verb, name) for action, verb, name in ROW_DECISIONS
}
_DECISION_ACTIONS[UserAction.COMPLETED.value] = ("Mark completed", "mark_completed")

PENDING_FIRST = Case(When(user_action=UserAction.PENDING, then=Value(0)), default=Value(1)).asc()
#: The order within each part of :data:`PENDING_FIRST` (``idx_upgrade_action``'s).
BY_PRIORITY = ("-priority_score", "id")


class CandidateChangeList(ChangeList):
    """The changelist, its page's candidates told which playlists earned their listening
    points (one lookup per page: ``upgrades.selectors.candidates_playlists_attach``)."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = candidates_playlists_attach(self.result_list)


#: Query parameters of the changelist that do not narrow it (Django admin's own names).
_NOT_FILTERS = {"p", "o", "all", "_facets", "_popup", "_to_field", "e"}


def action_only_filter(params: Mapping[str, str]) -> str | None:
    """The ``user_action`` a changelist's query filters on, when it filters on nothing else
    (no search, no other filter): its count is then the summary's
    (``upgrade_candidates_with_action_count``) rather than a count over the table's index,
    which grows with it (bench/RESULTS.md, "Pages at 500,000 files")."""
    narrowing = {key: value for key, value in params.items() if key not in _NOT_FILTERS}
    if set(narrowing) - {"q"} != {"user_action__exact"} or narrowing.get("q", "").strip():
        return None
    action = narrowing["user_action__exact"]
    return action if action in UserAction.values else None


class PendingFirstPaginator(Paginator):
    """The changelist's default order (pending first, then by priority) read as two indexed
    queries, pending then the others, each through ``idx_upgrade_action``: SQLite cannot
    sort by the CASE through an index, and sorting every candidate for one page of 50 grows
    with the table (bench/RESULTS.md, "Pages at 500,000 files"). Any other order (a column
    header) pages the queryset as Django does.

    ``action_only``: the list is filtered on this ``user_action`` alone
    (:func:`action_only_filter`); its count, and the pending part's, come from the summary.
    """

    def __init__(self, *args, action_only: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action_only = action_only
        if action_only is not None:  # Paginator.count is a cached_property: set it here
            self.__dict__["count"] = upgrade_candidates_with_action_count(user_action=action_only)

    def page(self, number):
        number = self.validate_number(number)
        ordering = getattr(getattr(self.object_list, "query", None), "order_by", ())
        if not ordering or ordering[0] != PENDING_FIRST:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        pending = self.object_list.filter(user_action=UserAction.PENDING).order_by(*BY_PRIORITY)
        if self.action_only is not None:  # the list holds this action's candidates alone
            pending_count = self.count if self.action_only == UserAction.PENDING else 0
        elif self.object_list.query.has_filters():
            pending_count = pending.count()
        else:  # the whole table: its count is kept in the summary (counting grows with it)
            pending_count = upgrade_candidates_with_action_count(user_action=UserAction.PENDING)
        ids = []
        if bottom < pending_count:
            ids += _page_ids(pending, bottom, min(top, pending_count))
        if top > pending_count:
            others = self.object_list.exclude(user_action=UserAction.PENDING).order_by(*BY_PRIORITY)
            ids += _page_ids(others, max(bottom - pending_count, 0), top - pending_count)
        found = self.object_list.order_by().in_bulk(ids)
        return self._get_page([found[i] for i in ids if i in found], number, self)


def _page_ids(queryset, bottom: int, top: int) -> list[int]:
    """The ids of rows ``bottom`` to ``top``, skipped through the index alone (an OFFSET
    over the rows would join each skipped row to its file first)."""
    return list(queryset.values_list("pk", flat=True)[bottom:top])


class PriorityBandFilter(admin.SimpleListFilter):
    title = "priority band"
    parameter_name = "priority_band"

    def lookups(self, request, model_admin):
        return [(band, priority_band_label(band)) for band in PRIORITY_BANDS]

    def queryset(self, request, queryset):
        if self.value() not in PRIORITY_BANDS:
            return queryset
        low, high = PRIORITY_BANDS[self.value()]
        if low is not None:
            queryset = queryset.filter(priority_score__gte=low)
        if high is not None:
            queryset = queryset.filter(priority_score__lt=high)
        return queryset


def confirmation_page(
    model_admin, request, queryset, *, template: str, title: str, rows, verb: str, form, **extra
) -> TemplateResponse:
    """The intermediate page of an admin action: what it will change (the first 50 ``rows``),
    the form (a note), and the post back that applies it."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "rows": rows,
        "count": queryset.count(),
        "selected_ids": queryset.values_list("pk", flat=True),
        "action_name": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "verb": verb,
        "form": form,
        "media": model_admin.media,
        **extra,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, template, context)


class ActionNoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional: added, dated, to each candidate's notes.",
    )


FILE_FIELDS = (
    "quality_link",
    "file_path",
    "artist",
    "title",
    "album",
    "length",
    "isrc_code",
    "current_format",
    "current_bitrate",
    "current_quality_score",
)
UPGRADE_FIELDS = (
    "recommended_format",
    "potential_quality_gain",
    "priority_score",
    "priority_why",
    "service",
    "checked_at",
    "identified_at",
    "last_updated",
)


class UpgradeCandidateForm(forms.ModelForm):
    """Only the decision and the notes are the user's to edit; the rest is computed."""

    class Meta:
        model = UpgradeCandidate
        fields = ["user_action", "notes"]
        error_messages = {
            "user_action": {
                "invalid_choice": "user_action %(value)r is not allowed: use one of "
                + ", ".join(UserAction.values)
            }
        }


@admin.register(UpgradeCandidate)
class UpgradeCandidateAdmin(PlainActionCheckboxMixin, SearchWordsLimitAdminMixin, admin.ModelAdmin):
    form = UpgradeCandidateForm
    change_list_template = "upgrades/admin/change_list.html"
    list_display = (
        "decide",
        "action",
        "artist",
        "title",
        "quality",
        "score",
        "priority",
        "why",
        "availability",
    )
    list_display_links = ("artist", "title")
    list_select_related = ("library_file__quality", "library_file__verification")
    list_filter = ("user_action", "current_format", "available_on_service", PriorityBandFilter)
    search_fields = ("artist", "title", "isrc", "file_path")
    list_per_page = 50
    actions = ["approve", "reject", "ignore", "mark_completed"]
    fieldsets = (
        ("Decision", {"fields": ("user_action", "notes", "action_at")}),
        ("File", {"fields": FILE_FIELDS}),
        ("Upgrade", {"fields": UPGRADE_FIELDS}),
    )
    readonly_fields = ("action_at", *FILE_FIELDS, *UPGRADE_FIELDS)

    paginator = PendingFirstPaginator

    def get_changelist(self, request, **kwargs):
        return CandidateChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            action_only=action_only_filter(request.GET),
        )

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        return candidates_playlists_attach([found])[0] if found is not None else None

    def get_ordering(self, request):
        return [PENDING_FIRST, *BY_PRIORITY]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="duration")
    def length(self, obj: UpgradeCandidate) -> str:
        """``3:25`` rather than the stored seconds (``205.41224489795918``)."""
        if obj.duration is None:
            return "—"
        minutes, seconds = divmod(round(obj.duration), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description="ISRC")
    def isrc_code(self, obj: UpgradeCandidate) -> str:
        return obj.isrc or "—"

    @admin.display(description="decide")
    def decide(self, obj: UpgradeCandidate) -> str:
        return format_html(
            '<span class="decide-buttons">{}</span>',
            decision_buttons(candidate_id=obj.pk, current=obj.user_action),
        )

    @admin.display(description="action", ordering="user_action")
    def action(self, obj: UpgradeCandidate) -> str:
        return format_html(
            '<span class="user-action action-{}">{}</span>', obj.user_action, obj.user_action
        )

    @admin.display(description="quality", ordering="current_format")
    def quality(self, obj: UpgradeCandidate) -> str:
        return format_html(
            '<a href="{}" class="badge quality" title="the file\'s page">{}</a>',
            file_detail_url(obj.library_file_id),
            file_quality_badge(obj.library_file),
        )

    @admin.display(description="score", ordering="current_quality_score")
    def score(self, obj: UpgradeCandidate) -> str:
        return f"{obj.current_quality_score:.1f}"

    @admin.display(description="prio", ordering="priority_score")
    def priority(self, obj: UpgradeCandidate) -> str:
        return f"{obj.priority_score:.1f}"

    @admin.display(description="why")
    def why(self, obj: UpgradeCandidate) -> str:
        """Compact: the three parts' points, the words on hover (and on the change page)."""
        parts = obj.priority_parts
        listening = parts.listening.value if parts.listening is not None else "?"
        return format_html(
            '<span class="why" title="{}">{} + {} + {}</span>',
            obj.priority_why,
            f"{parts.gap_points:g}",
            parts.availability.value,
            listening,
        )

    @admin.display(description="bitrate", ordering="current_bitrate")
    def bitrate(self, obj: UpgradeCandidate) -> str:
        return f"{obj.current_bitrate} kbps" if obj.current_bitrate else "–"

    @admin.display(description="service", ordering="available_on_service")
    def availability(self, obj: UpgradeCandidate) -> str:
        return obj.service_label

    @admin.display(description="service")
    def service(self, obj: UpgradeCandidate) -> str:
        return obj.service_label

    @admin.display(description="why this priority")
    def priority_why(self, obj: UpgradeCandidate) -> str:
        return obj.priority_why

    @admin.display(description="quality")
    def quality_link(self, obj: UpgradeCandidate) -> str:
        return format_html('<a href="{}">details</a>', file_detail_url(obj.library_file_id))

    def save_model(self, request, obj, form, change):
        upgrade_candidate_edit(
            candidate=obj,
            user_action=form.cleaned_data["user_action"],
            notes=form.cleaned_data["notes"],
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "action_counts": upgrade_action_counts(),
            "bulk_decisions": ROW_DECISIONS,
            "bulk_confirm_above": BULK_CONFIRM_ABOVE,
        }
        return super().changelist_view(request, extra_context=extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:candidate_id>/decide/",
                wrap(self.decide_view),
                name="upgrades_upgradecandidate_decide",
            ),
            path(
                "decide-selected/",
                wrap(self.decide_selected_view),
                name="upgrades_upgradecandidate_decide_selected",
            ),
            *super().get_urls(),
        ]

    def _back(self, request) -> str:
        """Where the decision came from (the changelist with its filters, or the candidates
        page), else the changelist."""
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return back
        return reverse("admin:upgrades_upgradecandidate_changelist")

    def _decision_of(self, request) -> str:
        if not self.has_change_permission(request):
            raise PermissionDenied("changing upgrade candidates needs the change permission")
        action = request.POST.get("user_action") or request.POST.get("with_note", "")
        if action not in _DECISION_ACTIONS:
            raise PermissionDenied(
                f"user_action {action!r} is not a decision: use one of "
                + ", ".join(_DECISION_ACTIONS)
            )
        return action

    @method_decorator(require_POST)
    def decide_view(self, request, candidate_id: int):
        """One click on a row: set that candidate's decision, back to the list."""
        action = self._decision_of(request)
        candidate = get_object_or_404(UpgradeCandidate, pk=candidate_id)
        result = upgrade_candidates_act(candidate_ids=[candidate.pk], action=action)
        name = f"{candidate.artist or '(no artist)'} – {candidate.title}"
        if result.changed:
            self.message_user(request, f"{name}: {action}.", messages.SUCCESS)
        else:
            self.message_user(request, f"{name} was already {action}.", messages.INFO)
        return redirect(self._back(request))

    @method_decorator(require_POST)
    def decide_selected_view(self, request):
        """The bulk bar: the ticked rows (or all the filtered ones, "select all"), applied at
        once up to :data:`BULK_CONFIRM_ABOVE`, else (or with a note) after the confirmation
        page, whose post comes back here with ``apply``."""
        action = self._decision_of(request)
        if request.POST.get("select_across") == "1":
            queryset = self.get_changelist_instance(request).get_queryset(request)
        else:
            ids = [v for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if v.isdigit()]
            queryset = UpgradeCandidate.objects.filter(pk__in=ids)
        if not queryset.exists():
            self.message_user(
                request,
                "Tick the candidates to decide first (nothing was changed).",
                messages.WARNING,
            )
            return redirect(self._back(request))
        verb, _ = _DECISION_ACTIONS[action]
        confirm = "with_note" in request.POST or queryset.count() > BULK_CONFIRM_ABOVE
        response = self._decide(request, queryset, action, verb, confirmed=not confirm)
        return response or redirect(self._back(request))

    @admin.action(description="Approve selected candidates", permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, UserAction.APPROVED, "Approve")

    @admin.action(description="Reject selected candidates", permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, UserAction.REJECTED, "Reject")

    @admin.action(description="Ignore selected candidates", permissions=["change"])
    def ignore(self, request, queryset):
        return self._decide(request, queryset, UserAction.IGNORED, "Ignore")

    @admin.action(description="Mark selected candidates completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        return self._decide(request, queryset, UserAction.COMPLETED, "Mark completed")

    def _decide(self, request, queryset, action: str, verb: str, *, confirmed: bool = False):
        """A confirmation page with a note field, whose post applies the action; at once when
        ``confirmed`` (a bulk change small enough, without a note)."""
        form = ActionNoteForm(request.POST if "apply" in request.POST or confirmed else None)
        if form.is_bound and form.is_valid():
            try:
                result = upgrade_candidates_act(
                    candidate_ids=queryset.values_list("pk", flat=True),
                    action=action,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return None
            text = f"{result.changed} candidate{'s' if result.changed != 1 else ''} set to {action}"
            if result.unchanged:
                text += f"; {result.unchanged} already {action}, left as they were"
            self.message_user(request, text + ".", messages.SUCCESS)
            return None
        return confirmation_page(
            self,
            request,
            queryset,
            template="upgrades/admin/action_confirmation.html",
            title=f"{verb}: {queryset.count()} upgrade candidates",
            rows=queryset.order_by("-priority_score")[:50],
            verb=verb,
            form=form,
            user_action=action,
            action_name=request.POST.get("action") or _DECISION_ACTIONS[action][1],
            next=self._back(request),
        )


class JobMessageForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional: what went wrong, kept as the job's error message.",
    )


@admin.register(UpgradeJob)
class UpgradeJobAdmin(PlainActionCheckboxMixin, admin.ModelAdmin):
    """Acquisition jobs: made when a candidate is approved, completed by an applied import
    (or when the candidate completes); the user may mark a pending one failed or cancelled.
    Everything else is read-only."""

    list_display = (
        "id",
        "candidate_link",
        "job_status",
        "download_source",
        "download_started_at",
        "download_completed_at",
        "error_message",
    )
    list_filter = ("job_status", "download_source")
    search_fields = ("candidate__artist", "candidate__title", "download_source")
    list_select_related = ("candidate",)
    actions = ["mark_failed", "cancel"]
    readonly_fields = (
        "candidate",
        "job_status",
        "download_source",
        "download_started_at",
        "download_completed_at",
        "error_message",
    )
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="candidate", ordering="candidate__artist")
    def candidate_link(self, obj: UpgradeJob) -> str:
        candidate = obj.candidate
        return format_html(
            '<a href="../upgradecandidate/{}/change/">{} – {}</a>',
            candidate.pk,
            candidate.artist or "(no artist)",
            candidate.title,
        )

    @admin.action(description="Mark selected jobs failed", permissions=["change"])
    def mark_failed(self, request, queryset):
        return self._close(request, queryset, JobStatus.FAILED, "Mark failed")

    @admin.action(description="Cancel selected jobs", permissions=["change"])
    def cancel(self, request, queryset):
        return self._close(request, queryset, JobStatus.CANCELLED, "Cancel")

    def _close(self, request, queryset, status: str, verb: str):
        form = JobMessageForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            changed = upgrade_job_close(
                job_ids=queryset.values_list("pk", flat=True),
                status=status,
                message=form.cleaned_data["message"],
            )
            left = queryset.count() - changed
            text = f"{changed} job{'s' if changed != 1 else ''} set to {status}"
            if left:
                text += f"; {left} not pending, left as they were"
            self.message_user(request, text + ".", messages.SUCCESS)
            return None
        return confirmation_page(
            self,
            request,
            queryset,
            template="upgrades/admin/job_confirmation.html",
            title=f"{verb}: {queryset.count()} upgrade jobs",
            rows=queryset.select_related("candidate")[:50],
            verb=verb,
            form=form,
            job_status=status,
        )
