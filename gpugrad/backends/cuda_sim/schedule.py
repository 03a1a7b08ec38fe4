"""The seed behind the simulator's order of blocks and threads, and how a failure names it.

A GPU promises no order among the blocks of a grid or the threads of a block, so the
simulator draws one: each launch gets a seed, and the shim runs blocks, threads and the
yields of atomics in the order that seed picks (shim.h, ``run_blocks``). The seeds come
from one number per process, ``GPUGRAD_SIM_SEED`` when it is set, else fresh entropy,
mixed with a *stream* label and the count of launches since the stream began. The test
suite starts a stream per test (named by its id; tests/conftest.py), so

    GPUGRAD_SIM_SEED=<seed> python -m pytest <the failing test>

replays the launches of a failed test in the same order, whatever ran before it.
"""
import functools
import hashlib
import os
import secrets

ENV = "GPUGRAD_SIM_SEED"
_stream = {"label": "", "launches": 0}


@functools.cache
def process_seed():
    """``GPUGRAD_SIM_SEED`` (an integer) if set, else a random 32-bit seed, fixed for the process."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return secrets.randbits(32)
    try:
        return int(text, 0)
    except ValueError:
        raise ValueError(f"{ENV} must be an integer, got {text!r}") from None


def restart(label):
    """Begin the stream ``label``: its launches get the same seeds on every run with this seed."""
    _stream["label"], _stream["launches"] = str(label), 0


def launches():
    """How many launches drew a seed since the stream began."""
    return _stream["launches"]


def next_launch_seed():
    """The 64-bit seed of the next launch: the process seed, the stream and the launch count."""
    text = f"{process_seed()}\0{_stream['label']}\0{_stream['launches']}"
    _stream["launches"] += 1
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def reproduce():
    """What a failure report says so that it can be replayed."""
    return f"cuda-sim schedule seed {process_seed()} (set {ENV}={process_seed()} to replay it)"
