"""State of ``StreamingMatch`` and ``UpgradeJob`` (schema v2.2.0); their tables are created by
``quality.0004_schema_v2_2_0`` (the report's Phase 3 DDL, one transaction)."""

import django.db.models.deletion
from django.db import migrations, models

import musicquality.fields
import upgrades.models.acquisition


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0004_schema_v2_2_0"),
        ("upgrades", "0002_remove_streaming_models"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="StreamingMatch",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("service", models.TextField()),
                        (
                            "service_track_id",
                            models.TextField(help_text="tracks.id in music_tools.db"),
                        ),
                        (
                            "match_confidence",
                            models.FloatField(help_text="0–1: ISRC 1.0, name and duration lower"),
                        ),
                        ("available_quality", models.TextField(blank=True, null=True)),
                        ("checked_at", musicquality.fields.IsoTimestampField()),
                        (
                            "library_file",
                            models.ForeignKey(
                                db_column="library_file_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="streaming_matches",
                                to="quality.libraryfile",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "streaming matches",
                        "db_table": "streaming_matches",
                        "indexes": [
                            models.Index(fields=["library_file"], name="idx_streaming_matches_file")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="UpgradeJob",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "job_status",
                            models.TextField(
                                choices=[
                                    ("pending", "pending"),
                                    ("completed", "completed"),
                                    ("failed", "failed"),
                                    ("cancelled", "cancelled"),
                                ],
                                default="pending",
                                null=True,
                                validators=[upgrades.models.acquisition.validate_job_status],
                            ),
                        ),
                        (
                            "download_source",
                            models.TextField(
                                blank=True,
                                help_text="where the copy came from, e.g. import:<folder>",
                                null=True,
                            ),
                        ),
                        (
                            "download_started_at",
                            musicquality.fields.IsoTimestampField(blank=True, null=True),
                        ),
                        (
                            "download_completed_at",
                            musicquality.fields.IsoTimestampField(blank=True, null=True),
                        ),
                        ("error_message", models.TextField(blank=True, null=True)),
                        (
                            "candidate",
                            models.ForeignKey(
                                db_column="candidate_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="jobs",
                                to="upgrades.upgradecandidate",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "upgrade job",
                        "db_table": "upgrade_jobs",
                        "indexes": [
                            models.Index(fields=["candidate"], name="idx_upgrade_jobs_candidate"),
                            models.Index(
                                fields=["job_status", "-download_completed_at"],
                                name="idx_upgrade_jobs_status",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
