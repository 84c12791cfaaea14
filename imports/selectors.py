"""Reads for the Imports page: stored vettings, their files, the folders that may be vetted."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from imports.models import ImportFile, ImportVetting
from musicquality.routers import APP_DB_ALIAS

#: How deep below each import root the page offers folders.
FOLDER_DEPTH = 2
MAX_FOLDERS = 500


def import_roots() -> list[Path]:
    return list(settings.IMPORT_ROOTS)


def import_vettings_list() -> QuerySet[ImportVetting]:
    return ImportVetting.objects.using(APP_DB_ALIAS).order_by("-id")


def import_vetting_get(*, vetting_id: int) -> ImportVetting | None:
    return ImportVetting.objects.using(APP_DB_ALIAS).filter(pk=vetting_id).first()


def import_files_of(*, vetting: ImportVetting) -> QuerySet[ImportFile]:
    return ImportFile.objects.using(APP_DB_ALIAS).filter(vetting=vetting).order_by("path")


def import_folder_choices() -> list[str]:
    """The import roots and their folders down to :data:`FOLDER_DEPTH` levels, sorted (the
    page offers them; at most :data:`MAX_FOLDERS`). Unreadable folders are skipped."""
    found: list[str] = []
    for root in import_roots():
        stack = [(root, 0)]
        while stack and len(found) < MAX_FOLDERS:
            folder, depth = stack.pop()
            found.append(str(folder))
            if depth >= FOLDER_DEPTH:
                continue
            try:
                entries = sorted(
                    (e for e in os.scandir(folder) if e.is_dir() and not e.name.startswith(".")),
                    key=lambda e: e.name,
                    reverse=True,
                )
            except OSError:
                continue
            stack += [(Path(entry.path), depth + 1) for entry in entries]
    return sorted(found)


class FolderNotAllowed(ValueError):
    """A folder the page may not vet; the message says why."""


def import_folder_resolve(*, folder: str) -> Path:
    """``folder`` as a real path inside one of ``MUSICQUALITY_IMPORT_ROOTS`` (links resolved
    first, so none leads out), or :class:`FolderNotAllowed`."""
    roots = import_roots()
    if not roots:
        raise FolderNotAllowed(
            "no import folders are configured: set MUSICQUALITY_IMPORT_ROOTS to the folders "
            "downloads arrive in (separated by ':')"
        )
    text = folder.strip()
    if not text:
        raise FolderNotAllowed("give a folder to vet")
    resolved = Path(os.path.abspath(os.path.expanduser(text))).resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise FolderNotAllowed(
            f"{text} is not inside MUSICQUALITY_IMPORT_ROOTS ({', '.join(map(str, roots))})"
        )
    if not resolved.is_dir():
        raise FolderNotAllowed(f"{text} is not a folder")
    return resolved
