"""Finding duplicate groups in the library: read-only, but it reads whole files.

The sampled ``file_content_hash`` only suggests that two files are identical; each suggested
exact group is confirmed here by comparing its members' full contents before it is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath

from dedup.rules import (
    DEFAULT_MAX_DURATION_DELTA,
    Candidate,
    DuplicateReport,
    duplicate_groups_build,
)
from dedup.selectors import duplicate_decisions_active
from dedup.services.files import files_identical
from quality.selectors import audio_match_facts, recording_candidates
from quality.services.recordings import audio_matches_refresh

logger = logging.getLogger(__name__)


def prefer_folders_check(*, folders: Sequence[PurePath]) -> None:
    """A preferred folder must be a folder: one that does not exist (a typo, a disk not
    mounted) would silently prefer nothing, and the copy the user meant to keep could be the
    one quarantined. Raises ``ValueError`` naming it."""
    for folder in folders:
        if not Path(folder).is_dir():
            raise ValueError(
                f"prefer {folder}: no such folder: give an existing folder of your library "
                "(its copies are kept when copies are otherwise equal)"
            )


def candidates_identical(first: Candidate, second: Candidate) -> bool:
    """Full-content comparison of two candidates' files; False when either cannot be read."""
    try:
        return files_identical(Path(first.file_path), Path(second.file_path))
    except OSError as error:
        logger.warning("cannot read %s to confirm a duplicate: %s", error.filename, error)
        return False


def duplicates_find(
    *,
    prefer: Sequence[PurePath] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
    confirm: bool = True,
    on_compared: Callable[[], None] | None = None,
) -> DuplicateReport:
    """Group the active library into duplicate groups, keeper first (see ``dedup.rules``),
    after bringing the fingerprint matches up to date, and leaving out the files the user's
    keep-both decisions keep.

    ``confirm=False`` skips the full-content reads; exact groups are then reported as
    unconfirmed suggestions.
    """

    def same_content(first: Candidate, second: Candidate) -> bool:
        identical = candidates_identical(first, second)
        if on_compared is not None:
            on_compared()
        return identical

    audio_matches_refresh()  # a no-op unless fingerprints changed since the last refresh
    matches = audio_match_facts()
    report = duplicate_groups_build(
        recording_candidates(audio_matches=matches),
        same_content=same_content if confirm else None,
        prefer=prefer,
        max_duration_delta=max_duration_delta,
        audio_matches=matches,
        decisions=duplicate_decisions_active(),
    )
    logger.info(
        "%d duplicate groups, %d files, %d bytes reclaimable",
        len(report.groups),
        report.files,
        report.bytes_reclaimable,
    )
    return report
