"""The wheel must carry everything the library reads at run time: every subpackage,
the CUDA C sources of kernels/ and the simulator's shim."""
import pathlib

import pytest

from gpugrad.backends.load import KERNELS_DIR

ROOT = pathlib.Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "gpugrad").rglob("__init__.py")}
    assert set(config["packages"]) == found | {"gpugrad.kernels"}
    assert config["package-dir"]["gpugrad.kernels"] == "kernels"


def test_kernel_sources_and_the_shim_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = config["gpugrad.kernels"]
    sources = {p.name for p in (ROOT / "kernels").iterdir() if p.suffix in (".cu", ".cuh")}
    assert sources and all(any(pathlib.PurePath(name).match(pat) for pat in patterns) for name in sources)
    assert "shim.h" in config["gpugrad.backends.cuda_sim"]


def test_the_loader_finds_the_kernels():
    assert any(KERNELS_DIR.glob("*.cu"))
