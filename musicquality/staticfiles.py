"""The collected static files, checked when the server starts (``musicquality.wsgi``).

With DEBUG off, pages name their stylesheet through the manifest that ``collectstatic``
writes; without it (or with one older than the files) every page answers 500. The server
refuses to start instead, saying which command to run. Management commands are not checked:
they serve no page (and ``collectstatic`` must run before any manifest exists).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.exceptions import ImproperlyConfigured

COLLECT_COMMAND = "python manage.py collectstatic --noinput"
MANIFEST_NAME = "staticfiles.json"


def static_files_problem() -> str | None:
    """Why the pages could not find their static files now, or None."""
    if settings.DEBUG:
        return None  # served from the source folders (WHITENOISE_USE_FINDERS)
    manifest = Path(settings.STATIC_ROOT) / MANIFEST_NAME
    try:
        collected = json.loads(manifest.read_text(encoding="utf-8")).get("paths", {})
    except (OSError, ValueError):
        return f"static files were never collected into {settings.STATIC_ROOT}"
    for finder in get_finders():
        for name, _storage in finder.list([]):
            if name not in collected:
                return f"static file {name} is newer than the last collectstatic"
    return None


def static_files_check() -> None:
    """Raise ``ImproperlyConfigured`` (the server does not start) when pages would fail."""
    problem = static_files_problem()
    if problem:
        raise ImproperlyConfigured(
            f"{problem}: run `{COLLECT_COMMAND}` (with the same settings, after each update), "
            "then start the server again"
        )
