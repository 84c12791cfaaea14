"""The Jobs page, a job's page, and the confirmations before a job moves files.

Thin: read through the selectors, ask for jobs through ``jobs.services.queue``. Starting or
cancelling a job is for staff; everyone logged in sees the queue. The pages show the state
as it is when loaded; ``static/jobs/jobs.js`` then follows running jobs through
``/api/jobs/<id>/`` (no inline script), and a reload does the same without JavaScript.
"""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from dedup.services.dedupe import GroupChoice, dedupe_chosen_plan, dedupe_preview
from dedup.services.files import DedupRefused, quarantine_dir
from dedup.services.recover import dedup_history_recovery_plan
from imports.services.apply import import_apply_preview
from jobs.models import JobKind, JobStatus, RequestedVia
from jobs.selectors import job_get, jobs_active, jobs_failed_recent, jobs_finished
from jobs.services.kinds import JobRefused, job_arguments_clean
from jobs.services.queue import job_cancel, job_create
from jobs.tables import JobTable

#: The kinds the Jobs page starts with one button (none of them moves a file).
BUTTON_KINDS = (
    JobKind.SCAN,
    JobKind.ANALYZE,
    JobKind.VERIFY,
    JobKind.FIND_DUPLICATES,
    JobKind.IDENTIFY_UPGRADES,
)


def staff_required(view):
    """Staff only (changing files or decisions); others get 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("staff only: ask an administrator")
        return view(request, *args, **kwargs)

    return wrapped


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise Http404("file ids are numbers") from None


@require_GET
def jobs_page(request):
    history = JobTable(jobs_finished(), prefix="h-")
    RequestConfig(request, paginate={"per_page": 20}).configure(history)
    context = {
        "active": jobs_active(),
        "history": history,
        "failed": jobs_failed_recent(),
        "button_kinds": [(kind.value, kind.label) for kind in BUTTON_KINDS],
        "library_roots": settings.LIBRARY_ROOTS,
    }
    return render(request, "jobs/jobs.html", context)


def _created(request, *, kind: str, arguments: dict):
    try:
        job = job_create(kind=kind, arguments=arguments, user=request.user, via=RequestedVia.PAGE)
    except JobRefused as error:
        messages.error(request, str(error))
        return redirect("jobs")
    return redirect("job_detail", job_id=job.pk)


@require_POST
@staff_required
def job_start(request):
    """One of the Jobs page's buttons: a job that moves no file, with its defaults."""
    kind = request.POST.get("kind", "")
    if kind not in {k.value for k in BUTTON_KINDS}:
        messages.error(request, f"{kind!r} cannot be started here")
        return redirect("jobs")
    return _created(request, kind=kind, arguments={})


@require_GET
def job_detail(request, job_id: int):
    job = job_get(job_id=job_id)
    if job is None:
        raise Http404(f"no job #{job_id}")
    return render(request, "jobs/job_detail.html", {"job": job, "JobStatus": JobStatus})


@require_POST
@staff_required
def job_cancel_view(request, job_id: int):
    try:
        job_cancel(job_id=job_id)
    except JobRefused as error:
        messages.error(request, str(error))
    return redirect("job_detail", job_id=job_id)


# --- the confirmations of jobs that move files ----------------------------------------------


@require_POST
@staff_required
def dedupe_plan(request):
    """The dry run of quarantining what the user chose on the duplicate review page: what
    would move where, checked against the library as it is now. Nothing changes here."""
    keeper_values = request.POST.getlist("keeper")
    if len(keeper_values) != 1:
        messages.error(request, "choose the one file to keep")
        return redirect("dedup_review")
    (keeper,) = _ids(keeper_values)
    remove = [file_id for file_id in _ids(request.POST.getlist("remove")) if file_id != keeper]
    try:
        groups = dedupe_chosen_plan(choices=[GroupChoice(keeper, tuple(remove))])
        moves = dedupe_preview(groups=groups)
    except DedupRefused as error:
        messages.error(request, str(error))
        return redirect("dedup_review")
    context = {
        "groups": groups,
        "moves": moves,
        "movable": sum(1 for move in moves if move.problem is None),
        "keeper": keeper,
        "remove": remove,
        "quarantine_dir": quarantine_dir(),
        "back": request.POST.get("back") or "",
    }
    return render(request, "jobs/dedupe_plan.html", context)


@require_POST
@staff_required
def dedupe_start(request):
    keepers = _ids(request.POST.getlist("keeper"))
    if len(keepers) != 1:
        messages.error(request, "choose the one file to keep")
        return redirect("dedup_review")
    (keeper,) = keepers
    remove = _ids(request.POST.getlist("remove"))
    return _created(
        request, kind=JobKind.DEDUPE, arguments={"groups": [{"keeper": keeper, "remove": remove}]}
    )


def _recovery_arguments(request) -> dict:
    session = request.POST.get("session", "").strip()
    if session:
        return {"session": session}
    return {"ids": _ids(request.POST.getlist("history_id"))}


@require_POST
@staff_required
def recover_plan(request):
    """The dry run of moving a dedupe session's files back (or some history rows)."""
    arguments = _recovery_arguments(request)
    try:
        planned = dedup_history_recovery_plan(
            ids=arguments.get("ids"), session=arguments.get("session")
        )
    except DedupRefused as error:
        messages.error(request, str(error))
        return redirect("dedup_review")
    if not planned:
        messages.error(request, "nothing to recover: no such dedupe session or history rows")
        return redirect("dedup_review")
    context = {
        "planned": planned,
        "arguments": arguments,
        "recoverable": sum(1 for p in planned if p.problem is None),
    }
    return render(request, "jobs/recover_plan.html", context)


@require_POST
@staff_required
def recover_start(request):
    return _created(request, kind=JobKind.RECOVER, arguments=_recovery_arguments(request))


# --- imports: vetting a folder, and applying a vetting after its dry run ---------------------


def _started_or_back(request, *, kind: str, arguments: dict, back):
    try:
        job = job_create(kind=kind, arguments=arguments, user=request.user, via=RequestedVia.PAGE)
    except JobRefused as error:
        messages.error(request, str(error))
        return back
    return redirect("job_detail", job_id=job.pk)


@require_POST
@staff_required
def vet_import_start(request):
    """The Imports page's "Vet": a job vets the folder (read-only) and stores the verdicts."""
    return _started_or_back(
        request,
        kind=JobKind.VET_IMPORT,
        arguments={"folder": request.POST.get("folder", "")},
        back=redirect("imports:list"),
    )


def _import_apply_arguments(request) -> dict:
    vetting = request.POST.get("vetting", "")
    return {
        "vetting": _ids([vetting])[0] if vetting else None,
        "files": _ids(request.POST.getlist("select")),
        "into": request.POST.get("into", "").strip() or None,
        "reject_dir": request.POST.get("reject_dir", "").strip() or None,
    }


@require_POST
@staff_required
def import_apply_plan(request):
    """The dry run of applying the selected files of a vetting: where each would go, what it
    would replace. Nothing changes here."""
    raw = _import_apply_arguments(request)
    back = (
        redirect("imports:detail", vetting_id=raw["vetting"])
        if raw["vetting"]
        else redirect("imports:list")
    )
    try:
        arguments = job_arguments_clean(kind=JobKind.IMPORT_APPLY, arguments=raw)
    except JobRefused as error:
        messages.error(request, str(error))
        return back
    planned = import_apply_preview(
        vetting_id=arguments["vetting"],
        file_ids=arguments["files"],
        into=Path(arguments["into"]) if arguments["into"] else None,
        reject_dir=Path(arguments["reject_dir"]) if arguments["reject_dir"] else None,
        template=settings.IMPORT_PATH_TEMPLATE,
    )
    context = {
        "planned": planned,
        "arguments": arguments,
        "moving": sum(1 for p in planned if p.destination),
        "quarantine_dir": quarantine_dir(),
    }
    return render(request, "jobs/import_apply_plan.html", context)


@require_POST
@staff_required
def import_apply_start(request):
    raw = _import_apply_arguments(request)
    back = (
        redirect("imports:detail", vetting_id=raw["vetting"])
        if raw["vetting"]
        else redirect("imports:list")
    )
    return _started_or_back(request, kind=JobKind.IMPORT_APPLY, arguments=raw, back=back)
