"""tests/gpu/run.sh's logic, checked without a GPU: it skips cleanly, plans the steps for one
and two GPUs, and runs its plan end to end on the simulated devices (``--simulate``)."""
import subprocess
import sys
from pathlib import Path

import pytest

from gpugrad.backends import cuda

ROOT = Path(__file__).resolve().parents[2]
RUN = [sys.executable, str(ROOT / "tests" / "gpu" / "run.py")]


@pytest.mark.skipif(cuda.gpu_available()[0], reason="a GPU is here: run.sh would run in full")
def test_without_a_gpu_it_says_so_and_succeeds():
    done = subprocess.run(["bash", str(ROOT / "tests" / "gpu" / "run.sh")], capture_output=True, text=True)
    assert done.returncode == 0 and "skipped, no usable GPU here" in done.stdout


@pytest.mark.parametrize("gpus", [1, 2])
def test_the_plan_for_one_and_two_gpus(gpus):
    plan = subprocess.run([*RUN, "--dry-run", "--gpus", str(gpus)], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    assert [line.split(":")[0] for line in plan] == ["tests on cuda", *(["tests on cuda"] * (gpus == 2)),
                                                     "GPU benchmarks", "launches per call"]
    limits = [int(line.rsplit("(limit ", 1)[1].split()[0]) for line in plan]
    assert sum(limits) < 8 * 60  # the budget for the first GPU run
    with_sim = subprocess.run([*RUN, "--dry-run", "--gpus", str(gpus), "--with-sim"], capture_output=True,
                              text=True, check=True).stdout
    assert with_sim.startswith("tests on cuda-sim: GPUGRAD_TEST_DEVICE=cuda-sim pytest tests/cuda ")
    assert plan[-1].startswith("launches per call: python tests/gpu/launches.py --device cuda (limit")
    assert ("GPUGRAD_TEST_DEVICE=cuda:1 pytest tests/cuda " in "\n".join(plan)) == (gpus == 2)


def test_the_plan_runs_on_the_simulated_devices(tmp_path):
    done = subprocess.run([*RUN, "--simulate", "--suite", "tests/cuda/test_device_multi.py", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line[:28].strip(): line.split()[-5:] for line in done.stdout.splitlines()[1:4]}
    assert rows["tests on cuda-sim"][:2] == ["6", "0"] and rows["tests on cuda-sim:1"][:2] == ["6", "0"]
    assert rows["GPU benchmarks"][1] == "0" and rows["GPU benchmarks"][-1] == "ok"  # skipped without a GPU
    launches = [line for line in done.stdout.splitlines() if line.startswith(("W1 ", "W2 ", "W7 "))]
    assert len(launches) == 9 and all(line.split()[-1] != "-" for line in launches)  # every launch counted
    w7 = {line[23:49].strip(): float(line.split()[-1]) for line in launches if line.startswith("W7")}
    assert w7["gpugrad, graph replay"] == 1 and w7["gpugrad, plain launches"] <= 13 < w7["CuPy by hand"]
