"""Links into other parts of the site, resolved where they are served."""

from django.urls import NoReverseMatch, reverse


def file_detail_url(library_file_id: int) -> str:
    """The quality page of a file (the web UI serves it as ``file_detail``, ``/files/<id>/``);
    the plain path when that page is not installed."""
    try:
        return reverse("file_detail", args=[library_file_id])
    except NoReverseMatch:
        return f"/files/{library_file_id}/"


def candidate_admin_url(candidate_id: int) -> str:
    return reverse("admin:upgrades_upgradecandidate_change", args=[candidate_id])
