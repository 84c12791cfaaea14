"""What a header declares against the bytes present: cut and padded files are never scored.

Each file is encoded here (PyAV), then cut or padded the way a broken download or copy
leaves it; the intact file is the control. Expected facts come from how the file was made.
"""

import os
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TIT2

from quality.services.audio import AudioReadError, audio_properties_read
from quality.services.encoding import EncodeSpec, audio_encode

SPECS = {
    "mp3 cbr": EncodeSpec("m", "mp3", "libmp3lame", bit_rate=128_000),
    "mp3 vbr": EncodeSpec("v", "mp3", "libmp3lame", vbr_quality=2),
    "flac": EncodeSpec("f", "flac", "flac", sample_fmt="s16"),
    "m4a": EncodeSpec(
        "a", "m4a", "aac", bit_rate=128_000, container_options={"movflags": "+faststart"}
    ),
    "alac": EncodeSpec("l", "m4a", "alac", container_options={"movflags": "+faststart"}),
    "wav": EncodeSpec("w", "wav", "pcm_s16le"),
}


@pytest.fixture(params=sorted(SPECS))
def encoded(request, tmp_path) -> Path:
    spec = SPECS[request.param]
    return audio_encode(path=tmp_path / f"intact.{spec.extension}", spec=spec, seconds=4.0)


def kind_of(path: Path) -> str | None:
    try:
        audio_properties_read(path)
    except AudioReadError as error:
        return error.kind
    return None


def copy_cut(path: Path, size: int) -> Path:
    cut = path.with_name(f"cut-{size}{path.suffix}")
    cut.write_bytes(path.read_bytes()[:size])
    return cut


def test_the_intact_file_reads(encoded):
    assert kind_of(encoded) is None


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_cut_file_is_truncated(encoded, keep):
    cut = copy_cut(encoded, int(encoded.stat().st_size * keep))
    assert kind_of(cut) == AudioReadError.KIND_TRUNCATED


def test_a_2000_byte_cut_of_an_mp3_is_truncated(tmp_path):
    mp3 = audio_encode(path=tmp_path / "song.mp3", spec=SPECS["mp3 cbr"], seconds=4.0)
    assert kind_of(copy_cut(mp3, 2000)) == AudioReadError.KIND_TRUNCATED


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_padded_file_is_inconsistent(tmp_path, name):
    spec = SPECS[name]
    path = audio_encode(path=tmp_path / f"padded.{spec.extension}", spec=spec, seconds=4.0)
    with path.open("ab") as handle:
        handle.write(b"\0" * (10 * path.stat().st_size))
    assert kind_of(path) == AudioReadError.KIND_INCONSISTENT


@pytest.mark.parametrize("name", ["flac", "m4a", "alac", "wav"])
def test_a_file_padded_to_2_gb_is_inconsistent(tmp_path, name):
    spec = SPECS[name]
    path = audio_encode(path=tmp_path / f"padded.{spec.extension}", spec=spec, seconds=4.0)
    os.truncate(path, 2 * 1024**3)  # sparse: no disk space used
    assert kind_of(path) == AudioReadError.KIND_INCONSISTENT


def test_an_aiff_padded_after_its_form_chunk_is_inconsistent(tmp_path):
    spec = EncodeSpec("i", "aiff", "pcm_s16be")
    path = audio_encode(path=tmp_path / "padded.aiff", spec=spec, seconds=4.0)
    assert kind_of(path) is None
    with path.open("ab") as handle:
        handle.write(b"\0" * (10 * path.stat().st_size))
    assert kind_of(path) == AudioReadError.KIND_INCONSISTENT


def test_tags_at_either_end_are_not_audio_bytes(tmp_path):
    path = audio_encode(path=tmp_path / "tagged.mp3", spec=SPECS["mp3 cbr"], seconds=4.0)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="a title with a long text " * 200))
    tags.save(path, v1=2)  # ID3v2 in front, ID3v1 at the end
    assert kind_of(path) is None
    with path.open("ab") as handle:  # an APEv2 tag after the ID3v1 one
        body = b"\x08\x00\x00\x00\x00\x00\x00\x00Title\x00A title"
        footer = b"APETAGEX" + (2000).to_bytes(4, "little") + (len(body) + 32).to_bytes(4, "little")
        footer += (1).to_bytes(4, "little") + (0).to_bytes(4, "little") + b"\0" * 8
        handle.write(body + footer)
    assert kind_of(path) is None


@pytest.mark.parametrize("keep", [0.5, 0.97, 0.995])
def test_a_long_flac_cut_near_its_end_is_truncated(tmp_path, keep):
    """30 s: frame numbers past 127 take two bytes in a frame header, and a cut that keeps
    99.5 % of the bytes is found by the number of the last frame, not by the byte count."""
    path = audio_encode(path=tmp_path / "long.flac", spec=SPECS["flac"], seconds=30.0)
    assert kind_of(path) is None
    assert kind_of(copy_cut(path, int(path.stat().st_size * keep))) == (
        AudioReadError.KIND_TRUNCATED
    )
