"""A one-line progress bar for long commands, drawn only on a terminal."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Redraws ``label [#####.....] done/total`` in place; silent when stdout is not a TTY,
    so logs and pipes get only the summary."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, label: str) -> None:
        self.out = out
        self.label = label
        self.enabled = out.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.out.write(f"\r{self.label} [{bar}] {done}/{total}", ending="")
        self.out.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.out.write("")
