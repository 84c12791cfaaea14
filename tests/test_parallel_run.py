"""``make test`` runs the tests on parallel workers (pytest-xdist) and relies on each module
running in its order on one worker: a test may build on the one before it
(``tests/e2e/test_jobs.py`` scans, then reviews what the scan found), and module fixtures are
built once.

The Makefile asks for ``--dist loadfile``. ``--dist loadgroup`` with ``xdist_group`` marks
would do the same, but pytest-xdist 3.8 groups by a suffix it writes into ``item._nodeid``,
which pytest 9.2 no longer reads (pytest-dev/pytest-xdist#1386): every test then becomes a
group of its own, and a module's tests are spread over the workers without any error."""

from __future__ import annotations

import os

pids_of_the_first_test: list[int] = []


def test_the_first_test_of_a_module():
    pids_of_the_first_test.append(os.getpid())


def test_runs_after_the_one_before_it_in_the_same_worker(request):
    selected = [item.name for item in request.session.items]
    if "test_the_first_test_of_a_module" in selected:
        assert pids_of_the_first_test == [os.getpid()], (
            "the module's first test ran in another process or not before this one: "
            f"{pids_of_the_first_test} (this worker: {os.getpid()}); check the Makefile's --dist"
        )
    else:  # run alone (pytest -k): nothing to compare
        assert pids_of_the_first_test == []
