"""The library table of ``/files/``: one row per active file with its analysed quality."""

from urllib.parse import urlencode

import django_tables2 as tables
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from musicquality.tables import DEFAULT_PER_PAGE, AppTable
from quality.badges import file_quality_badge
from quality.models import LibraryFile

NUMERIC = {"th": {"class": "num"}, "td": {"class": "num"}}


def artist_filter_url(artist: str) -> str:
    """``/files/?artist=…``: the files of exactly this artist (``LibraryFileFilter.artist``)."""
    return f"{reverse('file_list')}?{urlencode({'artist': artist})}"


class LibraryFileTable(AppTable):
    artist = tables.Column(default="—")
    title = tables.Column(default="—", empty_values=())
    album = tables.Column(default="—")
    badge = tables.Column(
        verbose_name="Quality", accessor="quality__codec", orderable=False, empty_values=()
    )
    bitrate = tables.Column(
        accessor="quality__bitrate", verbose_name="kbps", default="—", attrs=NUMERIC
    )
    sample_rate = tables.Column(
        accessor="quality__sample_rate", verbose_name="Hz", default="—", attrs=NUMERIC
    )
    bit_depth = tables.Column(
        accessor="quality__bit_depth", verbose_name="Bits", default="—", attrs=NUMERIC
    )
    quality_score = tables.Column(
        accessor="quality__quality_score", verbose_name="Score", default="—", attrs=NUMERIC
    )
    file_size = tables.Column(verbose_name="Size", attrs=NUMERIC)
    file_path = tables.Column(verbose_name="Path", attrs={"td": {"class": "path"}})

    class Meta(AppTable.Meta):
        model = LibraryFile
        per_page = DEFAULT_PER_PAGE
        fields = ()
        sequence = (
            "artist",
            "title",
            "album",
            "badge",
            "bitrate",
            "sample_rate",
            "bit_depth",
            "quality_score",
            "file_size",
            "file_path",
        )
        order_by = ("artist", "title")
        attrs = {"id": "files-table", "class": "cards"}
        row_attrs = {"data-id": lambda record: record.pk}

    def order_artist(self, queryset, is_descending):
        """Case-insensitive, as a reader sorts names ("abba" beside "ABBA")."""
        key = Lower("artist")
        return queryset.order_by(key.desc() if is_descending else key.asc(), "title"), True

    def render_artist(self, value):
        return format_html('<a href="{}">{}</a>', artist_filter_url(value), value)

    def render_title(self, value, record):
        """Every file has a link: an untagged one by its file name."""
        url = reverse("file_detail", args=[record.pk])
        if value:
            return format_html('<a href="{}">{}</a>', url, value)
        return format_html('<a href="{}" class="untagged">{}</a>', url, record.filename)

    def render_badge(self, record):
        return format_html('<span class="badge quality">{}</span>', file_quality_badge(record))

    def render_file_size(self, value):
        return filesizeformat(value)

    def render_quality_score(self, value, record):
        css = "good" if value >= 80 else "warn" if value >= 50 else "bad"
        return format_html('<span class="badge {}">{}</span>', css, f"{value:.1f}")


class UnreadableFileTable(AppTable):
    """``/files/unreadable/``: a file the analysis could not read, and why."""

    file_path = tables.Column(verbose_name="File", orderable=False)
    kind = tables.Column(verbose_name="Reason", orderable=False)
    message = tables.Column(verbose_name="What the reader said", orderable=False)
    failed_at = tables.Column(verbose_name="Tried", orderable=False)

    class Meta(AppTable.Meta):
        attrs = {"class": "table unreadable-files", "id": "unreadable-files"}
        empty_text = "Every file the analysis tried could be read."

    def render_file_path(self, record, value):
        return format_html(
            '<a href="{}" class="mono">{}</a>', reverse("file_detail", args=[record.id]), value
        )

    def render_failed_at(self, value):
        return value.strftime("%Y-%m-%d %H:%M") if value else "—"
