"""The fingerprint matches of the library: found through the index, stored for every reader.

``audio_matches_refresh`` loads every active fingerprint, groups them with
``quality.fingerprints.fingerprint_groups`` (an inverted index of sub-fingerprint keys, not
all pairs) and stores the matching pairs in ``AudioMatch`` (the app database: derived data,
rebuildable). ``verify_audio`` refreshes them at the end of a run that changed a fingerprint;
the commands that group recordings refresh them when the fingerprints changed since (a cheap
signature says so); pages only read them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connections, transaction

from musicquality.fields import utc_now_iso
from musicquality.routers import APP_DB_ALIAS, LIBRARY_DB_ALIAS
from quality.fingerprints import FingerprintUnavailable, fingerprint_groups
from quality.models import ACTIVE_SQL, AudioMatch, AudioMatchRun
from quality.recordings import AudioMatchFact
from quality.selectors import active_fingerprints
from quality.services.summary import library_summary_touch

logger = logging.getLogger(__name__)

SIGNATURE_SQL = f"""
SELECT COUNT(*), TOTAL(li.id), MAX(av.verified_at)
FROM file_quality fq JOIN library_index li ON li.id = fq.library_file_id
LEFT JOIN audio_verification av ON av.library_file_id = li.id
WHERE li.{ACTIVE_SQL} AND fq.acoustid_fingerprint IS NOT NULL
"""


@dataclass(frozen=True)
class AudioMatchRefresh:
    fingerprints: int
    same_pairs: int
    similar_pairs: int
    excluded: int
    seconds: float
    refreshed: bool


def fingerprints_signature() -> str:
    """Changes whenever an active file gains, loses or changes its fingerprint."""
    with connections[LIBRARY_DB_ALIAS].cursor() as cursor:
        cursor.execute(SIGNATURE_SQL)
        count, id_sum, last = cursor.fetchone()
    return f"{count}:{int(id_sum or 0)}:{last or ''}"


def audio_matches_current() -> bool:
    last = AudioMatchRun.objects.using(APP_DB_ALIAS).order_by("-id").first()
    return last is not None and last.signature == fingerprints_signature()


def audio_matches_refresh(*, force: bool = False) -> AudioMatchRefresh:
    """Recompute the fingerprint matches unless they were computed from the same
    fingerprints (``force``: always)."""
    started = time.monotonic()
    signature = fingerprints_signature()
    last = AudioMatchRun.objects.using(APP_DB_ALIAS).order_by("-id").first()
    if not force and last is not None and last.signature == signature:
        return AudioMatchRefresh(
            last.fingerprints, last.same_pairs, last.similar_pairs, 0, 0.0, refreshed=False
        )
    items = active_fingerprints()
    try:
        grouping = fingerprint_groups(items)
    except FingerprintUnavailable as error:
        logger.warning("fingerprint matches not refreshed: %s", error)
        return AudioMatchRefresh(len(items), 0, 0, 0, 0.0, refreshed=False)
    pairs: dict[tuple[int, int], AudioMatch] = {}
    for group in grouping.groups:
        for pair in group.pairs:
            first, second = sorted((pair.a, pair.b))
            pairs[(first, second)] = AudioMatch(
                file_a=first,
                file_b=second,
                score=round(pair.score, 4),
                offset_items=pair.offset_items if first == pair.a else -pair.offset_items,
                same_recording=not pair.note,
                note=pair.note,
            )
    for pair in grouping.similar:
        first, second = sorted((pair.a, pair.b))
        pairs.setdefault(
            (first, second),
            AudioMatch(
                file_a=first,
                file_b=second,
                score=round(pair.score, 4),
                offset_items=pair.offset_items if first == pair.a else -pair.offset_items,
                same_recording=False,
                note=pair.note or "similar",
            ),
        )
    same = sum(1 for match in pairs.values() if match.same_recording)
    with transaction.atomic(using=APP_DB_ALIAS):
        AudioMatch.objects.using(APP_DB_ALIAS).all().delete()
        AudioMatch.objects.using(APP_DB_ALIAS).bulk_create(pairs.values(), batch_size=2000)
        seconds = time.monotonic() - started
        AudioMatchRun.objects.using(APP_DB_ALIAS).create(
            computed_at=utc_now_iso(),
            fingerprints=len(items),
            signature=signature,
            seconds=round(seconds, 3),
            same_pairs=same,
            similar_pairs=len(pairs) - same,
        )
    with (
        transaction.atomic(using=LIBRARY_DB_ALIAS),
        connections[LIBRARY_DB_ALIAS].cursor() as cursor,
    ):
        library_summary_touch(cursor=cursor)  # duplicate groups computed before are stale
    logger.info("fingerprint matches: %d same, %d similar", same, len(pairs) - same)
    return AudioMatchRefresh(
        len(items), same, len(pairs) - same, len(grouping.excluded), seconds, refreshed=True
    )


@dataclass(frozen=True)
class ForeignMatches:
    """Fingerprint pairs of files outside the library with the library's files (or with each
    other); ``unavailable`` says why there are none when libchromaprint is missing."""

    facts: list[AudioMatchFact]
    unavailable: str | None = None


def audio_matches_of_foreign(
    *,
    items: Sequence[tuple[int, str, float | None]],
    library_ids: Collection[int] | None = None,
) -> ForeignMatches:
    """Match the fingerprints of files not in the library (``items``: their made-up ids,
    negative, fingerprint text, duration) against every active library file's (those of
    ``library_ids`` only, when given) through the fingerprint index; only pairs with one of
    ``items`` are verified (the library's own pairs are stored). Nothing is written."""
    library = active_fingerprints()
    if library_ids is not None:
        library = [item for item in library if item[0] in library_ids]
    wanted = {file_id for file_id, _fingerprint, _duration in items}
    try:
        grouping = fingerprint_groups([*library, *items], pairs_with=wanted)
    except FingerprintUnavailable as error:
        return ForeignMatches([], unavailable=str(error))
    facts: dict[tuple[int, int], AudioMatchFact] = {}
    for group in grouping.groups:
        for pair in group.pairs:
            first, second = sorted((pair.a, pair.b))
            facts[(first, second)] = AudioMatchFact(first, second, pair.score, not pair.note)
    for pair in grouping.similar:
        first, second = sorted((pair.a, pair.b))
        facts.setdefault((first, second), AudioMatchFact(first, second, pair.score, False))
    return ForeignMatches(
        [fact for fact in facts.values() if fact.file_a in wanted or fact.file_b in wanted]
    )
