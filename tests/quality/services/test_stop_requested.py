"""A progress callback may stop a scan or an analysis (a cancelled job): what was read is
written first, and the rest is left as after Ctrl-C."""

import pytest

from musicquality.progress import StopRequested
from quality.models import AudioVerification, FileQuality, LibraryFile, LibraryStats
from quality.services.analysis import file_quality_analyze_all
from quality.services.scanning import library_scan
from quality.services.verification import audio_verify_all
from tests.conftest import LIBRARY_DBS
from tests.factories import library_file_make

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("clean_library"),
]


def stop_after_first_batch(done: int, total: int) -> None:
    if done > 0:
        raise StopRequested()


def test_a_stopped_scan_keeps_the_rows_it_read_and_marks_nothing_vanished(music_files, music_root):
    vanished = library_file_make(file_path=str(music_root / "gone.mp3"))
    with pytest.raises(StopRequested):
        library_scan(roots=[music_root], workers=1, progress=stop_after_first_batch)
    paths = set(LibraryFile.objects.filter(is_active=True).values_list("file_path", flat=True))
    assert paths == {str(p) for p in music_files.values()} | {vanished.file_path}
    assert LibraryStats.objects.count() == 0  # the scan did not finish


def test_a_stopped_analysis_keeps_the_rows_it_analysed(music_files, music_root):
    library_scan(roots=[music_root], workers=1)
    with pytest.raises(StopRequested):
        file_quality_analyze_all(workers=1, progress=stop_after_first_batch)
    assert FileQuality.objects.count() == 3


def test_a_stopped_verification_keeps_the_files_it_decoded(music_files, music_root):
    library_scan(roots=[music_root], workers=1)
    file_quality_analyze_all(workers=1)
    decoded = []

    def stop(done: int, total: int) -> None:
        decoded.append(done)
        stop_after_first_batch(done, total)

    with pytest.raises(StopRequested):
        audio_verify_all(workers=1, progress=stop)
    assert 0 < decoded[-1] < 3  # stopped after the first chunk, before the last file
    assert AudioVerification.objects.count() == decoded[-1]
