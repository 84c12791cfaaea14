"""Test settings: every MUSICQUALITY_* path points into a fresh temporary folder.

Set before the project settings are read, so a user's real library database can never be
touched by the test suite, whatever their environment says.
"""

import os
import tempfile
from pathlib import Path

TEST_VAR_DIR = Path(tempfile.mkdtemp(prefix="musicquality-tests-"))

os.environ.update(
    {
        "MUSICQUALITY_DEBUG": "1",
        "MUSICQUALITY_LIBRARY_DB": str(TEST_VAR_DIR / "library_index.db"),
        "MUSICQUALITY_APP_DB": str(TEST_VAR_DIR / "app.sqlite3"),
        "MUSICQUALITY_QUARANTINE_DIR": str(TEST_VAR_DIR / "quarantine"),
        "MUSICQUALITY_BUSY_TIMEOUT": "5",
        "MUSICQUALITY_STATIC_ROOT": str(TEST_VAR_DIR / "static"),
        "MUSICQUALITY_JOBS_QUEUE": str(TEST_VAR_DIR / "app-jobs.sqlite3"),
        # Jobs run inside the request or call that starts them (Huey's immediate mode);
        # tests/jobs/test_worker.py runs a real worker process instead.
        "MUSICQUALITY_JOBS_IMMEDIATE": "1",
    }
)
(TEST_VAR_DIR / "static").mkdir()
for name in (
    "MUSICQUALITY_STREAMING_DB",
    "MUSICQUALITY_BACKUP_DIR",
    "MUSICQUALITY_LIBRARY_ROOTS",
    "MUSICQUALITY_IMPORT_ROOTS",
    "MUSICQUALITY_IMPORT_PATH_TEMPLATE",
    "MUSICQUALITY_SCHEDULE_SCAN_HOURS",
):
    os.environ.pop(name, None)

from musicquality.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
