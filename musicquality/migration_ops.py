"""The database side of our schema migrations, run by ``quality``'s migrations.

Each runs the DDL of ``musicquality.schema`` inside the migration's one transaction: a
refusal or a failed verification raises, and the rollback leaves the file as it was.
"""

from django.core.management.base import CommandError

from musicquality.schema import (
    SchemaError,
    schema_v2_1_apply,
    schema_v2_1_remove,
    schema_v2_2_apply,
    schema_v2_2_remove,
    schema_v2_apply,
    schema_v2_remove,
)


def _raw_cursor(schema_editor):
    return schema_editor.connection.connection.cursor()


def _run(step, schema_editor) -> None:
    try:
        step(_raw_cursor(schema_editor))
    except SchemaError as error:
        name = schema_editor.connection.settings_dict["NAME"]
        raise CommandError(f"library database {name}: {error}") from error


def schema_v2_forward(apps, schema_editor) -> None:
    _run(schema_v2_apply, schema_editor)


def schema_v2_backward(apps, schema_editor) -> None:
    _run(schema_v2_remove, schema_editor)


def schema_v2_1_forward(apps, schema_editor) -> None:
    _run(schema_v2_1_apply, schema_editor)


def schema_v2_1_backward(apps, schema_editor) -> None:
    _run(schema_v2_1_remove, schema_editor)


def schema_v2_2_forward(apps, schema_editor) -> None:
    _run(schema_v2_2_apply, schema_editor)


def schema_v2_2_backward(apps, schema_editor) -> None:
    _run(schema_v2_2_remove, schema_editor)
