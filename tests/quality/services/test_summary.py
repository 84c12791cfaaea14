"""The library summary equals a full recomputation after every kind of write: our writers
(scan, analysis, verification, dedupe, recover, identify) keep it in their own
transactions, and a raw legacy-style write from a second connection (as the Music Tools CLI
makes them: no trigger tells us) is found by the reconciliation."""

from __future__ import annotations

import datetime
import random
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from dedup.models import DedupHistory
from dedup.selectors import dedup_sessions_totals
from dedup.services.dedupe import dedupe_confident_apply
from dedup.services.recover import dedup_history_recover
from musicquality.fields import utc_now_iso
from quality.services.analysis import file_quality_analyze_all
from quality.services.demo import tags_write
from quality.services.encoding import audio_encode
from quality.services.scanning import library_scan
from quality.services.summary import (
    CHECKER,
    library_summary_check,
    library_summary_differences,
    library_summary_rebuild,
    library_summary_reconcile,
)
from quality.services.verification import audio_verify_all
from tests.conftest import LIBRARY_DBS
from tests.factories import dedup_history_make, file_quality_make, library_file_make
from tests.jobs.helpers import FLAC, MP3, TRACK
from tests.legacy import legacy_content_hash, legacy_metadata_hash
from tests.quality.summary_helpers import (
    assert_history_summaries_are_the_tables,
    assert_summary_is_the_library,
)
from upgrades.services import upgrade_candidates_identify

WORDS = ("song", "Ærø", "beyoncé", "日本", "alpha")


def library_path() -> str:
    return str(django_settings.DATABASES["library"]["NAME"])


# --- our writers, on real files -------------------------------------------------------------


class Music:
    """A music folder that the steps change, and what each step does to it."""

    def __init__(self, root: Path, rng: random.Random):
        self.root, self.rng, self.made = root, rng, 0

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.suffix in {".mp3", ".flac"})

    def add(self) -> str:
        self.made += 1
        spec = self.rng.choice([MP3, FLAC])
        folder = self.root / f"Album {self.made % 3}"
        folder.mkdir(exist_ok=True)
        path = audio_encode(
            path=folder / f"{self.made:02d} song.{spec.extension}", spec=spec, seed=self.made
        )
        title = self.rng.choice(["Song", "Beyoncé Song", "Ærø Song", "日本 Song"])
        tags_write(path=path, track=replace(TRACK, title=title))
        return f"add {path.name}"

    def copy(self) -> str:
        source = self.rng.choice(self.files())
        self.made += 1
        target = self.root / "Copies" / f"{self.made:02d} {source.name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        return f"copy {source.name}"

    def retag(self) -> str:
        path = self.rng.choice(self.files())
        tags_write(path=path, track=replace(TRACK, title=f"Retitled {self.rng.randint(1, 9)}"))
        return f"retag {path.name}"

    def remove(self) -> str:
        path = self.rng.choice(self.files())
        path.unlink()
        return f"remove {path.name}"


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
def test_our_writers_keep_the_summary_equal_to_a_full_recomputation(
    clean_library, music_root, tmp_path
):
    library_summary_rebuild()
    rng = random.Random(16)
    music = Music(music_root, rng)
    for _ in range(4):
        music.add()
    music.copy()

    def scan(change) -> str:
        done = change() if change else "rescan"
        library_scan(roots=[music_root], workers=1)
        return f"scan after {done}"

    steps = {
        "scan_add": lambda: scan(music.add),
        "scan_copy": lambda: scan(music.copy),
        "scan_retag": lambda: scan(music.retag),
        "scan_remove": lambda: scan(music.remove),
        "analyse": lambda: f"analyse {file_quality_analyze_all(workers=1).analysed}",
        "verify": lambda: f"verify {audio_verify_all(workers=1).verified}",
        "dedupe": lambda: f"dedupe {len(dedupe_confident_apply(min_confidence=0.9).quarantined)}",
        "recover": lambda: (
            "recover "
            + str(
                len(
                    dedup_history_recover(
                        ids=list(
                            DedupHistory.objects.filter(can_recover=True).values_list(
                                "id", flat=True
                            )
                        )
                    )
                )
            )
        ),
        "identify": lambda: (
            f"identify {upgrade_candidates_identify(streaming_db=None, workers=1).candidates}"
        ),
    }
    sequence = ["scan_add", "analyse", "verify", "dedupe", "recover"]
    sequence += [rng.choice(sorted(steps)) for _ in range(14)]
    done = []
    for name in sequence:
        done.append(steps[name]())
        assert_summary_is_the_library(words=WORDS)
    assert any(step.startswith("dedupe") and not step.endswith(" 0") for step in done), done


# --- a second connection writing as the Music Tools CLI does ---------------------------------


class LegacyWriter:
    """Raw ``library_index`` writes from another connection, as the CLI makes them."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.connection = sqlite3.connect(library_path(), timeout=30)
        self.made = 0

    def close(self) -> None:
        self.connection.close()

    def _ids(self) -> list[int]:
        return [row[0] for row in self.connection.execute("SELECT id FROM library_index")]

    def insert(self, *, replace_row: bool = False) -> str:
        self.made += 1
        artist = self.rng.choice(["Alpha", "Beyoncé", "Ærø", "日本のバンド", None])
        title = self.rng.choice(["Song", "Other song", "Song 0012", None])
        name = f"{self.made:03d} {title or 'untitled'}.mp3"
        path = f"/music/{artist or 'Unknown'}/{name}"
        size = 1000 + self.made
        verb = "INSERT OR REPLACE" if replace_row else "INSERT"
        if replace_row:
            existing = self.connection.execute(
                "SELECT file_path FROM library_index ORDER BY random() LIMIT 1"
            ).fetchone()
            path = existing[0] if existing else path
        self.connection.execute(
            f"{verb} INTO library_index (file_path, filename, artist, title, album, year, "
            "duration, file_format, file_size, metadata_hash, file_content_hash, indexed_at, "
            "file_mtime, is_active) VALUES (?, ?, ?, ?, ?, 2001, 200.0, 'mp3', ?, ?, ?, ?, ?, 1)",
            (
                path, name, artist, title, self.rng.choice(["Album", None]), size,
                legacy_metadata_hash(artist, title, name.rsplit(".", 1)[0]),
                f"{size}_{self.made:064x}", utc_now_iso(), utc_now_iso(),
            ),
        )  # fmt: skip
        self.connection.commit()
        return f"{verb} {path}"

    def update(self) -> str:
        ids = self._ids()
        if not ids:
            return self.insert()
        target = self.rng.choice(ids)
        column, value = self.rng.choice(
            [
                ("is_active", 0),
                ("is_active", 1),
                ("is_active", None),
                ("file_size", self.rng.randint(1, 10**9)),
                ("artist", "Beyoncé"),
                ("title", "Song 0012"),
                ("album", None),
                ("file_path", f"/music/moved/{self.rng.random()}.mp3"),
                ("metadata_hash", legacy_metadata_hash("Alpha", "Song", "x")),
                ("file_mtime", "2099-01-01T00:00:00+00:00"),  # changed after its analysis
                ("file_format", "flac"),
            ]
        )
        self.connection.execute(
            f"UPDATE library_index SET {column} = ? WHERE id = ?", (value, target)
        )
        self.connection.commit()
        return f"UPDATE {column} = {value!r} of {target}"

    def delete(self) -> str:
        ids = self._ids()
        if not ids:
            return self.insert()
        target = self.rng.choice(ids)
        # The CLI never turns on foreign keys: the file's analysis stays behind.
        self.connection.execute("DELETE FROM library_index WHERE id = ?", (target,))
        self.connection.commit()
        return f"DELETE {target}"


def analyse_some(rng: random.Random) -> str:
    """Analyses for a few files without one (our tables, through the ORM)."""
    from quality.models import LibraryFile

    files = list(LibraryFile.objects.filter(quality__isnull=True).order_by("id")[:3])
    for file in files:
        lossless = rng.random() < 0.3
        file_quality_make(
            file,
            quality_score=round(rng.uniform(0, 100), 1),
            is_lossless=lossless,
            is_hires=lossless and rng.random() < 0.5,
            file_format=rng.choice(["mp3", "flac", "m4a"]),
        )
    return f"analyse {len(files)}"


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raw_writes_from_another_connection_are_reconciled(clean_library, seed):
    rng = random.Random(seed)
    for n in range(12):
        file = library_file_make(artist=rng.choice(["Alpha", "Beta"]), title=f"Song {n % 4}")
        if n % 3:
            file_quality_make(file, quality_score=float(rng.randint(0, 100)))
    library_summary_rebuild()
    assert_summary_is_the_library(words=WORDS)
    writer = LegacyWriter(rng)
    try:
        steps = [
            writer.insert,
            lambda: writer.insert(replace_row=True),
            writer.update,
            writer.update,
            writer.delete,
            lambda: analyse_some(rng),
        ]
        done = []
        for _ in range(40):
            done.append(rng.choice(steps)())
            library_summary_reconcile()
            assert_summary_is_the_library(words=WORDS)
    finally:
        writer.close()


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
def test_a_page_finds_a_raw_write_of_a_small_library_at_once(clean_library):
    library_file_make(artist="Alpha")
    library_summary_rebuild()
    CHECKER.reset()
    assert library_summary_check().exact
    writer = LegacyWriter(random.Random(4))
    try:
        writer.insert()
        assert library_summary_differences().files == 1
        assert library_summary_check().exact  # compared in the request: a small library
        assert library_summary_differences().files == 0
    finally:
        writer.close()


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
def test_a_large_library_is_compared_in_the_background_and_says_how_old_it_is(
    clean_library, settings
):
    library_file_make(artist="Alpha")
    library_summary_rebuild()
    CHECKER.reset()
    settings.SUMMARY_INLINE_MAX_FILES = 0  # every library is "large"
    settings.SUMMARY_CHECK_SECONDS = 0.01
    writer = LegacyWriter(random.Random(5))
    try:
        writer.insert()
        first = library_summary_check()
        assert not first.exact and first.checked_at is None  # no comparison yet
        for _ in range(200):  # the background comparison, then a look after it
            freshness = library_summary_check()
            if freshness.exact:
                break
            import time

            time.sleep(0.05)
        assert freshness.exact
        assert library_summary_differences().files == 0
        assert_summary_is_the_library()
    finally:
        writer.close()


def test_legacy_hashes_match_what_the_writer_uses():
    """The raw writer's rows hash as the CLI's do (tests/legacy.py is independent)."""
    assert legacy_metadata_hash("Alpha", "Song", "x") != legacy_metadata_hash(None, None, "x")
    assert callable(legacy_content_hash)


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
def test_a_summary_built_by_another_analyser_version_is_rebuilt(clean_library):
    library_file_make()
    library_summary_rebuild()
    with connections["library"].cursor() as cursor:
        cursor.execute("UPDATE summary_state SET analyzer_version = 'old'")
    assert library_summary_differences().rebuild
    assert library_summary_reconcile().rebuilt
    assert_summary_is_the_library()


# --- dedup_history and upgrade_candidates: kept by triggers, whoever writes ------------------

SESSIONS = ("s-one", "s-two", "s-three")


class HistoryWriter:
    """Raw INSERT/UPDATE/DELETE of ``dedup_history`` and ``upgrade_candidates`` from a second
    connection, with the NULLs, pending notes (any case: Django's startswith is LIKE on
    SQLite) and days a long history holds."""

    def __init__(self, rng: random.Random, file_ids: list[int]):
        self.rng, self.file_ids = rng, file_ids
        self.connection = sqlite3.connect(library_path(), timeout=30)

    def close(self) -> None:
        self.connection.close()

    def _commit(self, sql: str, params: tuple = ()) -> str:
        self.connection.execute(sql, params)
        self.connection.commit()
        return sql.split()[0]

    def _update_some(self, table: str, column: str, value) -> str:
        return self._commit(
            f"UPDATE {table} SET {column} = ? "
            f"WHERE id IN (SELECT id FROM {table} ORDER BY random() LIMIT 2)",
            (value,),
        )

    def _delete_one(self, table: str) -> str:
        return self._commit(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY random() LIMIT 1)"
        )

    def _moment(self) -> str:
        days = self.rng.choice([0, 0, 1, 3, 12, 29, 31, 60])
        at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
            days=days, seconds=self.rng.randint(0, 80_000)
        )
        return at.isoformat()

    def history_insert(self) -> str:
        rng = self.rng
        return self._commit(
            "INSERT INTO dedup_history (deletion_session_id, deleted_at, file_path, filename, "
            "file_size, file_format, quality_score, metadata_hash, file_content_hash, "
            "deletion_reason, matched_by, can_recover, notes) "
            "VALUES (?, ?, '/m/a.mp3', 'a.mp3', ?, 'mp3', ?, 'm', 'c', ?, ?, ?, ?)",
            (
                rng.choice(SESSIONS),
                self._moment(),
                rng.randint(0, 9_000_000),
                rng.choice([None, 12.5, 70.0, 99.99]),
                rng.choice(["exact_duplicate", "metadata_match", "lower_quality"]),
                rng.choice([None, "content_hash", "audio_hash"]),
                rng.choice([None, 0, 1]),
                rng.choice([None, "moved", "PENDING: moving", "pending: moving", "x PENDING:"]),
            ),
        )

    def history_update(self) -> str:
        rng = self.rng
        column, value = rng.choice(
            [
                ("can_recover", rng.choice([None, 0, 1])),
                ("notes", rng.choice([None, "done", "PENDING: again"])),
                ("deleted_at", self._moment()),
                ("deletion_session_id", rng.choice(SESSIONS)),
                ("quality_score", rng.choice([None, 50.0])),
                ("file_size", rng.randint(0, 100)),
                ("artist", "not counted"),
            ]
        )
        return self._update_some("dedup_history", column, value)

    def history_delete(self) -> str:
        return self._delete_one("dedup_history")

    def candidate_insert(self) -> str:
        now = utc_now_iso()
        return self._commit(
            # one candidate per file: a second is ignored (and must not be counted)
            "INSERT OR IGNORE INTO upgrade_candidates (library_file_id, file_path, current_format, "
            "current_quality_score, artist, title, album, recommended_format, priority_score, "
            "available_on_service, user_action, identified_at, last_updated) "
            "VALUES (?, '/m/a.mp3', 'mp3', 40, ?, 'T', ?, 'flac', ?, ?, ?, ?, ?)",
            (
                self.rng.choice(self.file_ids),
                self.rng.choice(["A", "a", "B"]),
                self.rng.choice([None, "", "First", "first", "Second"]),
                self.rng.choice([12.5, 50.0, 70.123456]),
                self.rng.choice([None, "qobuz", "spotify"]),
                self.rng.choice([None, "pending", "approved", "ignored"]),
                now,
                now,
            ),
        )

    def candidate_update(self) -> str:
        column, value = self.rng.choice(
            [
                ("user_action", self.rng.choice([None, "pending", "rejected"])),
                ("available_on_service", self.rng.choice([None, "tidal"])),
                ("priority_score", self.rng.choice([10.0, 33.3])),
                ("album", self.rng.choice([None, "", "First", "Third"])),
                ("artist", self.rng.choice(["A", "C"])),
            ]
        )
        return self._update_some("upgrade_candidates", column, value)

    def candidate_delete(self) -> str:
        return self._delete_one("upgrade_candidates")


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
@pytest.mark.parametrize("seed", [1, 2])
def test_history_and_candidate_counts_equal_a_recount_after_any_write(clean_library, seed):
    """Writes through the ORM and raw ones from a second connection, in a random order,
    the summary compared with a recount after each (no reconciliation: the triggers)."""
    rng = random.Random(seed)
    files = [library_file_make().id for _ in range(12)]
    for n in range(6):
        dedup_history_make(
            deletion_session_id=SESSIONS[n % 3], quality_score=None if n == 2 else 60.0 + n
        )
    library_summary_rebuild()  # the counts of what was there, then the triggers
    assert_history_summaries_are_the_tables()
    writer = HistoryWriter(rng, files)
    try:
        steps = [
            writer.history_insert,
            writer.history_insert,
            writer.history_update,
            writer.history_delete,
            writer.candidate_insert,
            writer.candidate_insert,
            writer.candidate_update,
            writer.candidate_delete,
            lambda: str(dedup_history_make(deletion_session_id=rng.choice(SESSIONS)).pk),
            lambda: str(DedupHistory.objects.filter(pk__in=[1, 2, 3]).update(can_recover=False)),
        ]
        for _ in range(60):
            rng.choice(steps)()
            assert_history_summaries_are_the_tables()
    finally:
        writer.close()
    library_summary_rebuild()  # a rebuild counts the same
    assert_history_summaries_are_the_tables()


@pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)
def test_a_session_s_first_and_last_times_follow_rows_that_move_or_go(clean_library):
    """The one part of the deletion summary that is not a sum: a row that held a session's
    last time moves inside it, another leaves for a new session, the first is deleted."""
    rows = [
        dedup_history_make(deletion_session_id="s", deleted_at=f"2026-11-0{day}T10:00:00+00:00")
        for day in (1, 2, 3, 4)
    ]
    library_summary_rebuild()
    DedupHistory.objects.filter(pk=rows[3].pk).update(deleted_at="2026-11-02T12:00:00+00:00")
    assert_history_summaries_are_the_tables()
    DedupHistory.objects.filter(pk=rows[2].pk).update(deletion_session_id="t")
    assert_history_summaries_are_the_tables()
    DedupHistory.objects.filter(pk=rows[0].pk).delete()
    assert_history_summaries_are_the_tables()
    sessions = {row["deletion_session_id"]: row for row in dedup_sessions_totals()}
    assert str(sessions["s"]["started_at"])[:10] == "2026-11-02"
    assert str(sessions["s"]["finished_at"])[:16] == "2026-11-02 12:00"
    assert sessions["t"]["files"] == 1
