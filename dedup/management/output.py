"""Options and output shared by ``find_duplicates`` and ``dedupe``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path, PurePath

from django.template.defaultfilters import filesizeformat

from dedup.models import MatchedBy
from dedup.rules import DEFAULT_MAX_DURATION_DELTA, Candidate, DuplicateGroup
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
    return tuple(Path(os.path.abspath(Path(d).expanduser())) for d in options["prefer"])


def size_text(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def _score_text(candidate: Candidate) -> str:
    score = candidate.quality_score
    return f"score {score:5.1f}" if score is not None else "score   n/a"


def group_lines(group: DuplicateGroup) -> list[str]:
    kind = "exact copy" if group.matched_by == MatchedBy.CONTENT_HASH else "same recording (tags)"
    if not group.confirmed:
        kind += ", NOT confirmed by full content"
    lines = [
        f"group {group.number}: {kind}, confidence {group.confidence:.2f}, "
        f"{size_text(group.bytes_reclaimable)} reclaimable",
        f"  keep    {_score_text(group.keeper)}  {printable(group.keeper.file_path)}",
    ]
    lines += [
        f"  remove  {_score_text(removal.candidate)}  {printable(removal.candidate.file_path)}  "
        f"({removal.reason}, {removal.confidence:.2f})"
        for removal in group.removals
    ]
    return lines
