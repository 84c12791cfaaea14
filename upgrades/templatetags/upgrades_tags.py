"""Template filters over the upgrade rules, so a page shows a service as the rule names it."""

from django import template

from upgrades.rules import service_label

register = template.Library()


@register.filter(name="service_label")
def service_label_filter(service: str | None) -> str:
    """``tidal (lossless)``: the service with what it sells (``upgrades.rules.service_label``)."""
    return service_label(service)
