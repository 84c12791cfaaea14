"""Guards for the parts of mutagen we use beyond its public API (pinned to one minor version).

If one of these fails after a mutagen upgrade, the private piece changed: adapt
``quality.services.audio`` / ``quality.services.tags`` and the pin in ``pyproject.toml``
together.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import re
import struct
import tomllib

import mutagen
import mutagen._file
from mutagen.aiff import read_float
from mutagen.mp4 import MP4Info
from mutagen.mp4._as_entry import ES_Descriptor
from mutagen.mp4._atom import Atoms

from quality.services.audio import audio_properties_read
from quality.services.tags import FILE_TYPES
from tests.conftest import CORPUS_DIR, CORPUS_EXPECTED, REPO_ROOT


def test_installed_mutagen_is_the_pinned_minor_version():
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    (pin,) = [d for d in dependencies if d.startswith("mutagen")]
    low, high = re.fullmatch(r"mutagen>=(\d+\.\d+),<(\d+\.\d+)", pin).groups()
    installed = tuple(int(part) for part in importlib.metadata.version("mutagen").split(".")[:2])
    assert tuple(map(int, low.split("."))) <= installed < tuple(map(int, high.split(".")))


def test_file_types_are_mutagen_files_own_order():
    """``tags_only_read`` must pick the same format as ``mutagen.File``: same list, same order."""
    source = inspect.getsource(mutagen._file.File)
    listed = re.search(r"options = \[(.*?)\]", source, re.S).group(1)
    names = [name.strip() for name in listed.replace("\n", " ").split(",") if name.strip()]
    assert names == [kind.__name__ for kind in FILE_TYPES]


def test_aiff_read_float_decodes_an_80_bit_extended_float():
    # 44100.0 as an IEEE 754 80-bit extended float, big-endian (AIFF COMM chunk).
    assert read_float(struct.pack(">HQ", 0x400E, 0xAC44000000000000)) == 44100.0


def test_mp4_atoms_and_es_descriptor_still_give_the_aac_channel_count():
    """``full.m4a``'s sample entry claims 2 channels; its AudioSpecificConfig (read through
    the private ``ES_Descriptor``) says 1, as ffprobe does (``beets_expected.json``)."""
    path = CORPUS_DIR / "full.m4a"
    with path.open("rb") as handle:
        atoms = Atoms(handle)
        assert atoms[b"moov"].findall(b"trak")
        assert MP4Info(atoms, handle).channels == 2
    assert ES_Descriptor.TAG == 0x03
    expected = json.loads(CORPUS_EXPECTED.read_text())
    props = audio_properties_read(path)
    assert (props.codec, props.channels) == ("AAC", expected["full.m4a"]["channels"]) == ("AAC", 1)


def test_mpeg_info_keeps_its_first_frame_and_atoms_their_extent():
    """``_mpeg_declared_bytes`` reads the first frame's ``frame_offset``/``version``/``mode``
    that ``MPEGInfo`` copies onto itself, and ``_mp4_size_check`` the top-level atoms'
    ``offset``/``length``/``datalength`` (``Atoms.atoms``)."""
    from mutagen.mp3 import MPEGInfo

    with (CORPUS_DIR / "full.mp3").open("rb") as handle:
        data = handle.read()
        handle.seek(0)
        info = MPEGInfo(handle)
        sync = data[info.frame_offset : info.frame_offset + 2]
        assert info.frame_offset > 0 and sync[0] == 0xFF and sync[1] & 0xE0 == 0xE0
        assert (info.version, info.layer) == (1, 3) and info.mode in (0, 1, 2, 3)
    path = CORPUS_DIR / "full.m4a"
    with path.open("rb") as handle:
        atoms = Atoms(handle)
        top = atoms.atoms
        assert top[0].offset == 0 and top[-1].offset + top[-1].length == path.stat().st_size
        assert all(atom.datalength == atom.length - 8 for atom in top if atom.length < 2**32)
