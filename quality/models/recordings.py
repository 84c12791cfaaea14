"""Derived data the app owns (the app database, never the user's music database).

``AudioMatch`` holds the pairs of library files whose acoustic fingerprints match, found by
``verify_audio`` through the fingerprint index (docs/recordings.md): rebuildable at any time
from the fingerprints in ``file_quality``, so it lives beside Django's own state, keyed by
``library_index`` ids (a row naming an id that no longer exists is ignored, and gone at the
next rebuild). ``AudioMatchRun`` records which fingerprints the pairs were computed from.
"""

from django.db import models

from musicquality.fields import IsoTimestampField


class AudioMatch(models.Model):
    id = models.AutoField(primary_key=True)
    file_a = models.IntegerField(help_text="library_index id (the smaller)")
    file_b = models.IntegerField(help_text="library_index id (the larger)")
    score = models.FloatField(help_text="1 - bit error rate at the best alignment")
    offset_items = models.IntegerField(help_text="alignment, in fingerprint items (~0.124 s)")
    same_recording = models.BooleanField(
        help_text="at or above the same-recording threshold, durations compatible; else similar"
    )
    note = models.TextField(blank=True, default="")

    class Meta:
        db_table = "audio_match"
        constraints = [
            models.UniqueConstraint(fields=["file_a", "file_b"], name="audio_match_pair")
        ]
        indexes = [models.Index(fields=["file_b"], name="audio_match_file_b")]


class AudioMatchRun(models.Model):
    id = models.AutoField(primary_key=True)
    computed_at = IsoTimestampField()
    fingerprints = models.IntegerField()
    signature = models.TextField(help_text="what the fingerprints were: count, ids, last change")
    seconds = models.FloatField()
    same_pairs = models.IntegerField(default=0)
    similar_pairs = models.IntegerField(default=0)

    class Meta:
        db_table = "audio_match_run"
