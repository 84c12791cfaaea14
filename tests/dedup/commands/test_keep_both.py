"""Keep-both decisions survive a re-run of ``find_duplicates`` and ``dedupe --apply``."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from dedup.services.decisions import duplicate_decision_create
from tests.conftest import LIBRARY_DBS

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


def find_duplicates_json() -> dict:
    out = StringIO()
    call_command("find_duplicates", "--json", "-", stdout=out)
    return json.loads(out.getvalue())


def test_keep_both_survives_find_duplicates_and_dedupe_apply(dedup_library):
    lib = dedup_library
    flac, wav = lib.rows["b_flac"], lib.rows["b_wav"]
    a1, a2, a3 = (lib.rows[name] for name in ("a1", "a2", "a3"))
    duplicate_decision_create(file_ids=[flac.id, wav.id])
    duplicate_decision_create(file_ids=[a1.id, a2.id])

    report = find_duplicates_json()
    listed = {f["library_id"] for g in report["groups"] for f in (g["keeper"], *g["others"])}
    assert wav.id not in listed and flac.id not in listed
    (exact,) = [g for g in report["groups"] if g["keeper"]["library_id"] == a1.id]
    assert [f["library_id"] for f in exact["others"]] == [a3.id]
    assert [f["library_id"] for f in exact["kept"]] == [a2.id]
    assert report["totals"]["kept_by_decision"] == 2

    call_command("dedupe", "--apply", "--yes", "--min-confidence", "0.5", stdout=StringIO())
    assert lib.path("a2").is_file() and lib.path("b_wav").is_file()
    assert not lib.path("a3").exists()  # not covered by any decision
    again = find_duplicates_json()
    assert again["totals"]["files"] == 0
    assert again["totals"]["kept_by_decision"] == 2
