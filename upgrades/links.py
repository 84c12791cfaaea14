"""Links into other parts of the site, resolved where they are served."""

from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from upgrades.models import UserAction

#: The one-click decisions: the user_action each button sets, its label, its admin action.
ROW_DECISIONS = (
    (UserAction.APPROVED, "Approve", "approve"),
    (UserAction.REJECTED, "Reject", "reject"),
    (UserAction.IGNORED, "Ignore", "ignore"),
)


def file_detail_url(library_file_id: int) -> str:
    """The quality page of a file (the web UI serves it as ``file_detail``, ``/files/<id>/``);
    the plain path when that page is not installed."""
    try:
        return reverse("file_detail", args=[library_file_id])
    except NoReverseMatch:
        return f"/files/{library_file_id}/"


def candidate_admin_url(candidate_id: int) -> str:
    return reverse("admin:upgrades_upgradecandidate_change", args=[candidate_id])


def candidate_decide_url(candidate_id: int) -> str:
    return reverse("admin:upgrades_upgradecandidate_decide", args=[candidate_id])


def decision_buttons(*, candidate_id: int, current: str | None) -> SafeString:
    """A row's one-click buttons: each submits its form (with the form's CSRF token) to the
    candidate's decide URL. The decision it already has is shown, not offered."""
    url = candidate_decide_url(candidate_id)
    return format_html_join(
        "",
        '<button type="submit" class="decide decide-{}" formaction="{}" name="user_action" '
        'value="{}" title="{} this candidate">{}</button>',
        (
            (action, url, action, verb, verb)
            for action, verb, _ in ROW_DECISIONS
            if action != current
        ),
    )


def decision_form(*, request, candidate_id: int, current: str | None) -> SafeString:
    """The buttons in their own small form, for pages without a form around the table."""
    return format_html(
        '<form method="post" action="{}" class="decide-buttons">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form>',
        candidate_decide_url(candidate_id),
        get_token(request),
        request.get_full_path(),
        decision_buttons(candidate_id=candidate_id, current=current),
    )
