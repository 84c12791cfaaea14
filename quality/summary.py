"""Which whole-library counts a file adds to: the one rule behind ``summary_count``.

The summary (docs/summary.md) keeps one ``summary_file`` row per ``library_index`` row, with
the facts every page counts, sorts and filters on (:data:`FACT_COLUMNS`, read by
``quality.selectors.FACTS_SQL``), and the whole library's counts in ``summary_count``: one
row per bucket, each the sum of what :func:`file_buckets` gives for every file. A writer
that changes some files subtracts their old buckets and adds their new ones, so the counts
stay what a full recomputation would give without reading the library again.

Scores are summed as integer millionths (:data:`SCORE_UNITS`): sums of floats that are
added and subtracted again drift, integers do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from quality.distribution import SCORE_BIN_WIDTH, SCORE_BINS

#: Bump when the summary's tables or rules change: the summary is then rebuilt.
SUMMARY_LAYOUT = "4"  # 2: codec buckets; 3: deletions and upgrades; 4: unreadable files
SCORE_UNITS = 1_000_000
#: A sort key's value for "no value" (not analysed): below every real one.
NO_NUMBER = -1

FACT_COLUMNS = (
    "id", "active", "file_size", "file_format", "artist", "title", "album", "file_path",
    "metadata_hash", "file_content_hash", "duration", "indexed_at", "analysed",
    "quality_format", "codec", "bitrate", "sample_rate", "bit_depth", "quality_score",
    "lossless", "hires", "analyzed_at", "has_fingerprint", "backlog", "verify_backlog",
    "verdict", "verdict_current", "verdict_unchanged", "pcm_hash",
)  # fmt: skip
#: The columns the search index holds, in its order.
SEARCH_COLUMNS = ("artist", "title", "album", "file_path")
#: The columns a duplicate pair (query 4) depends on.
PAIR_COLUMNS = ("active", "analysed", "metadata_hash", "quality_score", "artist", "title")

_INDEX = {name: position for position, name in enumerate(FACT_COLUMNS)}


class Fact(NamedTuple):
    """Read access to a ``summary_file`` row by column name."""

    values: Sequence

    def __getattr__(self, name: str):
        return self.values[_INDEX[name]]


def fact_value(row: Sequence, name: str):
    return row[_INDEX[name]]


def score_bin(score: float) -> int:
    """The histogram bin of a score, as ``quality.selectors.BIN_COUNTS_SQL`` counts it."""
    return min(max(int(score // SCORE_BIN_WIDTH), 0), SCORE_BINS - 1)


def score_units(score: float) -> int:
    return round(score * SCORE_UNITS)


#: Between the format and the codec in a codec bucket's name (no file extension holds it).
CODEC_SEPARATOR = "|"


class Bucket:
    """Names of the ``summary_count`` rows."""

    INDEXED = "indexed"  # every library_index row
    ANALYSES = "analyses"  # every row with an analysis, active or not
    ACTIVE = "active"  # files and bytes
    BACKLOG = "backlog"
    VERIFY_BACKLOG = "verify_backlog"

    FORMAT = "format:"  # + the analysis's format: files and score sum
    LOSSLESS = "lossless:"
    HIRES = "hires:"
    BIN = "bin:"
    VERDICT = "verdict:"
    CODEC = "codec:"  # + the analysis's format, "|", its codec ('' when unknown)

    @staticmethod
    def format(quality_format: str) -> str:
        return Bucket.FORMAT + quality_format

    @staticmethod
    def lossless(quality_format: str) -> str:
        return Bucket.LOSSLESS + quality_format

    @staticmethod
    def hires(quality_format: str) -> str:
        return Bucket.HIRES + quality_format

    @staticmethod
    def score_bin(index: int) -> str:
        return f"{Bucket.BIN}{index}"

    @staticmethod
    def verdict(verdict: str) -> str:
        return Bucket.VERDICT + verdict

    @staticmethod
    def codec(quality_format: str, codec: str) -> str:
        return f"{Bucket.CODEC}{quality_format}{CODEC_SEPARATOR}{codec}"


class Contribution(NamedTuple):
    bucket: str
    files: int
    bytes: int
    score_units: int


_ACTIVE, _SIZE, _ANALYSED = _INDEX["active"], _INDEX["file_size"], _INDEX["analysed"]
_BACKLOG, _VERIFY_BACKLOG = _INDEX["backlog"], _INDEX["verify_backlog"]
_VERDICT, _FORMAT, _SCORE = (
    _INDEX["verdict_current"],
    _INDEX["quality_format"],
    _INDEX["quality_score"],
)
_LOSSLESS, _HIRES, _CODEC = _INDEX["lossless"], _INDEX["hires"], _INDEX["codec"]


def file_buckets(row: Sequence) -> list[Contribution]:
    """What one ``summary_file`` row adds to the whole library's counts (our writers call
    this for every file they change: plain indexing, no lookups by name)."""
    analysed = row[_ANALYSED]
    found = [Contribution(Bucket.INDEXED, 1, 0, 0)]
    if analysed:
        found.append(Contribution(Bucket.ANALYSES, 1, 0, 0))
    if not row[_ACTIVE]:
        return found
    found.append(Contribution(Bucket.ACTIVE, 1, row[_SIZE] or 0, 0))
    if row[_BACKLOG]:
        found.append(Contribution(Bucket.BACKLOG, 1, 0, 0))
    if row[_VERIFY_BACKLOG]:
        found.append(Contribution(Bucket.VERIFY_BACKLOG, 1, 0, 0))
    if row[_VERDICT]:
        found.append(Contribution(Bucket.VERDICT + row[_VERDICT], 1, 0, 0))
    if analysed:
        quality_format, score = row[_FORMAT], row[_SCORE]
        found.append(Contribution(Bucket.FORMAT + quality_format, 1, 0, round(score * SCORE_UNITS)))
        found.append(Contribution(_BIN_NAMES[score_bin(score)], 1, 0, 0))
        found.append(Contribution(Bucket.codec(quality_format, row[_CODEC]), 1, 0, 0))
        if row[_LOSSLESS]:
            found.append(Contribution(Bucket.LOSSLESS + quality_format, 1, 0, 0))
        if row[_HIRES]:
            found.append(Contribution(Bucket.HIRES + quality_format, 1, 0, 0))
    return found


_BIN_NAMES = [Bucket.score_bin(index) for index in range(SCORE_BINS)]


def buckets_delta(
    *, removed: Iterable[Sequence], added: Iterable[Sequence]
) -> dict[str, list[int]]:
    """Bucket -> [files, bytes, score units] to add, for rows replaced by others."""
    delta: dict[str, list[int]] = {}
    for sign, rows in ((-1, removed), (1, added)):
        for row in rows:
            for bucket, files, size, units in file_buckets(row):
                entry = delta.get(bucket)
                if entry is None:
                    delta[bucket] = [sign * files, sign * size, sign * units]
                else:
                    entry[0] += sign * files
                    entry[1] += sign * size
                    entry[2] += sign * units
    return {bucket: entry for bucket, entry in delta.items() if any(entry)}


SQLITE_INTEGER_MAX = 2**63 - 1


def sqlite_number(value: int) -> int | float:
    """A sum as SQLite can take it: past its 64-bit integers (two files claiming 2**63 bytes,
    a damaged ``file_size``) a REAL, as SQLite's own ``total()`` gives for the full counts;
    SQLite then keeps that bucket's sum as a REAL instead of failing the writer or the page."""
    return value if -SQLITE_INTEGER_MAX - 1 <= value <= SQLITE_INTEGER_MAX else float(value)


def changed_columns(old: Sequence | None, new: Sequence | None, columns: Iterable[str]) -> bool:
    if old is None or new is None:
        return old is not new
    return any(fact_value(old, c) != fact_value(new, c) for c in columns)


def counts_by_bucket(rows: Iterable[Sequence]) -> Mapping[str, tuple[int, int, int]]:
    """``summary_count`` rows as a mapping (bucket -> files, bytes, score units)."""
    return {bucket: (files, size, units) for bucket, files, size, units in rows}
