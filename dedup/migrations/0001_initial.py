"""State of ``DedupHistory``; its table is created by ``quality.0001_initial`` (one transaction)."""

from django.db import migrations, models

import musicquality.fields


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
                    name="DedupHistory",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "deletion_session_id",
                            models.TextField(help_text="one UUID per dedupe run"),
                        ),
                        ("deleted_at", musicquality.fields.IsoTimestampField()),
                        ("file_path", models.TextField()),
                        ("filename", models.TextField()),
                        ("file_size", models.BigIntegerField(help_text="bytes")),
                        ("file_format", models.TextField()),
                        ("artist", models.TextField(blank=True, null=True)),
                        ("title", models.TextField(blank=True, null=True)),
                        ("album", models.TextField(blank=True, null=True)),
                        ("year", models.IntegerField(blank=True, null=True)),
                        ("duration", models.FloatField(blank=True, null=True)),
                        ("bitrate", models.IntegerField(blank=True, null=True)),
                        ("sample_rate", models.IntegerField(blank=True, null=True)),
                        ("quality_score", models.FloatField(blank=True, null=True)),
                        ("metadata_hash", models.TextField()),
                        ("file_content_hash", models.TextField()),
                        (
                            "deletion_reason",
                            models.TextField(
                                choices=[
                                    ("exact_duplicate", "exact duplicate"),
                                    ("metadata_match", "metadata match"),
                                    ("lower_quality", "lower quality"),
                                    ("user_requested", "user requested"),
                                ]
                            ),
                        ),
                        ("kept_file_path", models.TextField(blank=True, null=True)),
                        ("kept_file_id", models.IntegerField(blank=True, null=True)),
                        ("confidence_score", models.FloatField(blank=True, null=True)),
                        (
                            "matched_by",
                            models.TextField(
                                blank=True,
                                choices=[
                                    ("content_hash", "content hash"),
                                    ("metadata_hash", "metadata hash"),
                                    ("acoustic_fingerprint", "acoustic fingerprint"),
                                ],
                                null=True,
                            ),
                        ),
                        ("original_library_id", models.IntegerField(blank=True, null=True)),
                        ("can_recover", models.BooleanField(default=False, null=True)),
                        ("recovery_path", models.TextField(blank=True, null=True)),
                        (
                            "deleted_by",
                            models.TextField(
                                blank=True,
                                choices=[
                                    ("system", "system"),
                                    ("user", "user"),
                                    ("auto_cleanup", "automatic clean-up"),
                                ],
                                default="system",
                                null=True,
                            ),
                        ),
                        ("notes", models.TextField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "deletion",
                        "verbose_name_plural": "dedup history",
                        "db_table": "dedup_history",
                        "ordering": ["-deleted_at", "-id"],
                        "indexes": [
                            models.Index(fields=["deletion_session_id"], name="idx_dedup_session"),
                            models.Index(fields=["-deleted_at"], name="idx_dedup_deleted_at"),
                            models.Index(
                                fields=["file_content_hash"], name="idx_dedup_content_hash"
                            ),
                            models.Index(fields=["metadata_hash"], name="idx_dedup_metadata_hash"),
                            models.Index(
                                fields=["can_recover", "-deleted_at"], name="idx_dedup_recoverable"
                            ),
                            models.Index(
                                fields=["deletion_reason", "-deleted_at"], name="idx_dedup_reason"
                            ),
                            models.Index(fields=["artist", "title"], name="idx_dedup_artist"),
                        ],
                    },
                ),
            ],
        ),
    ]
