"""The library table of ``/files/``: one row per active file with its analysed quality."""

import django_tables2 as tables
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from musicquality.tables import AppTable
from quality.models import LibraryFile

NUMERIC = {"th": {"class": "num"}, "td": {"class": "num"}}
FILES_PER_PAGE = 25
MAX_FILES_PER_PAGE = 100


def per_page_from(value: str | None) -> int:
    """``?per_page=``: 1 to :data:`MAX_FILES_PER_PAGE`, the default for anything else."""
    try:
        number = int(value or "")
    except ValueError:
        return FILES_PER_PAGE
    return min(number, MAX_FILES_PER_PAGE) if number >= 1 else FILES_PER_PAGE


class LibraryFileTable(AppTable):
    artist = tables.Column(default="—")
    title = tables.Column(
        default="—", linkify=lambda record: reverse("file_detail", args=[record.pk])
    )
    album = tables.Column(default="—")
    file_format = tables.Column(verbose_name="Format")
    codec = tables.Column(accessor="quality__codec", verbose_name="Codec", default="—")
    bitrate = tables.Column(
        accessor="quality__bitrate", verbose_name="kbps", default="—", attrs=NUMERIC
    )
    sample_rate = tables.Column(
        accessor="quality__sample_rate", verbose_name="Hz", default="—", attrs=NUMERIC
    )
    quality_score = tables.Column(
        accessor="quality__quality_score", verbose_name="Score", default="—", attrs=NUMERIC
    )
    file_size = tables.Column(verbose_name="Size", attrs=NUMERIC)
    file_path = tables.Column(verbose_name="Path", attrs={"td": {"class": "path"}})

    class Meta(AppTable.Meta):
        model = LibraryFile
        fields = ()
        sequence = (
            "artist",
            "title",
            "album",
            "file_format",
            "codec",
            "bitrate",
            "sample_rate",
            "quality_score",
            "file_size",
            "file_path",
        )
        order_by = ("artist", "title")
        attrs = {"id": "files-table"}
        row_attrs = {"data-id": lambda record: record.pk}

    def render_file_size(self, value):
        return filesizeformat(value)

    def render_quality_score(self, value, record):
        css = "good" if value >= 80 else "warn" if value >= 50 else "bad"
        return format_html('<span class="badge {}">{}</span>', css, f"{value:.1f}")
