"""Unmanaged, read-only models for the Music Tools ``music_tools.db`` (DESIGN.md §3).

``playlists``, ``tracks`` (one row per track a streaming service listed; ``duration`` in
milliseconds) and ``playlist_tracks`` (membership, with ``added_at``). The router sends them
to the ``streaming`` alias, which is opened with ``mode=ro``: nothing here ever writes.
"""

from django.db import models

from musicquality.fields import IsoTimestampField


class Playlist(models.Model):
    id = models.TextField(primary_key=True)
    name = models.TextField()
    url = models.TextField()
    owner = models.TextField(null=True)
    tracks_count = models.IntegerField(null=True, default=0)
    service = models.TextField()
    is_algorithmic = models.BooleanField(null=True, default=False)
    added_on = IsoTimestampField()
    last_updated = IsoTimestampField()

    class Meta:
        managed = False
        db_table = "playlists"

    def __str__(self) -> str:
        return f"{self.name} ({self.service})"


class Track(models.Model):
    id = models.TextField(primary_key=True)
    name = models.TextField()
    artist = models.TextField()
    album = models.TextField(null=True)
    duration = models.IntegerField(null=True, help_text="milliseconds")
    release_date = models.TextField(null=True)
    isrc = models.TextField(null=True)
    service = models.TextField()
    added_on = IsoTimestampField()
    last_updated = IsoTimestampField()

    class Meta:
        managed = False
        db_table = "tracks"

    def __str__(self) -> str:
        return f"{self.artist} – {self.name} ({self.service})"


class PlaylistTrack(models.Model):
    pk = models.CompositePrimaryKey("playlist_id", "track_id")
    playlist = models.ForeignKey(Playlist, on_delete=models.DO_NOTHING, db_column="playlist_id")
    track = models.ForeignKey(Track, on_delete=models.DO_NOTHING, db_column="track_id")
    added_at = IsoTimestampField(null=True)
    position = models.IntegerField(null=True)

    class Meta:
        managed = False
        db_table = "playlist_tracks"
