"""Writes of the project package: the local admin account ``make demo`` creates."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminAccount:
    username: str
    password: str
    created: bool


def admin_password_load_or_create(*, path: Path) -> str:
    """The password kept in ``path`` (owner-only), or a new random one written there.

    Keeping it in a file makes ``make demo`` idempotent: a second run logs in with the same
    password instead of changing it under a browser session.
    """
    if path.exists():
        password = path.read_text(encoding="utf-8").strip()
        if password:
            return password
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def admin_account_ensure(*, username: str, password: str) -> AdminAccount:
    """Create the superuser ``username``, or make an existing one active staff again.

    The password is (re)set either way, so the printed credentials always work.
    """
    user_model = get_user_model()
    lookup: dict[str, Any] = {user_model.USERNAME_FIELD: username}
    user, created = user_model.objects.get_or_create(**lookup)
    user.is_active = user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    logger.info("admin account %s %s", username, "created" if created else "updated")
    return AdminAccount(username=username, password=password, created=created)
