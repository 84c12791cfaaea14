"""How a page shows a library path: relative to the library root it is under, so a list fits
the screen; the full path goes into the element's ``title`` (shown on hover)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def path_under_roots(path: str, roots: Sequence[PurePath]) -> str:
    """``/music/A/B/x.flac`` under the root ``/music`` → ``A/B/x.flac``; a path under no root
    (or under the deepest of nested roots) as it is, or relative to the deepest root."""
    pure = PurePath(path)
    best: PurePath | None = None
    for root in roots:
        root = PurePath(root)
        deeper = best is None or len(root.parts) > len(best.parts)
        if pure.is_relative_to(root) and pure != root and deeper:
            best = root
    return str(pure.relative_to(best)) if best is not None else path


def path_short_html(path: str | None, roots: Sequence[PurePath]) -> SafeString:
    """The short path in a ``<span class="path" title="full path">``; ``—`` for none."""
    if not path:
        return mark_safe("—")
    return format_html(
        '<span class="path" title="{}">{}</span>', path, path_under_roots(path, roots)
    )
