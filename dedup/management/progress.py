"""A one-line progress bar for long commands, shown only on a terminal."""

from __future__ import annotations

import time


class ProgressBar:
    """``[#####.....] 12/40 files  3.1/s`` redrawn in place; silent when output is not a TTY
    (logs and pipes get the summary only)."""

    WIDTH = 30

    def __init__(self, stream, *, total: int | None, label: str) -> None:
        self.stream = stream
        self.total = total
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty())

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if self.total:
            filled = int(self.WIDTH * self.done / self.total)
            bar = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}"
        else:
            bar = f"{self.done}"
        self.stream.write(f"\r{bar} {self.label}  {rate:.1f}/s", ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("")
