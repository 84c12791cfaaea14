"""The database side of the v2.0.0 migration, run by ``quality.0001_initial``."""

from django.core.management.base import CommandError

from musicquality.schema import SchemaError, schema_v2_apply, schema_v2_remove


def _raw_cursor(schema_editor):
    return schema_editor.connection.connection.cursor()


def schema_v2_forward(apps, schema_editor) -> None:
    try:
        schema_v2_apply(_raw_cursor(schema_editor))
    except SchemaError as error:
        name = schema_editor.connection.settings_dict["NAME"]
        raise CommandError(f"library database {name}: {error}") from error


def schema_v2_backward(apps, schema_editor) -> None:
    schema_v2_remove(_raw_cursor(schema_editor))
