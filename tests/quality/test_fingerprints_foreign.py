"""``fingerprint_groups(..., pairs_with=)``: a few files matched against many, through the
same index, without verifying the others' pairs (the import vetting's use)."""

import numpy as np

from quality.fingerprints import FingerprintAccumulator, fingerprint_groups
from quality.services.music_signal import music_like

SR = 44100


def fingerprint(pcm: np.ndarray) -> np.ndarray:
    accumulator = FingerprintAccumulator(SR, pcm.shape[0])
    accumulator.feed((np.clip(pcm, -1, 1).T * 32767).astype(np.int16))
    return accumulator.finish()


def test_only_pairs_with_the_given_files_are_matched():
    first, other = music_like(seconds=12, seed=41), music_like(seconds=12, seed=42)
    lead_in = np.concatenate([np.zeros((2, SR), np.float32), first], axis=1)
    items = [
        (1, fingerprint(first), 12.0),
        (2, fingerprint(lead_in), 13.0),  # the same recording, one second later
        (3, fingerprint(other), 12.0),
        (-1, fingerprint(first[:, : 11 * SR]), 11.0),  # an incoming copy of the first
    ]
    everything = fingerprint_groups(items)
    assert [sorted(group.members) for group in everything.groups] == [[-1, 1, 2]]

    foreign = fingerprint_groups(items, pairs_with={-1})
    assert [sorted(group.members) for group in foreign.groups] == [[-1, 1, 2]]
    assert foreign.stats["candidates"] < everything.stats["candidates"]

    unrelated = fingerprint_groups(items[:3], pairs_with={3})
    assert unrelated.groups == []  # the library's own pair (1, 2) is not looked at
