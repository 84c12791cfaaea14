"""The search form of ``/files/``: free text over tags and path, and quality filters."""

import django_filters
from django.db.models import Q

from quality.models import FileFormat, LibraryFile

YES_NO = ((True, "yes"), (False, "no"))


class LibraryFileFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    file_format = django_filters.ChoiceFilter(choices=FileFormat.choices, label="Format")
    lossless = django_filters.TypedChoiceFilter(
        field_name="quality__is_lossless",
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        label="Lossless",
        empty_label="any",
    )
    hires = django_filters.TypedChoiceFilter(
        field_name="quality__is_hires",
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        label="Hi-res",
        empty_label="any",
    )
    score_min = django_filters.NumberFilter(
        field_name="quality__quality_score", lookup_expr="gte", label="Score from"
    )
    score_max = django_filters.NumberFilter(
        field_name="quality__quality_score", lookup_expr="lte", label="Score to"
    )

    class Meta:
        model = LibraryFile
        fields = ["q", "file_format", "lossless", "hires", "score_min", "score_max"]

    def search(self, queryset, name, value):
        """Every word must appear in the artist, title, album or path (case-insensitive)."""
        for word in value.split():
            queryset = queryset.filter(
                Q(artist__icontains=word)
                | Q(title__icontains=word)
                | Q(album__icontains=word)
                | Q(file_path__icontains=word)
            )
        return queryset
