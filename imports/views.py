"""The Imports page: vet a folder under MUSICQUALITY_IMPORT_ROOTS, review each file beside the
library copy it was measured against, apply the selected ones (docs/imports.md). Staff only:
applying moves files. Vetting runs in the request through ``import_vetting_run``, the one
service a background job will call."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from dedup.models import DeletedBy
from imports.forms import ApplyForm, VetForm
from imports.models import ImportState
from imports.selectors import (
    FolderNotAllowed,
    import_files_of,
    import_folder_choices,
    import_folder_resolve,
    import_roots,
    import_vetting_get,
    import_vettings_list,
)
from imports.services.apply import ApplyRefused, import_apply
from imports.services.vetting import VettingRefused, import_vetting_run
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


@staff_required
@require_POST
def vet(request):
    form = VetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "give a folder to vet")
        return redirect("imports:list")
    try:
        folder = import_folder_resolve(folder=form.cleaned_data["folder"])
        vetting = import_vetting_run(folder=folder, started_by=request.user.get_username())
    except (FolderNotAllowed, VettingRefused) as error:
        messages.error(request, str(error))
        return redirect("imports:list")
    totals = vetting.totals
    messages.success(
        request,
        f"{totals.get('files', 0)} files vetted: {totals.get('new', 0)} new, "
        f"{totals.get('duplicate', 0)} duplicate, {totals.get('upgrade', 0)} upgrade, "
        f"{totals.get('uncertain', 0)} uncertain.",
    )
    return redirect("imports:detail", vetting_id=vetting.pk)


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
        "can_apply": files.filter(state=ImportState.VETTED).exists(),
        "template": settings.IMPORT_PATH_TEMPLATE,
    }
    return render(request, "imports/detail.html", context)


@staff_required
@require_POST
def vetting_apply(request, vetting_id: int):
    vetting = _vetting_or_404(vetting_id)
    ids = import_files_of(vetting=vetting).values_list("pk", flat=True)
    form = ApplyForm(request.POST, file_ids=list(ids))
    if not form.is_valid():
        messages.error(
            request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("imports:detail", vetting_id=vetting.pk)
    data = form.cleaned_data
    try:
        result = import_apply(
            vetting_id=vetting.pk,
            file_ids=data["select"],
            into=Path(data["into"]) if data["into"] else None,
            reject_dir=Path(data["reject_dir"]) if data["reject_dir"] else None,
            template=settings.IMPORT_PATH_TEMPLATE,
            deleted_by=DeletedBy.USER,
        )
    except ApplyRefused as error:
        messages.error(request, str(error))
        return redirect("imports:detail", vetting_id=vetting.pk)
    counts = ", ".join(
        f"{result.count(action)} {action}"
        for action in ("imported", "replaced", "rejected", "left", "skipped", "failed")
        if result.count(action)
    )
    problems = [o for o in result.outcomes if o.action in ("skipped", "failed")]
    (messages.warning if problems else messages.success)(
        request,
        f"Applied: {counts or 'nothing to do'}. Replaced files are in quarantine (session "
        f"{result.session_id}), recoverable from the admin's dedup history.",
    )
    for outcome in problems:
        messages.warning(request, f"{outcome.path}: {outcome.detail}")
    return redirect("imports:detail", vetting_id=vetting.pk)
