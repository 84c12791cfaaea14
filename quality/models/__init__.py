from quality.models.file_quality import AUDIO_EXTENSIONS, BitrateMode, FileFormat, FileQuality
from quality.models.legacy import LibraryFile, LibrarySetting, LibraryStats, VettingHistory
from quality.models.recordings import AudioMatch, AudioMatchRun
from quality.models.verification import AudioVerification, Md5Status, QualityHistory, Verdict

__all__ = [
    "AUDIO_EXTENSIONS",
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
]
