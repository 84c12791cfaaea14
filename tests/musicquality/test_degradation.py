"""Before the v2.0.0 tables exist, pages and commands say what to run instead of failing."""

import textwrap

import pytest

from tests.conftest import manage_env, run_manage
from tests.legacy import legacy_library_create, legacy_row

PAGE_SCRIPT = textwrap.dedent(
    """
    from django.test.utils import setup_test_environment
    setup_test_environment()
    from django.contrib.auth.models import User
    from django.test import Client
    user = User.objects.create_user("viewer", password="pw-for-tests-only")
    client = Client()
    client.force_login(user)
    response = client.get("/")
    print("status", response.status_code)
    print(response.content.decode())
    """
)


def test_page_before_migration_says_what_to_run(tmp_path):
    legacy_library_create(tmp_path / "library_index.db", [legacy_row(i) for i in range(3)])
    env = manage_env(tmp_path)
    assert run_manage(env, "migrate").returncode == 0  # Django's own tables only
    result = run_manage(env, "shell", "-c", PAGE_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "status 503" in result.stdout
    assert "manage.py migrate --database=library" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


V2_COMMANDS = [
    ("analyze_quality",),
    ("find_duplicates",),
    ("dedupe",),
    ("recover", "1"),
    ("purge_quarantine", "--older-than", "30d"),
    ("identify_upgrades",),
    ("upgrades_export", "--action", "approved", "--csv", "out.csv"),
]


@pytest.mark.parametrize("args", V2_COMMANDS, ids=lambda a: a[0])
def test_command_needing_v2_before_migration(tmp_path, args):
    path = legacy_library_create(tmp_path / "library_index.db", [legacy_row(1)])
    result = run_manage(manage_env(tmp_path), *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert "run `python manage.py migrate --database=library`" in lines[0]
