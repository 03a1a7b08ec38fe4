"""Launches and microseconds per call of W1 (the scalar gradient at a Python float), W2 (the
logistic gradient) and W7 (the MLP training step) of ``python -m gpugrad.bench`` on one
device: gpugrad with CUDA graph replay and without, beside the same computation written by
hand with the device's CuPy arrays. Each call is timed as a training loop makes it (the
previous result held, the device waited for); launches are what the host asked of the device
per call after warming up (on a GPU, gpugrad's own kernel and graph launches: CuPy's, such
as a hand-written step's or cuBLAS's, are not counted there; on ``cuda-sim`` every launch).

    python tests/gpu/launches.py --device cuda [--quick] [--json FILE]

tests/gpu/run.py runs it as a step and prints its rows in the summary table.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import gpugrad  # noqa: E402
from gpugrad.bench import timing  # noqa: E402
from gpugrad.bench.libraries import by_hand, theano_style, with_gpugrad  # noqa: E402
from gpugrad.bench.runner import data_for  # noqa: E402
from gpugrad.bench.workloads import BY_NAME  # noqa: E402
from gpugrad.runtime.device_arrays import backend_for  # noqa: E402

WORKLOADS = {"W1": "scalar-grad", "W2": "logistic", "W7": "mlp-step"}
COUNTED = 20  # calls whose launches are averaged


def _gpugrad(name, data, device, graphs):
    """The workload's Theano-style idiom compiled for ``device``, results left there."""
    api = with_gpugrad.api(device)
    compile_ = api.function

    def function(*args, **kwargs):
        with gpugrad.config.change_flags(cuda_graphs=graphs):
            return compile_(*args, return_device_arrays=True, **kwargs)
    api.function = function
    api.asarray = lambda value: backend_for(device).to_device(value) if hasattr(value, "shape") else value
    return theano_style.SHARED[name][0][1](api, data)


def _by_hand(name, data, xp):
    return BY_NAME[name].reference(xp, by_hand.on_device(xp, data))


def measure(call, be, schedule):
    """``(microseconds per call, launches per call)``."""
    def sync(result):
        be.synchronize()
    held = timing.holding_last(call)
    seconds = timing.measure(held, sync, schedule).median
    before = be.counts()
    for _ in range(COUNTED):
        held()
    be.synchronize()
    return 1e6 * seconds, be.counts().since(before).launches / COUNTED


def rows(device, quick):
    be, schedule = backend_for(device), timing.QUICK if quick else timing.FULL
    found = []
    for label, name in WORKLOADS.items():
        data = data_for(BY_NAME[name], quick)
        calls = [("gpugrad, graph replay", _gpugrad(name, data, device, True)),
                 ("gpugrad, plain launches", _gpugrad(name, data, device, False)),
                 ("CuPy by hand", _by_hand(name, data, be.xp))]
        for library, call in calls:
            micros, launches = measure(call, be, schedule)
            counted = device != "cuda" or library.startswith("gpugrad")
            found.append({"workload": f"{label} {name}", "library": library, "us_per_call": micros,
                          "launches": launches if counted else None})
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cuda-sim")
    parser.add_argument("--quick", action="store_true", help="small sizes, short timing")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args(argv)
    found = rows(args.device, args.quick)
    for row in found:
        launches = "-" if row["launches"] is None else f"{row['launches']:.1f}"
        print(f"{row['workload']:<22} {row['library']:<24} {row['us_per_call']:>10.1f} us {launches:>6} launches")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
