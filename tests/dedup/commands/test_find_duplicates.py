import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import LIBRARY_DBS
from tests.dedup.helpers import library_db_checksum, tree_checksum

pytestmark = pytest.mark.django_db(transaction=True, databases=LIBRARY_DBS)


def run(*args) -> str:
    out = io.StringIO()
    call_command("find_duplicates", *args, stdout=out)
    return out.getvalue()


def test_table_and_totals(dedup_library, tmp_path):
    lib = dedup_library
    before = (tree_checksum(tmp_path), library_db_checksum())
    text = run()
    assert (tree_checksum(tmp_path), library_db_checksum()) == before
    reclaimable_kb = sum(lib.path(n).stat().st_size for n in ("a2", "a3", "b_wav")) / 1024
    assert f"2 duplicate groups, 3 files that could go, {reclaimable_kb:.1f} KB reclaimable" in text
    assert f"  keep    score   n/a  {lib.path('a1')}" in text
    assert f"  keep    score  85.0  {lib.path('b_flac')}" in text
    assert f"{lib.path('b_wav')}  (lower_quality, 0.82)" in text
    assert f"content differs or unreadable): {lib.path('c_128k_1')}" in text


def test_json_export_to_a_file_and_to_stdout(dedup_library, tmp_path):
    lib = dedup_library
    target = tmp_path / "dups.json"
    run("--json", str(target))
    data = json.loads(target.read_text())
    assert data == json.loads(run("--json", "-"))
    assert data["totals"] == {
        "groups": 2,
        "files": 3,
        "bytes_reclaimable": sum(lib.path(n).stat().st_size for n in ("a2", "a3", "b_wav")),
        "kept_by_decision": 0,
    }
    exact = data["groups"][0]
    assert exact["keeper_rule"] == "equal quality; this one was indexed first"
    assert exact["kept"] == []
    assert exact["matched_by"] == "content_hash" and exact["confirmed"] is True
    assert exact["keeper"]["file_path"] == str(lib.path("a1"))
    assert {o["file_path"] for o in exact["others"]} == {str(lib.path("a2")), str(lib.path("a3"))}
    assert {o["reason"] for o in exact["others"]} == {"exact_duplicate"}
    assert sorted(data["unconfirmed"]) == [str(lib.path("c_128k_1")), str(lib.path("c_128k_2"))]


def test_csv_export_has_one_row_per_file(dedup_library, tmp_path):
    lib = dedup_library
    target = tmp_path / "dups.csv"
    run("--csv", str(target))
    rows = list(csv.DictReader(target.open()))
    assert [(r["group"], r["role"]) for r in rows] == [
        ("1", "keep"), ("1", "remove"), ("1", "remove"), ("2", "keep"), ("2", "remove"),
    ]  # fmt: skip
    assert rows[4]["file_path"] == str(lib.path("b_wav"))
    assert (rows[4]["reason"], rows[4]["quality_score"]) == ("lower_quality", "40.0")


def test_prefer_and_duration_delta_options(dedup_library):
    lib = dedup_library
    text = run("--prefer", str(lib.root / "music" / "Backup"), "--max-duration-delta", "0.1")
    assert f"  keep    score   n/a  {lib.path('a3')}" in text
    assert "1 duplicate groups, 2 files" in text  # b_wav is 0.4 s longer: no longer grouped


def test_an_unwritable_export_is_a_one_line_error(dedup_library, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="cannot write"):
        run("--json", str(tmp_path / "missing-folder" / "x.json"))


@pytest.mark.parametrize("command", ["find_duplicates", "dedupe"])
def test_a_prefer_folder_that_does_not_exist_is_refused(dedup_library, command):
    """A typo would prefer nothing, silently, and the copy meant to stay could go."""
    missing = dedup_library.root / "music" / "Albmus"
    with pytest.raises(CommandError, match=rf"^--prefer {missing}: no such folder: give an"):
        call_command(command, "--prefer", str(missing), stdout=io.StringIO())
