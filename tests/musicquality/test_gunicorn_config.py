"""The gunicorn worker hook, run in a real process (it changes that process's collector)."""

from __future__ import annotations

import textwrap

from tests.conftest import manage_env, run_django_script

HOOK = textwrap.dedent(
    """
    import gc
    import django
    django.setup()
    from musicquality import gunicorn_config
    before = gc.get_threshold()
    gunicorn_config.post_worker_init(worker=None)
    after = gc.get_threshold()
    print(before[2], after[2], gc.get_freeze_count() > 0, after[:2] == before[:2])
    """
)


def test_the_worker_hook_freezes_what_is_loaded_and_makes_full_collections_rarer(tmp_path):
    result = run_django_script(manage_env(tmp_path), HOOK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10", "100", "True", "True"]
