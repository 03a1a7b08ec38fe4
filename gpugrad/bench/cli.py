"""``python -m gpugrad.bench``: the command line."""
import argparse
import importlib.util
import os
import shlex
import sys
import warnings

from . import BenchError, environment, report
from .libraries import KEYS, check_keys, load
from .runner import run
from .timing import FULL, QUICK
from .workloads import BY_NAME, select


def parser():
    p = argparse.ArgumentParser(
        prog="python -m gpugrad.bench",
        description="Time derivative workloads in gpugrad, hand-written NumPy (CuPy on a GPU), JAX, PyTorch and "
                    "PyTensor (those installed), each result checked against the hand-written one first.")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--only", type=_names, default=[], metavar="W1,W2",
                   help=f"workloads to run (default all): {', '.join(BY_NAME)}")
    p.add_argument("--libraries", type=_names, default=[], metavar="L1,L2",
                   help=f"libraries beside the hand-written reference (default all installed): {', '.join(KEYS[1:])}")
    p.add_argument("--quick", action="store_true", help="small sizes and short timing (what CI runs)")
    p.add_argument("--threads", type=int, default=len(environment.available_cpus()),
                   help="CPUs every library may use (default: all this process may use)")
    p.add_argument("--json", metavar="FILE", help="write every row, with each repetition's time, as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="draw the ratios as a bar chart (needs matplotlib)")
    p.add_argument("--markdown", metavar="FILE",
                   help="write the command, environment and table as Markdown; a file holding the markers "
                        f"{report.MARKERS[0]} ... {report.MARKERS[1]} keeps the rest of its text")
    return p


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the peers' notices of their API changes
        warnings.simplefilter("ignore", DeprecationWarning)
        return _main(sys.argv[1:] if argv is None else argv)


def _main(argv):
    args = parser().parse_args(argv)
    if args.threads < 1:
        parser().error("--threads must be at least 1")
    try:
        workloads = select(args.only)
        check_keys(args.libraries)
    except BenchError as exc:
        parser().error(str(exc))
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser().error('--plot needs matplotlib: pip install "gpugrad[bench]"')
    if args.device == "cuda":
        from ..backends.cuda import gpu_available
        usable, why = gpu_available()
        if not usable:
            print(f"gpugrad.bench: --device cuda: no usable GPU ({why})", file=sys.stderr)
            return 1
    machine = environment.machine(args.device)
    blas = environment.pin_threads(args.threads)
    libraries, skipped = load(args.libraries, args.device, args.threads)
    command = shlex.join(["python", "-m", "gpugrad.bench"] + argv)
    header = _header(args, machine, libraries, skipped, blas)
    print("\n".join([command] + header), flush=True)
    rows = run(workloads, libraries, args.device, args.quick, QUICK if args.quick else FULL, _progress)
    reference = next(library.name for library in libraries if library.reference)
    print(report.text_table(rows, workloads, args.quick, reference))
    _write(args, command, header, rows, workloads, reference)
    return 0


def _header(args, machine, libraries, skipped, blas):
    schedule = QUICK if args.quick else FULL
    return [
        f"device {args.device}{', quick sizes' if args.quick else ''}; {environment.threads(args.threads)}; {machine}",
        " · ".join([environment.python()] + [library.module.version() for library in libraries]),
        f"BLAS: {blas}",
        *(f"{name} skipped: {reason}" for name, reason in skipped),
        f"per call: median of {schedule.repetitions} repetitions of at least {schedule.repetition * 1e3:g} ms "
        f"(at least {schedule.least} for slow calls), spread: half the interquartile range; one-time: "
        f"building (tracing, compiling) plus the first call",
    ]


def _progress(row):
    when = report.duration(row.timing.median) if row.timing else row.status
    print(f"  {row.workload}: {row.library} {row.idiom}: {when}", file=sys.stderr, flush=True)


def _write(args, command, header, rows, workloads, reference):
    if args.json:
        with open(args.json, "w") as out:
            out.write(report.as_json(command, header, rows))
    title = f"{header[0]}\n{header[1]}"
    if args.plot:
        from .plot import write_plot
        write_plot(rows, workloads, reference, args.plot, title)
    if args.markdown:
        table = report.markdown_table(rows, workloads, args.quick, reference)
        section = report.markdown_section(command, header, table, args.plot, os.path.dirname(args.markdown) or ".")
        report.write_markdown(args.markdown, section)
