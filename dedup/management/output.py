"""Options and output shared by ``find_duplicates`` and ``dedupe``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path, PurePath

from django.core.management.base import CommandError

from dedup.models import MatchedBy
from dedup.reports import size_text
from dedup.rules import (
    DEFAULT_MAX_DURATION_DELTA,
    Candidate,
    DuplicateGroup,
    DuplicateReport,
    Removal,
)
from dedup.services.find import prefer_folders_check
from musicquality.commands import printable


def non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must not be negative")
    return number


def grouping_arguments_add(parser) -> None:
    parser.add_argument(
        "--prefer",
        metavar="DIR",
        action="append",
        default=[],
        help="when copies are otherwise equal, keep the one under DIR (repeatable)",
    )
    parser.add_argument(
        "--max-duration-delta",
        metavar="SECONDS",
        type=non_negative_float,
        default=DEFAULT_MAX_DURATION_DELTA,
        help="same-recording matches must have durations this close (default: %(default)s)",
    )


def prefer_dirs(options) -> tuple[PurePath, ...]:
    """The ``--prefer`` folders, absolute; a CommandError names one that is not a folder."""
    folders = tuple(Path(os.path.abspath(Path(d).expanduser())) for d in options["prefer"])
    try:
        prefer_folders_check(folders=folders)
    except ValueError as error:
        raise CommandError(f"--{error}") from None
    return folders


def _score_text(candidate: Candidate) -> str:
    score = candidate.quality_score
    return f"score {score:5.1f}" if score is not None else "score   n/a"


#: How a group is told in text, by the weakest evidence that holds it together.
GROUP_KINDS = {
    MatchedBy.CONTENT_HASH: "exact copy",
    MatchedBy.AUDIO_HASH: "same recording (identical decoded audio)",
    MatchedBy.ACOUSTIC_FINGERPRINT: "same recording (acoustic fingerprint)",
    MatchedBy.METADATA_HASH: "same recording (tags only)",
}


def similar_lines(report: DuplicateReport) -> list[str]:
    """Pairs that sound alike but not enough to be one recording: shown, never acted on."""
    return [
        f"similar, not acted on ({score:.2f}): {printable(first.file_path)}  ~  "
        f"{printable(second.file_path)}"
        for first, second, score in report.similar
    ]


def _matched_by_text(removal: Removal, group: DuplicateGroup) -> str:
    """Said only when it is not how the whole group is matched."""
    if removal.matched_by is None or removal.matched_by == group.matched_by:
        return ""
    return f", by {MatchedBy(removal.matched_by).label}"


def group_lines(group: DuplicateGroup) -> list[str]:
    kind = GROUP_KINDS[MatchedBy(group.matched_by)]
    if not group.confirmed:
        kind += ", NOT confirmed by full content"
    lines = [
        f"group {group.number}: {kind}, confidence {group.confidence:.2f}, "
        f"{size_text(group.bytes_reclaimable)} reclaimable",
        f"  keep    {_score_text(group.keeper)}  {printable(group.keeper.file_path)}",
    ]
    lines += [
        f"  remove  {_score_text(removal.candidate)}  {printable(removal.candidate.file_path)}  "
        f"({removal.reason}, {removal.confidence:.2f}{_matched_by_text(removal, group)})"
        for removal in group.removals
    ]
    return lines
