"""The analyser against independent readers, on real files.

Corpus: expected values are in ``tests/data/corpus/beets_expected.json``, written by
``beets_expected_make.py`` (next to it) from Debian's ffprobe and mediainfo output,
with the rules in that script's docstring; nothing there comes from our analyser. Files both
readers reject (``no_ext_not_music``: zero bytes; ``oldape.ape``: a truncated seek table) must
fail with an ``AudioReadError``, and so must a file cut short of what its header declares
(``emptylist.mp3``: 8 KiB of a 217 s track, ``truncated``); the ``unparseable.*`` files are
only unparseable for *tags*: ffprobe reads their audio, so we must too.

Encoded files: made here with PyAV / soundfile; expected values are the encoding parameters,
and where an encoder decides the real bitrate (VBR, ABR, AAC, Opus) the bitrate ffprobe
measures (±5 %). The score is then checked exactly, against the formula of docs/formulas.md
written out again in this module.
"""

import contextlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TIT2, TPE1, TSRC

from quality.models import FileQuality
from quality.services.analysis import ANALYZER_VERSION, file_quality_refresh
from quality.services.audio import AudioProperties, AudioReadError, audio_properties_read
from quality.services.encoding import EncodeSpec, audio_encode
from quality.services.scanning import library_file_index
from quality.services.tags import TagReadError, tagged_file_read, tags_only_read
from tests.conftest import CORPUS_DIR, CORPUS_EXPECTED, LIBRARY_DBS
from tests.quality.helpers import tags_read

EXPECTED = json.loads(CORPUS_EXPECTED.read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_matches_ffprobe_and_mediainfo(corpus_dir, name):
    expected = EXPECTED[name]
    if expected["error"]:
        with pytest.raises(AudioReadError) as raised:
            audio_properties_read(corpus_dir / name)
        assert raised.value.kind == expected.get("error_kind", raised.value.kind)
        return
    props = audio_properties_read(corpus_dir / name)
    assert props.codec == expected["codec"]
    assert props.sample_rate == expected["sample_rate"]
    assert props.channels == expected["channels"]
    assert props.bit_depth == expected["bit_depth"]
    assert props.is_lossless is expected["is_lossless"]
    assert props.bitrate == pytest.approx(expected["bitrate_kbps"], rel=0.05)


def test_corpus_table_covers_every_file(corpus_dir):
    assert sorted(EXPECTED) == sorted(p.name for p in corpus_dir.iterdir())


def test_tags_only_read_agrees_with_tags_read_on_the_corpus(corpus_dir):
    """Every tag format of the corpus (ID3, APEv2, Vorbis, MP4, ASF, DSF, AIFF), and the
    files with damaged or missing tags."""
    for path in sorted(corpus_dir.iterdir()):
        assert tags_only_read(path=path) == tags_read(path=path), path.name


def test_tags_only_read_keeps_the_tag_of_an_mp3_whose_audio_is_damaged(tmp_path):
    """The one difference from ``tags_read``: the audio stream is not parsed, so a readable
    tag in front of unreadable audio still counts."""
    path = tmp_path / "damaged.mp3"
    path.write_bytes(bytes(range(256)) * 64)
    tag = ID3()
    tag.add(TPE1(encoding=3, text="The Artist"))
    tag.add(TIT2(encoding=3, text="The Title"))
    tag.add(TSRC(encoding=3, text="GB-AAA-99-12345"))
    tag.save(path)
    with pytest.raises(TagReadError):
        tagged_file_read(path=path)
    tags = tags_only_read(path=path)
    assert (tags.artist, tags.title, tags.isrc) == ("The Artist", "The Title", "GBAAA9912345")


# --- encoded files, every column ----------------------------------------------------------


def design_score(*, lossless, kbps, factor=1.0, depth=None, rate=44100, channels=2, vbr=False):
    """docs/formulas.md, restated independently of quality.score."""
    if lossless:
        score = 85 + (2.5 if (depth or 0) >= 24 else 0) + (2.5 if rate >= 88200 else 0)
    else:
        eq = kbps * factor
        if eq < 192:
            score = 49 * eq / 192
        elif eq < 256:
            score = 50 + 19 * (eq - 192) / 64
        elif eq <= 320:
            score = 70 + 14 * (eq - 256) / 64
        else:
            score = 84
        score += 3 if vbr else 0
    score += 10 if rate > 48000 or (depth or 0) > 16 else 0
    score += 5 if channels > 2 else 0
    return round(min(100, max(0, score)), 1)


def ffprobe_kbps(path: Path) -> float:
    """ffprobe's stream bitrate, or its packet bytes × 8 / duration when it has none."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=bit_rate:format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    rate = data["streams"][0].get("bit_rate")
    if rate and rate != "N/A":
        return int(rate) / 1000
    packets = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    total = sum(int(f) for line in packets.splitlines() if (f := line.split(",")[0]).isdigit())
    return total * 8 / float(data["format"]["duration"]) / 1000


MEASURED = None  # bitrate decided by the encoder: compare with ffprobe ±5 %
ENCODED = {
    "mp3-cbr-128": (
        EncodeSpec("mp3-cbr-128", "mp3", "libmp3lame", bit_rate=128_000),
        dict(codec="MP3", bitrate=128, rate=44100, depth=None, channels=2, mode="CBR"),
    ),
    "mp3-cbr-320": (
        EncodeSpec("mp3-cbr-320", "mp3", "libmp3lame", bit_rate=320_000),
        dict(codec="MP3", bitrate=320, rate=44100, depth=None, channels=2, mode="CBR"),
    ),
    "mp3-vbr-v0": (
        EncodeSpec("mp3-vbr-v0", "mp3", "libmp3lame", vbr_quality=0),
        dict(codec="MP3", bitrate=MEASURED, rate=44100, depth=None, channels=2, mode="VBR"),
    ),
    "mp3-abr-192": (
        EncodeSpec("mp3-abr-192", "mp3", "libmp3lame", bit_rate=192_000, abr=True),
        dict(codec="MP3", bitrate=MEASURED, rate=44100, depth=None, channels=2, mode="ABR"),
    ),
    "aac-256": (
        EncodeSpec("aac-256", "m4a", "aac", bit_rate=256_000),
        dict(codec="AAC", bitrate=MEASURED, rate=44100, depth=None, channels=2, mode=None),
    ),
    "alac-16-44": (
        EncodeSpec("alac-16-44", "m4a", "alac", sample_fmt="s16p"),
        dict(codec="ALAC", bitrate=MEASURED, rate=44100, depth=16, channels=2, mode=None),
    ),
    "flac-24-96": (
        EncodeSpec("flac-24-96", "flac", "flac", sample_rate=96_000, sample_fmt="s32"),
        dict(codec="FLAC", bitrate=MEASURED, rate=96000, depth=24, channels=2, mode=None),
    ),
    "flac-5.1": (
        EncodeSpec("flac-5.1", "flac", "flac", layout="5.1", sample_fmt="s16"),
        dict(codec="FLAC", bitrate=MEASURED, rate=44100, depth=16, channels=6, mode=None),
    ),
    "opus-128": (
        EncodeSpec("opus-128", "opus", "libopus", sample_rate=48_000, bit_rate=128_000),
        dict(codec="Opus", bitrate=MEASURED, rate=48000, depth=None, channels=2, mode=None),
    ),
    # Quality mode writes only the nominal bitrate (160 k at q5, 44.1 kHz stereo), which the
    # Vorbis spec says means "VBR or ABR": the file does not say which, so no mode.
    "vorbis-q5": (
        EncodeSpec("vorbis-q5", "ogg", "vorbis", vorbis_quality=0.5),
        dict(codec="Vorbis", bitrate=160, rate=44100, depth=None, channels=2, mode=None),
    ),
    "wav-16-44": (
        EncodeSpec("wav-16-44", "wav", "pcm_s16le"),
        dict(codec="PCM", bitrate=1411, rate=44100, depth=16, channels=2, mode=None),
    ),
}
FACTORS = {"AAC": 1.25, "Vorbis": 1.25, "Opus": 1.5}
LOSSLESS = {"ALAC", "FLAC", "PCM"}


@pytest.fixture(scope="module")
def encoded_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("encoded")
    for name, (spec, _expected) in ENCODED.items():
        audio_encode(path=folder / f"{name}.{spec.extension}", spec=spec, seconds=2.0, seed=3)
    return folder


@pytest.mark.django_db(databases=LIBRARY_DBS)
@pytest.mark.parametrize("name", sorted(ENCODED))
def test_encoded_file_every_column(encoded_dir, name):
    spec, want = ENCODED[name]
    path = encoded_dir / f"{name}.{spec.extension}"
    row = file_quality_refresh(library_file=library_file_index(path=path))
    assert isinstance(row, FileQuality)
    row.refresh_from_db()
    lossless = want["codec"] in LOSSLESS
    assert row.file_format == spec.extension
    assert row.codec == want["codec"]
    if want["bitrate"] is MEASURED:
        assert row.bitrate == pytest.approx(ffprobe_kbps(path), rel=0.05)
    else:
        assert row.bitrate == want["bitrate"]
    assert row.sample_rate == want["rate"]
    assert row.bit_depth == want["depth"]
    assert row.channels == want["channels"]
    assert row.is_lossless is lossless
    assert row.is_hires is (want["rate"] > 48000 or (want["depth"] or 0) > 16)
    assert row.bitrate_mode == want["mode"]
    assert row.quality_score == design_score(
        lossless=lossless,
        kbps=row.bitrate,
        factor=FACTORS.get(want["codec"], 1.0),
        depth=want["depth"],
        rate=want["rate"],
        channels=want["channels"],
        vbr=want["mode"] == "VBR",
    )
    assert row.analyzer_version == ANALYZER_VERSION
    assert row.analyzed_at.tzinfo is not None


def test_known_scores_of_fixed_rate_files(encoded_dir):
    """The worked examples of docs/formulas.md on real files: 128 k MP3 ≈ 32.7, 320 k = 84..."""
    from quality.services.analysis import quality_row

    def score(name):
        spec, _ = ENCODED[name]
        props = audio_properties_read(encoded_dir / f"{name}.{spec.extension}")
        return quality_row(library_file_id=1, file_format="x", props=props, analyzed_at="")[7]

    assert score("mp3-cbr-128") == 32.7
    assert score("mp3-cbr-320") == 84.0
    assert score("wav-16-44") == 85.0
    assert score("flac-24-96") == 100.0
    assert score("flac-5.1") == 90.0
    assert score("vorbis-q5") == 52.4


def test_abr_file_says_abr_to_mediainfo_too(encoded_dir):
    path = encoded_dir / "mp3-abr-192.mp3"
    out = subprocess.run(
        ["mediainfo", "--Inform=Audio;%Encoded_Library_Settings%", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "--abr 192" in out


def test_mp3_inside_wav_is_lossy_mp3(corpus_dir):
    props = audio_properties_read(corpus_dir / "mpeglayer3.wav")
    assert (props.codec, props.is_lossless, props.bit_depth) == ("MP3", False, None)


def test_missing_unreadable_and_empty_files(tmp_path):
    with pytest.raises(AudioReadError) as missing:
        audio_properties_read(tmp_path / "nope.mp3")
    assert missing.value.kind == AudioReadError.KIND_MISSING
    (tmp_path / "empty.flac").write_bytes(b"")
    with pytest.raises(AudioReadError) as empty:
        audio_properties_read(tmp_path / "empty.flac")
    assert empty.value.kind == AudioReadError.KIND_EMPTY
    (tmp_path / "text.mp3").write_text("not music at all\n" * 100)
    with pytest.raises(AudioReadError) as text:
        audio_properties_read(tmp_path / "text.mp3")
    assert text.value.kind == AudioReadError.KIND_NOT_AUDIO
    with pytest.raises(AudioReadError) as folder:
        audio_properties_read(tmp_path)
    assert folder.value.kind == AudioReadError.KIND_UNREADABLE


# --- fuzz ---------------------------------------------------------------------------------

FUZZ_CASES_PER_FILE = 40


def test_fuzz_damaged_files_never_raise_out_of_the_readers(tmp_path):
    """Every corpus file truncated at random points and with random bytes flipped
    (68 files x 40 = 2,720 cases, seeded): the analyser returns facts or an AudioReadError,
    the tag reader returns tags or a TagReadError; nothing else escapes. Where the tags are
    read, the tags-only reader finds the same."""
    rng = random.Random(20260108)
    target = tmp_path / "fuzz"
    cases = 0
    for source in sorted(CORPUS_DIR.iterdir()):
        original = source.read_bytes()
        for case in range(FUZZ_CASES_PER_FILE):
            data = bytearray(original)
            if case % 2 == 0 and data:
                data = data[: rng.randrange(len(data))]
            else:
                for _ in range(rng.randint(1, 16)):
                    if data:
                        data[rng.randrange(min(len(data), 4096 if case % 4 else len(data)))] = (
                            rng.randrange(256)
                        )
            target = tmp_path / f"fuzz{source.suffix}"
            target.write_bytes(bytes(data))
            try:
                result = audio_properties_read(target)
                assert isinstance(result, AudioProperties)
            except AudioReadError:
                pass
            with contextlib.suppress(TagReadError):
                tagged = tagged_file_read(path=target)
                assert tags_only_read(path=target) == tagged.tags, target
            cases += 1
    assert cases >= 2500
    shutil.rmtree(tmp_path, ignore_errors=True)
