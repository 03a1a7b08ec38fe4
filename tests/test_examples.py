"""Every example runs to the end; expm_derivatives.py and tour.py also check their
numbers (against SciPy and finite differences, or NumPy) and fail on a mismatch.
derivatives.py is run, with its printed values checked, by test_tutorial.py."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py") if p.name != "derivatives.py")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               GPUGRAD_CPU_CODEGEN="1")  # as users run them: the CPU's kernels on
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
