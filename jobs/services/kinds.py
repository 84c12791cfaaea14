"""What each kind of job does: check its arguments, call ONE service, say what happened.

These are entry points like the management commands, and call the same services with the
same progress callbacks; only the listener differs (a :class:`Reporter` that writes the
job's row instead of a terminal progress bar). Arguments are checked twice: when the job is
asked for (:func:`job_arguments_clean`: a bad request is refused, with a message, and no
job is made) and again by the services when it runs (the library may have changed).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from dedup.models import DeletedBy
from dedup.reports import report_summary, size_text
from dedup.rules import DEFAULT_MIN_CONFIDENCE
from dedup.services.dedupe import (
    DedupeResult,
    GroupChoice,
    dedupe_chosen_apply,
    dedupe_confident_apply,
)
from dedup.services.files import DedupRefused, quarantine_overlap_check
from dedup.services.find import duplicates_find, prefer_folders_check
from dedup.services.recover import dedup_history_recover
from imports.models import OPEN_STATES, ImportState, VettingStatus
from imports.rules import Verdict
from imports.selectors import (
    FolderNotAllowed,
    import_files_of,
    import_folder_resolve,
    import_vetting_get,
)
from imports.services.apply import ApplyRefused, apply_targets_check, import_apply
from imports.services.vetting import VettingRefused, import_vetting_run
from jobs.models import JobKind
from jobs.rules import scan_path_root
from musicquality.library_db import LibraryDatabaseError, library_ready_check
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.runs import run_measured
from quality.selectors import analysis_backlog_count, analysis_backlog_if_known
from quality.services.analysis import ANALYZER_VERSION, file_quality_analyze_all
from quality.services.scanning import library_scan, scan_roots_check
from quality.services.verification import audio_verify_all
from quality.versions import VERIFIER_VERSION
from upgrades.rules import DEFAULT_THRESHOLD
from upgrades.services import upgrade_candidates_identify

LISTED = 50  # problems listed in a job's log, as the commands list them


class JobRefused(ValueError):
    """A job cannot be made from these arguments; the message says why and what to do."""


class JobFailed(Exception):
    """The job ran and could not do its work; the message says why and what to do."""


class Reporter(Protocol):
    """What a kind's run reports to (``jobs.services.run.JobReporter``)."""

    def update(self, done: int, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...

    def log(self, line: str) -> None: ...


@dataclass(frozen=True)
class JobOutcome:
    message: str
    result: dict[str, Any] = field(default_factory=dict)


# --- argument checks ------------------------------------------------------------------------


def _bool(raw: dict, name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise JobRefused(f"{name} must be true or false, not {value!r}")
    return value


def _number(
    raw: dict, name: str, default: float | None, *, low: float, high: float
) -> float | None:
    value = raw.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise JobRefused(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


def _ids(raw: Any, name: str) -> list[int]:
    if not isinstance(raw, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in raw
    ):
        raise JobRefused(f"{name} must be a list of ids (integers)")
    return raw


def _unknown_refuse(raw: dict, allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise JobRefused(
            f"unknown argument {unknown[0]!r}: this kind takes "
            + (", ".join(sorted(allowed)) if allowed else "no arguments")
        )


def _scan_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"paths"})
    roots = list(settings.LIBRARY_ROOTS)
    if not roots:
        raise JobRefused(
            "no library roots configured: set MUSICQUALITY_LIBRARY_ROOTS to your music folders "
            "(separated by ':'); a scan walks only inside them"
        )
    paths = raw.get("paths") or [str(root) for root in roots]
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise JobRefused("paths must be a list of folder paths")
    cleaned = []
    for path in paths:
        if not os.path.isabs(path):
            raise JobRefused(f"{path}: give an absolute path inside MUSICQUALITY_LIBRARY_ROOTS")
        if scan_path_root(path, roots) is None:
            raise JobRefused(
                f"{path} is outside MUSICQUALITY_LIBRARY_ROOTS "
                f"({os.pathsep.join(map(str, roots))}): refused"
            )
        cleaned.append(os.path.normpath(path))
    return {"paths": cleaned}


def _analyze_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"force", "limit", "path"})
    limit = _number(raw, "limit", None, low=0, high=10**9)
    path = raw.get("path")
    if path is not None and not isinstance(path, str):
        raise JobRefused("path must be a path prefix (text)")
    return {
        "force": _bool(raw, "force"),
        "limit": None if limit is None else int(limit),
        "path": path or None,
    }


def _verify_clean(raw: dict) -> dict:
    return _analyze_clean(raw)  # the same three: force, limit, path


def _prefer(raw: dict) -> list[str]:
    """``prefer``: folders whose copies are kept when copies are otherwise equal, as
    ``--prefer`` on the commands (absolute paths; a keeper is never moved, so any folder)."""
    prefer = raw.get("prefer", [])
    if not isinstance(prefer, list) or not all(isinstance(p, str) and p for p in prefer):
        raise JobRefused("prefer must be a list of folder paths")
    for path in prefer:
        if not os.path.isabs(path):
            raise JobRefused(f"prefer {path}: give an absolute folder path")
    folders = [os.path.normpath(path) for path in prefer]
    try:
        prefer_folders_check(folders=[Path(folder) for folder in folders])
    except ValueError as error:
        raise JobRefused(str(error)) from None
    return folders


def _find_duplicates_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"prefer"})
    return {"prefer": _prefer(raw)}


def _quarantine_usable() -> None:
    """A job that moves files into or out of the quarantine is refused when it is asked for,
    not only when it runs, if the quarantine overlaps a library root."""
    try:
        quarantine_overlap_check()
    except DedupRefused as error:
        raise JobRefused(str(error)) from None


def _dedupe_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"groups", "min_confidence", "prefer"})
    if not settings.LIBRARY_ROOTS:
        raise JobRefused(
            "dedupe needs MUSICQUALITY_LIBRARY_ROOTS (your music folders): no file outside them "
            "is ever moved"
        )
    _quarantine_usable()
    if "groups" not in raw:
        confidence = _number(raw, "min_confidence", DEFAULT_MIN_CONFIDENCE, low=0, high=1)
        return {"min_confidence": confidence, "prefer": _prefer(raw)}
    if "min_confidence" in raw or "prefer" in raw:
        raise JobRefused("give either groups (your choices) or min_confidence/prefer, not both")
    groups = raw["groups"]
    if not isinstance(groups, list) or not groups:
        raise JobRefused('groups must be a list of {"keeper": id, "remove": [ids]}')
    cleaned = []
    for group in groups:
        if not isinstance(group, dict) or set(group) != {"keeper", "remove"}:
            raise JobRefused('each group must be {"keeper": id, "remove": [ids]}')
        (keeper,) = _ids([group["keeper"]], "keeper")
        remove = _ids(group["remove"], "remove")
        if not remove:
            raise JobRefused(f"nothing to remove in the group of keeper {keeper}")
        if keeper in remove:
            raise JobRefused(f"file {keeper} cannot be both the keeper and removed")
        cleaned.append({"keeper": keeper, "remove": remove})
    return {"groups": cleaned}


def _recover_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"ids", "session"})
    if ("ids" in raw) == ("session" in raw):
        raise JobRefused("give either ids (dedup history rows) or session (a dedupe run's id)")
    _quarantine_usable()
    if "session" in raw:
        if not isinstance(raw["session"], str) or not raw["session"]:
            raise JobRefused("session must be a dedupe run's id (text)")
        return {"session": raw["session"]}
    ids = _ids(raw["ids"], "ids")
    if not ids:
        raise JobRefused("ids must name at least one dedup history row")
    return {"ids": ids}


def _identify_upgrades_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"threshold", "format"})
    threshold = _number(raw, "threshold", DEFAULT_THRESHOLD, low=0.1, high=100)
    file_format = raw.get("format")
    if file_format is not None and not isinstance(file_format, str):
        raise JobRefused("format must be FLAC, ALAC or WAV")
    return {"threshold": threshold, "format": file_format or None}


def _vet_import_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"folder"})
    folder = raw.get("folder")
    if not isinstance(folder, str):
        raise JobRefused("folder must be the path of a folder inside MUSICQUALITY_IMPORT_ROOTS")
    try:
        return {"folder": str(import_folder_resolve(folder=folder))}
    except FolderNotAllowed as error:
        raise JobRefused(str(error)) from None


def _optional_path(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not os.path.isabs(value):
        raise JobRefused(f"{name} must be an absolute folder path")
    return os.path.normpath(value)


def _import_apply_clean(raw: dict) -> dict:
    _unknown_refuse(raw, {"vetting", "files", "into", "reject_dir"})
    _quarantine_usable()  # an upgrade moves the file it replaces into quarantine
    vetting_id = raw.get("vetting")
    if not isinstance(vetting_id, int) or isinstance(vetting_id, bool):
        raise JobRefused("vetting must be the id of a vetting (an integer)")
    vetting = import_vetting_get(vetting_id=vetting_id)
    if vetting is None or vetting.status != VettingStatus.DONE:
        raise JobRefused(f"vetting {vetting_id} is not a finished vetting: vet the folder first")
    files = _ids(raw.get("files"), "files")
    if not files:
        raise JobRefused("select at least one file to apply")
    waiting = set(
        import_files_of(vetting=vetting)
        .filter(state__in=[ImportState.VETTED, *OPEN_STATES])
        .values_list("pk", flat=True)
    )
    stray = sorted(set(files) - waiting)
    if stray:
        raise JobRefused(
            f"file {stray[0]} is not a file of vetting {vetting_id} waiting to be applied "
            "(applied already, or another vetting's): reload the page"
        )
    into, reject_dir = _optional_path(raw, "into"), _optional_path(raw, "reject_dir")
    new = import_files_of(vetting=vetting).filter(pk__in=files, verdict=Verdict.NEW).exists()
    try:
        apply_targets_check(
            folder=Path(vetting.folder),
            into=Path(into) if into else None,
            reject_dir=Path(reject_dir) if reject_dir else None,
            needs_into=new,
            template=settings.IMPORT_PATH_TEMPLATE,
        )
    except ApplyRefused as error:
        raise JobRefused(str(error)) from None
    return {"vetting": vetting_id, "files": files, "into": into, "reject_dir": reject_dir}


# --- runs -----------------------------------------------------------------------------------


def _library_ready(*, requires_schema_v2: bool = True) -> None:
    try:
        library_ready_check(requires_schema_v2=requires_schema_v2)
    except LibraryDatabaseError as error:
        raise JobFailed(str(error)) from None


def _scan_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready(requires_schema_v2=False)
    try:  # again: the roots (or a symlink on the way) may have changed since it was queued
        _scan_clean({"paths": arguments["paths"]})
    except JobRefused as error:
        raise JobFailed(f"{error} (checked again when the job ran)") from None
    roots = [Path(path) for path in arguments["paths"]]
    try:
        scan_roots_check(roots)
    except ValueError as error:
        raise JobFailed(str(error)) from None
    with run_measured(kind=RunKind.SCAN) as run:
        result = library_scan(roots=roots, progress=reporter.update)
        run.files = result.files_handled
        run.backlog = analysis_backlog_if_known()
    for problem in result.problems[:LISTED]:
        reporter.log(f"{problem.kind}: {problem.path} ({problem.message})")
    return JobOutcome(
        message=f"{result.summary}; {len(result.problems)} problems",
        result={
            "found": result.found,
            "added": result.added,
            "updated": result.updated,
            "completed": result.completed,
            "unchanged": result.unchanged,
            "vanished": result.vanished,
            "problems": len(result.problems),
        },
    )


def _analyze_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    with run_measured(kind=RunKind.ANALYZE) as run:
        result = file_quality_analyze_all(
            force=arguments["force"],
            path_prefix=arguments["path"],
            limit=arguments["limit"],
            progress=reporter.update,
        )
        run.files = result.files_handled
        run.backlog = analysis_backlog_count()
    for error in result.errors[:LISTED]:
        reporter.log(f"{error.kind}: {error.path} ({error.message})")
    return JobOutcome(
        message=f"{result.summary} [analyzer {ANALYZER_VERSION}]",
        result={
            "analysed": result.analysed,
            "skipped": result.skipped,
            "errors": len(result.errors),
        },
    )


def _verify_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    with run_measured(kind=RunKind.VERIFY) as run:
        result = audio_verify_all(
            force=arguments["force"],
            path_prefix=arguments["path"],
            limit=arguments["limit"],
            progress=reporter.update,
        )
        run.files = result.files_handled
    return JobOutcome(
        message=f"{result.summary} [verifier {VERIFIER_VERSION}]",
        result={
            "verified": result.verified,
            "skipped": result.skipped,
            "rescored": result.rescored,
            "by_verdict": dict(result.by_verdict),
        },
    )


def _find_duplicates_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    report = duplicates_find(
        prefer=[Path(path) for path in arguments.get("prefer", [])], on_compared=reporter.advance
    )
    for candidate in report.unconfirmed[:LISTED]:
        reporter.log(f"not an exact duplicate after all: {candidate.file_path}")
    return JobOutcome(
        message=report_summary(report),
        result={
            "groups": len(report.groups),
            "files": report.files,
            "bytes_reclaimable": report.bytes_reclaimable,
            "kept_by_decision": report.kept_by_decision,
        },
    )


def _dedupe_outcome(result: DedupeResult, reporter: Reporter) -> JobOutcome:
    for history, settled in result.resumed.settled:
        reporter.log(f"interrupted run: {history.file_path}: {settled}")
    for outcome in result.outcomes:
        verb = "quarantined" if outcome.moved else "skipped"
        reporter.log(f"{verb} {outcome.removal.candidate.file_path}: {outcome.detail}")
    skipped = result.skipped
    return JobOutcome(
        message=(
            f"session {result.session_id}: {len(result.quarantined)} files moved into quarantine "
            f"({size_text(result.bytes_freed)} freed), {len(skipped)} skipped"
            + (f" (first: {skipped[0].detail})" if skipped else "")
        ),
        result={
            "session_id": result.session_id,
            "quarantined": len(result.quarantined),
            "skipped": len(skipped),
            "bytes_freed": result.bytes_freed,
            "history_ids": [o.history_id for o in result.quarantined if o.history_id],
        },
    )


def _dedupe_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    try:
        if "groups" in arguments:
            choices = [
                GroupChoice(keeper_id=group["keeper"], remove_ids=tuple(group["remove"]))
                for group in arguments["groups"]
            ]
            reporter.update(0, sum(len(choice.remove_ids) for choice in choices))
            result = dedupe_chosen_apply(choices=choices, on_file=reporter.advance)
        else:
            result = dedupe_confident_apply(
                min_confidence=arguments["min_confidence"],
                prefer=[Path(path) for path in arguments.get("prefer", [])],
                on_file=reporter.advance,
            )
    except DedupRefused as error:
        raise JobFailed(str(error)) from None
    return _dedupe_outcome(result, reporter)


def _recover_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    try:
        outcomes = dedup_history_recover(
            ids=arguments.get("ids"), session=arguments.get("session"), progress=reporter.update
        )
    except DedupRefused as error:
        raise JobFailed(str(error)) from None
    recovered = [o for o in outcomes if o.recovered]
    failed = [o for o in outcomes if not o.recovered]
    for outcome in outcomes:
        reporter.log(
            f"recovered {outcome.file_path} to {outcome.restored_to}"
            if outcome.recovered
            else f"not recovered: history row {outcome.history_id}: {outcome.detail}"
        )
    if not recovered:
        raise JobFailed(
            f"nothing recovered: {failed[0].detail}" if failed else "no such history rows"
        )
    return JobOutcome(
        message=f"{len(recovered)} file{'s' if len(recovered) != 1 else ''} recovered, "
        f"{len(failed)} not" + (f" (first: {failed[0].detail})" if failed else ""),
        result={
            "recovered": len(recovered),
            "not_recovered": len(failed),
            "library_file_ids": [o.library_file_id for o in recovered if o.library_file_id],
        },
    )


def _identify_upgrades_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    try:
        with run_measured(kind=RunKind.IDENTIFY) as run:
            summary = upgrade_candidates_identify(
                threshold=arguments["threshold"],
                format_override=arguments["format"],
                streaming_db=settings.STREAMING_DB,
                on_progress=reporter.update,
            )
            run.files = summary.files_handled
    except ValueError as error:
        raise JobFailed(str(error)) from None
    return JobOutcome(
        message=(
            f"{summary.candidates} candidates below {summary.threshold:g}: {summary.new} new, "
            f"{summary.refreshed} refreshed, {summary.completed} completed; "
            f"{summary.matched_by_isrc} matched by ISRC, {summary.matched_by_name} by name"
        ),
        result={
            "candidates": summary.candidates,
            "new": summary.new,
            "refreshed": summary.refreshed,
            "completed": summary.completed,
        },
    )


def _vet_import_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    try:
        vetting = import_vetting_run(folder=Path(arguments["folder"]), progress=reporter.update)
    except VettingRefused as error:
        raise JobFailed(str(error)) from None
    totals = vetting.totals
    for problem in vetting.problems[:LISTED]:
        reporter.log(f"not vetted: {problem['path']}: {problem['problem']}")
    return JobOutcome(
        message=(
            f"{totals.get('files', 0)} files vetted: {totals.get('new', 0)} new, "
            f"{totals.get('duplicate', 0)} duplicate, {totals.get('upgrade', 0)} upgrade, "
            f"{totals.get('uncertain', 0)} uncertain"
        ),
        result={"vetting_id": vetting.pk, **totals},
    )


def _import_apply_run(arguments: dict, reporter: Reporter) -> JobOutcome:
    _library_ready()
    reporter.update(0, len(arguments["files"]))
    try:
        result = import_apply(
            vetting_id=arguments["vetting"],
            file_ids=arguments["files"],
            into=Path(arguments["into"]) if arguments["into"] else None,
            reject_dir=Path(arguments["reject_dir"]) if arguments["reject_dir"] else None,
            template=settings.IMPORT_PATH_TEMPLATE,
            deleted_by=DeletedBy.USER,
            on_file=reporter.advance,
        )
    except ApplyRefused as error:
        raise JobFailed(str(error)) from None
    for outcome in [*result.resumed, *result.outcomes]:
        reporter.log(f"{outcome.action} {outcome.path}: {outcome.detail}")
    counts = {
        action: result.count(action)
        for action in ("imported", "replaced", "rejected", "left", "skipped", "failed")
    }
    return JobOutcome(
        message=(
            "applied: "
            + (", ".join(f"{n} {action}" for action, n in counts.items() if n) or "nothing to do")
            + f"; replaced files are in quarantine (session {result.session_id})"
        ),
        result={"vetting_id": result.vetting_id, "session_id": result.session_id, **counts},
    )


@dataclass(frozen=True)
class KindSpec:
    clean: Callable[[dict], dict]
    run: Callable[[dict, Reporter], JobOutcome]


KINDS: dict[str, KindSpec] = {
    JobKind.SCAN: KindSpec(_scan_clean, _scan_run),
    JobKind.ANALYZE: KindSpec(_analyze_clean, _analyze_run),
    JobKind.VERIFY: KindSpec(_verify_clean, _verify_run),
    JobKind.FIND_DUPLICATES: KindSpec(_find_duplicates_clean, _find_duplicates_run),
    JobKind.DEDUPE: KindSpec(_dedupe_clean, _dedupe_run),
    JobKind.RECOVER: KindSpec(_recover_clean, _recover_run),
    JobKind.IDENTIFY_UPGRADES: KindSpec(_identify_upgrades_clean, _identify_upgrades_run),
    JobKind.VET_IMPORT: KindSpec(_vet_import_clean, _vet_import_run),
    JobKind.IMPORT_APPLY: KindSpec(_import_apply_clean, _import_apply_run),
}


def job_arguments_clean(*, kind: str, arguments: dict) -> dict:
    """The arguments of a job of ``kind``, checked and completed with their defaults; raises
    :class:`JobRefused` with a message for a bad kind or argument."""
    spec = KINDS.get(kind)
    if spec is None:
        raise JobRefused(f"kind {kind!r} is not a job: use one of {', '.join(KINDS)}")
    if not isinstance(arguments, dict):
        raise JobRefused("arguments must be an object")
    return spec.clean(arguments)


def job_kind_run(*, kind: str, arguments: dict, reporter: Reporter) -> JobOutcome:
    """Do the work of one job (in the worker); raises :class:`JobFailed` with a message."""
    return KINDS[kind].run(arguments, reporter)
