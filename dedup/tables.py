"""Tables of the ``/dedup/`` pages: dedup sessions, duplicates with a quality gap, and the
keep-both decisions."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from musicquality.tables import AppTable, PresortedListData

__all__ = ["PresortedListData"]

# A plain path: the admin registers dedup_history independently of this page.
ADMIN_HISTORY_URL = "/admin/dedup/deduphistory/"
NUMERIC = {"th": {"class": "num"}, "td": {"class": "num"}}


class DedupSessionTable(AppTable):
    deletion_session_id = tables.Column(verbose_name="Session")
    started_at = tables.Column(verbose_name="Started")
    files = tables.Column(attrs=NUMERIC)
    bytes_freed = tables.Column(verbose_name="Freed", attrs=NUMERIC)
    avg_score = tables.Column(verbose_name="Avg score deleted", attrs=NUMERIC, default="—")
    recoverable = tables.Column(attrs=NUMERIC)

    class Meta(AppTable.Meta):
        attrs = {"id": "sessions-table"}
        order_by = ("-started_at",)

    def render_deletion_session_id(self, value):
        return format_html(
            '<a class="mono" href="{}?deletion_session_id={}" title="{}">{}</a>',
            ADMIN_HISTORY_URL,
            value,
            value,
            value[:8],
        )

    def render_started_at(self, value):
        return str(value)[:16].replace("T", " ")

    def render_bytes_freed(self, value):
        return filesizeformat(value)

    def render_avg_score(self, value):
        return f"{value:.1f}"


def _badged_file_link(file_id: int, path: str, badge: str):
    """A file of a pair: its quality badge, then its path linking to its page."""
    return format_html(
        '<span class="badge quality">{}</span> <a href="{}">{}</a>',
        badge,
        reverse("file_detail", args=[file_id]),
        path,
    )


class DuplicatePairTable(AppTable):
    artist = tables.Column(default="—")
    title = tables.Column(default="—")
    path1 = tables.Column(verbose_name="File 1", attrs={"td": {"class": "path"}}, orderable=False)
    score1 = tables.Column(verbose_name="Score 1", attrs=NUMERIC)
    path2 = tables.Column(verbose_name="File 2", attrs={"td": {"class": "path"}}, orderable=False)
    score2 = tables.Column(verbose_name="Score 2", attrs=NUMERIC)
    score_diff = tables.Column(verbose_name="Difference", attrs=NUMERIC)

    class Meta(AppTable.Meta):
        # No default order_by: the selector returns the pairs sorted by difference already.
        attrs = {"id": "pairs-table"}

    def render_path1(self, value, record):
        return _badged_file_link(record.id1, value, record.badge1)

    def render_path2(self, value, record):
        return _badged_file_link(record.id2, value, record.badge2)

    def render_score1(self, value):
        return f"{value:.1f}"

    def render_score2(self, value):
        return f"{value:.1f}"

    def render_score_diff(self, value):
        return f"{value:.1f}"


class DecisionTable(AppTable):
    id = tables.Column(verbose_name="Decision")
    kind = tables.Column()
    files = tables.Column(accessor="pk", verbose_name="Files", orderable=False)
    note = tables.Column(default="—", orderable=False)
    created_by = tables.Column(verbose_name="By", default="—")
    created_at = tables.Column(verbose_name="Decided")
    undone_at = tables.Column(verbose_name="Undone", default="—")
    undo = tables.Column(accessor="pk", verbose_name="Undo", orderable=False)

    class Meta(AppTable.Meta):
        attrs = {"id": "decisions-table"}
        order_by = ("-created_at",)
        row_attrs = {"data-id": lambda record: record.pk}
        empty_text = "No decision."

    def render_id(self, value):
        return f"#{value}"

    def render_kind(self, record):
        return record.get_kind_display()

    def render_files(self, record):
        return format_html_join(
            "", '<div class="path">{} <span class="muted">(id {})</span></div>',
            ((f.file_path, f.library_file_id) for f in record.files.all()),
        )  # fmt: skip

    def render_created_at(self, value):
        return f"{value:%Y-%m-%d %H:%M}"

    def render_undone_at(self, value):
        return f"{value:%Y-%m-%d %H:%M}"

    def render_undo(self, record):
        request = getattr(self, "request", None)
        if request is None or not request.user.is_staff:
            return ""
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><button type="submit" class="secondary">Undo</button></form>',
            reverse("dedup_decision_undo", args=[record.pk]),
            get_token(request),
        )
