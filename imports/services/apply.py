"""Apply a vetting: move files in, replace what they upgrade, by the deletion protocol.

Per file, strictly in this order (docs/imports.md, docs/deletion-protocol.md):

1. **verify**: the incoming file is the one that was vetted (regular file, same size, mtime
   and sampled hash); for an upgrade, the library file it replaces is still indexed;
2. **write intent**: its ``import_file`` row gets ``state = moving`` and the ``destination``
   (never an existing file: ``Song (2).flac`` when ``Song.flac`` is taken), committed;
3. **move** it (``dedup.services.files.file_move``: hard link then unlink, or a verified copy
   across filesystems; nothing is ever overwritten);
4. **finish**: a new file or an upgrade is indexed, analysed and its verification stored
   (``quality.services.incoming.incoming_file_store``); an upgrade then completes its
   candidate and job (``upgrades.services.upgrade_candidate_acquire``) and the file it
   replaces goes into quarantine by the dedupe protocol itself
   (``dedup.services.dedupe.replaced_file_quarantine``: ``dedup_history`` row first, reason
   ``lower_quality``, ``kept_file_path`` the new file, recoverable); ``state = done``.

Killed at any instant, every byte is at its source, at its destination, or in quarantine
with a history row. Every apply first settles what an interrupted one left, with the lock
of dedupe, recover and purge held: pending ``dedup_history`` rows as dedupe settles them,
then each ``moving`` row by where its file is (``interrupted_move_state``): still at its
source → undone (``vetted`` again); at its destination (or at both, identical: the source is
unlinked) → finished as above; ``placed`` rows (moved and indexed) → finished from the
candidate on.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dedup.models import DeletedBy, DeletionReason, MatchedBy
from dedup.rules import Removal
from dedup.services.dedupe import ResumeResult, dedup_history_settle, replaced_file_quarantine
from dedup.services.files import (
    DedupRefused,
    MoveState,
    file_move,
    interrupted_move_state,
    library_root_of,
    library_roots_require,
    quarantine_lock,
)
from imports.models import OPEN_STATES, ImportFile, ImportState, ImportVetting, VettingStatus
from imports.rules import (
    DEFAULT_PATH_TEMPLATE,
    REJECTED_VERDICTS,
    TemplateError,
    Verdict,
    import_subpath,
    numbered_name,
    template_check,
)
from musicquality.faults import fault_point
from musicquality.fields import utc_now_iso
from musicquality.routers import APP_DB_ALIAS
from quality.hashing import content_hash_sampled
from quality.selectors import recording_candidate_of
from quality.services.incoming import incoming_file_store
from quality.services.scanning import mtime_iso
from quality.services.verification import Verified
from upgrades.services import upgrade_candidate_acquire

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "import:"


class ApplyRefused(Exception):
    """The apply cannot start as asked; the message says why and what to do (nothing moved)."""


class _Skip(Exception):
    """This one file is left where it is; the message says why."""


@dataclass(frozen=True)
class ApplyOutcome:
    path: str
    verdict: str
    #: imported | replaced | rejected | left | skipped | undone | failed
    action: str
    detail: str
    destination: str | None = None

    @property
    def moved(self) -> bool:
        return self.action in ("imported", "replaced", "rejected")


@dataclass
class ApplyResult:
    session_id: str
    vetting_id: int
    resumed_history: ResumeResult
    resumed: list[ApplyOutcome] = field(default_factory=list)
    outcomes: list[ApplyOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)


@dataclass(frozen=True)
class _Run:
    """What every file of one apply needs."""

    session_id: str
    started_at: str
    folder: Path
    into: Path | None
    reject_dir: Path | None
    template: str
    deleted_by: DeletedBy
    verifications: Mapping[str, Verified]


# --- checks before anything moves -----------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


def _in_library(path: Path) -> bool:
    absolute = Path(os.path.abspath(path))
    return library_root_of(absolute) is not None and library_root_of(absolute.resolve()) is not None


def apply_targets_check(
    *, folder: Path, into: Path | None, reject_dir: Path | None, needs_into: bool, template: str
) -> tuple[Path | None, Path | None]:
    """``into`` and ``reject_dir`` as absolute paths, or :class:`ApplyRefused` naming the
    problem: the library roots must be set, the import folder must be outside them (its
    files would be library files already), ``--into`` inside one and outside the import
    folder, ``--reject-dir`` outside both."""
    try:
        library_roots_require()
    except DedupRefused as error:
        raise ApplyRefused(str(error)) from None
    absolute = Path(os.path.abspath(folder))
    if library_root_of(absolute) is not None or library_root_of(absolute.resolve()) is not None:
        raise ApplyRefused(
            f"import folder {folder} is inside MUSICQUALITY_LIBRARY_ROOTS: move it out of the "
            "library first (its files would already be library files)"
        )
    try:
        template_check(template)
    except TemplateError as error:
        raise ApplyRefused(str(error)) from None
    if into is not None:
        into = Path(os.path.abspath(into))
        if not _in_library(into):
            raise ApplyRefused(
                f"--into {into} is outside MUSICQUALITY_LIBRARY_ROOTS: new files must go into "
                "the library (give a folder inside one of the roots)"
            )
        if _inside(into, folder):
            raise ApplyRefused(f"--into {into} is inside the import folder {folder}")
    elif needs_into:
        raise ApplyRefused(
            "new files need --into DIR (a folder inside MUSICQUALITY_LIBRARY_ROOTS) to go to"
        )
    if reject_dir is not None:
        reject_dir = Path(os.path.abspath(reject_dir))
        if _inside(reject_dir, folder):
            raise ApplyRefused(f"--reject-dir {reject_dir} is inside the import folder {folder}")
        if library_root_of(reject_dir) is not None:
            raise ApplyRefused(
                f"--reject-dir {reject_dir} is inside MUSICQUALITY_LIBRARY_ROOTS: rejected files "
                "would be scanned into the library; give a folder outside it"
            )
    return into, reject_dir


# --- one file -------------------------------------------------------------------------------


def _unchanged(file: ImportFile) -> Path:
    """The incoming file, if it is still the one that was vetted."""
    path = Path(file.path)
    if path.is_symlink() or not path.is_file():
        raise _Skip("no longer there (or now a link): vet the folder again")
    info = path.stat()
    if (
        info.st_size != file.file_size
        or mtime_iso(info.st_mtime) != file.file_mtime
        or content_hash_sampled(path=path) != file.content_hash
    ):
        raise _Skip("changed since it was vetted: vet the folder again")
    return path


def _free(path: Path) -> Path:
    """``path``, or the first ``name (N).ext`` beside it that does not exist."""
    number = 1
    while True:
        candidate = path.with_name(numbered_name(path.name, number))
        if not os.path.lexists(candidate):
            return candidate
        number += 1


def _destination(file: ImportFile, run: _Run) -> Path:
    if file.verdict == Verdict.NEW:
        assert run.into is not None
        subpath = import_subpath(
            run.template,
            artist=file.artist,
            album=file.album,
            title=file.title,
            year=file.year,
            filename=Path(file.path).name,
        )
        return _free(run.into / subpath)
    if file.verdict == Verdict.UPGRADE:
        replaced = recording_candidate_of(file_id=file.library_id) if file.library_id else None
        if replaced is None or replaced.file_path != file.library_match:
            raise _Skip(
                f"the file it would replace, {file.library_match}, is no longer in the library "
                "as it was: vet the folder again"
            )
        target = _free(Path(replaced.file_path).parent / Path(file.path).name)
        if not _in_library(target):
            raise _Skip(f"{target} is outside MUSICQUALITY_LIBRARY_ROOTS: left in place")
        return target
    assert run.reject_dir is not None
    relative = Path(file.path).relative_to(run.folder)
    return _free(run.reject_dir / file.verdict / relative)


def _save(file: ImportFile, **values) -> None:
    for name, value in values.items():
        setattr(file, name, value)
    file.save(using=APP_DB_ALIAS)


def _file_apply(file: ImportFile, run: _Run) -> ApplyOutcome:
    if file.verdict in REJECTED_VERDICTS and run.reject_dir is None:
        _save(file, state=ImportState.LEFT, detail="left in place", applied_at=utc_now_iso())
        return ApplyOutcome(file.path, file.verdict, "left", f"left in place ({file.reason})")
    try:
        source = _unchanged(file)
        destination = _destination(file, run)
    except _Skip as error:
        _save(file, detail=str(error))
        return ApplyOutcome(file.path, file.verdict, "skipped", str(error))
    _save(
        file,
        state=ImportState.MOVING,
        destination=str(destination),
        session_id=run.session_id,
        applied_at=utc_now_iso(),
        detail=None,
    )
    fault_point("intent written")
    try:
        file_move(src=source, dst=destination)
    except (OSError, DedupRefused) as error:
        settled = _moving_settle(file, run)
        if settled.action != "undone":
            return settled
        return ApplyOutcome(file.path, file.verdict, "skipped", f"not moved: {error}")
    fault_point("import moved")
    return _finish(file, run)


def _finish(file: ImportFile, run: _Run) -> ApplyOutcome:
    """From the file at its destination (``moving``) or indexed (``placed``) to ``done``:
    the same steps for a fresh apply and for one resumed after a kill."""
    destination = Path(file.destination or "")
    if file.verdict in REJECTED_VERDICTS:
        _save(file, state=ImportState.DONE, detail=f"moved to {destination}")
        fault_point("import finished")
        return ApplyOutcome(
            file.path, file.verdict, "rejected", file.detail or "", str(destination)
        )
    if file.state == ImportState.MOVING:
        try:
            library_file = incoming_file_store(
                path=destination, verified=run.verifications.get(file.path)
            )
        except ValueError as error:
            _save(file, state=ImportState.FAILED, detail=f"moved, but not indexed: {error}")
            return ApplyOutcome(
                file.path, file.verdict, "failed", file.detail or "", str(destination)
            )
        done = file.verdict == Verdict.NEW
        _save(
            file,
            state=ImportState.DONE if done else ImportState.PLACED,
            imported_id=library_file.pk,
            detail=f"imported as {destination}" if done else None,
        )
        fault_point("import indexed")
        if done:
            fault_point("import finished")
            return ApplyOutcome(
                file.path, file.verdict, "imported", file.detail or "", str(destination)
            )
    return _replace(file, run, destination)


def _replace(file: ImportFile, run: _Run, destination: Path) -> ApplyOutcome:
    """An upgrade in the library: its candidate and job completed, the old file quarantined."""
    notes = []
    if file.candidate_id is not None and file.imported_id is not None:
        acquired = upgrade_candidate_acquire(
            candidate_id=file.candidate_id,
            replaced_by_id=file.imported_id,
            replaced_by_path=str(destination),
            source=f"{SOURCE_PREFIX}{run.folder}",
            started_at=run.started_at,
        )
        notes.append(f"candidate {acquired.candidate_id} {acquired.detail}")
        fault_point("candidate completed")
    old = recording_candidate_of(file_id=file.library_id) if file.library_id else None
    new = recording_candidate_of(file_id=file.imported_id) if file.imported_id else None
    if old is None or new is None or old.file_path != file.library_match:
        notes.append(f"{file.library_match} was already gone from the library")
    else:
        removal = Removal(
            candidate=old,
            reason=DeletionReason.LOWER_QUALITY,
            confidence=file.confidence if file.confidence is not None else 1.0,
            matched_by=MatchedBy(file.matched_by) if file.matched_by else None,
        )
        outcome = replaced_file_quarantine(
            keeper=new, removal=removal, session_id=run.session_id, deleted_by=run.deleted_by
        )
        if outcome.moved:
            notes.append(
                f"{old.file_path} moved into quarantine (dedup_history {outcome.history_id})"
            )
        else:
            notes.append(f"{old.file_path} kept: {outcome.detail}")
    detail = f"imported as {destination}; " + "; ".join(notes)
    _save(file, state=ImportState.DONE, detail=detail)
    fault_point("import finished")
    return ApplyOutcome(file.path, file.verdict, "replaced", detail, str(destination))


def _moving_settle(file: ImportFile, run: _Run) -> ApplyOutcome:
    """An interrupted move, judged by the filesystem (the deletion protocol's rule)."""
    source, destination = Path(file.path), Path(file.destination or "")
    state = interrupted_move_state(src=source, dst=destination)
    if state is MoveState.AT_SOURCE:
        _save(
            file,
            state=ImportState.VETTED,
            destination=None,
            detail="an interrupted apply had not moved it: left in place",
        )
        return ApplyOutcome(file.path, file.verdict, "undone", file.detail or "")
    if state is MoveState.BOTH_IDENTICAL:
        os.unlink(source)
        state = MoveState.AT_DESTINATION
    if state is MoveState.AT_DESTINATION:
        return _finish(file, run)
    why = (
        "both copies kept: the source and the destination differ"
        if state is MoveState.BOTH_DIFFERENT
        else "found at neither its source nor its destination"
    )
    _save(file, state=ImportState.FAILED, detail=f"interrupted move: {why}")
    logger.error("%s: interrupted move to %s: %s", source, destination, why)
    return ApplyOutcome(file.path, file.verdict, "failed", file.detail or "", str(destination))


def _imports_settle(run: _Run) -> list[ApplyOutcome]:
    settled = []
    for file in ImportFile.objects.using(APP_DB_ALIAS).filter(state__in=OPEN_STATES).order_by("id"):
        vetting = file.vetting
        resumed = _Run(
            session_id=file.session_id or run.session_id,
            started_at=run.started_at,
            folder=Path(vetting.folder),
            into=None,
            reject_dir=None,
            template=run.template,
            deleted_by=run.deleted_by,
            verifications={},
        )
        if file.state == ImportState.PLACED:
            settled.append(_replace(file, resumed, Path(file.destination or "")))
        else:
            settled.append(_moving_settle(file, resumed))
    return settled


# --- the run --------------------------------------------------------------------------------


def import_files_selected(
    *,
    vetting: ImportVetting,
    file_ids: Iterable[int] | None,
    states: Sequence[str] = (ImportState.VETTED,),
) -> list[ImportFile]:
    files = ImportFile.objects.using(APP_DB_ALIAS).filter(vetting=vetting, state__in=states)
    if file_ids is not None:
        files = files.filter(id__in=list(file_ids))
    return list(files.order_by("path"))


@dataclass(frozen=True)
class PlannedImport:
    """One line of an apply's dry run: what would happen to a file, and a problem seen now."""

    path: str
    verdict: str
    #: import | replace | reject | leave | skip | finish (left open by an interrupted apply)
    action: str
    destination: str | None
    replaces: str | None
    problem: str | None = None


_PLANNED_ACTION = {Verdict.NEW: "import", Verdict.UPGRADE: "replace"}


def import_apply_preview(
    *,
    vetting_id: int,
    file_ids: Sequence[int],
    into: Path | None,
    reject_dir: Path | None,
    template: str = DEFAULT_PATH_TEMPLATE,
) -> list[PlannedImport]:
    """The dry run of :func:`import_apply` (read-only): where each selected file would go, and
    what it would replace, with the problems visible now (changed since vetted, the replaced
    file gone). A taken name shows as the ``Song (2).flac`` it would become; the run itself
    checks everything again, right before each move."""
    vetting = ImportVetting.objects.using(APP_DB_ALIAS).get(pk=vetting_id)
    run = _Run(
        session_id="",
        started_at="",
        folder=Path(vetting.folder),
        into=into,
        reject_dir=reject_dir,
        template=template,
        deleted_by=DeletedBy.SYSTEM,
        verifications={},
    )
    planned = []
    for file in import_files_selected(
        vetting=vetting, file_ids=file_ids, states=(ImportState.VETTED, *OPEN_STATES)
    ):
        if file.state in OPEN_STATES:
            planned.append(
                PlannedImport(
                    file.path,
                    file.verdict,
                    "finish",
                    file.destination,
                    file.library_match if file.verdict == Verdict.UPGRADE else None,
                    "left by an interrupted apply: finished or undone by where the file is now",
                )
            )
            continue
        action = _PLANNED_ACTION.get(Verdict(file.verdict), "reject" if reject_dir else "leave")
        replaces = file.library_match if file.verdict == Verdict.UPGRADE else None
        if action == "leave":
            planned.append(PlannedImport(file.path, file.verdict, action, None, None))
            continue
        try:
            _unchanged(file)
            destination: str | None = str(_destination(file, run))
            problem = None
        except _Skip as error:
            action, destination, problem = "skip", None, str(error)
        planned.append(
            PlannedImport(file.path, file.verdict, action, destination, replaces, problem)
        )
    return planned


def import_apply(
    *,
    vetting_id: int,
    file_ids: Sequence[int] | None = None,
    into: Path | None = None,
    reject_dir: Path | None = None,
    template: str = DEFAULT_PATH_TEMPLATE,
    verifications: Mapping[str, Verified] | None = None,
    deleted_by: DeletedBy = DeletedBy.SYSTEM,
    on_file: Callable[[], None] | None = None,
) -> ApplyResult:
    """Apply the files of a stored vetting (``file_ids``: those selected; default all):
    ``new`` ones into ``into`` at ``template``, each ``upgrade`` beside the file it replaces
    (which goes into quarantine), ``duplicate`` and ``uncertain`` ones to
    ``reject_dir/<verdict>/`` or left in place. ``verifications`` (by path) are the decodes
    the vetting made, stored instead of decoding again. (The vetting recorded its
    ``vetting_history`` row: applying its files, in one run or several, adds none.)

    Raises :class:`ApplyRefused` before anything moves; a problem with one file is an
    outcome, never raised.
    """
    vetting = ImportVetting.objects.using(APP_DB_ALIAS).filter(pk=vetting_id).first()
    if vetting is None or vetting.status != VettingStatus.DONE:
        raise ApplyRefused(f"vetting {vetting_id} is not a finished vetting: vet the folder first")
    folder = Path(vetting.folder)
    # Selected files an interrupted apply left open count too: the settle below may undo one
    # (vetted again), and then this run applies it with the others.
    selected = import_files_selected(
        vetting=vetting, file_ids=file_ids, states=(ImportState.VETTED, *OPEN_STATES)
    )
    into, reject_dir = apply_targets_check(
        folder=folder,
        into=into,
        reject_dir=reject_dir,
        needs_into=any(f.verdict == Verdict.NEW for f in selected),
        template=template,
    )
    run = _Run(
        session_id=str(uuid.uuid4()),
        started_at=utc_now_iso(),
        folder=folder,
        into=into,
        reject_dir=reject_dir,
        template=template,
        deleted_by=deleted_by,
        verifications=verifications or {},
    )
    try:
        with quarantine_lock():
            result = ApplyResult(
                session_id=run.session_id,
                vetting_id=vetting.pk,
                resumed_history=dedup_history_settle(),
            )
            result.resumed = _imports_settle(run)
            selected = import_files_selected(vetting=vetting, file_ids=[f.pk for f in selected])
            for file in selected:
                file.refresh_from_db(using=APP_DB_ALIAS)
                if file.state != ImportState.VETTED:
                    continue
                result.outcomes.append(_file_apply(file, run))
                if on_file is not None:
                    on_file()  # may stop the run (a cancelled job), between two files
    except DedupRefused as error:
        raise ApplyRefused(str(error)) from None
    logger.info(
        "applied vetting %s: %s",
        vetting.pk,
        {a: result.count(a) for a in ("imported", "replaced", "rejected", "left", "skipped")},
    )
    return result


def imports_pending_settle() -> tuple[ResumeResult, list[ApplyOutcome]]:
    """Finish (or undo) what interrupted applies left, on its own: the settle every
    :func:`import_apply` runs first, under the same lock, without applying anything. (A
    read-only ``vet_import`` does not call it: it moves files; the next ``--apply`` settles.)
    Does nothing without library roots (nothing can have moved then)."""
    try:
        library_roots_require()
    except DedupRefused:
        return ResumeResult(), []
    try:
        with quarantine_lock():
            run = _Run(
                session_id=str(uuid.uuid4()),
                started_at=utc_now_iso(),
                folder=Path("/"),
                into=None,
                reject_dir=None,
                template=DEFAULT_PATH_TEMPLATE,
                deleted_by=DeletedBy.SYSTEM,
                verifications={},
            )
            return dedup_history_settle(), _imports_settle(run)
    except DedupRefused as error:
        raise ApplyRefused(str(error)) from None
