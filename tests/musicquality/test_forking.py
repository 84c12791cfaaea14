"""A forked child never frees a PyAV filter graph its parent left as garbage (it would wait
for the graph's threads, which the child does not have, forever)."""

import gc
import multiprocessing

import av
import numpy as np

import musicquality  # noqa: F401  (installs the guard)


def _garbage_resampler() -> None:
    """A resampler that has run (its filter graph built) in a reference cycle: garbage only
    the collector frees."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=11025)
    frame = av.AudioFrame.from_ndarray(
        np.zeros((2, 4096), np.float32), format="fltp", layout="stereo"
    )
    frame.sample_rate = 44100
    resampler.resample(frame)
    cycle: list = [resampler]
    cycle.append(cycle)


def _child_collects(send) -> None:
    gc.collect()
    send.send("done")


def test_a_forked_child_collecting_its_garbage_does_not_hang():
    gc.disable()  # keep the cycle alive until the fork
    try:
        _garbage_resampler()
        fork = multiprocessing.get_context("fork")
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_child_collects, args=(send,))
        child.start()
    finally:
        gc.enable()
    child.join(timeout=30)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked child hung collecting an inherited filter graph"
    assert receive.poll(1) and receive.recv() == "done"
