"""Filters of the candidate list page (the report's query 1, docs/report.md, and its variations)."""

import django_filters
from django import forms

from quality.models import FileFormat
from upgrades.models import UpgradeCandidate, UserAction

#: Query 1: pending low-quality MP3s. Applied when the page is opened without a filter.
QUERY_1_DEFAULTS = {"user_action": UserAction.PENDING.value, "format": "mp3", "score_below": "70"}


def service_choices() -> list[tuple[str, str]]:
    services = (
        UpgradeCandidate.objects.order_by("available_on_service")
        .values_list("available_on_service", flat=True)
        .distinct()
    )
    return [(service, service) for service in services if service]


class UpgradeCandidateFilter(django_filters.FilterSet):
    format = django_filters.ChoiceFilter(
        field_name="current_format", label="Format", choices=FileFormat.choices, empty_label="any"
    )
    user_action = django_filters.ChoiceFilter(
        label="Action", choices=UserAction.choices, empty_label="any"
    )
    service = django_filters.ChoiceFilter(
        field_name="available_on_service",
        label="Service",
        choices=service_choices,
        empty_label="any",
    )
    score_from = django_filters.NumberFilter(
        field_name="current_quality_score",
        lookup_expr="gte",
        label="Score from",
        widget=forms.NumberInput(attrs={"step": "0.1", "min": 0, "max": 100}),
    )
    score_below = django_filters.NumberFilter(
        field_name="current_quality_score",
        lookup_expr="lt",
        label="Score below",
        widget=forms.NumberInput(attrs={"step": "0.1", "min": 0, "max": 100}),
    )

    class Meta:
        model = UpgradeCandidate
        fields = ["format", "user_action", "service", "score_from", "score_below"]
