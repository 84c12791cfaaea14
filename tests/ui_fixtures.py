"""A small, hand-made library for the web pages' tests: every number a page shows is known.

Eight files (one inactive, one never analysed, one changed since its analysis), two
duplicate groups, five deletion history rows in three sessions (one outside the 30-day
window) and one upgrade candidate. The expected figures are written out in ``EXPECTED`` by
hand from the rows below, not computed by the code under test.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from dedup.models import DedupHistory
from musicquality.fields import to_iso_text, utc_now_iso
from quality.models import LibraryFile, LibraryStats
from tests.factories import dedup_history_make, file_quality_make, library_file_make
from upgrades.models import UpgradeCandidate

MB = 1_000_000
SESSION_TODAY = str(uuid.UUID(int=1))
SESSION_LAST_WEEK = str(uuid.UUID(int=2))
SESSION_OLD = str(uuid.UUID(int=3))


@dataclass
class SmallLibrary:
    flac: LibraryFile  # Alpha – First Song, lossless 16/44.1, 85
    mp3_320: LibraryFile  # Alpha – First Song again, 84 (a duplicate with a 1-point gap)
    mp3_128: LibraryFile  # Beta – Second Song, 32.7
    flac_hires: LibraryFile  # Beta – Second Song, 24/96, 100 (67.3 above the MP3)
    aac: LibraryFile  # Gamma – Third, 87 VBR
    wav_new: LibraryFile  # never analysed: in the backlog
    mp3_copy: LibraryFile  # same sampled content hash as mp3_128, changed since analysed
    gone: LibraryFile  # inactive: counted nowhere
    candidate: UpgradeCandidate
    history: list[DedupHistory]


# What the pages must show for SmallLibrary, worked out by hand.
EXPECTED = {
    "files": 7,
    "total_size": (30 + 10 + 4 + 60 + 8 + 50 + 4) * MB,
    "analysed": 6,
    "lossless": 2,
    "hires": 1,
    "backlog": 2,  # wav_new (no row) and mp3_copy (changed after analysis)
    # score bins: 30–40: mp3_128, mp3_copy; 80–90: flac, mp3_320, aac; 90–100: flac_hires
    "score_bins": {"30–40": 2, "80–90": 3, "90–100": 1},
    "formats": {  # format: (files, average score, lossless, hi-res)
        "mp3": (3, (84 + 32.7 + 32.7) / 3, 0, 0),
        "flac": (2, (85 + 100) / 2, 2, 1),
        "m4a": (1, 87.0, 0, 0),
    },
    "reasons_30_days": {  # reason: (files, average score, bytes)
        "exact_duplicate": (2, 40.0, 5 * MB + 7 * MB),
        "lower_quality": (2, (30 + 50) / 2, 3 * MB + 9 * MB),
    },
    "pairs": 1,  # mp3_128 and flac_hires; flac/mp3_320 differ by 1 point only
}


def _days_ago(days: float) -> str:
    now = datetime.datetime.now(datetime.UTC)
    return to_iso_text(now - datetime.timedelta(days=days))


#: What every history row of this library has unless it says otherwise.
HISTORY_DEFAULTS = {
    "deletion_session_id": SESSION_TODAY,
    "file_path": "/music/removed/file.mp3",
    "filename": "file.mp3",
    "file_size": MB,
    "artist": "Removed",
    "quality_score": 40.0,
    "metadata_hash": "0" * 32,
    "file_content_hash": f"{MB}_{'0' * 64}",
    "recovery_path": None,
    "notes": None,
}


def history_row_make(**overrides) -> DedupHistory:
    return dedup_history_make(**{**HISTORY_DEFAULTS, **overrides})


def small_library_make() -> SmallLibrary:
    flac = library_file_make(
        artist="Alpha", title="First Song", file_format="flac", file_size=30 * MB
    )
    file_quality_make(
        flac, codec="FLAC", bitrate=900, bit_depth=16, quality_score=85.0,
        is_lossless=True, bitrate_mode=None,
    )  # fmt: skip
    mp3_320 = library_file_make(artist="Alpha", title="First Song", file_size=10 * MB)
    file_quality_make(mp3_320, bitrate=320, quality_score=84.0)
    mp3_128 = library_file_make(artist="Beta", title="Second Song", file_size=4 * MB)
    file_quality_make(mp3_128, bitrate=128, quality_score=32.7)
    flac_hires = library_file_make(
        artist="Beta", title="Second Song", file_format="flac", file_size=60 * MB
    )
    file_quality_make(
        flac_hires, codec="FLAC", bitrate=2800, sample_rate=96000, bit_depth=24,
        quality_score=100.0, is_lossless=True, is_hires=True, bitrate_mode=None,
    )  # fmt: skip
    aac = library_file_make(artist="Gamma", title="Third", file_format="m4a", file_size=8 * MB)
    file_quality_make(aac, codec="AAC", bitrate=256, quality_score=87.0, bitrate_mode="VBR")
    wav_new = library_file_make(artist="Delta", title="Fresh", file_format="wav", file_size=50 * MB)
    mp3_copy = library_file_make(
        artist="Epsilon",
        title="Copy",
        file_size=4 * MB,
        file_content_hash=mp3_128.file_content_hash,
        file_mtime=_days_ago(0),
    )
    file_quality_make(mp3_copy, bitrate=128, quality_score=32.7, analyzed_at=_days_ago(1))
    gone = library_file_make(artist="Zeta", title="Gone", file_size=99 * MB, is_active=False)
    file_quality_make(gone, bitrate=64, quality_score=16.3)
    candidate = UpgradeCandidate.objects.create(
        library_file=mp3_128,
        file_path=mp3_128.file_path,
        current_format="mp3",
        current_bitrate=128,
        current_quality_score=32.7,
        artist="Beta",
        title="Second Song",
        recommended_format="flac",
        potential_quality_gain=52.3,
        priority_score=72.3,
        available_on_service="tidal",
        service_quality="lossless",
        identified_at=utc_now_iso(),
        last_updated=utc_now_iso(),
    )
    history = [
        history_row_make(
            file_size=5 * MB, quality_score=32.7, kept_file_id=mp3_128.pk,
            kept_file_path=mp3_128.file_path, file_content_hash=mp3_128.file_content_hash,
            metadata_hash=mp3_128.metadata_hash, file_path="/music/Beta/dup.mp3",
        ),
        history_row_make(file_size=7 * MB, quality_score=47.3),
        history_row_make(
            deletion_reason="lower_quality", matched_by="metadata_hash", file_size=3 * MB,
            quality_score=30.0, confidence_score=0.95,
        ),
        history_row_make(
            deletion_session_id=SESSION_LAST_WEEK, deleted_at=_days_ago(10),
            deletion_reason="lower_quality", matched_by="metadata_hash", file_size=9 * MB,
            quality_score=50.0, can_recover=False,
        ),
        history_row_make(
            deletion_session_id=SESSION_OLD, deleted_at=_days_ago(40), file_size=11 * MB,
            quality_score=20.0,
        ),
    ]  # fmt: skip
    LibraryStats.objects.create(
        total_files=7,
        total_size=EXPECTED["total_size"],
        formats_breakdown='{"mp3": 3, "flac": 2, "m4a": 1, "wav": 1}',
        last_index_time=utc_now_iso(),
        index_duration=0.5,
        created_at=utc_now_iso(),
    )
    return SmallLibrary(
        flac=flac,
        mp3_320=mp3_320,
        mp3_128=mp3_128,
        flac_hires=flac_hires,
        aac=aac,
        wav_new=wav_new,
        mp3_copy=mp3_copy,
        gone=gone,
        candidate=candidate,
        history=history,
    )
