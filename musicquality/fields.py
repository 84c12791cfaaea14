"""Model fields for the timestamp convention shared with the Music Tools CLI."""

import datetime

from django.db import models
from django.utils import timezone

from musicquality.timestamps import timestamp_parse


def utc_now_iso() -> str:
    """A timestamp exactly as the legacy tool writes one (docs/legacy-schema.md)."""
    return datetime.datetime.now(datetime.UTC).isoformat()


def to_iso_text(value: datetime.datetime) -> str:
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat()


class IsoTimestampField(models.DateTimeField):
    """A TEXT timestamp stored as ``datetime.isoformat()`` in UTC (``...T12:00:00+00:00``).

    Django's own SQLite format (``2026-01-08 12:00:00``) sorts before the legacy tool's
    ``T`` form, so mixing the two would break "string order is time order". This field
    writes the legacy form and reads both. A value no ISO-8601 parser accepts (another
    program may write anything into a TEXT column) reads as ``None`` rather than failing the
    whole page or command that reads the row.
    """

    def get_internal_type(self) -> str:
        # TEXT in SQLite; parsing is done here, so that a bad value cannot raise in the
        # backend's own datetime converter.
        return "TextField"

    def db_type(self, connection):
        return "text"

    def from_db_value(self, value, expression, connection):
        return timestamp_parse(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, datetime.datetime):
            return to_iso_text(value)
        return value.isoformat()
