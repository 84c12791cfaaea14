"""File names with newlines, returns or escape sequences never split or forge a line of
command output (``musicquality.commands.printable``)."""

import io

import pytest
from django.core.management import call_command

from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import audio_write


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
@pytest.mark.usefixtures("clean_library")
def test_command_output_keeps_each_file_name_on_its_line(tmp_path, settings):

    music = tmp_path / "music"
    settings.LIBRARY_ROOTS = [music]
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    first = audio_write(music / "a\nDone. FAKE" / "x\nFAKE.wav", seed=1)
    (music / "copy").mkdir()
    (music / "copy" / "y\rFAKE.wav").write_bytes(first.read_bytes())
    (music / "bad\nFAKE.mp3").write_text("not audio\n")
    outputs = []
    for args in (
        ("scan_library", str(music), "--workers", "1"),
        ("analyze_quality", "--workers", "1"),
        ("find_duplicates",),
        ("dedupe", "--apply", "--yes"),
    ):
        out = io.StringIO()
        call_command(*args, stdout=out, **({"stdin": io.StringIO()} if args[0] == "dedupe" else {}))
        outputs.append(out.getvalue())
    text = "".join(outputs)
    assert "FAKE" in text
    for line in text.splitlines():
        assert not line.startswith(("FAKE", "Done. FAKE")), line
    assert "\r" not in text
