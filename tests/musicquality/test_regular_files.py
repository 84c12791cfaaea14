"""Every reader of a user's file opens only regular files: a FIFO never blocks a run."""

import multiprocessing
import os
import traceback
from pathlib import Path

import pytest

from dedup.services.files import files_identical
from quality.hashing import HASH_FAILED, content_hash_full, content_hash_sampled
from quality.services.audio import AudioReadError, audio_properties_read
from quality.services.tags import AudioTags, TagReadError, tagged_file_read, tags_only_read
from tests.dedup.helpers import audio_write

SECONDS = 10


def _child(connection, func, args):
    try:
        connection.send(("returned", repr(func(*args))))
    except BaseException as error:
        connection.send(("raised", f"{type(error).__name__}: {error}"))
        traceback.print_exc()


def outcome_within(func, *args) -> tuple[str, str]:
    """Run ``func(*args)`` in a forked process; its result, or a failure if it blocks."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_child, args=(send, func, args))
    child.start()
    child.join(SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"{func.__name__} still blocked after {SECONDS} s")
    return receive.recv()


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "song.flac"
    os.mkfifo(path)
    return path


def test_audio_analysis_refuses_a_fifo(fifo):
    assert outcome_within(audio_properties_read, fifo) == (
        "raised",
        "AudioReadError: not a regular file (a FIFO, socket or device)",
    )


def test_tag_readers_refuse_a_fifo(fifo):
    kind, message = outcome_within(lambda: tagged_file_read(path=fifo))
    assert (kind, message.split(":")[0]) == ("raised", TagReadError.__name__)
    assert outcome_within(lambda: tags_only_read(path=fifo)) == ("returned", repr(AudioTags()))


def test_hashes_refuse_a_fifo(fifo):
    assert outcome_within(lambda: content_hash_sampled(path=fifo)) == (
        "returned",
        repr(HASH_FAILED),
    )
    kind, message = outcome_within(lambda: content_hash_full(path=fifo))
    assert kind == "raised" and "not a regular file" in message


def test_byte_comparison_refuses_a_fifo(fifo, tmp_path):
    regular = audio_write(tmp_path / "real.wav", seed=1)
    os.truncate(regular, 0)
    for first, second in ((fifo, regular), (regular, fifo)):
        kind, message = outcome_within(files_identical, first, second)
        assert kind == "raised" and "not a regular file" in message, message


def test_a_folder_is_not_a_regular_file_either(tmp_path):
    with pytest.raises(AudioReadError, match="not a regular file"):
        audio_properties_read(tmp_path)


def test_decoding_verification_refuses_a_fifo(fifo):
    from quality.services.decoding import DeclaredStream, audio_verify

    kind, message = outcome_within(lambda: audio_verify(fifo, declared=DeclaredStream()).verdict)
    assert kind == "returned", message
