from django.shortcuts import render
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from musicquality.filters import InvalidFilterIs400Mixin
from musicquality.keyset import AFTER, BEFORE
from musicquality.tables import PAGE_SIZES, PresortedListData, per_page_from
from quality.filters import LibraryFileFilter, file_query_from
from quality.models import LibraryFile
from quality.selectors import library_files_page, library_summary_get, unreadable_files_list
from quality.services.summary import library_summary_check
from quality.tables import LibraryFileTable, UnreadableFileTable

FILTER_PARAMETERS = (
    "q",
    "artist",
    "file_format",
    "codec",
    "lossless",
    "hires",
    "score_min",
    "score_max",
    "verdict",
)


class LibraryFileListView(InvalidFilterIs400Mixin, SingleTableMixin, FilterView):
    """``/files/``: search the active library by tags and path, filter by quality; one page
    at a time through the summary's indexes, "next" and "previous" by position
    (``musicquality.keyset``), never counted nor sorted in memory."""

    model = LibraryFile
    table_class = LibraryFileTable
    filterset_class = LibraryFileFilter
    template_name = "quality/file_list.html"
    table_pagination = False
    extra_context = {"page_sizes": PAGE_SIZES}

    def get_queryset(self):
        # The filter set only checks the form and draws it; the rows come from the summary.
        return LibraryFile.objects.none()

    def get_table_data(self):
        self.freshness = library_summary_check()
        form = self.filterset.form
        if self.filterset.is_bound and not form.is_valid():
            self.keyset = None
            return PresortedListData([])
        cleaned = form.cleaned_data if self.filterset.is_bound else {}
        self.keyset = library_files_page(
            query=file_query_from(cleaned, sort=self.request.GET.get("sort", "")),
            per_page=per_page_from(self.request.GET.get("per_page")),
            after=self.request.GET.get(AFTER),
            before=self.request.GET.get(BEFORE),
        )
        self.keyset.query = {key: value for key, value in self.request.GET.items() if value}
        return PresortedListData(self.keyset.rows)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filtered = any(self.request.GET.get(name) for name in FILTER_PARAMETERS)
        context["keyset"] = self.keyset
        context["per_page"] = per_page_from(self.request.GET.get("per_page"))
        context["freshness"] = self.freshness
        context["library_files"] = None if filtered else library_summary_get().totals.files
        return context


def unreadable_list(request):
    """``/files/unreadable/``: the files the analysis could not read, each with the reason;
    they stay out of the backlog until they change (then they are tried again)."""
    table = UnreadableFileTable(unreadable_files_list())
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    return render(request, "quality/unreadable.html", {"table": table})
