"""A real library and a real import folder for the vetting tests, made from seeded melodies.

What each file is comes from how it is made here (which melody, which encoder, which tags),
never from our own output. The library is built once per module by the commands a user runs
(migrate, scan_library, analyze_quality, verify_audio, identify_upgrades) in a template folder;
each test works on a copy (:func:`case_make`), its paths rewritten in the databases.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quality.services import audio_make as E
from quality.services.music_signal import music_like
from tests.conftest import manage_env, run_manage
from tests.factories import tags_write
from tests.musicquality.helpers import db_rows  # noqa: F401 (re-exported for the imports tests)

SR = 44100
SECONDS = 10.0  # enough changing audio for a fingerprint (quality.fingerprints)
SHORT_SECONDS = 2.0  # too short for one: only tags can say what it is


def flac(path: Path, pcm: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return E.encode(path, pcm, SR, "flac", sample_fmt="s16")


def mp3(path: Path, pcm: np.ndarray, kbps: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return E.encode(path, pcm, SR, "libmp3lame", bit_rate=kbps * 1000)


def melody(seed: int, seconds: float = SECONDS) -> np.ndarray:
    return music_like(seconds=seconds, seed=seed)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Made:
    """Names (relative to the case folder) of what :func:`library_and_import_make` wrote."""

    library: dict[str, str]
    incoming: dict[str, str]
    #: incoming name → expected verdict
    verdicts: dict[str, str]
    #: incoming upgrade → the library file it replaces
    replaces: dict[str, str]
    #: incoming duplicate/uncertain → the library file it is measured against
    matches: dict[str, str]
    not_audio: tuple[str, ...]


def library_and_import_make(root: Path) -> Made:
    """A library of FLACs and 128 kbps MP3s, and an import folder holding two new recordings,
    a re-tagged FLAC of a library recording, a lower-quality MP3 of another, FLACs of two
    MP3-only recordings, a short FLAC whose only link to the library is its tags, and a file
    that is not audio."""
    music, incoming = root / "music", root / "incoming"
    library = {
        "a": "music/Artist A/Album A/A.flac",
        "b": "music/Artist B/Album B/B.flac",
        "c": "music/Artist C/Album C/C.mp3",
        "d": "music/Artist D/Album D/D.mp3",
        "e": "music/Artist E/Album E/E.mp3",
    }
    pcm = {name: melody(seed) for name, seed in zip("abcd", (11, 12, 13, 14), strict=True)}
    short = melody(15, SHORT_SECONDS)
    flac(root / library["a"], pcm["a"])
    flac(root / library["b"], pcm["b"])
    mp3(root / library["c"], pcm["c"], 128)
    mp3(root / library["d"], pcm["d"], 128)
    mp3(root / library["e"], short, 128)
    for name in "abcde":
        upper = name.upper()
        tags_write(
            root / library[name],
            artist=f"Artist {upper}",
            title=f"Song {upper}",
            album=f"Album {upper}",
        )
    assert music.is_dir()

    files = {
        "new1": "incoming/batch/new1.flac",
        "new2": "incoming/batch/new2.mp3",
        "a_retagged": "incoming/batch/A (remaster).flac",
        "b_low": "incoming/batch/B.mp3",
        "c_flac": "incoming/batch/C.flac",
        "d_flac": "incoming/D/D.flac",
        "e_short": "incoming/batch/E.flac",
    }
    flac(root / files["new1"], melody(21))
    tags_write(root / files["new1"], artist="Newcomer", title="First Song", album="Debut")
    mp3(root / files["new2"], melody(22), 320)
    tags_write(root / files["new2"], artist="Newcomer", title="Second Song", album="Debut")
    shutil.copyfile(root / library["a"], root / files["a_retagged"])
    tags_write(root / files["a_retagged"], artist="A. Artist", title="Song A (2024 remaster)")
    mp3(root / files["b_low"], pcm["b"], 96)
    tags_write(root / files["b_low"], artist="Artist B", title="Song B")
    for name, upper in (("c_flac", "C"), ("d_flac", "D")):
        flac(root / files[name], pcm[upper.lower()])
        tags_write(
            root / files[name],
            artist=f"Artist {upper}",
            title=f"Song {upper}",
            album=f"Album {upper}",
        )
    flac(root / files["e_short"], short)
    tags_write(root / files["e_short"], artist="Artist E", title="Song E", album="Album E")
    not_audio = incoming / "batch" / "notes.mp3"
    not_audio.write_text("not audio, despite its name\n")
    return Made(
        library=library,
        incoming=files,
        verdicts={
            "new1": "new",
            "new2": "new",
            "a_retagged": "duplicate",
            "b_low": "duplicate",
            "c_flac": "upgrade",
            "d_flac": "upgrade",
            "e_short": "uncertain",
        },
        replaces={"c_flac": library["c"], "d_flac": library["d"]},
        matches={"a_retagged": library["a"], "b_low": library["b"], "e_short": library["e"]},
        not_audio=(str(not_audio.relative_to(root)),),
    )


def case_env(case: Path, **extra: str) -> dict[str, str]:
    return manage_env(case, MUSICQUALITY_LIBRARY_ROOTS=str(case / "music"), **extra)


def manage_ok(env: dict[str, str], *args: str) -> str:
    result = run_manage(env, *args)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stdout


APPROVE_D = (
    "from upgrades.models import UpgradeCandidate; from upgrades.services import "
    "upgrade_candidates_act; upgrade_candidates_act(candidate_ids=[c.pk for c in "
    "UpgradeCandidate.objects.filter(file_path__endswith='/D.mp3')], action='approved')"
)


def template_make(root: Path) -> Made:
    """Write the files, then migrate, scan, analyse, verify and identify them as a user
    would; D's candidate is approved (it has a pending acquisition job)."""
    made = library_and_import_make(root)
    env = case_env(root)
    for args in (
        ("migrate", "-v0"),
        ("migrate", "-v0", "--database=library"),
        ("scan_library", str(root / "music")),
        ("analyze_quality",),
        ("verify_audio",),
        ("identify_upgrades",),
        ("shell", "-c", APPROVE_D),
    ):
        manage_ok(env, *args)
    return made


def case_make(template: Path, case: Path) -> Path:
    """A copy of the template whose databases name the copy's paths."""
    shutil.copytree(template, case)
    conn = sqlite3.connect(case / "library_index.db")
    for table in ("library_index", "upgrade_candidates"):
        conn.execute(
            f"UPDATE {table} SET file_path = replace(file_path, ?, ?)",
            (str(template), str(case)),
        )
    conn.commit()
    conn.close()
    return case


def every_file_digest(case: Path) -> dict[str, list[Path]]:
    """SHA-256 → where it is, over every file of the case (library, import, quarantine,
    reject folder): where each input's bytes went."""
    found: dict[str, list[Path]] = {}
    for path in case.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix not in (".db", ".sqlite3"):
            found.setdefault(sha256(path), []).append(path)
    return found
