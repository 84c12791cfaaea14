"""The library summary (docs/summary.md): our derived tables in the library database,
created and filled from what is there; dropped on the way back. The legacy tables get
nothing (no trigger, index or column)."""

from django.db import migrations


def summary_create(apps, schema_editor) -> None:
    from quality.services.summary import summary_build

    with schema_editor.connection.cursor() as cursor:
        summary_build(cursor)


def summary_drop(apps, schema_editor) -> None:
    from quality.services.summary import summary_tables_drop

    with schema_editor.connection.cursor() as cursor:
        summary_tables_drop(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0004_schema_v2_2_0"),
    ]

    operations = [migrations.RunPython(summary_create, summary_drop)]
