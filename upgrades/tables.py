import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html

from musicquality.tables import AppTable
from quality.badges import file_quality_badge
from upgrades.links import candidate_admin_url, decision_form, file_detail_url
from upgrades.models import UpgradeCandidate


class UpgradeCandidateTable(AppTable):
    artist = tables.Column(linkify=lambda record: candidate_admin_url(record.pk))
    title = tables.Column(linkify=lambda record: file_detail_url(record.library_file_id))
    current_format = tables.Column(verbose_name="Format")
    badge = tables.Column(
        verbose_name="Quality", accessor="library_file", orderable=False, empty_values=()
    )
    current_bitrate = tables.Column(verbose_name="kbps")
    current_quality_score = tables.Column(verbose_name="Score")
    priority_score = tables.Column(verbose_name="Priority")
    available_on_service = tables.Column(
        verbose_name="Service", accessor="service_label", order_by=("available_on_service",)
    )
    user_action = tables.Column(verbose_name="Action")
    decide = tables.Column(accessor="pk", verbose_name="Decide", orderable=False)

    class Meta(AppTable.Meta):
        model = UpgradeCandidate
        fields = (
            "artist",
            "title",
            "current_format",
            "badge",
            "current_bitrate",
            "current_quality_score",
            "priority_score",
            "available_on_service",
            "user_action",
            "decide",
        )
        order_by = ("-priority_score",)
        attrs = {"class": "table upgrade-candidates cards", "id": "upgrade-candidates"}
        empty_text = "No candidates match: run `manage.py identify_upgrades`, or widen the filter."

    def render_badge(self, record):
        return format_html(
            '<span class="badge quality">{}</span>', file_quality_badge(record.library_file)
        )

    def render_decide(self, record):
        """Staff who may change candidates decide here in one click (``upgrades.admin``)."""
        request = getattr(self, "request", None)
        if request is None or not request.user.has_perm("upgrades.change_upgradecandidate"):
            return ""
        return decision_form(request=request, candidate_id=record.pk, current=record.user_action)


class UpgradeAlbumTable(AppTable):
    """``/upgrades/albums/``: one row per album with pending candidates."""

    album = tables.Column()
    artist = tables.Column()
    to_upgrade = tables.Column(
        verbose_name="To upgrade", accessor="to_upgrade", attrs={"td": {"class": "num"}}
    )
    best_service = tables.Column(
        verbose_name="Best lossless service", accessor="best_service_label", orderable=False
    )
    priority_sum = tables.Column(verbose_name="Summed priority", attrs={"td": {"class": "num"}})
    approve = tables.Column(accessor="album", verbose_name="Decide", orderable=False)

    class Meta(AppTable.Meta):
        attrs = {"class": "table upgrade-albums cards", "id": "upgrade-albums"}
        empty_text = "No pending candidate has an album tag."

    def render_to_upgrade(self, record):
        return f"{record.to_upgrade} of {record.held}"

    def render_best_service(self, record):
        if not record.best_service:
            return "none sells them lossless"
        return f"{record.best_service_label}: {record.best_service_tracks} of {record.to_upgrade}"

    def render_priority_sum(self, value):
        return f"{value:.1f}"

    def render_approve(self, record):
        request = getattr(self, "request", None)
        if request is None or not request.user.has_perm("upgrades.change_upgradecandidate"):
            return ""
        return format_html(
            '<form method="post" action="{}" class="decide-buttons">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="artist" value="{}">'
            '<input type="hidden" name="album" value="{}">'
            '<button type="submit" class="decide decide-approved">Approve the album ({})</button>'
            "</form>",
            reverse("upgrades:album_approve"),
            get_token(request),
            record.artist,
            record.album,
            record.to_upgrade,
        )
