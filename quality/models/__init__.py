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
from quality.models.recordings import AudioMatch, AudioMatchRun
from quality.models.verification import AudioVerification, Md5Status, QualityHistory, Verdict

__all__ = [
    "ACTIVE",
    "ACTIVE_SQL",
    "AUDIO_EXTENSIONS",
    "INACTIVE_SQL",
    "AudioMatch",
    "AudioMatchRun",
    "AudioVerification",
    "BitrateMode",
    "FileFormat",
    "FileQuality",
    "LibraryFile",
    "LibrarySetting",
    "LibraryStats",
    "Md5Status",
    "QualityHistory",
    "Verdict",
    "VettingHistory",
    "active_q",
    "inactive_q",
]
