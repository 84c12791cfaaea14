"""State of ``UpgradeCandidate`` and the streaming models; the table is created by
``quality.0001_initial`` (one transaction), the streaming models are unmanaged.
"""

import django.db.models.deletion
from django.db import migrations, models

import musicquality.fields
import upgrades.models.candidate


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("quality", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Playlist",
                    fields=[
                        ("id", models.TextField(primary_key=True, serialize=False)),
                        ("name", models.TextField()),
                        ("url", models.TextField()),
                        ("owner", models.TextField(null=True)),
                        ("tracks_count", models.IntegerField(default=0, null=True)),
                        ("service", models.TextField()),
                        ("is_algorithmic", models.BooleanField(default=False, null=True)),
                        ("added_on", musicquality.fields.IsoTimestampField()),
                        ("last_updated", musicquality.fields.IsoTimestampField()),
                    ],
                    options={
                        "db_table": "playlists",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="PlaylistTrack",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "playlist_id",
                                "track_id",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("added_at", musicquality.fields.IsoTimestampField(null=True)),
                        ("position", models.IntegerField(null=True)),
                    ],
                    options={
                        "db_table": "playlist_tracks",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="Track",
                    fields=[
                        ("id", models.TextField(primary_key=True, serialize=False)),
                        ("name", models.TextField()),
                        ("artist", models.TextField()),
                        ("album", models.TextField(null=True)),
                        ("duration", models.IntegerField(help_text="milliseconds", null=True)),
                        ("release_date", models.TextField(null=True)),
                        ("isrc", models.TextField(null=True)),
                        ("service", models.TextField()),
                        ("added_on", musicquality.fields.IsoTimestampField()),
                        ("last_updated", musicquality.fields.IsoTimestampField()),
                    ],
                    options={
                        "db_table": "tracks",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="UpgradeCandidate",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("file_path", models.TextField()),
                        ("current_format", models.TextField()),
                        (
                            "current_bitrate",
                            models.IntegerField(blank=True, help_text="kbps", null=True),
                        ),
                        ("current_quality_score", models.FloatField()),
                        ("artist", models.TextField()),
                        ("title", models.TextField()),
                        ("album", models.TextField(blank=True, null=True)),
                        ("duration", models.FloatField(blank=True, null=True)),
                        ("isrc", models.TextField(blank=True, null=True)),
                        ("recommended_format", models.TextField()),
                        ("potential_quality_gain", models.FloatField(blank=True, null=True)),
                        ("priority_score", models.FloatField(help_text="0–100, docs/formulas.md")),
                        ("available_on_service", models.TextField(blank=True, null=True)),
                        ("service_quality", models.TextField(blank=True, null=True)),
                        (
                            "checked_at",
                            musicquality.fields.IsoTimestampField(blank=True, null=True),
                        ),
                        (
                            "user_action",
                            models.TextField(
                                choices=[
                                    ("pending", "pending"),
                                    ("approved", "approved"),
                                    ("rejected", "rejected"),
                                    ("completed", "completed"),
                                    ("ignored", "ignored"),
                                ],
                                default="pending",
                                null=True,
                                validators=[upgrades.models.candidate.validate_user_action],
                            ),
                        ),
                        ("action_at", musicquality.fields.IsoTimestampField(blank=True, null=True)),
                        ("notes", models.TextField(blank=True, null=True)),
                        ("identified_at", musicquality.fields.IsoTimestampField()),
                        ("last_updated", musicquality.fields.IsoTimestampField()),
                        (
                            "library_file",
                            models.OneToOneField(
                                db_column="library_file_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="upgrade_candidate",
                                to="quality.libraryfile",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "upgrade candidate",
                        "db_table": "upgrade_candidates",
                        "indexes": [
                            models.Index(fields=["library_file"], name="idx_upgrade_file_id"),
                            models.Index(
                                fields=["-priority_score", "user_action"],
                                name="idx_upgrade_priority",
                            ),
                            models.Index(
                                fields=["user_action", "-priority_score"], name="idx_upgrade_action"
                            ),
                            models.Index(
                                fields=["current_format", "-priority_score"],
                                name="idx_upgrade_current_format",
                            ),
                            models.Index(
                                fields=["available_on_service", "user_action"],
                                name="idx_upgrade_service",
                            ),
                            models.Index(
                                fields=["artist", "title"], name="idx_upgrade_artist_title"
                            ),
                            models.Index(fields=["-identified_at"], name="idx_upgrade_identified"),
                        ],
                    },
                ),
            ],
        ),
    ]
