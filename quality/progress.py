"""A one-line progress bar for management commands: files/s and ETA, silent when piped."""

from __future__ import annotations

import time


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """Redraws at most ten times a second; does nothing when ``stream`` is not a terminal."""

    WIDTH = 30
    INTERVAL = 0.1

    def __init__(self, stream, *, label: str, total: int = 0, enabled: bool | None = None):
        self.stream = stream
        self.total = total
        self.label = label
        self.enabled = stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def update(self, done: int, total: int | None = None) -> None:
        """Usable directly as a service's ``progress(done, total)`` callback."""
        if total is not None:
            self.total = total
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_draw < self.INTERVAL and done < self.total:
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        fraction = done / self.total if self.total else 1.0
        filled = int(self.WIDTH * fraction)
        eta = _clock((self.total - done) / rate) if rate > 0 and done else "?"
        line = (
            f"\r{self.label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{self.total} "
            f"{fraction:6.1%} {rate:,.0f} files/s ETA {eta}"
        )
        self.stream.write(line, ending="")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("")
            self.drawn = False
