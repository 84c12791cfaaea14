"""One progress bar for every long command: done/total, rate and ETA, silent when piped.

Services report progress through plain callbacks (``progress(done, total)`` or
``on_item()``); a command passes :meth:`ProgressBar.update` or :meth:`ProgressBar.advance`,
so services never know whether a terminal, a log or a background job is listening.

A listener may also ask the work to stop by raising :class:`StopRequested` from the
callback (a background job that the user cancelled). Services call their callbacks between
batches, outside any transaction; one that holds rows not yet written writes them first,
then lets the exception through, so a stop keeps everything read so far, as Ctrl-C does.
"""

from __future__ import annotations

import time


class StopRequested(Exception):
    """Raised by a progress callback to stop the service at its next batch."""


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """A line redrawn in place at most ten times a second; nothing when ``stream`` is not a
    terminal (logs and pipes get the command's summary only).

    With a known ``total``: ``Scanning [#####-----] 120/400  30.0% 85 files/s ETA 0:00:03``;
    without one: ``Comparing: 12 comparisons 3.1/s``.
    """

    WIDTH = 30
    INTERVAL = 0.1

    def __init__(
        self,
        stream,
        *,
        label: str,
        total: int | None = None,
        unit: str = "files",
        enabled: bool | None = None,
    ):
        self.stream = stream
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def update(self, done: int, total: int | None = None) -> None:
        """Usable directly as a service's ``progress(done, total)`` callback."""
        self.done = done
        if total is not None:
            self.total = total
        if not self.enabled:
            return
        now = time.monotonic()
        finished = bool(self.total) and done >= (self.total or 0)
        if now - self.last_draw < self.INTERVAL and not finished:
            return
        self.last_draw = now
        self.stream.write(self._line(now), ending="")
        self.stream.flush()
        self.drawn = True

    def advance(self, count: int = 1) -> None:
        """Usable as a service's ``on_item()`` callback: one more item done."""
        self.update(self.done + count)

    def _line(self, now: float) -> str:
        rate = self.done / max(now - self.started, 1e-9)
        if not self.total:
            return f"\r{self.label}: {self.done:,} {self.unit} {rate:,.1f}/s"
        fraction = min(self.done / self.total, 1.0)
        filled = int(self.WIDTH * fraction)
        eta = _clock((self.total - self.done) / rate) if rate > 0 and self.done else "?"
        return (
            f"\r{self.label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] "
            f"{self.done:,}/{self.total:,} {fraction:6.1%} {rate:,.0f} {self.unit}/s ETA {eta}"
        )

    def close(self) -> None:
        if self.drawn:
            self.stream.write("")
            self.drawn = False
