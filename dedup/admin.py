"""``dedup_history`` in the admin: a read-only audit log with one action, recovery."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat

from dedup.legacy import is_imported
from dedup.models import DedupHistory
from dedup.selectors import dedup_sessions_summary
from dedup.services.files import DedupRefused
from dedup.services.recover import dedup_history_recover
from musicquality.filters import SearchWordsLimitAdminMixin
from musicquality.legacy_history import IMPORTED_NOTE_PREFIX

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
class DedupHistoryAdmin(SearchWordsLimitAdminMixin, admin.ModelAdmin):
    """No add, change or delete for anyone: the log is written only by the dedup services."""

    list_display = (
        "deleted_at",
        "artist",
        "title",
        "file_path",
        "size",
        "deletion_reason",
        "matched_by",
        "confidence_score",
        "quality_score",
        "can_recover",
        "imported",
    )
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
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

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
        recovered = [outcome for outcome in outcomes if outcome.recovered]
        if recovered:
            self.message_user(
                request,
                f"{len(recovered)} files recovered: "
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

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dedup_sessions": dedup_sessions_summary(limit=SESSION_CHOICES),
        }
        return super().changelist_view(request, extra_context=extra_context)
