import stat

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory


def login_request():
    """django-axes throttles logins per request: authenticate() needs one."""
    return RequestFactory().post("/login/")


@pytest.mark.django_db
def test_ensure_admin_creates_then_reuses_the_account_and_password(
    tmp_path, django_user_model, capsys
):
    password_file = tmp_path / "admin-password.txt"
    call_command("ensure_admin", "--password-file", str(password_file))
    password = password_file.read_text().strip()
    assert len(password) >= 12
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    out = capsys.readouterr().out
    assert "Created" in out and "http://127.0.0.1:8000/" in out and password in out
    user = authenticate(login_request(), username="admin", password=password)
    assert user is not None and user.is_staff and user.is_superuser

    call_command("ensure_admin", "--password-file", str(password_file))
    assert "Updated" in capsys.readouterr().out
    assert password_file.read_text().strip() == password
    assert django_user_model.objects.count() == 1
    assert authenticate(login_request(), username="admin", password=password) is not None


@pytest.mark.django_db
def test_ensure_admin_refuses_an_empty_user_name(tmp_path):
    with pytest.raises(CommandError, match="--username"):
        call_command("ensure_admin", "--username", " ", "--password-file", str(tmp_path / "p"))
