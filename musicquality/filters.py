"""Form widgets shared by the filter forms of every app."""

from django import forms

#: A yes/no/any choice for a nullable boolean filter (``?lossless=true``).
ANY_YES_NO = forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")])


MAX_SEARCH_WORDS = 10
"""Words a search may combine: each adds one condition per searched column, and SQLite
refuses an expression past its depth limit (a thousand words answered 500 after 4 s)."""


def search_words(value: str) -> list[str]:
    """The words of a search, refused past :data:`MAX_SEARCH_WORDS` with a message."""
    words = value.split()
    if len(words) > MAX_SEARCH_WORDS:
        raise forms.ValidationError(
            f"Search for at most {MAX_SEARCH_WORDS} words ({len(words)} given).",
            code="too_many_words",
        )
    return words


class InvalidFilterIs400Mixin:
    """A list whose filter form is invalid (a search of too many words) answers 400, with
    the form's message on the page and no rows."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        filterset = getattr(self, "filterset", None)
        if filterset is not None and filterset.is_bound and not filterset.is_valid():
            response.status_code = 400
        return response


class SearchWordsLimitAdminMixin:
    """The admin's search, cut to :data:`MAX_SEARCH_WORDS` words (the admin has no form to
    show an error in; the first words still search)."""

    def get_search_results(self, request, queryset, search_term):
        words = search_term.split()
        if len(words) > MAX_SEARCH_WORDS:
            search_term = " ".join(words[:MAX_SEARCH_WORDS])
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
