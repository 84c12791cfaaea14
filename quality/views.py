from django.http import Http404
from django.shortcuts import render
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from musicquality.selectors import file_detail_get
from quality.filters import LibraryFileFilter
from quality.models import LibraryFile
from quality.tables import LibraryFileTable


class LibraryFileListView(SingleTableMixin, FilterView):
    """``/files/``: search the active library by tags and path, filter by quality."""

    model = LibraryFile
    table_class = LibraryFileTable
    filterset_class = LibraryFileFilter
    template_name = "quality/file_list.html"
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return LibraryFile.objects.filter(is_active=True).select_related("quality")


def file_detail(request, file_id: int):
    detail = file_detail_get(file_id=file_id)
    if detail is None:
        raise Http404(f"no library file with id {file_id}")
    return render(request, "quality/file_detail.html", {"detail": detail})
