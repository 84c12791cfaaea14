"""make_demo_library: distinct audio per recording, copies that share it, planted cases that are
what the manifest says, the same bytes for a seed.

What a file is comes from independent readers: ffprobe and Debian's ffmpeg (not the PyAV wheel
that encoded the files), libsndfile (soundfile) for samples, mutagen for the FLAC header."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import mutagen.flac
import numpy as np
import pytest
import soundfile
from django.core.management import CommandError, call_command

from quality.services import demo as D
from quality.services.decoding import audio_verify, declared_read
from tests.quality.helpers import tags_read

FILES = 120
RECORDINGS = 40  # fewer than the default (96): every kind is still there, the build is faster
SEED = 7


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return D.demo_library_make(out=out, files=FILES, recordings=RECORDINGS, seed=SEED, workers=2)


@pytest.fixture(scope="module")
def manifest(demo) -> dict:
    return D.manifest_read(path=demo.manifest)


def entries(manifest: dict, *kinds: str) -> list[dict]:
    return [f for f in manifest["files"] if not kinds or f["kind"] in kinds]


def ffprobe_stream(path: Path) -> dict | None:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_name,sample_rate,channels,bits_per_raw_sample,bits_per_sample,duration"
         ":format=duration", "-of", "json", os.fsencode(path)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    data = json.loads(out or "{}")
    streams = data.get("streams") or []
    if not streams:
        return None
    return {**streams[0], "format_duration": float(data["format"]["duration"])}


def ffmpeg_decode(path: Path, *args: str) -> bytes:
    """Debian's ffmpeg decodes the first audio stream; ``args`` say to what."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", os.fsencode(path), "-map", "0:a:0", *args, "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def pcm_hash(path: Path, entry: dict) -> tuple[str, str]:
    """What the decoded audio is: integer samples (and their stored depth) for lossless files,
    the decoder's float output for lossy ones."""
    if "bit_depth" in entry:
        return f"int{entry['bit_depth']}", hashlib.sha256(
            ffmpeg_decode(path, "-f", "s32le")
        ).hexdigest()
    return "float", hashlib.sha256(ffmpeg_decode(path, "-f", "f32le")).hexdigest()


MONO_RATE = 8000


def mono(path: Path, seconds: float = 18.0) -> np.ndarray:
    raw = ffmpeg_decode(path, "-ac", "1", "-ar", str(MONO_RATE), "-t", str(seconds), "-f", "f32le")
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def likeness(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Peak normalised cross-correlation of two signals over every lag, and the lag (s, of
    ``b`` after ``a``)."""
    n = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    a = (a - a.mean()) / (a.std() or 1.0)
    b = (b - b.mean()) / (b.std() or 1.0)
    xc = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    lag = int(np.argmax(np.abs(xc)))
    overlap = min(len(a), len(b))
    lag_s = (lag if lag < n // 2 else lag - n) / MONO_RATE
    return float(np.abs(xc[lag]) / overlap), lag_s


def band_db(samples: np.ndarray, rate: int, low: float, high: float) -> float:
    """Mean power (dB) in a frequency band, from the averaged spectrum of 8192-sample blocks."""
    x = samples.mean(axis=1) if samples.ndim == 2 else samples
    blocks = x[: len(x) // 8192 * 8192].reshape(-1, 8192) * np.hanning(8192)
    power = (np.abs(np.fft.rfft(blocks, axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(8192, 1 / rate)
    band = power[(freqs >= low) & (freqs < high)]
    return float(10 * np.log10(band.mean() + 1e-30))


# --- the manifest and the files -------------------------------------------------------------


def test_manifest_lists_every_file(demo, manifest):
    on_disk = {
        os.fsdecode(os.path.relpath(os.fsencode(p), os.fsencode(demo.out)))
        for p in demo.music_dir.rglob("*")
        if p.is_file()
    }
    listed = [f["path"] for f in manifest["files"]]
    assert len(listed) == len(set(listed)) == FILES == demo.files == manifest["file_count"]
    assert set(listed) == on_disk
    assert {f["kind"] for f in manifest["files"]} == set(D.KINDS)
    ids = {r["id"] for r in manifest["recordings"]}
    assert len(ids) == demo.recordings == manifest["recording_count"]
    assert all(f["recording"] in ids for f in manifest["files"] if "recording" in f)
    assert demo.total_bytes == sum((demo.out / path).stat().st_size for path in listed)
    assert not (demo.out / D.WORK_FOLDER).exists()


def test_formats_match_ffprobe(demo, manifest):
    """One file of every (format, kind): codec, rate, channels and length as ffprobe reads them."""
    recordings = {r["id"]: r for r in manifest["recordings"]}
    sample: dict[tuple, dict] = {}
    for f in entries(manifest):
        if "format" in f and f["kind"] != D.KIND_TRUNCATED:
            sample.setdefault((f["format"], f["kind"]), f)
    assert len(sample) >= 20
    for f in sample.values():
        stream = ffprobe_stream(demo.out / f["path"])
        assert stream is not None, f["path"]
        assert stream["codec_name"] == f["codec"], f["path"]
        assert int(stream["sample_rate"]) == f["sample_rate"], f["path"]
        assert stream["channels"] == f["channels"], f["path"]
        if "bit_depth" in f:
            raw = str(stream.get("bits_per_raw_sample", ""))
            depth = int(raw) if raw.isdigit() and raw != "0" else stream.get("bits_per_sample")
            assert depth == f["bit_depth"], f["path"]
        seconds = recordings[f["recording"]]["seconds"] + f.get("offset_seconds", 0.0)
        assert stream["format_duration"] == pytest.approx(seconds, abs=0.1), f["path"]
        assert stream["format_duration"] >= 19.5


def test_every_recording_is_twenty_seconds_or_more_and_a_few_are_full_length(demo, manifest):
    seconds = [r["seconds"] for r in manifest["recordings"]]
    assert min(seconds) >= 20.0
    big, _ = D.demo_plan(files=2000, recordings=D.recordings_default(2000), seed=SEED)
    full = [r for r in big if r.seconds >= D.FULL_LENGTH_SECONDS[0]]
    assert 1 <= len(full) <= len(big) // 50


def test_tags_are_the_manifests(demo, manifest):
    for f in entries(manifest):
        if "tags" not in f or f["kind"] == D.KIND_TRUNCATED:
            continue
        tags = tags_read(path=demo.out / f["path"])
        want = f["tags"]
        assert (tags.artist, tags.title, tags.album) == (
            want["artist"],
            want["title"],
            want["album"],
        ), f["path"]


def test_copies(demo, manifest):
    exact = entries(manifest, D.KIND_EXACT_COPY)
    retagged = entries(manifest, D.KIND_RETAGGED_COPY)
    assert exact and retagged
    for f in exact:
        assert (demo.out / f["path"]).read_bytes() == (demo.out / f["copy_of"]).read_bytes()
        assert f["path"].startswith(f"music/{D.FOLDER_COPIES}/")
        assert f["copy_of"].startswith(f"music/{D.FOLDER_ALBUMS}/")
    sources = {f["path"]: f for f in entries(manifest)}
    for f in exact + retagged:
        assert "copy_of" not in sources[f["copy_of"]]  # copies of album files, not of copies
    for f in retagged:
        source = sources[f["copy_of"]]["tags"]
        assert f["tags"] != source
        album = f["tags"]["album"]
        if f["path"].startswith(f"music/{D.FOLDER_COMPILATIONS}/"):
            assert album.rpartition(" Vol. ")[0] in D.COMPILATIONS
        else:
            assert f["path"].startswith(f"music/{D.FOLDER_ALBUMS}/")
            assert album in {f"{source['album']} ({edition})" for edition in D.EDITIONS}
    assert len({(f["copy_of"], json.dumps(f["tags"])) for f in retagged}) == len(retagged)
    assert any(f["tags"]["title"].endswith(" (Remastered)") for f in retagged)


def test_decoys_share_artist_title_and_duration(demo, manifest):
    recordings = {r["id"]: r for r in manifest["recordings"]}
    decoys = entries(manifest, D.KIND_DECOY)
    assert len(decoys) == 4
    same_album = 0
    for f in decoys:
        other = next(g for g in decoys if g["recording"] == f["decoy_of"])
        assert f["recording"] != other["recording"]
        mine, theirs = recordings[f["recording"]], recordings[other["recording"]]
        assert (mine["artist"], mine["title"], mine["seconds"]) == (
            theirs["artist"],
            theirs["title"],
            theirs["seconds"],
        )
        a = tags_read(path=demo.out / f["path"])
        b = tags_read(path=demo.out / other["path"])
        assert (a.artist, a.title) == (b.artist, b.title)
        same_album += a.album == b.album
    assert same_album == 2  # one pair with every tag alike


# --- audio ----------------------------------------------------------------------------------


def test_different_recordings_never_share_decoded_audio_copies_do(demo, manifest):
    with_audio = [f for f in entries(manifest) if "audio" in f]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # ffmpeg processes
        hashes = pool.map(lambda f: pcm_hash(demo.out / f["path"], f), with_audio)
        by_audio: dict[str, set] = defaultdict(set)
        for f, digest in zip(with_audio, hashes, strict=True):
            by_audio[f["audio"]].add(digest)
    for audio, hashes in by_audio.items():
        assert len(hashes) == 1, f"{audio}: files meant to hold the same audio differ"
    owners: dict[tuple, str] = {}
    for audio, (digest,) in by_audio.items():
        assert digest not in owners, f"{audio} and {owners.get(digest)} decode alike"
        owners[digest] = audio
    shared = [a for a in by_audio if sum(f.get("audio") == a for f in manifest["files"]) > 1]
    assert len(shared) >= 10
    # FLAC, ALAC, WAV and AIFF of one recording at 16 bit / 44.1 kHz hold the same samples
    formats = defaultdict(set)
    for f in entries(manifest):
        if f.get("audio", "").endswith(":pcm16-44"):
            formats[f["audio"]].add(f["format"])
    assert any(len(held) > 1 for held in formats.values())


def test_the_same_recording_sounds_alike_in_every_format_and_rip(demo, manifest):
    """Decoded to mono 8 kHz by ffmpeg: every file of a recording correlates with its first
    file (offset copies at their offset); other recordings, even decoys, do not."""
    by_recording = defaultdict(list)
    for f in entries(manifest):
        if "audio" in f and f["kind"] not in (D.KIND_EXACT_COPY, D.KIND_RETAGGED_COPY):
            by_recording[f["recording"]].append(f)
    several = [files for files in by_recording.values() if len({f["audio"] for f in files}) > 1]
    assert len(several) >= 3  # at least the planted set's: a fake and its 320k MP3, two rips
    for files in several:
        first = mono(demo.out / files[0]["path"])
        for f in files[1:]:
            alike, lag = likeness(first, mono(demo.out / f["path"]))
            assert alike > 0.8, (files[0]["path"], f["path"], alike)
            shift = f.get("offset_seconds", 0.0) - files[0].get("offset_seconds", 0.0)
            assert lag == pytest.approx(shift, abs=0.01), f["path"]
    others = {f["recording"]: f for f in entries(manifest, D.KIND_DECOY)}
    others.update({files[0]["recording"]: files[0] for files in several[:4]})
    signals = [mono(demo.out / f["path"]) for f in others.values()]
    assert len(signals) >= 6
    for i, a in enumerate(signals):
        for b in signals[i + 1 :]:
            assert likeness(a, b)[0] < 0.3


# --- planted cases --------------------------------------------------------------------------


def test_fakes_are_band_limited_genuine_files_are_not(demo, manifest):
    fakes = entries(manifest, D.KIND_FAKE_LOSSLESS)
    assert sorted(f["source"] for f in fakes) == sorted(D.FAKE_SOURCES)
    genuine = [f for f in entries(manifest, D.KIND_ORIGINAL) if f["format"] == "flac-16-44"]
    assert genuine
    for f in fakes + genuine[:3]:
        samples, rate = soundfile.read(os.fsencode(demo.out / f["path"]))
        assert rate == 44100
        drop = band_db(samples, rate, 20_000, 21_500) - band_db(samples, rate, 8_000, 12_000)
        if f in fakes:
            assert drop < -60, (f["path"], drop)
        else:
            assert -45 < drop < -10, (f["path"], drop)


def test_upsampled_and_padded(demo, manifest):
    upsampled = entries(manifest, D.KIND_UPSAMPLED)
    assert sorted(f["format"] for f in upsampled) == ["flac-24-96", "wav-24-96"]
    for f in upsampled:
        info = soundfile.info(os.fsencode(demo.out / f["path"]))
        assert (info.samplerate, info.subtype) == (96000, "PCM_24")
        samples, rate = soundfile.read(os.fsencode(demo.out / f["path"]))
        # nothing above the source's band (beyond the resampler's first image, up to 26 kHz)
        drop = band_db(samples, rate, 28_000, 44_000) - band_db(samples, rate, 8_000, 12_000)
        assert drop < -70, (f["path"], drop)
    [padded] = entries(manifest, D.KIND_PADDED_BITS)
    info = soundfile.info(os.fsencode(demo.out / padded["path"]))
    assert info.subtype == "PCM_24"
    samples, _ = soundfile.read(os.fsencode(demo.out / padded["path"]), dtype="int32")
    assert np.any(samples != 0)
    assert not np.any(samples & 0xFFFF)  # 24-bit in the top of int32: the low 8 bits are zero


def test_damaged_files(demo, manifest):
    truncated = entries(manifest, D.KIND_TRUNCATED)
    assert len(truncated) == 2
    for f in truncated:
        path = demo.out / f["path"]
        if "copy_of" in f:
            whole = (demo.out / f["copy_of"]).read_bytes()
            assert path.read_bytes() == whole[: int(len(whole) * D.TRUNCATE_AT)]
        else:  # an MP3 whose header announces more than is there
            stream = ffprobe_stream(path)
            decoded = len(ffmpeg_decode(path, "-f", "s16le")) / 4 / 44100
            assert decoded < 0.7 * stream["format_duration"]
    [wrong] = entries(manifest, D.KIND_WRONG_MD5)
    genuine = next(f for f in entries(manifest, D.KIND_ORIGINAL) if f["format"] == "flac-16-44")
    for f, should_match in ((wrong, False), (genuine, True)):
        path = demo.out / f["path"]
        samples, _ = soundfile.read(os.fsencode(path), dtype="int16")
        md5 = hashlib.md5(samples.astype("<i2").tobytes()).hexdigest()
        stored = f"{mutagen.flac.FLAC(path).info.md5_signature:032x}"
        assert (md5 == stored) is should_match
    for f in entries(manifest, D.KIND_GARBAGE, D.KIND_EMPTY):
        path = demo.out / f["path"]
        assert ffprobe_stream(path) is None
        assert path.stat().st_size == (0 if f["kind"] == D.KIND_EMPTY else 20_000)


def test_odd_names(demo, manifest):
    odd = entries(manifest, D.KIND_ODD_NAME)
    assert len(odd) == len(D.ODD_NAMES)
    for f in odd:
        raw = bytes.fromhex(f["path_bytes"])
        assert raw == os.fsencode(f["path"])
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.startswith(f"music/{D.FOLDER_ODD_NAMES}/".encode())
        assert ffprobe_stream(demo.out / f["path"]) is not None
    names = {os.fsencode(p.name) for p in (demo.music_dir / D.FOLDER_ODD_NAMES).iterdir()}
    assert names == {bytes.fromhex(f["path_bytes"]).rsplit(b"/", 1)[1] for f in odd}


def test_verify_audio_gives_every_label(demo, manifest):
    """The labels are what the verifier finds (planted cases, and a few genuine files)."""
    labelled = [f for f in entries(manifest) if f.get("label") and f["kind"] != D.KIND_ORIGINAL]
    labelled += [f for f in entries(manifest, D.KIND_ORIGINAL) if f.get("label")][:5]
    assert {f["label"] for f in labelled} == {
        "ok", "lossy_source", "upsampled", "padded_bits", "damaged"
    }  # fmt: skip
    for f in labelled:
        path = demo.out / f["path"]
        result = audio_verify(path, declared=declared_read(path))
        assert result.verdict == f["label"], (f["path"], result.verdict, result.evidence)


# --- the rest -------------------------------------------------------------------------------


def test_streaming_db(demo):
    conn = sqlite3.connect(demo.streaming_db)
    try:
        services = {r[0] for r in conn.execute("SELECT DISTINCT service FROM tracks")}
        with_isrc = conn.execute("SELECT COUNT(*) FROM tracks WHERE isrc IS NOT NULL").fetchone()
        recent = conn.execute(
            "SELECT COUNT(*) FROM playlist_tracks WHERE added_at >= datetime('now', '-30 days')"
        ).fetchone()
        old = conn.execute(
            "SELECT COUNT(*) FROM playlist_tracks WHERE added_at < datetime('now', '-30 days')"
        ).fetchone()
        durations = {r[0] for r in conn.execute("SELECT duration FROM tracks")}  # ms
    finally:
        conn.close()
    assert len(services) >= 3
    assert with_isrc[0] > 0 and recent[0] > 0 and old[0] > 0
    assert min(durations) >= 20_000


def test_same_seed_same_bytes(demo, tmp_path):
    again = D.demo_library_make(
        out=tmp_path, files=FILES, recordings=RECORDINGS, seed=SEED, workers=1
    )
    assert tree_digest(again.music_dir) == tree_digest(demo.music_dir)
    assert again.manifest.read_bytes() == demo.manifest.read_bytes()
    other, _ = D.demo_plan(files=FILES, recordings=RECORDINGS, seed=SEED + 1)
    same, _ = D.demo_plan(files=FILES, recordings=RECORDINGS, seed=SEED)
    assert [r.track for r in other] != [r.track for r in same]


def test_small_libraries_still_have_exact_copies():
    """The e2e demo (40 files) needs something for ``dedupe --min-confidence 1.0`` to move."""
    _, files = D.demo_plan(files=40, recordings=D.recordings_default(40), seed=6)
    assert len(files) == 40
    assert any(f.kind == D.KIND_EXACT_COPY for f in files)
    assert not any(f.label for f in files if f.kind not in (D.KIND_ORIGINAL, D.KIND_EXACT_COPY,
                                                             D.KIND_RETAGGED_COPY))  # fmt: skip


def test_command_refuses_a_folder_with_music(demo):
    with pytest.raises(CommandError, match="already holds files"):
        call_command("make_demo_library", files=5, out=str(demo.out), stdout=StringIO())


@pytest.mark.parametrize("recordings", [0, 6])
def test_command_refuses_a_recording_count_out_of_range(tmp_path, recordings):
    with pytest.raises(CommandError, match="--recordings must be between 1 and --files"):
        call_command(
            "make_demo_library", files=5, recordings=recordings, out=str(tmp_path / "x"),
            stdout=StringIO(),
        )  # fmt: skip
    assert not (tmp_path / "x").exists()
