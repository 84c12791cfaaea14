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

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
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


_ACTIVE, _SIZE, _ANALYSED = _INDEX["active"], _INDEX["file_size"], _INDEX["analysed"]
_BACKLOG, _VERIFY_BACKLOG = _INDEX["backlog"], _INDEX["verify_backlog"]
_VERDICT, _FORMAT, _SCORE = (
    _INDEX["verdict_current"],
    _INDEX["quality_format"],
    _INDEX["quality_score"],
)
_LOSSLESS, _HIRES, _CODEC = _INDEX["lossless"], _INDEX["hires"], _INDEX["codec"]


def file_bucket_names(row: Sequence) -> list[str]:
    """The buckets one ``summary_file`` row counts in, one file each. Its bytes count in
    :attr:`Bucket.ACTIVE` only and its score in its format's bucket only
    (:func:`buckets_delta`). Names only, by plain indexing: our writers call this for every
    file they change (bench/RESULTS.md, "Summary maintenance")."""
    analysed = row[_ANALYSED]
    if not row[_ACTIVE]:
        return [Bucket.INDEXED, Bucket.ANALYSES] if analysed else [Bucket.INDEXED]
    names = (
        [Bucket.INDEXED, Bucket.ANALYSES, Bucket.ACTIVE]
        if analysed
        else [Bucket.INDEXED, Bucket.ACTIVE]
    )
    if row[_BACKLOG]:
        names.append(Bucket.BACKLOG)
    if row[_VERIFY_BACKLOG]:
        names.append(Bucket.VERIFY_BACKLOG)
    if row[_VERDICT]:
        names.append(Bucket.VERDICT + row[_VERDICT])
    if analysed:
        quality_format = row[_FORMAT]
        names.append(Bucket.FORMAT + quality_format)
        names.append(_BIN_NAMES[score_bin(row[_SCORE])])
        names.append(Bucket.codec(quality_format, row[_CODEC]))
        if row[_LOSSLESS]:
            names.append(Bucket.LOSSLESS + quality_format)
        if row[_HIRES]:
            names.append(Bucket.HIRES + quality_format)
    return names


_BIN_NAMES = [Bucket.score_bin(index) for index in range(SCORE_BINS)]


def buckets_delta(
    *, removed: Iterable[Sequence], added: Iterable[Sequence]
) -> dict[str, list[int]]:
    """Bucket -> [files, bytes, score units] to add, for rows replaced by others (all of
    a library's rows as ``added`` give its full counts)."""
    files: Counter[str] = Counter()
    sizes = [0, 0]  # the active files' bytes: removed, added
    units: list[Counter[str]] = [Counter(), Counter()]  # score units by format bucket
    for side, rows in enumerate((removed, added)):
        rows = list(rows)
        names = Counter(chain.from_iterable(map(file_bucket_names, rows)))
        if side == 0:
            files.subtract(names)
        else:
            files.update(names)
        active = [row for row in rows if row[_ACTIVE]]
        sizes[side] = sum(row[_SIZE] or 0 for row in active)
        scores = units[side]
        for row in active:
            if row[_ANALYSED]:
                scores[Bucket.FORMAT + row[_FORMAT]] += round(row[_SCORE] * SCORE_UNITS)
    delta = {bucket: [count, 0, 0] for bucket, count in files.items()}
    if sizes[0] != sizes[1]:
        delta.setdefault(Bucket.ACTIVE, [0, 0, 0])[1] = sizes[1] - sizes[0]
    for bucket in units[0].keys() | units[1].keys():
        delta.setdefault(bucket, [0, 0, 0])[2] = units[1][bucket] - units[0][bucket]
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
