"""Schema v2.1.0 of the library database, in one transaction (docs/schema.md).

The report's Phase 2 DDL verbatim (``file_quality.acoustid_fingerprint``, ``acoustid_id``,
``idx_quality_acoustid``, ``quality_history``) and our ``audio_verification``, run by
``musicquality.schema.schema_v2_1_apply``: refused before anything changes when same-named
objects have another layout, verified after, rolled back as a whole on failure. The reverse
(``migrate --database=library quality 0001``) returns the file to exactly v2.0.0.
"""

import django.db.models.deletion
from django.db import migrations, models

import musicquality.fields
from musicquality.migration_ops import schema_v2_1_backward, schema_v2_1_forward


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(schema_v2_1_forward, schema_v2_1_backward)],
            state_operations=[
                migrations.CreateModel(
                    name="AudioVerification",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("verified_at", musicquality.fields.IsoTimestampField()),
                        ("verifier_version", models.TextField()),
                        ("decoded_seconds", models.FloatField(blank=True, null=True)),
                        (
                            "integrity",
                            models.TextField(help_text="'ok', or what is wrong and where"),
                        ),
                        (
                            "md5_status",
                            models.TextField(
                                choices=[
                                    ("match", "match"),
                                    ("mismatch", "mismatch"),
                                    ("unset", "unset"),
                                    ("n.a.", "n.a."),
                                ]
                            ),
                        ),
                        (
                            "cutoff_hz",
                            models.FloatField(
                                blank=True, help_text="the spectral wall, if any", null=True
                            ),
                        ),
                        (
                            "high_band_floor_db",
                            models.FloatField(
                                blank=True,
                                help_text="the level above the wall, relative to the music",
                                null=True,
                            ),
                        ),
                        ("effective_sample_rate", models.IntegerField(blank=True, null=True)),
                        ("effective_bit_depth", models.IntegerField(blank=True, null=True)),
                        (
                            "estimated_source",
                            models.TextField(blank=True, help_text="e.g. MP3 ≈128 kbps", null=True),
                        ),
                        ("estimated_source_codec", models.TextField(blank=True, null=True)),
                        ("estimated_source_kbps", models.IntegerField(blank=True, null=True)),
                        (
                            "evidence",
                            models.TextField(
                                blank=True, help_text="JSON: the measurements", null=True
                            ),
                        ),
                        (
                            "verdict",
                            models.TextField(
                                choices=[
                                    ("ok", "ok"),
                                    ("lossy_source", "lossy source"),
                                    ("upsampled", "upsampled"),
                                    ("padded_bits", "padded bits"),
                                    ("damaged", "damaged"),
                                    ("inconclusive", "inconclusive"),
                                ]
                            ),
                        ),
                        (
                            "pcm_hash",
                            models.TextField(
                                blank=True, help_text="hash of the decoded audio", null=True
                            ),
                        ),
                        ("decoder_version", models.TextField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "audio verification",
                        "db_table": "audio_verification",
                    },
                ),
                migrations.CreateModel(
                    name="QualityHistory",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        ("quality_score", models.FloatField()),
                        ("measured_at", musicquality.fields.IsoTimestampField()),
                        ("analyzer_version", models.TextField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name_plural": "quality history",
                        "db_table": "quality_history",
                    },
                ),
                migrations.AddField(
                    model_name="filequality",
                    name="acoustid_fingerprint",
                    field=models.TextField(
                        blank=True,
                        help_text="Chromaprint fingerprint of the first 120 s (compressed)",
                        null=True,
                    ),
                ),
                migrations.AddField(
                    model_name="filequality",
                    name="acoustid_id",
                    field=models.TextField(
                        blank=True,
                        help_text="AcoustID service id (no network look-ups: left empty)",
                        null=True,
                    ),
                ),
                migrations.AddIndex(
                    model_name="filequality",
                    index=models.Index(fields=["acoustid_id"], name="idx_quality_acoustid"),
                ),
                migrations.AddField(
                    model_name="audioverification",
                    name="library_file",
                    field=models.OneToOneField(
                        db_column="library_file_id",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="verification",
                        to="quality.libraryfile",
                    ),
                ),
                migrations.AddField(
                    model_name="qualityhistory",
                    name="library_file",
                    field=models.ForeignKey(
                        db_column="library_file_id",
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quality_history",
                        to="quality.libraryfile",
                    ),
                ),
                migrations.AddIndex(
                    model_name="audioverification",
                    index=models.Index(fields=["verdict"], name="idx_verification_verdict"),
                ),
                migrations.AddIndex(
                    model_name="audioverification",
                    index=models.Index(fields=["pcm_hash"], name="idx_verification_pcm_hash"),
                ),
                migrations.AddIndex(
                    model_name="qualityhistory",
                    index=models.Index(
                        fields=["library_file", "measured_at"], name="idx_quality_history_file"
                    ),
                ),
            ],
        ),
    ]
