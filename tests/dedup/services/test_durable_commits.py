"""The file-moving protocols commit their history rows with ``synchronous=FULL``: synced to
the disk before the file moves, so that a power loss cannot take back a row whose move it
kept (WAL with the report's NORMAL may). Read back from the real connection and from the
statements the real dedupe runs."""

from __future__ import annotations

import pytest
from django.db import connections

from dedup.services.dedupe import dedupe_apply, dedupe_plan
from dedup.services.files import quarantine_lock
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(databases=LIBRARY_DBS, transaction=True)

NORMAL, FULL = 1, 2


def synchronous() -> int:
    with connections["library"].cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        return cursor.fetchone()[0]


def test_commits_are_durable_while_the_quarantine_is_held(dedup_settings, clean_library):
    assert synchronous() == NORMAL  # the report's setting, everywhere else
    with quarantine_lock():
        assert synchronous() == FULL
    assert synchronous() == NORMAL


def test_dedupe_writes_its_history_rows_with_full_sync(
    clean_library, dedup_library, dedup_settings
):
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(" ".join(sql.split()))
        return execute(sql, params, many, context)

    plan = dedupe_plan(min_confidence=0.5)
    with connections["library"].execute_wrapper(record):
        result = dedupe_apply(groups=plan.groups)
    assert result.quarantined
    full = statements.index(f"PRAGMA synchronous={FULL}")
    restored = statements.index(f"PRAGMA synchronous={NORMAL}")
    history = [i for i, sql in enumerate(statements) if 'INTO "dedup_history"' in sql]
    assert history and full < min(history) and max(history) < restored
