"""The Music Tools decisions ``import_legacy_history`` has taken over, by their key.

A candidate's notes carry the import line too, for the user to read; but notes are the user's
to edit, and a key that lived only there would be imported again once its line was edited
away. This table (app database, ``musicquality/routers.py``: the library's schema is fixed) is
the record a second run checks.
"""

from django.db import models


class ImportedDecision(models.Model):
    key = models.TextField(unique=True, help_text="legacy_row_key of the Music Tools row")
    candidate_id = models.IntegerField(help_text="the upgrade_candidates row it went to")
    source = models.TextField(help_text="the file it was read from")
    imported_at = models.TextField(help_text="ISO-8601 UTC")

    class Meta:
        db_table = "upgrades_imported_decision"

    def __str__(self) -> str:
        return f"{self.key[:12]} -> candidate {self.candidate_id}"
