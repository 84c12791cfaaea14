import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from imports.models import OPEN_STATES, ImportFile, ImportState, ImportVetting
from imports.rules import Verdict
from musicquality.tables import AppTable

#: Selected on the page by default: the files that would enter the library.
SELECTED_BY_DEFAULT = (Verdict.NEW, Verdict.UPGRADE)


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


class ImportVettingTable(AppTable):
    id = tables.Column(
        verbose_name="Vetting", linkify=lambda record: reverse("imports:detail", args=[record.pk])
    )
    folder = tables.Column()
    started_at = tables.DateTimeColumn(verbose_name="Started", format="Y-m-d H:i")
    status = tables.Column()
    totals = tables.Column(verbose_name="Verdicts", orderable=False)
    started_by = tables.Column(verbose_name="By")

    class Meta(AppTable.Meta):
        model = ImportVetting
        fields = ("id", "folder", "started_at", "status", "totals", "started_by")
        attrs = {"class": "table import-vettings", "id": "import-vettings"}
        empty_text = "No folder vetted yet."

    def render_totals(self, value: dict) -> str:
        parts = [f"{value.get(v.value, 0)} {v.value}" for v in Verdict]
        if value.get("unreadable"):
            parts.append(f"{value['unreadable']} not audio")
        return ", ".join(parts)


class ImportFileTable(AppTable):
    """One row per incoming file, beside the library copy it was measured against."""

    select = tables.Column(empty_values=(), orderable=False, verbose_name="Apply")
    path = tables.Column(verbose_name="Incoming file")
    incoming = tables.Column(empty_values=(), orderable=False, verbose_name="Incoming")
    verdict = tables.Column()
    library = tables.Column(empty_values=(), orderable=False, verbose_name="Library copy")
    state = tables.Column()

    class Meta(AppTable.Meta):
        model = ImportFile
        fields = ("select", "path", "incoming", "verdict", "library", "state")
        attrs = {"class": "table import-files", "id": "import-files"}
        row_attrs = {
            "data-verdict": lambda record: record.verdict,
            "data-id": lambda record: record.pk,
        }
        empty_text = "No audio file in this folder."

    def render_select(self, record: ImportFile) -> str:
        if record.state not in (ImportState.VETTED, *OPEN_STATES):
            return "–"
        # A file an interrupted apply left open is selected: applying finishes (or undoes) it.
        checked = (
            " checked"
            if record.verdict in SELECTED_BY_DEFAULT or record.state in OPEN_STATES
            else ""
        )
        return format_html(
            '<input type="checkbox" name="select" value="{}" aria-label="apply {}"{}>',
            record.pk,
            record.path.rsplit("/", 1)[-1],
            checked,
        )

    def render_path(self, record: ImportFile) -> str:
        return format_html(
            '<span title="{}">{}</span><br><small>{}</small>',
            record.path,
            record.path.rsplit("/", 1)[-1],
            " – ".join(filter(None, [record.artist, record.title])) or "(no tags)",
        )

    def render_incoming(self, record: ImportFile) -> str:
        return format_html(
            '<span class="badge quality">{}</span> score <strong>{}</strong><br>'
            "<small>audio: {}</small>",
            record.incoming_badge or (record.codec or record.file_format),
            _score(record.incoming_score),
            record.audio_verdict or "not verified",
        )

    def render_verdict(self, record: ImportFile) -> str:
        return format_html(
            '<span class="verdict verdict-{}">{}</span><br><small>{}</small>',
            record.verdict,
            record.verdict,
            record.reason,
        )

    def render_library(self, record: ImportFile) -> str:
        if not record.library_match:
            return "–"
        return format_html(
            '<a href="{}">{}</a><br><small><span class="badge quality">{}</span> score {}{}'
            "</small>",
            f"/files/{record.library_id}/",
            record.library_match.rsplit("/", 1)[-1],
            record.library_badge or record.library_format or "",
            _score(record.library_score),
            f", by {record.matched_by}" if record.matched_by else "",
        )

    def render_state(self, record: ImportFile) -> str:
        if record.detail:
            return format_html("{}<br><small>{}</small>", record.state, record.detail)
        return record.state
