"""Schema v2.2.0 of the library database, in one transaction (docs/schema.md).

The report's Phase 3 DDL verbatim (``streaming_matches``, ``upgrade_jobs``) and our three
indexes on them, run by ``musicquality.schema.schema_v2_2_apply``: refused before anything
changes when same-named objects have another layout, verified after, rolled back as a whole
on failure. The models' state is ``upgrades.0003_schema_v2_2_0``. The reverse
(``migrate --database=library quality 0003``) returns the file to exactly v2.1.0.
"""

from django.db import migrations

from musicquality.migration_ops import schema_v2_2_backward, schema_v2_2_forward


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0003_audio_matches"),
    ]

    operations = [
        migrations.RunPython(schema_v2_2_forward, schema_v2_2_backward),
    ]
