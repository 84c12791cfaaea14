"""The job queue's pure rules: when the schedule is due, where a scan may walk."""

import datetime
from pathlib import Path

from jobs.rules import scan_path_root, schedule_due

NOW = datetime.datetime(2026, 1, 8, 12, 0, tzinfo=datetime.UTC)


def test_the_schedule_is_due_every_n_hours_and_never_when_off():
    assert not schedule_due(last_started=None, now=NOW, every_hours=0)
    assert schedule_due(last_started=None, now=NOW, every_hours=6)
    five = NOW - datetime.timedelta(hours=5, minutes=59)
    assert not schedule_due(last_started=five, now=NOW, every_hours=6)
    assert schedule_due(last_started=NOW - datetime.timedelta(hours=6), now=NOW, every_hours=6)
    assert schedule_due(last_started=NOW - datetime.timedelta(minutes=31), now=NOW, every_hours=0.5)


def test_a_scan_path_must_resolve_inside_a_root(tmp_path):
    root = tmp_path / "music"
    (root / "Jazz").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (root / "escape").symlink_to(tmp_path / "other")
    assert scan_path_root(str(root), [root]) == root
    assert scan_path_root(str(root / "Jazz"), [root]) == root
    assert scan_path_root(str(root / "Not yet there"), [root]) == root
    assert scan_path_root(str(root / ".." / "other"), [root]) is None
    assert scan_path_root(str(root / "escape"), [root]) is None
    assert scan_path_root(str(tmp_path / "music-other"), [root]) is None
    assert scan_path_root("/", [Path("/srv/music")]) is None


def test_a_scan_path_through_a_symlinked_root_is_inside_it(tmp_path):
    real = tmp_path / "disk" / "music"
    (real / "Jazz").mkdir(parents=True)
    root = tmp_path / "music"
    root.symlink_to(real)
    assert scan_path_root(str(root / "Jazz"), [root]) == root
    assert scan_path_root(str(real / "Jazz"), [root]) == root  # the same folder, spelt really
    assert scan_path_root(str(tmp_path / "disk"), [root]) is None
