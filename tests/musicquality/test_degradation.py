"""Before the v2.0.0 tables exist, pages and commands say what to run instead of failing."""

import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
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


class NeedsV2Command(LibraryCommand):
    requires_schema_v2 = True

    def handle(self, *args, **options):
        self.stdout.write("ran")


def test_command_needing_v2_before_migration(tmp_path, settings):
    from django.db import connections

    path = legacy_library_create(tmp_path / "library_index.db", [legacy_row(1)])
    connections["library"].close()
    original = connections["library"].settings_dict["NAME"]
    connections["library"].settings_dict["NAME"] = str(path)
    try:
        with pytest.raises(
            CommandError, match=r"run `python manage.py migrate --database=library`"
        ):
            call_command(NeedsV2Command())
    finally:
        connections["library"].settings_dict["NAME"] = original
