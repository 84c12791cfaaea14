"""``vet_import`` in real processes over a real library and a real import folder.

The library holds FLACs and 128 kbps MP3 candidates (one approved); the import folder two new
recordings, a re-tagged FLAC of a library recording, a lower-quality MP3 of another, FLACs of
two MP3-only recordings, a short FLAC known only by its tags, and a file that is not audio
(``tests/imports/helpers.py``). What each file is comes from how it was made.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import sqlite3
from pathlib import Path

import pytest

from musicquality.schema import LEGACY_LIBRARY_DDL, table_layout
from tests.conftest import run_manage
from tests.imports.helpers import (
    case_env,
    case_make,
    db_rows,
    every_file_digest,
    sha256,
    template_make,
)
from tests.legacy import legacy_library_create
from tests.musicquality.helpers import checkpoint

pytestmark = pytest.mark.slow

#: docs/formulas.md: a CD-quality FLAC, a 128 kbps CBR MP3
FLAC_SCORE, MP3_128_SCORE = 85.0, 32.7


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("vet-template")
    return root, template_make(root)


@pytest.fixture
def case(template, tmp_path):
    root, made = template
    return case_make(root, tmp_path / "case"), made


def vet(case: Path, *args: str) -> dict:
    result = run_manage(case_env(case), "vet_import", str(case / "incoming"), "--json", "-", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_name(report: dict, case: Path, made) -> dict[str, dict]:
    names = {str(case / path): name for name, path in made.incoming.items()}
    return {names[file["path"]]: file for file in report["files"]}


def snapshot(case: Path) -> dict:
    """Every file, and every row of the library database but the vetting runs' record (the
    app database records the run's monitoring figures, docs/monitoring.md)."""
    library = case / "library_index.db"
    checkpoint(library)
    files: dict = {
        str(path.relative_to(case)): sha256(path)
        for path in sorted(case.rglob("*"))
        if path.is_file()
        and path != library
        and not path.name.endswith(("-wal", "-shm"))
        and not path.name.startswith("app.sqlite3")
    }
    conn = sqlite3.connect(library)
    files["rows"] = [
        line
        for line in conn.iterdump()
        if not line.startswith('INSERT INTO "vetting_history"')
        and "sqlite_sequence" not in line  # vetting_history's AUTOINCREMENT counter
    ]
    conn.close()
    return files


def vetting_runs(case: Path) -> list[tuple]:
    return db_rows(
        case / "library_index.db",
        "SELECT import_folder, total_files, new_songs FROM vetting_history ORDER BY id",
    )


def test_vetting_gives_the_four_verdicts_and_changes_nothing(case):
    case, made = case
    before = snapshot(case)

    # without --apply, even with the targets given, nothing moves
    report = vet(case, "--into", str(case / "music" / "Imported"), "--reject-dir", str(case / "r"))

    assert snapshot(case) == before  # read-only: no file and no library row changed
    # ... but the run is recorded, as the Music Tools vetter records its own
    assert vetting_runs(case) == [(str(case / "incoming"), 7, 2)]
    files = by_name(report, case, made)
    assert {name: file["verdict"] for name, file in files.items()} == made.verdicts
    for name, library_path in {**made.replaces, **made.matches}.items():
        assert files[name]["library_match"] == str(case / library_path), name
    assert files["a_retagged"]["matched_by"] == "audio_hash"  # same decoded audio, new tags
    assert files["b_low"]["matched_by"] == "acoustic_fingerprint"
    assert files["e_short"]["matched_by"] == "metadata_hash"
    for name in ("c_flac", "d_flac"):
        upgrade = files[name]
        assert (upgrade["incoming_score"], upgrade["library_score"]) == (FLAC_SCORE, MP3_128_SCORE)
        # badges from how the files were made: FFmpeg's flac at s16/44.1 kHz, LAME at 128k CBR
        assert (upgrade["incoming_badge"], upgrade["library_badge"]) == (
            "FLAC 16/44.1",
            "MP3 128 CBR",
        )
        assert upgrade["replaces"] == str(case / made.replaces[name])
        library_id = db_rows(
            case / "library_index.db",
            "SELECT id FROM library_index WHERE file_path = ?",
            (upgrade["replaces"],),
        )[0][0]
        assert (
            upgrade["candidate_id"]
            == db_rows(
                case / "library_index.db",
                "SELECT id FROM upgrade_candidates WHERE library_file_id = ?",
                (library_id,),
            )[0][0]
        )
    assert files["a_retagged"]["library_score"] == FLAC_SCORE
    assert files["new1"]["library_match"] is None and files["new1"]["library_score"] is None
    assert report["totals"] == {
        "files": 7,
        "new": 2,
        "duplicate": 2,
        "upgrade": 2,
        "uncertain": 1,
        "unreadable": 1,
    }
    assert [p["path"] for p in report["problems"]] == [str(case / made.not_audio[0])]


def test_the_csv_has_one_row_per_file(case):
    case, made = case
    result = run_manage(case_env(case), "vet_import", str(case / "incoming"), "--csv", "-")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(made.incoming)
    assert {"path", "verdict", "library_match", "incoming_score", "library_score"} <= set(rows[0])
    assert sorted(row["verdict"] for row in rows) == sorted(made.verdicts.values())


def apply(case: Path, *extra: str):
    return run_manage(
        case_env(case),
        "vet_import",
        str(case / "incoming"),
        "--apply",
        "--into",
        str(case / "music" / "Imported"),
        "--yes",
        *extra,
    )


def test_apply_with_json_to_stdout_keeps_stdout_one_json_document(case):
    case, made = case
    result = apply(case, "--json", "-")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the export alone: what the apply did is on stderr
    assert len(report["files"]) == len(made.incoming)
    assert "applied (" in result.stderr and "imported" in result.stderr


def test_apply_adds_replaces_leaves_the_rest_and_loses_no_byte(case):
    case, made = case
    inputs = {name: sha256(case / path) for name, path in {**made.library, **made.incoming}.items()}
    db = case / "library_index.db"

    result = apply(case)

    assert result.returncode == 0, result.stderr
    where = every_file_digest(case)
    assert all(digest in where for digest in inputs.values())  # every byte is somewhere
    indexed = {path for (path,) in db_rows(db, "SELECT file_path FROM library_index")}
    # new files: under --into at {artist}/{album}/{filename}, indexed, analysed, verified
    for name, sub in (("new1", "Newcomer/Debut/new1.flac"), ("new2", "Newcomer/Debut/new2.mp3")):
        target = case / "music" / "Imported" / sub
        assert sha256(target) == inputs[name]
        assert str(target) in indexed
        assert not (case / made.incoming[name]).exists()
    # upgrades: beside the file they replace, which is in quarantine with its history row
    for name in ("c_flac", "d_flac"):
        old = case / made.replaces[name]
        new = old.with_suffix(".flac")
        assert sha256(new) == inputs[name] and str(new) in indexed
        assert str(old) not in indexed and not old.exists()
        [(kept, reason, recoverable, recovery_path, pending)] = db_rows(
            db,
            "SELECT kept_file_path, deletion_reason, can_recover, recovery_path, "
            "notes LIKE 'PENDING:%' FROM dedup_history WHERE file_path = ?",
            (str(old),),
        )
        assert (kept, reason, recoverable, pending) == (str(new), "lower_quality", 1, 0)
        assert Path(recovery_path).is_relative_to(case / "quarantine")
        assert sha256(Path(recovery_path)) == inputs[name[0]]
        [(action, notes, job_status, source, completed_at)] = db_rows(
            db,
            "SELECT uc.user_action, uc.notes, j.job_status, j.download_source, "
            "j.download_completed_at FROM upgrade_candidates uc "
            "JOIN upgrade_jobs j ON j.candidate_id = uc.id WHERE uc.file_path = ?",
            (str(old),),
        )
        assert (action, job_status) == ("completed", "completed")
        assert source == f"import:{case / 'incoming'}"
        assert f"replaced by {new}" in notes
        assert datetime.datetime.fromisoformat(completed_at).tzinfo is not None
    # the approved candidate's job is the one made when it was approved, now completed
    assert db_rows(db, "SELECT COUNT(*) FROM upgrade_jobs") == [(2,)]
    # imported files carry their analysis and the verification made while vetting
    analysed = db_rows(
        db,
        "SELECT li.file_path, fq.quality_score, fq.acoustid_fingerprint IS NOT NULL, "
        "av.verdict FROM library_index li JOIN file_quality fq ON fq.library_file_id = li.id "
        "JOIN audio_verification av ON av.library_file_id = li.id",
    )
    scores = {
        Path(path).name: (score, printed, verdict) for path, score, printed, verdict in analysed
    }
    assert scores["new1.flac"] == (FLAC_SCORE, 1, "ok")
    assert scores["C.flac"] == (FLAC_SCORE, 1, "ok")
    # duplicates and uncertain files stay where they are
    for name in ("a_retagged", "b_low", "e_short"):
        assert sha256(case / made.incoming[name]) == inputs[name]
    assert "2 imported, 2 replaced" in result.stdout and "3 left" in result.stdout


def test_the_vetting_history_row_is_in_the_music_tools_format(case):
    case, _made = case
    assert apply(case).returncode == 0
    db = case / "library_index.db"
    [row] = db_rows(
        db,
        "SELECT import_folder, total_files, duplicates_found, new_songs, uncertain_matches, "
        "threshold_used, vetted_at, typeof(total_files), typeof(threshold_used) "
        "FROM vetting_history",
    )
    folder, total, duplicates, new, uncertain, threshold, vetted_at, int_type, real_type = row
    assert (folder, total, duplicates, new, uncertain) == (str(case / "incoming"), 7, 4, 2, 1)
    assert (threshold, int_type, real_type) == (0.85, "integer", "real")
    assert datetime.datetime.fromisoformat(vetted_at).utcoffset() == datetime.timedelta(0)
    # the table is the legacy tool's, and its row goes into a database made by the legacy DDL
    conn = sqlite3.connect(db)
    scratch = sqlite3.connect(":memory:")
    for statement in LEGACY_LIBRARY_DDL:
        scratch.execute(statement)
    assert table_layout(conn.cursor(), "vetting_history") == table_layout(
        scratch.cursor(), "vetting_history"
    )
    conn.close()
    legacy = legacy_library_create(case / "legacy_copy.db")
    conn = sqlite3.connect(legacy)
    conn.execute("ATTACH DATABASE ? AS ours", (str(db),))
    conn.execute("INSERT INTO vetting_history SELECT * FROM ours.vetting_history")
    conn.commit()
    copied = conn.execute(
        "SELECT import_folder, new_songs FROM vetting_history ORDER BY vetted_at DESC"
    ).fetchall()
    conn.close()
    assert copied == [(str(case / "incoming"), 2)]


def test_reject_dir_takes_duplicates_and_uncertain_files_by_verdict(case):
    case, _made = case
    result = apply(case, "--reject-dir", str(case / "rejected"))
    assert result.returncode == 0, result.stderr
    assert sorted(
        str(p.relative_to(case / "rejected")) for p in (case / "rejected").rglob("*") if p.is_file()
    ) == ["duplicate/batch/A (remaster).flac", "duplicate/batch/B.mp3", "uncertain/batch/E.flac"]
    assert not [p for p in (case / "incoming").rglob("*.flac")]


def test_a_taken_name_is_never_overwritten(case):
    case, _made = case
    taken = case / "music" / "Imported" / "Newcomer" / "Debut" / "new1.flac"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's file")
    assert apply(case).returncode == 0
    assert taken.read_bytes() == b"someone else's file"
    assert (taken.parent / "new1 (2).flac").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--apply", "--yes"), "new files need --into DIR"),
        (("--apply", "--yes", "--into", "/tmp/elsewhere"), "outside MUSICQUALITY_LIBRARY_ROOTS"),
        (("--apply", "--into", "{music}/Imported"), "add --yes"),
        (("--template", "{artist}/{genre}/{filename}"), "unknown field {genre}"),
        (("--apply", "--yes", "--into", "{music}/x", "--reject-dir", "{music}/r"), "reject-dir"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_moves(case, args, message):
    case, _made = case
    before = snapshot(case)
    filled = [arg.replace("{music}", str(case / "music")) for arg in args]
    result = run_manage(case_env(case), "vet_import", str(case / "incoming"), *filled)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(case) == before


def test_a_missing_folder_is_one_line_naming_it(case):
    case, _made = case
    result = run_manage(case_env(case), "vet_import", str(case / "nowhere"))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"CommandError: import folder {case / 'nowhere'} does not exist: give a folder to vet"
    )


def test_an_import_folder_inside_the_library_is_refused_for_apply(case):
    case, _made = case
    inside = case / "music" / "Artist A"
    before = snapshot(case)
    result = run_manage(
        case_env(case), "vet_import", str(inside), "--apply", "--yes", "--into", str(case / "music")
    )
    assert result.returncode == 1
    assert "is inside MUSICQUALITY_LIBRARY_ROOTS: move it out of the library first" in result.stderr
    assert snapshot(case) == before


def test_a_fifo_in_the_import_folder_is_not_waited_for(case):
    import os
    import subprocess

    case, _made = case
    fifo = case / "incoming" / "batch" / "stream.flac"
    os.mkfifo(fifo)
    try:
        result = run_manage(
            case_env(case), "vet_import", str(case / "incoming"), "--json", "-", timeout=120
        )
    except subprocess.TimeoutExpired:
        with open(fifo, "wb"):
            pass  # let a blocked reader go
        pytest.fail("vet_import blocked on a FIFO")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert str(fifo) not in {file["path"] for file in report["files"]}  # never vetted as audio
    assert report["totals"]["files"] == 7  # the seven audio files, as without it
    assert fifo.exists()
