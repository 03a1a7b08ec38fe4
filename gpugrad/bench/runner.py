"""Running the suite: for each workload, every library's idioms are built, called, checked
against the hand-written reference (run in NumPy on the host) and only then timed. A
wrong result or an exception becomes a row that says so; nothing is dropped."""
import gc
import time
import traceback
from dataclasses import dataclass

import numpy as np

from .libraries.by_hand import on_device
from .timing import measure

SEED = 17


@dataclass
class Row:
    workload: str
    library: str
    idiom: str
    default: bool               # the library's default idiom beside its best one
    status: str                 # "ok" (verified and timed), "wrong", "failed" or "n/a"
    note: str = ""
    timing: object = None       # timing.Timing, for "ok"
    one_time: float = None      # seconds: build (trace, compile) plus the first call
    per_best: float = None      # time per call over the workload's best
    per_reference: float = None  # ... over the hand-written reference's


def expected_results(workload, data):
    """The reference's results in NumPy on the host: ``checked_calls`` calls of it."""
    call = workload.reference(np, on_device(np, data))
    return [np.asarray(call()) for _ in range(workload.checked_calls)]


def mismatch(expected, got, rtol, atol, chunk=1 << 20):
    """Why ``got`` is not ``expected`` within ``atol + rtol * |expected|``, or "". Compared
    in chunks, so that a 10000x10000 Jacobian needs no temporaries of its size."""
    for e, g in zip(expected, got):
        if g.shape != e.shape:
            return f"shape {g.shape}, expected {e.shape}"
        flat_e, flat_g = e.reshape(-1), g.reshape(-1)
        bad = np.concatenate([np.flatnonzero(~(np.abs(flat_g[i:i + chunk] - flat_e[i:i + chunk])
                                                <= atol + rtol * np.abs(flat_e[i:i + chunk]))) + i
                              for i in range(0, flat_e.size, chunk)] or [np.zeros(0, int)])
        if bad.size:
            where = np.unravel_index(bad[0], e.shape)
            return (f"{g[where].item()!r} at {[int(i) for i in where]}, expected {e[where].item()!r} "
                    f"(tolerance {atol + rtol * abs(e[where]):.1e}; {bad.size} of {e.size} off)")
    return ""


class WrongResult(AssertionError):
    """A library's result differs from the hand-written reference's."""


def data_for(workload, quick):
    """The workload's data, the same for every library and every run."""
    return workload.data(np.random.default_rng(SEED), workload.size(quick))


def verified_call(workload, module, idiom, data, expected, device):
    """Build ``idiom``, call it and check its results (``WrongResult`` when they are
    off); returns the call and its one-time cost, build plus first call."""
    start = time.perf_counter()
    call = idiom.build(data, device)
    results = [call()]
    module.sync(results[0])
    one_time = time.perf_counter() - start
    results += [call() for _ in range(workload.checked_calls - 1)]
    note = mismatch(expected, [module.to_numpy(result) for result in results], workload.rtol, workload.atol)
    if note:
        raise WrongResult(note)
    return call, one_time


def measure_idiom(workload, library, idiom, data, expected, device, schedule):
    """One row: build, call, check, then time."""
    row = Row(workload.name, library.name, idiom.label, idiom.default, "failed")
    try:
        call, row.one_time = verified_call(workload, library.module, idiom, data, expected, device)
        row.timing = measure(call, library.module.sync, schedule)
        row.status = "ok"
    except WrongResult as exc:
        row.status, row.note = "wrong", str(exc)
    except Exception as exc:  # a failing peer is reported, whatever it raised
        row.note = _one_line(exc)
    return row


def _one_line(exc):
    where = traceback.extract_tb(exc.__traceback__)[-1]
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0] if message else ''} ({where.filename.rsplit('/', 1)[-1]}:{where.lineno})"


def run_workload(workload, libraries, device, quick, schedule, progress=lambda row: None):
    data = data_for(workload, quick)
    expected = expected_results(workload, data)
    rows = []
    for library in libraries:
        idioms = library.module.BUILDERS.get(workload.name)
        if library.reference and workload.untimed_by_hand:
            rows.append(Row(workload.name, library.name, "by hand", False, "n/a", workload.untimed_by_hand))
        elif idioms is None:
            rows.append(Row(workload.name, library.name, "", False, "n/a", "not written for this library"))
        for idiom in idioms or ():
            rows.append(measure_idiom(workload, library, idiom, data, expected, device, schedule))
            gc.collect()  # free this idiom's arrays before the next one allocates its own
            progress(rows[-1])
    _ratios(rows, {library.name for library in libraries if library.reference})
    return rows


def _ratios(rows, reference_names):
    timed = [row for row in rows if row.status == "ok"]
    if not timed:
        return
    best = min(row.timing.median for row in timed)
    reference = [row.timing.median for row in timed if row.library in reference_names]
    for row in timed:
        row.per_best = row.timing.median / best
        row.per_reference = row.timing.median / reference[0] if reference else None


def run(workloads, libraries, device, quick, schedule, progress=lambda row: None):
    return [row for workload in workloads
            for row in run_workload(workload, libraries, device, quick, schedule, progress)]
