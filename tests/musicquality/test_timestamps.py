"""Every stored spelling of one instant reads as that instant, through the one parser that the
model fields, the selectors, the scan's mtime check and the streaming reader share."""

import datetime

import pytest

from musicquality.timestamps import timestamp_normalise, timestamp_parse
from quality.services.scanning import same_mtime

INSTANT = datetime.datetime(2026, 1, 8, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "stored",
    [
        "2026-01-08T12:00:00+00:00",  # ours and the legacy tool's
        "2026-01-08 12:00:00",  # Django's SQLite spelling, SQLite's CURRENT_TIMESTAMP
        "2026-01-08T12:00:00Z",
        "2026-01-08T13:00:00+01:00",
        " 2026-01-08T12:00:00.000000+00:00 ",
        b"2026-01-08T12:00:00+00:00",  # bound as a BLOB
        1767873600,  # Unix seconds
        "1767873600000",  # Unix milliseconds, as text
        datetime.datetime(2026, 1, 8, 12, 0, 0),  # naive: UTC
    ],
)
def test_one_instant_in_every_spelling(stored):
    assert timestamp_parse(stored) == INSTANT
    assert timestamp_normalise(stored) == "2026-01-08T12:00:00+00:00"


@pytest.mark.parametrize("stored", [None, "", "yesterday", b"\xff\xfe", True, "2026-13-40", 10**30])
def test_what_nothing_reads_is_none(stored):
    assert timestamp_parse(stored) is None


def test_the_scan_sees_an_mtime_written_in_another_spelling_as_unchanged():
    st_mtime = INSTANT.timestamp()
    assert same_mtime("2026-01-08T12:00:00Z", st_mtime)
    assert same_mtime("2026-01-08 12:00:00", st_mtime)
    assert not same_mtime("2026-01-08 12:00:01", st_mtime)
    assert not same_mtime("not a time", st_mtime)
