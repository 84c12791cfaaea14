"""The analysis backlog has one definition: what ``analyze_quality`` would analyse now."""

from __future__ import annotations

import datetime

import pytest

from musicquality.fields import to_iso_text
from overview.selectors import health_get, library_overview_get
from quality.selectors import analysis_backlog_count, files_to_analyse
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make


def days_ago(days: float) -> str:
    return to_iso_text(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days))


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_backlog_counts_what_analysis_would_do_and_the_pages_show_it():
    current = library_file_make()
    file_quality_make(current)
    never = library_file_make()
    changed = library_file_make(file_mtime=days_ago(0))
    file_quality_make(changed, analyzed_at=days_ago(1))
    rescored = library_file_make()
    file_quality_make(rescored, analyzer_version="0.0.1+score.0")  # an older formula
    unknown = library_file_make()
    file_quality_make(unknown, analyzer_version=None)
    gone = library_file_make(is_active=False)  # inactive: in no backlog
    file_quality_make(gone, analyzer_version=None)
    assert [f.id for f in files_to_analyse()] == [never.id, changed.id, rescored.id, unknown.id]
    assert analysis_backlog_count() == len(files_to_analyse()) == 4
    assert library_overview_get().backlog == 4
    assert health_get()["analysis_backlog"] == 4


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_backlog_by_path_prefix():
    inside = library_file_make(file_path="/music/a/one.mp3")
    library_file_make(file_path="/music/b/two.mp3")
    assert analysis_backlog_count(path_prefix="/music/a/") == 1
    assert [f.id for f in files_to_analyse(path_prefix="/music/a/")] == [inside.id]
