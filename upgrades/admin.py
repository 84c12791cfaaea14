"""Admin triage of upgrade candidates: the place where the user decides.

Candidates are made by ``identify_upgrades`` only, so the admin cannot add or delete them;
it lists them (pending first, then by priority), filters and searches them, and sets the
user's decision through :mod:`upgrades.services`, with an optional note taken on an
intermediate page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.template.response import TemplateResponse
from django.utils.html import format_html

from musicquality.filters import SearchWordsLimitAdminMixin
from upgrades.links import file_detail_url
from upgrades.models import JobStatus, UpgradeCandidate, UpgradeJob, UserAction
from upgrades.rules import PRIORITY_BANDS, priority_band_label
from upgrades.selectors import upgrade_action_counts
from upgrades.services import upgrade_candidate_edit, upgrade_candidates_act, upgrade_job_close

PENDING_FIRST = Case(When(user_action=UserAction.PENDING, then=Value(0)), default=Value(1)).asc()


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
    "duration",
    "isrc",
    "current_format",
    "current_bitrate",
    "current_quality_score",
)
UPGRADE_FIELDS = (
    "recommended_format",
    "potential_quality_gain",
    "priority_score",
    "available_on_service",
    "service_quality",
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
class UpgradeCandidateAdmin(SearchWordsLimitAdminMixin, admin.ModelAdmin):
    form = UpgradeCandidateForm
    change_list_template = "upgrades/admin/change_list.html"
    list_display = (
        "artist",
        "title",
        "current_format",
        "bitrate",
        "current_quality_score",
        "priority_score",
        "availability",
        "user_action",
        "quality_link",
    )
    list_display_links = ("artist", "title")
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

    def get_ordering(self, request):
        return [PENDING_FIRST, "-priority_score", "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="bitrate", ordering="current_bitrate")
    def bitrate(self, obj: UpgradeCandidate) -> str:
        return f"{obj.current_bitrate} kbps" if obj.current_bitrate else "–"

    @admin.display(description="availability", ordering="available_on_service")
    def availability(self, obj: UpgradeCandidate) -> str:
        if obj.service_quality:
            return f"{obj.available_on_service} ({obj.service_quality})"
        return obj.available_on_service or "unknown"

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
        extra_context = {**(extra_context or {}), "action_counts": upgrade_action_counts()}
        return super().changelist_view(request, extra_context=extra_context)

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

    def _decide(self, request, queryset, action: str, verb: str):
        """First call: a confirmation page with a note field; its post applies the action."""
        form = ActionNoteForm(request.POST if "apply" in request.POST else None)
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
        )


class JobMessageForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional: what went wrong, kept as the job's error message.",
    )


@admin.register(UpgradeJob)
class UpgradeJobAdmin(admin.ModelAdmin):
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
