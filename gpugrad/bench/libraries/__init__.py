"""The libraries compared. Each is a module of this package with

- ``prepare(device, threads)``: set it up for the device (or raise ``Unavailable``);
- ``version()``: the line printed beside the table;
- ``to_numpy(result)`` and ``sync(result)`` (wait for the device's work);
- ``BUILDERS``: workload name -> the ``Idiom``s its users write it in, each building,
  from the host data and the device, a call with no arguments.

A peer that is not installed or cannot run on the device is skipped with its reason."""
import importlib
import importlib.util
from dataclasses import dataclass
from typing import Callable

from .. import BenchError


class Unavailable(Exception):
    """A library cannot run on the device asked for; the message says why."""


@dataclass(frozen=True)
class Idiom:
    label: str
    build: Callable             # (data, device) -> call
    default: bool = False       # the library's default idiom, kept beside its best one


@dataclass(frozen=True)
class Entry:
    key: str                    # what --libraries takes
    names: tuple                # (on the CPU, on a GPU)
    module: str
    requires: str = ""          # the module it needs, if not gpugrad's own...
    install: str = 'pip install "gpugrad[bench]"'   # ...and how to get it


ENTRIES = (
    Entry("numpy", ("NumPy", "CuPy"), "by_hand"),
    Entry("gpugrad", ("gpugrad", "gpugrad"), "with_gpugrad"),
    Entry("jax", ("JAX", "JAX"), "with_jax", "jax"),
    Entry("torch", ("PyTorch", "PyTorch"), "with_torch", "torch", "pip install torch"),
    Entry("pytensor", ("PyTensor", "PyTensor"), "with_pytensor", "pytensor"),
)
REFERENCE = ENTRIES[0]
KEYS = tuple(entry.key for entry in ENTRIES)


@dataclass(frozen=True)
class Library:
    name: str
    module: object
    reference: bool = False     # the hand-written code the ratios are taken to


def check_keys(keys):
    unknown = [key for key in keys if key not in KEYS]
    if unknown:
        raise BenchError(f"unknown library {', '.join(unknown)}; the libraries are {', '.join(KEYS)}")


def load(keys, device, threads):
    """The libraries to compare (``keys``, or all; the hand-written reference always) and
    the ``(name, reason)`` of each one skipped."""
    check_keys(keys)
    libraries, skipped = [], []
    for entry in ENTRIES:
        if keys and entry.key not in keys and entry is not REFERENCE:
            continue
        name = entry.names[device == "cuda"]
        try:
            libraries.append(Library(name, _prepared(entry, device, threads), entry is REFERENCE))
        except Unavailable as exc:
            skipped.append((name, str(exc)))
    return libraries, skipped


def _prepared(entry, device, threads):
    if entry.requires and importlib.util.find_spec(entry.requires) is None:
        raise Unavailable(f"not installed ({entry.install})")
    try:
        module = importlib.import_module(f"{__name__}.{entry.module}")
    except ImportError as exc:
        raise Unavailable(f"import failed: {exc}") from exc
    module.prepare(device, threads)
    return module
