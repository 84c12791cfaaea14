"""Shared pieces of our admin changelists."""

from __future__ import annotations

from django.contrib.admin import helpers
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext


class PlainActionCheckboxMixin:
    """Each row's selection checkbox written with ``format_html``. Django's
    ``ModelAdmin.action_checkbox`` renders a ``CheckboxInput`` through the form renderer's
    templates for every row: about a quarter of a 50-row changelist's time where templates
    are not cached (bench/RESULTS.md, "Pages at 500,000 files"). The HTML is the same, which
    a guard test checks against the Django installed (pinned ``<5.3``:
    tests/musicquality/test_admin_list.py)."""

    def action_checkbox(self, obj) -> SafeString:
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
