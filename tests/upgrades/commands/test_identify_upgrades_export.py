import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make
from tests.legacy import music_tools_add_track
from upgrades.models import UpgradeCandidate
from upgrades.services import upgrade_candidates_act

pytestmark = [
    pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True),
    pytest.mark.usefixtures("committed_library"),
]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def lossy_file(score, **overrides):
    library_file = library_file_make(**overrides)
    file_quality_make(library_file, quality_score=score, bitrate=128)
    return library_file


def test_identify_prints_a_summary(music_tools, settings):
    path, conn = music_tools
    music_tools_add_track(conn, name="Song", artist="Band", service="tidal", duration_ms=200_000)
    conn.commit()
    settings.STREAMING_DB = path
    lossy_file(32.7, artist="Band", title="Song", duration=200.0)
    lossy_file(50.0, artist="Other", title="Song")

    output = run("identify_upgrades")

    assert "Candidates below 70: 2 (2 new, 0 refreshed)" in output
    assert "matched 0 by ISRC, 1 by name" in output
    assert "tidal" in output and "none" in output
    assert "[" not in output  # no progress bar when stdout is not a terminal
    assert "Completed (file upgraded since): 0" in output
    assert "2 refreshed" in run("identify_upgrades")


def test_identify_without_streaming_db_says_so():
    lossy_file(32.7)
    assert "Streaming database: none" in run("identify_upgrades")
    assert UpgradeCandidate.objects.get().available_on_service == "unknown"


def test_identify_options(tmp_path):
    lossy_file(75.0)
    assert "Candidates below 80: 1" in run(
        "identify_upgrades", "--threshold", "80", "--format", "alac"
    )
    assert UpgradeCandidate.objects.get().recommended_format == "ALAC"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "150"], "threshold 150 is out of range"),
        (["--format", "mp3"], "format 'mp3' is not supported: use one of FLAC, ALAC, WAV"),
        (["--streaming-db", "/nonexistent/music_tools.db"], "does not exist"),
    ],
)
def test_identify_refuses_bad_input_and_writes_nothing(args, message):
    lossy_file(32.7)
    with pytest.raises(CommandError, match=message):
        run("identify_upgrades", *args)
    assert not UpgradeCandidate.objects.exists()


def test_export_writes_the_approved_shopping_list(tmp_path):
    first = lossy_file(32.7, artist="Zed", title="Last", album="Z")
    second = lossy_file(10.0, artist="Amy", title="First", album=None)
    lossy_file(20.0)  # stays pending
    run("identify_upgrades")
    ids = UpgradeCandidate.objects.filter(library_file__in=[first, second]).values_list(
        "id", flat=True
    )
    upgrade_candidates_act(candidate_ids=ids, action="approved")
    target = tmp_path / "shopping.csv"

    output = run("upgrades_export", "--action", "approved", "--csv", str(target))

    assert f"Wrote 2 approved candidates to {target}" in output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["artist"], r["title"], r["album"]) for r in rows] == [
        ("Amy", "First", ""),  # lower score, higher priority: first
        ("Zed", "Last", "Z"),
    ]
    assert rows[0]["current_format"] == "mp3"
    assert rows[0]["current_bitrate"] == "128"
    assert rows[0]["service"] == "unknown"
    # 10.0 → gap 50 × 75 / 85 = 44.1…, + 15 unknown + 5 no playlist
    assert float(rows[0]["priority_score"]) == round(50 * 75 / 85 + 15 + 5, 1)
    assert rows[0]["isrc"] == ""
    assert not list(tmp_path.glob(".shopping.csv.*"))  # no temporary file left behind


def test_export_to_stdout_and_empty_list():
    output = run("upgrades_export", "--action", "completed", "--csv", "-")
    assert output.splitlines()[0].startswith("artist,title,album,isrc,service")
    assert len(output.splitlines()) == 1


def test_export_refuses_an_unknown_action(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="'bought' is not allowed: use one of pending"):
        run("upgrades_export", "--action", "bought", "--csv", str(target))
    assert not target.exists()


def test_export_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("upgrades_export", "--csv", str(tmp_path / "no" / "out.csv"))
