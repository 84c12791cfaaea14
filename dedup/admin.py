"""``dedup_history`` in the admin: a read-only audit log with one action, recovery."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat, pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dedup.legacy import is_imported
from dedup.models import DedupHistory
from dedup.selectors import dedup_sessions_summary
from dedup.services.files import DedupRefused
from dedup.services.recover import (
    RecoveryPlanItem,
    dedup_history_recover,
    dedup_history_recovery_plan,
)
from musicquality.admin_list import PlainActionCheckboxMixin
from musicquality.filters import SearchWordsLimitAdminMixin
from musicquality.legacy_history import IMPORTED_NOTE_PREFIX
from musicquality.paths import path_short_html

SESSION_CHOICES = 50


class SessionFilter(admin.SimpleListFilter):
    title = "deletion session"
    parameter_name = "session"

    def lookups(self, request, model_admin):
        return [
            (
                session.session_id,
                f"{session.started_at:%Y-%m-%d %H:%M} · {session.files} files",
            )
            for session in dedup_sessions_summary(limit=SESSION_CHOICES)
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(deletion_session_id=self.value())
        return queryset


class ImportedFilter(admin.SimpleListFilter):
    """Deletions imported from the Music Tools log (``import_legacy_history``) or ours."""

    title = "origin"
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("yes", "imported from Music Tools"), ("no", "deleted by musicquality")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notes__startswith=IMPORTED_NOTE_PREFIX)
        if self.value() == "no":
            return queryset.exclude(notes__startswith=IMPORTED_NOTE_PREFIX)
        return queryset


@admin.register(DedupHistory)
class DedupHistoryAdmin(PlainActionCheckboxMixin, SearchWordsLimitAdminMixin, admin.ModelAdmin):
    """No add, change or delete for anyone: the log is written only by the dedup services."""

    list_display = (
        "recover",
        "deleted",
        "artist",
        "title",
        "short_path",
        "size",
        "deletion_reason",
        "matched_by",
        "confidence",
        "score",
        "imported",
    )
    list_display_links = ("artist", "title")
    list_filter = (
        SessionFilter,
        ImportedFilter,
        "deletion_reason",
        "matched_by",
        "can_recover",
        ("deleted_at", admin.DateFieldListFilter),
    )
    search_fields = ("artist", "title", "file_path", "kept_file_path")
    actions = ["recover_selected"]
    # the admin's rendering costs about a millisecond a row; the history grows without bound
    # (bench/RESULTS.md, "Pages at 500,000 files")
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description="recover", ordering="can_recover")
    def recover(self, obj: DedupHistory) -> str:
        """A link to the row's Recover page, which names where the file goes back."""
        if not obj.can_recover:
            return mark_safe('<span class="muted">no</span>')
        return format_html(
            '<a class="button recover-link" href="{}">Recover…</a>',
            reverse("admin:dedup_deduphistory_recover", args=[obj.pk]),
        )

    @admin.display(description="deleted", ordering="deleted_at")
    def deleted(self, obj: DedupHistory) -> str:
        return f"{obj.deleted_at:%Y-%m-%d %H:%M}" if obj.deleted_at else "—"

    @admin.display(description="path", ordering="file_path")
    def short_path(self, obj: DedupHistory) -> str:
        return path_short_html(obj.file_path, settings.LIBRARY_ROOTS)

    @admin.display(description="conf.", ordering="confidence_score")
    def confidence(self, obj: DedupHistory) -> str:
        return f"{obj.confidence_score:.2f}" if obj.confidence_score is not None else "—"

    @admin.display(description="score", ordering="quality_score")
    def score(self, obj: DedupHistory) -> str:
        return f"{obj.quality_score:.1f}" if obj.quality_score is not None else "—"

    @admin.display(description="imported", boolean=True)
    def imported(self, obj: DedupHistory) -> bool:
        return is_imported(obj.notes)

    @admin.display(description="size", ordering="file_size")
    def size(self, obj: DedupHistory) -> str:
        return filesizeformat(obj.file_size)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_recover_permission(self, request) -> bool:
        """Staff who may change dedup history (superusers, or the permission granted)."""
        user = request.user
        return user.is_active and user.is_staff and user.has_perm("dedup.change_deduphistory")

    @admin.action(description="Recover selected files", permissions=["recover"])
    def recover_selected(self, request, queryset):
        try:
            outcomes = dedup_history_recover(ids=list(queryset.values_list("id", flat=True)))
        except DedupRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self._report(request, outcomes)

    def _report(self, request, outcomes) -> None:
        recovered = [outcome for outcome in outcomes if outcome.recovered]
        if recovered:
            self.message_user(
                request,
                f"{len(recovered)} file{pluralize(len(recovered))} recovered: "
                + ", ".join(str(outcome.restored_to) for outcome in recovered),
                messages.SUCCESS,
            )
        for outcome in outcomes:
            if not outcome.recovered:
                self.message_user(
                    request,
                    f"#{outcome.history_id} {outcome.file_path}: {outcome.detail}",
                    messages.ERROR,
                )

    def get_urls(self):
        return [
            path(
                "<int:history_id>/recover/",
                self.admin_site.admin_view(self.recover_view),
                name="dedup_deduphistory_recover",
            ),
            *super().get_urls(),
        ]

    def recover_view(self, request, history_id: int):
        """The row's Recover: a page naming the file and where it goes back (the dry run of
        ``dedup.services.recover``), whose button moves it back."""
        if not self.has_recover_permission(request):
            raise PermissionDenied("recovering files needs the change permission on dedup history")
        history = get_object_or_404(DedupHistory, pk=history_id)
        row_page = reverse("admin:dedup_deduphistory_change", args=[history.pk])
        if request.method == "POST":
            try:
                outcomes = dedup_history_recover(ids=[history.pk])
            except DedupRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self._report(request, outcomes)
            return redirect(row_page)
        plan: RecoveryPlanItem | None = None
        refused: str | None
        try:
            [plan] = dedup_history_recovery_plan(ids=[history.pk])
        except DedupRefused as error:
            refused = str(error)
        else:
            refused = plan.problem
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Recover {history.filename}?",
            "history": history,
            "target": plan.target if plan else None,
            "already_back": bool(plan and plan.already_back),
            "refused": refused,
            "row_page": row_page,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dedup/deduphistory/recover_confirm.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_recover": self.has_recover_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dedup_sessions": dedup_sessions_summary(limit=SESSION_CHOICES),
        }
        return super().changelist_view(request, extra_context=extra_context)
