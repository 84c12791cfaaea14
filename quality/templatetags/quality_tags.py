"""``{{ library_file|quality_badge }}``: a file's badge (``quality.badges``) on any page."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from quality.badges import file_quality_badge

register = template.Library()


@register.filter(name="quality_badge")
def quality_badge_filter(library_file) -> SafeString:
    """The badge as a ``<span class="badge quality">``; nothing for no file."""
    if library_file is None:
        return mark_safe("")
    return format_html('<span class="badge quality">{}</span>', file_quality_badge(library_file))


@register.filter(name="get_item")
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dict's value in a template (empty when absent)."""
    return mapping.get(key, ()) if mapping else ()
