"""Finding duplicate groups in the library: read-only, but it reads whole files.

The sampled ``file_content_hash`` only suggests that two files are identical; each suggested
exact group is confirmed here by a full-content hash of its members before it is reported.
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
from dedup.selectors import duplicate_candidates_list
from quality.hashing import content_hash_full

logger = logging.getLogger(__name__)


def candidate_full_hash(candidate: Candidate) -> str | None:
    """Full-content SHA-256 of a candidate's file, or None when it cannot be read."""
    try:
        return content_hash_full(path=Path(candidate.file_path))
    except OSError as error:
        logger.warning("cannot read %s to confirm a duplicate: %s", candidate.file_path, error)
        return None


def duplicates_find(
    *,
    prefer: Sequence[PurePath] = (),
    max_duration_delta: float = DEFAULT_MAX_DURATION_DELTA,
    confirm: bool = True,
    on_hashed: Callable[[], None] | None = None,
) -> DuplicateReport:
    """Group the active library into duplicate groups, keeper first (see ``dedup.rules``).

    ``confirm=False`` skips the full-content reads; exact groups are then reported as
    unconfirmed suggestions.
    """

    def full_hash(candidate: Candidate) -> str | None:
        digest = candidate_full_hash(candidate)
        if on_hashed is not None:
            on_hashed()
        return digest

    report = duplicate_groups_build(
        duplicate_candidates_list(),
        full_hash=full_hash if confirm else None,
        prefer=prefer,
        max_duration_delta=max_duration_delta,
    )
    logger.info(
        "%d duplicate groups, %d files, %d bytes reclaimable",
        len(report.groups),
        report.files,
        report.bytes_reclaimable,
    )
    return report
