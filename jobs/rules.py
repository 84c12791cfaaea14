"""Pure rules of the job queue: the schedule and the library roots a scan may walk."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path, PurePath

#: How often the worker looks whether a scheduled scan is due (minutes).
SCHEDULE_CHECK_MINUTES = 10


def schedule_due(
    *, last_started: datetime.datetime | None, now: datetime.datetime, every_hours: float
) -> bool:
    """Whether the periodic scan + analyse is due: the schedule is on (``every_hours`` > 0)
    and the last scheduled scan was asked for at least ``every_hours`` ago (or never)."""
    if every_hours <= 0:
        return False
    if last_started is None:
        return True
    return now - last_started >= datetime.timedelta(hours=every_hours)


def scan_path_root(path: str, roots: Sequence[PurePath]) -> PurePath | None:
    """The library root that holds ``path`` (an absolute path), or None: a scan may walk only
    inside ``MUSICQUALITY_LIBRARY_ROOTS``. Both sides are compared with their symbolic links
    resolved: a path through a symlinked root is inside it, a link out of a root is not."""
    resolved = Path(os.path.realpath(path))
    for root in roots:
        if resolved.is_relative_to(os.path.realpath(root)):
            return root
    return None
