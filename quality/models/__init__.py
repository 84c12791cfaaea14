from quality.models.file_quality import AUDIO_EXTENSIONS, BitrateMode, FileFormat, FileQuality
from quality.models.legacy import LibraryFile, LibrarySetting, LibraryStats, VettingHistory

__all__ = [
    "AUDIO_EXTENSIONS",
    "BitrateMode",
    "FileFormat",
    "FileQuality",
    "LibraryFile",
    "LibrarySetting",
    "LibraryStats",
    "VettingHistory",
]
