from quality.models.file_quality import AUDIO_EXTENSIONS, BitrateMode, FileFormat, FileQuality
from quality.models.legacy import (
    ACTIVE,
    ACTIVE_SQL,
    INACTIVE_SQL,
    LibraryFile,
    LibrarySetting,
    LibraryStats,
    VettingHistory,
    active_q,
    inactive_q,
)

__all__ = [
    "ACTIVE",
    "ACTIVE_SQL",
    "AUDIO_EXTENSIONS",
    "INACTIVE_SQL",
    "BitrateMode",
    "FileFormat",
    "FileQuality",
    "LibraryFile",
    "LibrarySetting",
    "LibraryStats",
    "VettingHistory",
    "active_q",
    "inactive_q",
]
