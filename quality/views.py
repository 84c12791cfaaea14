from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from musicquality.filters import InvalidFilterIs400Mixin
from quality.filters import LibraryFileFilter
from quality.models import LibraryFile, active_q
from quality.tables import PAGE_SIZES, LibraryFileTable


class LibraryFileListView(InvalidFilterIs400Mixin, SingleTableMixin, FilterView):
    """``/files/``: search the active library by tags and path, filter by quality."""

    model = LibraryFile
    table_class = LibraryFileTable
    filterset_class = LibraryFileFilter
    template_name = "quality/file_list.html"
    table_pagination = {"per_page": PAGE_SIZES[0]}
    extra_context = {"page_sizes": PAGE_SIZES}

    def get_queryset(self):
        return LibraryFile.objects.filter(active_q()).select_related("quality")
