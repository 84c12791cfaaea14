"""Deployment hardening: failed logins throttled, a Content-Security-Policy, 500s logged,
file names escaped in command output, and a server refusing to start without its static
files."""

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command

from musicquality.commands import printable
from tests.conftest import REPO_ROOT, manage_env, run_django_script, run_manage

TEMPLATES = REPO_ROOT / "templates"


# --- login throttling ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login_path", ["/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_login_out(client, admin_user, login_path):
    for _ in range(30):
        client.post(login_path, {"username": admin_user.username, "password": "wrong"})
    response = client.post(
        login_path, {"username": admin_user.username, "password": "password"}, follow=True
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    call_command("axes_reset", stdout=io.StringIO())
    response = client.post(login_path, {"username": admin_user.username, "password": "password"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_few_wrong_passwords_do_not_lock_anyone_out(client, admin_user):
    for _ in range(4):
        client.post("/login/", {"username": admin_user.username, "password": "wrong"})
    response = client.post("/login/", {"username": admin_user.username, "password": "password"})
    assert response.status_code == 302


# --- Content-Security-Policy -------------------------------------------------------------------


@pytest.mark.django_db(databases=["default", "library"])
@pytest.mark.parametrize("path", ["/login/", "/", "/files/", "/admin/"])
def test_every_page_has_a_strict_content_security_policy(superuser_client, path):
    response = superuser_client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_styles_or_scripts():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert " style=" not in text, template
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text, template


# --- 500s logged with DEBUG off ---------------------------------------------------------------

FAILING_REQUEST = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test.utils import setup_test_environment
    setup_test_environment()
    from django.test import Client
    from django.test.utils import override_settings
    with override_settings(ROOT_URLCONF="tests.musicquality.failing_urls"):
        from django.contrib.auth.models import User
        user = User.objects.create_superuser("u", "u@example.org", "pw-for-this-test-only")
        client = Client(raise_request_exception=False)
        client.force_login(user)
        print(client.get("/failing/?x=1").status_code)
    """
)


def test_a_500_is_logged_to_stderr_with_its_path_when_debug_is_off(tmp_path):
    env = manage_env(
        tmp_path,
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_SECRET_KEY="test-only-secret-key-0123456789-0123456789-0123456789",
    )
    assert run_manage(env, "migrate", "-v0").returncode == 0
    result = run_django_script(env, FAILING_REQUEST)
    assert result.stdout.strip() == "500", result.stderr
    assert "Internal Server Error: /failing/" in result.stderr
    assert "Traceback" in result.stderr and "RuntimeError: a failure for the logging test" in (
        result.stderr
    )


# --- file names in command output ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a\nFAKE: line.mp3", "a\\nFAKE: line.mp3"),
        ("tab\there\r.mp3", "tab\\there\\r.mp3"),
        ("\x1b[2J\x1b[31mred.mp3", "\\x1b[2J\\x1b[31mred.mp3"),
        (os.fsdecode(b"bad\xff.mp3"), "bad\\xff.mp3"),
        ("line\u2028sep.mp3", "line\\u2028sep.mp3"),
        ("Añna – ünïcode\\back.mp3", "Añna – ünïcode\\back.mp3"),
    ],
)
def test_printable_keeps_a_file_name_on_one_line(name, shown):
    assert printable(name) == shown
    assert printable(name).isprintable()


# --- static files at server start ---------------------------------------------------------------


def test_a_server_started_before_collectstatic_refuses_to_start_and_says_why(tmp_path):
    static_root = tmp_path / "static"
    static_root.mkdir()
    env = manage_env(
        tmp_path,
        MUSICQUALITY_DEBUG="0",
        MUSICQUALITY_SECRET_KEY="test-only-secret-key-0123456789-0123456789-0123456789",
        MUSICQUALITY_STATIC_ROOT=str(static_root),
    )
    server = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:musicquality.gunicorn_config",
         "--bind", "127.0.0.1:0", "--workers", "1", "musicquality.wsgi"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert server.returncode != 0
    assert "python manage.py collectstatic" in server.stderr
    assert run_manage(env, "collectstatic", "--noinput", "-v0").returncode == 0
    started = subprocess.run(
        [sys.executable, "-c", "import musicquality.wsgi"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    (Path(static_root) / "staticfiles.json").unlink()
