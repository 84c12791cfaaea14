"""Schema v2.0.0 of the library database, created in one transaction.

All three v2.0.0 tables (``file_quality``, ``dedup_history``, ``upgrade_candidates``), their 20
indexes and the partial ``idx_quality_lossy_files`` are created here, from the report's DDL (docs/schema.md), so
that a failed verification rolls everything back and leaves the file as it was. The
``dedup`` and ``upgrades`` initial migrations only record their models' state. The reverse
is the report's level-3 rollback: ``manage.py migrate --database=library quality zero``.
"""

import django.db.models.deletion
from django.db import migrations, models

import musicquality.fields
from musicquality.migration_ops import schema_v2_backward, schema_v2_forward


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(schema_v2_forward, schema_v2_backward)],
            state_operations=[
                migrations.CreateModel(
                    name="LibraryFile",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("file_path", models.TextField(unique=True)),
                        ("filename", models.TextField()),
                        ("artist", models.TextField(blank=True, null=True)),
                        ("title", models.TextField(blank=True, null=True)),
                        ("album", models.TextField(blank=True, null=True)),
                        ("year", models.IntegerField(blank=True, null=True)),
                        ("duration", models.FloatField(blank=True, help_text="seconds", null=True)),
                        (
                            "file_format",
                            models.TextField(help_text="lower-case extension without the dot"),
                        ),
                        ("file_size", models.BigIntegerField(help_text="bytes")),
                        ("metadata_hash", models.TextField()),
                        ("file_content_hash", models.TextField()),
                        ("indexed_at", musicquality.fields.IsoTimestampField()),
                        ("file_mtime", musicquality.fields.IsoTimestampField()),
                        (
                            "last_verified",
                            musicquality.fields.IsoTimestampField(blank=True, null=True),
                        ),
                        ("is_active", models.BooleanField(default=True, null=True)),
                    ],
                    options={
                        "verbose_name": "library file",
                        "db_table": "library_index",
                        "ordering": ["file_path"],
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="LibrarySetting",
                    fields=[
                        ("key", models.TextField(primary_key=True, serialize=False)),
                        ("value", models.TextField(null=True)),
                        ("updated_at", musicquality.fields.IsoTimestampField()),
                    ],
                    options={
                        "db_table": "settings",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="LibraryStats",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("total_files", models.IntegerField(null=True)),
                        ("total_size", models.BigIntegerField(null=True)),
                        (
                            "formats_breakdown",
                            models.TextField(help_text="JSON object: format → count", null=True),
                        ),
                        ("artists_count", models.IntegerField(null=True)),
                        ("albums_count", models.IntegerField(null=True)),
                        ("last_index_time", musicquality.fields.IsoTimestampField(null=True)),
                        ("index_duration", models.FloatField(help_text="seconds", null=True)),
                        ("created_at", musicquality.fields.IsoTimestampField(null=True)),
                    ],
                    options={
                        "verbose_name_plural": "library stats",
                        "db_table": "library_stats",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="VettingHistory",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("import_folder", models.TextField()),
                        ("total_files", models.IntegerField(null=True)),
                        ("duplicates_found", models.IntegerField(null=True)),
                        ("new_songs", models.IntegerField(null=True)),
                        ("uncertain_matches", models.IntegerField(null=True)),
                        ("threshold_used", models.FloatField(null=True)),
                        ("vetted_at", musicquality.fields.IsoTimestampField()),
                    ],
                    options={
                        "verbose_name_plural": "vetting history",
                        "db_table": "vetting_history",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="FileQuality",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "file_format",
                            models.TextField(
                                choices=[
                                    ("mp3", "MP3"),
                                    ("flac", "FLAC"),
                                    ("m4a", "M4A"),
                                    ("m4b", "M4B"),
                                    ("mp4", "MP4"),
                                    ("aac", "AAC (ADTS)"),
                                    ("wav", "WAV"),
                                    ("aif", "AIF"),
                                    ("aiff", "AIFF"),
                                    ("ogg", "Ogg"),
                                    ("oga", "OGA"),
                                    ("opus", "Opus"),
                                    ("wma", "WMA"),
                                    ("ape", "Monkey's Audio"),
                                    ("wv", "WavPack"),
                                    ("tta", "TTA"),
                                    ("dsf", "DSF"),
                                    ("dff", "DSDIFF"),
                                    ("mpc", "Musepack"),
                                ]
                            ),
                        ),
                        ("codec", models.TextField(blank=True, null=True)),
                        ("bitrate", models.IntegerField(blank=True, help_text="kbps", null=True)),
                        ("sample_rate", models.IntegerField(blank=True, help_text="Hz", null=True)),
                        (
                            "bit_depth",
                            models.IntegerField(
                                blank=True, help_text="lossless/PCM only", null=True
                            ),
                        ),
                        ("channels", models.IntegerField(blank=True, default=2, null=True)),
                        ("quality_score", models.FloatField(help_text="0–100, docs/formulas.md")),
                        ("is_lossless", models.BooleanField(default=False, null=True)),
                        ("is_hires", models.BooleanField(default=False, null=True)),
                        (
                            "bitrate_mode",
                            models.TextField(
                                blank=True,
                                choices=[
                                    ("CBR", "constant (CBR)"),
                                    ("VBR", "variable (VBR)"),
                                    ("ABR", "average (ABR)"),
                                ],
                                null=True,
                            ),
                        ),
                        ("analyzed_at", musicquality.fields.IsoTimestampField()),
                        ("analyzer_version", models.TextField(blank=True, null=True)),
                        (
                            "library_file",
                            models.OneToOneField(
                                db_column="library_file_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="quality",
                                to="quality.libraryfile",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "file quality",
                        "verbose_name_plural": "file quality",
                        "db_table": "file_quality",
                        "indexes": [
                            models.Index(fields=["library_file"], name="idx_quality_file_id"),
                            models.Index(fields=["-quality_score"], name="idx_quality_score"),
                            models.Index(fields=["file_format"], name="idx_quality_format"),
                            models.Index(
                                fields=["is_lossless", "-quality_score"],
                                name="idx_quality_lossless",
                            ),
                            models.Index(
                                fields=["file_format", "is_lossless", "quality_score"],
                                name="idx_quality_upgrade_candidates",
                            ),
                            models.Index(
                                fields=["is_hires", "-sample_rate"], name="idx_quality_hires"
                            ),
                            models.Index(
                                condition=models.Q(("is_lossless", False)),
                                fields=["-quality_score"],
                                name="idx_quality_lossy_files",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
