"""The search form of ``/files/``: free text over tags and path, and quality filters."""

import django_filters
from django.db.models import Q

from musicquality.filters import ANY_YES_NO, search_words
from quality.models import FileFormat, LibraryFile, Verdict
from quality.selectors import DEFAULT_FILE_SORT, FILE_SORTS, FileQuery


class LibraryFileFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Search", max_length=500, validators=[search_words]
    )
    artist = django_filters.CharFilter(
        field_name="artist", lookup_expr="exact", label="Artist (exact)", max_length=500
    )
    file_format = django_filters.ChoiceFilter(
        choices=FileFormat.choices, label="Format", empty_label="any"
    )
    codec = django_filters.CharFilter(
        field_name="quality__codec", lookup_expr="exact", label="Codec", max_length=50
    )
    lossless = django_filters.BooleanFilter(
        field_name="quality__is_lossless", label="Lossless", widget=ANY_YES_NO
    )
    hires = django_filters.BooleanFilter(
        field_name="quality__is_hires", label="Hi-res", widget=ANY_YES_NO
    )
    score_min = django_filters.NumberFilter(
        field_name="quality__quality_score", lookup_expr="gte", label="Score from"
    )
    score_max = django_filters.NumberFilter(
        field_name="quality__quality_score", lookup_expr="lte", label="Score to"
    )
    verdict = django_filters.ChoiceFilter(
        field_name="verification__verdict",
        choices=Verdict.choices,
        label="Audio verdict",
        empty_label="any",
    )

    class Meta:
        model = LibraryFile
        fields = [
            "q",
            "artist",
            "file_format",
            "codec",
            "lossless",
            "hires",
            "score_min",
            "score_max",
            "verdict",
        ]

    def search(self, queryset, name, value):
        """Every word must appear in the artist, title, album or path (case-insensitive)."""
        for word in search_words(value):
            queryset = queryset.filter(
                Q(artist__icontains=word)
                | Q(title__icontains=word)
                | Q(album__icontains=word)
                | Q(file_path__icontains=word)
            )
        return queryset


def file_query_from(cleaned: dict, *, sort: str) -> FileQuery:
    """The filter form's cleaned values and ``?sort=`` as the files page's query."""
    name = sort.lstrip("-")
    return FileQuery(
        words=tuple((cleaned.get("q") or "").split()),
        artist=cleaned.get("artist") or None,
        file_format=cleaned.get("file_format") or None,
        codec=cleaned.get("codec") or None,
        lossless=cleaned.get("lossless"),
        hires=cleaned.get("hires"),
        score_min=cleaned.get("score_min"),
        score_max=cleaned.get("score_max"),
        verdict=cleaned.get("verdict") or None,
        sort=name if name in FILE_SORTS else DEFAULT_FILE_SORT,
        descending=sort.startswith("-") and name in FILE_SORTS,
    )
