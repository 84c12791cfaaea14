"""The models say what the DDL says: column for column, index for index.

The tables are created from DDL text (the legacy tool's, and the report's v2.0.0 run by the
migration), never by Django's schema editor; the models are how the code reads them. Nothing
else ties the two together, so this test does: a column renamed, a NULL-ness or default
changed, an index added in one and not the other fails here.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.db import models

from dedup.models import DedupHistory
from musicquality.schema import (
    ALL_INDEXES,
    LEGACY_LIBRARY_DDL,
    SCHEMA_STEPS,
    SETTINGS_DDL,
    index_layout,
    table_layout,
)
from quality.models import (
    AudioVerification,
    FileQuality,
    LibraryFile,
    LibrarySetting,
    LibraryStats,
    QualityHistory,
    VettingHistory,
)
from upgrades.models import StreamingMatch, UpgradeCandidate, UpgradeJob

SQLITE_TYPES = {
    "AutoField": "INTEGER",
    "IntegerField": "INTEGER",
    "BigIntegerField": "INTEGER",
    "BooleanField": "INTEGER",
    "FloatField": "REAL",
    "TextField": "TEXT",
    "OneToOneField": "INTEGER",
    "ForeignKey": "INTEGER",
}


@pytest.fixture(scope="module")
def scratch():
    conn = sqlite3.connect(":memory:")
    for statement in (*LEGACY_LIBRARY_DDL, SETTINGS_DDL):
        conn.execute(statement)
    for step in SCHEMA_STEPS:  # the migrations' DDL, version after version
        for statement in (*step.columns.values(), *step.tables.values(), *step.indexes.values()):
            conn.execute(statement)
    yield conn.cursor()
    conn.close()


def model_columns(model) -> list[tuple]:
    """(column, SQLite type, NOT NULL, default, primary key) per concrete field, in order."""
    columns = []
    for field in model._meta.concrete_fields:
        default = None
        if field.has_default() and not callable(field.default):
            value = field.default
            default = str(int(value)) if isinstance(value, bool | int) else f"'{value}'"
        columns.append(
            (
                field.column,
                SQLITE_TYPES[field.get_internal_type()],
                0 if field.null or field.primary_key else 1,
                default,
                1 if field.primary_key else 0,
            )
        )
    return columns


def ddl_columns(cursor, table: str) -> list[tuple]:
    """The same facts from SQLite; a PRIMARY KEY column is NOT NULL in effect."""
    return [
        (name, col_type, 0 if pk else notnull, default, pk)
        for name, col_type, notnull, default, pk in table_layout(cursor, table).columns
    ]


@pytest.mark.parametrize(
    "model", [LibraryFile, LibraryStats, VettingHistory, LibrarySetting], ids=lambda m: m.__name__
)
def test_unmanaged_legacy_models_match_the_legacy_ddl(scratch, model):
    assert model._meta.managed is False
    assert model_columns(model) == ddl_columns(scratch, model._meta.db_table)


@pytest.mark.parametrize(
    "model",
    [
        FileQuality,
        DedupHistory,
        UpgradeCandidate,
        AudioVerification,
        QualityHistory,
        StreamingMatch,
        UpgradeJob,
    ],
    ids=lambda m: m.__name__,
)
def test_our_models_match_the_ddl_the_migrations_run(scratch, model):
    table = model._meta.db_table
    assert model_columns(model) == ddl_columns(scratch, table)
    layout = table_layout(scratch, table)
    relations = sorted(
        (f.related_model._meta.db_table, f.column, f.target_field.column, "NO ACTION", "CASCADE")
        for f in model._meta.concrete_fields
        if f.is_relation and f.db_constraint
    )
    assert list(layout.foreign_keys) == relations
    unique = sorted(
        (f.column,) for f in model._meta.concrete_fields if f.unique and not f.primary_key
    )
    assert list(layout.unique_constraints) == unique


def _index_from_model(model, index: models.Index) -> tuple:
    columns = tuple(
        (model._meta.get_field(name.lstrip("-")).column, int(name.startswith("-")))
        for name in index.fields
    )
    where = ""
    if index.condition is not None:
        (name, value), *rest = index.condition.children
        assert not rest
        column = model._meta.get_field(name).column
        where = f"where {column} = {int(value) if isinstance(value, bool) else value}"
    return (model._meta.db_table, columns, where)


def test_our_model_indexes_match_the_ddl_indexes(scratch):
    from_models = {
        index.name: _index_from_model(model, index)
        for model in (
            FileQuality,
            DedupHistory,
            UpgradeCandidate,
            AudioVerification,
            QualityHistory,
            StreamingMatch,
            UpgradeJob,
        )
        for index in model._meta.indexes
    }
    ddl_names = set(ALL_INDEXES)
    assert set(from_models) == ddl_names
    for name in ddl_names:
        assert from_models[name] == index_layout(scratch, name), name


def test_settings_table_has_the_music_tools_layout(scratch):
    from musicquality.schema import LEGACY_MUSIC_TOOLS_DDL

    music_tools = sqlite3.connect(":memory:")
    for statement in LEGACY_MUSIC_TOOLS_DDL:
        music_tools.execute(statement)
    assert table_layout(music_tools.cursor(), "settings") == table_layout(scratch, "settings")
