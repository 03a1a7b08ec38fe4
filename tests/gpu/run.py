"""The first run on a GPU (``tests/gpu/run.sh``): the device test suite on ``cuda`` and on
``cuda-sim`` (``GPUGRAD_TEST_DEVICE``, see tests/cuda/device_checks.py), on ``cuda:1`` when a
second GPU exists (every CuPy call must then land on GPU 1 while GPU 0 is current), the GPU
benchmarks with their bandwidth against the device's peak, the launches and microseconds per
call of W1, W2 and W7 with and without CUDA graph replay beside CuPy code written by hand
(tests/gpu/launches.py), and one summary table. Designed for under 8 minutes on an H100
(each step has a time limit); without a GPU it says so and exits 0.

``--simulate`` runs the same plan on the simulated devices (``cuda`` -> ``cuda-sim``), which is
how CI checks this script's logic; ``--dry-run`` prints the plan; ``--suite`` narrows the tests.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = ("tests/cuda tests/backends tests/reliability/test_threads.py tests/reliability/test_pickling.py "
         "tests/reliability/test_faults.py tests/reliability/test_memory_growth.py")
BENCHMARKS = "tests/benchmarks/test_cuda_bench.py"
LAUNCHES = "tests/gpu/launches.py"


@dataclass
class Step:
    name: str
    device: str
    args: list
    limit_s: int
    parallel: bool = True
    script: str = ""  # a script run with ``--device`` and ``--json`` instead of pytest


def plan(gpus, suite, simulate, with_sim=False):
    """The steps for a machine with ``gpus`` GPUs (the simulated devices stand in for them
    under ``simulate``). Their limits add up to under 8 minutes; the cuda-sim step, which CI
    runs already, only with ``with_sim``."""
    gpu = "cuda-sim" if simulate else "cuda"
    steps = [Step(f"tests on {gpu}", gpu, suite.split(), 270)]
    if with_sim and not simulate:
        steps.insert(0, Step("tests on cuda-sim", "cuda-sim", suite.split(), 240))
    if gpus >= 2:
        steps.append(Step(f"tests on {gpu}:1", f"{gpu}:1", suite.split()[:1], 45))
    steps.append(Step("GPU benchmarks", gpu, [BENCHMARKS, "--benchmark-only"], 60, parallel=False))
    steps.append(Step("launches per call", gpu, ["--quick"] if simulate else [], 90, parallel=False, script=LAUNCHES))
    return steps


def _pytest(step, out, workers):
    """Run one step; its junit report and (for benchmarks) JSON land in ``out``."""
    report = out / f"{step.name.replace(' ', '_').replace(':', '_')}"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *step.args,
               f"--junitxml={report}.xml"]
    if step.script:
        command = [sys.executable, step.script, "--device", step.device, *step.args, "--json", f"{report}.json"]
    elif "--benchmark-only" in step.args:
        command.append(f"--benchmark-json={report}.json")
    elif step.parallel and workers > 1:
        command += ["-n", str(workers)]
    env = dict(os.environ, GPUGRAD_TEST_DEVICE=step.device)
    start = time.monotonic()
    with open(f"{report}.log", "w") as log:
        try:
            code = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=step.limit_s).returncode
        except subprocess.TimeoutExpired:
            code = "timed out"
    return report, code, time.monotonic() - start


def counts(junit):
    """``(passed, failed, skipped)`` of a junit report, None where there is none."""
    if not junit.exists():
        return None
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
    failed = total["failures"] + total["errors"]
    return total["tests"] - failed - total["skipped"], failed, total["skipped"]


def bandwidth_rows(report):
    """``(benchmark, median ms, GB/s, fraction of peak)`` of a pytest-benchmark JSON report."""
    if not report.exists() or not isinstance(json.loads(report.read_text()), dict):
        return []
    rows = []
    for bench in json.loads(report.read_text())["benchmarks"]:
        extra = bench.get("extra_info", {})
        rows.append((bench["name"], 1e3 * bench["stats"]["median"], extra.get("bandwidth_GBps"),
                     extra.get("fraction_of_peak")))
    return rows


def launch_rows(report):
    """The rows tests/gpu/launches.py wrote: workload, library, µs per call, launches."""
    found = json.loads(report.read_text()) if report.exists() else None
    return found if isinstance(found, list) else []


def table(results, benchmarks, launches=()):
    """The summary: one line per step, then one per benchmark, then the launches per call."""
    lines = [f"{'step':<28} {'device':<12} {'passed':>7} {'failed':>7} {'skipped':>8} {'seconds':>8}  status"]
    for step, found, code, seconds in results:
        passed, failed, skipped = found or ("-", "-", "-")
        status = "ok" if code == 0 else "timed out" if code == "timed out" else f"exit {code}"
        lines.append(f"{step.name:<28} {step.device:<12} {passed:>7} {failed:>7} {skipped:>8} {seconds:>8.1f}  {status}")
    if benchmarks:
        lines += ["", f"{'benchmark':<58} {'median ms':>10} {'GB/s':>8} {'of peak':>8}"]
        for name, median, gbps, fraction in benchmarks:
            lines.append(f"{name:<58} {median:>10.3f} {gbps or float('nan'):>8.1f} {fraction or float('nan'):>8.1%}")
    if launches:
        lines += ["", f"{'workload':<22} {'library':<26} {'us per call':>12} {'launches':>9}"]
        for row in launches:
            counted = "-" if row["launches"] is None else f"{row['launches']:.1f}"
            lines.append(f"{row['workload']:<22} {row['library']:<26} {row['us_per_call']:>12.1f} {counted:>9}")
    return "\n".join(lines)


def gpu_count():
    sys.path.insert(0, str(ROOT))
    from gpugrad.backends.cuda import gpu_count as count
    return count()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulate", action="store_true", help="run the plan on the simulated devices")
    parser.add_argument("--gpus", type=int, help="the number of GPUs to plan for (default: CuPy's count)")
    parser.add_argument("--suite", default=SUITE, help=f"the tests of each device step (default: {SUITE})")
    parser.add_argument("--with-sim", action="store_true",
                        help="also run the tests on cuda-sim on a GPU machine (CI runs them; past 8 minutes)")
    parser.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    parser.add_argument("--out", type=Path, help="where the logs and reports go (default: $OUT or a new temporary folder)")
    args = parser.parse_args(argv)
    gpus, why = (args.gpus, "") if args.gpus is not None else (2, "") if args.simulate else gpu_count()
    if not gpus:
        print(f"tests/gpu/run.sh: skipped, no usable GPU here ({why}); CI runs the cuda path on cuda-sim")
        return 0
    steps = plan(gpus, args.suite, args.simulate, with_sim=args.with_sim)
    if args.dry_run:
        print("\n".join(f"{s.name}: " + (f"python {s.script} --device {s.device} {' '.join(s.args)}".rstrip()
                                          if s.script else f"GPUGRAD_TEST_DEVICE={s.device} pytest {' '.join(s.args)}")
                        + f" (limit {s.limit_s} s)" for s in steps))
        return 0
    out = args.out or Path(os.environ.get("OUT") or tempfile.mkdtemp(prefix="gpugrad-gpu-run-"))
    out.mkdir(parents=True, exist_ok=True)
    xdist = subprocess.run([sys.executable, "-c", "import xdist"], capture_output=True).returncode == 0
    workers = max(1, (os.cpu_count() or 2) // 2) if xdist else 1
    results, benchmarks, launches = [], [], []
    for step in steps:
        report, code, seconds = _pytest(step, out, workers)
        results.append((step, counts(Path(f"{report}.xml")), code, seconds))
        benchmarks += bandwidth_rows(Path(f"{report}.json"))
        launches += launch_rows(Path(f"{report}.json"))
    print(table(results, benchmarks, launches))
    print(f"\nlogs and reports: {out}")
    return 0 if all(code == 0 for _, _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
