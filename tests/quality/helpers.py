"""Helpers for the quality tests."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np

from quality.services.audio_make import to_int
from quality.services.tags import AudioTags, TagReadError, tagged_file_read


def tags_read(*, path: Path) -> AudioTags:
    """The tags the scanner stores for ``path`` (empty when it cannot read them)."""
    try:
        return tagged_file_read(path=path).tags
    except TagReadError:
        return AudioTags()


def pcm_int16_chunks(path: Path) -> Iterator[tuple[int, int, np.ndarray]]:
    """(sample rate, channels, interleaved int16 chunk) per decoded frame, converted by
    libswresample: what a decode loop feeding ``FingerprintAccumulator`` sees."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        channels = stream.codec_context.channels
        resampler = av.AudioResampler(
            format="s16", layout=stream.codec_context.layout.name, rate=rate
        )
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                yield rate, channels, out.to_ndarray().reshape(-1)
        for out in resampler.resample(None):
            yield rate, channels, out.to_ndarray().reshape(-1)


def pcm_int16(path: Path) -> np.ndarray:
    """The whole decoded stream as one interleaved int16 array."""
    return np.concatenate([chunk for _, _, chunk in pcm_int16_chunks(path)])


def interleaved_int16(data: np.ndarray) -> np.ndarray:
    """(channels, samples) float in [-1, 1] -> interleaved int16 (rounded, clipped)."""
    return np.ascontiguousarray(to_int(data, 16).T).reshape(-1).astype(np.int16)


# --- the /files/ list, read as a user follows it ---------------------------------------------

NEXT_LINK = re.compile(r'<a href="(\?[^"]*)" class="next"')


def listed_ids(response) -> list[int]:
    """The ids of the files one ``/files/`` page lists, in its order."""
    return [row.record.pk for row in response.context["table"].paginated_rows]


def file_list_walk(client, url: str, *, between: Callable[[], None] | None = None) -> list[int]:
    """Every id on every page of the ``/files/`` list at ``url``, following "Next" from that
    page (a filtered list is never counted: issue 16); ``between`` runs between two pages."""
    from django.urls import reverse

    ids: list[int] = []
    for _ in range(200):
        response = client.get(url)
        assert response.status_code == 200
        ids += listed_ids(response)
        found = NEXT_LINK.search(response.content.decode())
        if not found:
            return ids
        if between:
            between()
        url = reverse("file_list") + html.unescape(found.group(1))
    raise AssertionError("no last page")
