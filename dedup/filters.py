"""Filters of the ``/dedup/`` dashboard."""

import django_filters
from django import forms

from dedup.dashboard_selectors import DEFAULT_MIN_SCORE_DIFF
from dedup.models import DedupHistory, DeletionReason, MatchedBy
from musicquality.filters import ANY_YES_NO


class DedupSessionFilter(django_filters.FilterSet):
    """Narrows the history rows that make up each session's totals."""

    deletion_reason = django_filters.ChoiceFilter(
        choices=DeletionReason.choices, label="Reason", empty_label="any"
    )
    matched_by = django_filters.ChoiceFilter(
        choices=MatchedBy.choices, label="Matched by", empty_label="any"
    )
    can_recover = django_filters.BooleanFilter(label="Recoverable", widget=ANY_YES_NO)

    class Meta:
        model = DedupHistory
        fields = ["deletion_reason", "matched_by", "can_recover"]


class DuplicatePairForm(forms.Form):
    """Query 4 is raw SQL over two tables, so its one parameter is a plain form field."""

    min_diff = forms.FloatField(
        label="Score difference above",
        min_value=0,
        max_value=100,
        required=False,
        initial=DEFAULT_MIN_SCORE_DIFF,
    )

    def min_diff_value(self) -> float:
        if self.is_valid() and self.cleaned_data["min_diff"] is not None:
            return self.cleaned_data["min_diff"]
        return DEFAULT_MIN_SCORE_DIFF
