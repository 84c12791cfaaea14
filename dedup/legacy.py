"""The Music Tools deletion log mapped onto ``dedup_history``: pure rules, no storage.

``import_legacy_history`` writes one ``dedup_history`` row per row of the CLI's migration 002
``dedup_history`` (docs/legacy-history.md has the whole mapping). What needs a rule lives
here: the reason, the session, the file format, and how an imported row is recognised (its
notes start with :data:`musicquality.legacy_history.IMPORTED_NOTE_PREFIX`): ``recover``
confines such a row to ``--restore-root`` instead of the quarantine, ``purge_quarantine``
leaves it alone, and the admin filters on it.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import PurePath

from dedup.models import DeletionReason
from musicquality.legacy_history import IMPORTED_NOTE_PREFIX
from quality.hashing import hash_form

#: The legacy reasons understood, normalised (lower case, ``_`` for spaces and dashes), and
#: the reason each becomes. ``duplicate`` (the CLI's default) is decided by the hashes.
LEGACY_REASONS: dict[str, str] = {
    "exact_duplicate": DeletionReason.EXACT_DUPLICATE,
    "exact": DeletionReason.EXACT_DUPLICATE,
    "identical": DeletionReason.EXACT_DUPLICATE,
    "content_hash": DeletionReason.EXACT_DUPLICATE,
    "metadata_match": DeletionReason.METADATA_MATCH,
    "metadata": DeletionReason.METADATA_MATCH,
    "metadata_duplicate": DeletionReason.METADATA_MATCH,
    "lower_quality": DeletionReason.LOWER_QUALITY,
    "low_quality": DeletionReason.LOWER_QUALITY,
    "quality": DeletionReason.LOWER_QUALITY,
    "upgraded": DeletionReason.LOWER_QUALITY,
    "user_requested": DeletionReason.USER_REQUESTED,
    "manual": DeletionReason.USER_REQUESTED,
    "user": DeletionReason.USER_REQUESTED,
}
LEGACY_DUPLICATE = "duplicate"

#: ``deleted_at`` of a row whose legacy time nothing can read: the start of Unix time, so
#: that it is never counted among recent deletions (its note keeps the value as stored).
UNKNOWN_DELETED_AT = "1970-01-01T00:00:00+00:00"
#: A fixed namespace: the same legacy minute always gives the same session id.
SESSION_NAMESPACE = uuid.UUID("5b0f3a52-8e51-4a0e-9d55-2f6e3f1c0a19")


def legacy_reason_normalise(value: str | None) -> str:
    return "_".join((value or "").strip().lower().replace("-", " ").split())


def legacy_reason_map(
    value: str | None, *, original_hash: str | None, kept_hash: str | None
) -> tuple[str, bool]:
    """The v2.0.0 reason for a legacy ``deletion_reason``, and whether the value was
    understood (an unknown one becomes ``user_requested``; its note keeps the value).

    ``duplicate``, the CLI's default, is an exact duplicate when the deleted and the kept
    file had the same content hash (a hash, not a marker: the CLI took markers for matches,
    we never do), and a metadata match otherwise.
    """
    key = legacy_reason_normalise(value)
    if key == LEGACY_DUPLICATE:
        same = bool(original_hash) and original_hash == kept_hash
        exact = same and hash_form(original_hash) is not None
        return (DeletionReason.EXACT_DUPLICATE if exact else DeletionReason.METADATA_MATCH), True
    if key in LEGACY_REASONS:
        return LEGACY_REASONS[key], True
    return DeletionReason.USER_REQUESTED, False


def legacy_session_id(deleted_at: datetime.datetime | None) -> str:
    """One session per legacy run: the rows deleted in the same minute (UTC), or, for rows
    whose time is unknown, one session of their own."""
    minute = "unknown" if deleted_at is None else f"{deleted_at:%Y-%m-%dT%H:%M}"
    return str(uuid.uuid5(SESSION_NAMESPACE, f"music-tools-002:{minute}"))


def legacy_file_format(path: str) -> str:
    """As ``library_index.file_format``: the lower-case extension without the dot (``unknown``
    for a name without one, the 002 layout's own default)."""
    suffix = PurePath(path).suffix
    return suffix[1:].lower() if len(suffix) > 1 else "unknown"


def legacy_quality_score(value: float | None) -> float | None:
    """The legacy score when it is one (0–100); the 002 default ``0.0`` means "not measured"."""
    if value is None or not 0 < value <= 100:
        return None
    return round(value, 1)


def is_imported(notes: str | None) -> bool:
    """Whether a ``dedup_history`` row came from the Music Tools deletion log."""
    return (notes or "").startswith(IMPORTED_NOTE_PREFIX)
