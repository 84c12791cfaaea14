"""The labelled set is built once per test session and verified once (two processes)."""

import pytest

from bench import labelled_set as LS
from bench import verify_report as report


@pytest.fixture(scope="session")
def labelled(tmp_path_factory):
    root = tmp_path_factory.mktemp("labelled_set")
    return LS.build_labelled_set(root, seconds=20.0, workers=2)


@pytest.fixture(scope="session")
def results(labelled):
    return report.verify_all(labelled, workers=2)
