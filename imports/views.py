"""The Imports page: vet a folder under MUSICQUALITY_IMPORT_ROOTS, review each file beside the
library copy it was measured against, apply the selected ones (docs/imports.md). Staff only:
applying moves files. Read-only here: the forms post to the jobs app, which runs the vetting
and (after a dry run) the apply as background jobs (``vet_import``, ``import_apply``)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django_tables2 import RequestConfig

from imports.forms import ApplyForm, VetForm
from imports.models import OPEN_STATES, ImportState
from imports.selectors import (
    import_files_of,
    import_folder_choices,
    import_roots,
    import_vetting_get,
    import_vettings_list,
)
from imports.tables import ImportFileTable, ImportVettingTable


def _is_staff(user) -> bool:
    if user.is_authenticated and not user.is_staff:
        raise PermissionDenied("the Imports page is for staff: applying moves files")
    return user.is_active and user.is_staff


staff_required = user_passes_test(_is_staff)


@staff_required
def vetting_list(request):
    table = ImportVettingTable(import_vettings_list())
    RequestConfig(request, paginate={"per_page": 20}).configure(table)
    context = {
        "form": VetForm(),
        "folders": import_folder_choices(),
        "roots": import_roots(),
        "table": table,
    }
    return render(request, "imports/list.html", context)


def _vetting_or_404(vetting_id: int):
    vetting = import_vetting_get(vetting_id=vetting_id)
    if vetting is None:
        raise Http404("no such vetting")
    return vetting


def _default_into() -> str:
    roots = list(settings.LIBRARY_ROOTS)
    return str(Path(roots[0]) / "Imported") if roots else ""


@staff_required
def vetting_detail(request, vetting_id: int):
    vetting = _vetting_or_404(vetting_id)
    files = import_files_of(vetting=vetting)
    table = ImportFileTable(files)
    RequestConfig(request, paginate=False).configure(table)
    context = {
        "vetting": vetting,
        "table": table,
        "form": ApplyForm(initial={"into": _default_into()}),
        "can_apply": files.filter(state__in=[ImportState.VETTED, *OPEN_STATES]).exists(),
        "template": settings.IMPORT_PATH_TEMPLATE,
    }
    return render(request, "imports/detail.html", context)
