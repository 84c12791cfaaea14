import datetime
import re
import sqlite3
from pathlib import Path

import pytest

from tests.legacy import music_tools_create


def iso_days_ago(days: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    return moment.isoformat()


@pytest.fixture
def music_tools(tmp_path: Path):
    """A real, empty Music Tools ``music_tools.db``, and an open connection to fill it."""
    path = music_tools_create(tmp_path / "music_tools.db")
    conn = sqlite3.connect(path)
    yield path, conn
    conn.close()


@pytest.fixture
def committed_library():
    """For tests that need committed rows (a ``LibraryCommand`` opens its own connection to
    check the file, which the test-case transaction's write lock would block). Django's flush
    skips unmanaged tables, so the legacy rows are removed here."""
    from quality.models import LibraryFile

    yield
    LibraryFile.objects.all().delete()


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token_from(response) -> str:
    """The token a real browser would post back: the one in the page's form."""
    match = CSRF_INPUT.search(response.content.decode())
    assert match, "page has no CSRF token"
    return match.group(1)


def staff_user_make(*, username="curator", permissions=("view", "change")):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user(username=username, password="x-long-password", is_staff=True)
    codenames = [f"{p}_upgradecandidate" for p in permissions]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def curator_client(db):
    """Logged in as staff who may view and change candidates (not a superuser), with CSRF
    checks on, as a browser posts."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user_make())
    return client
