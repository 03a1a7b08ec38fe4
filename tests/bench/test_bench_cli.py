"""``python -m gpugrad.bench``: the quick run CI makes (NumPy and gpugrad alone), and what
the command line refuses."""
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from gpugrad.backends.cuda import gpu_available
from gpugrad.bench import cli, report
from gpugrad.bench.libraries import with_gpugrad
from gpugrad.bench.workloads import WORKLOADS

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run in a fresh interpreter (it pins its threads), into JSON and into the
    marked section of a Markdown file."""
    out = tmp_path_factory.mktemp("bench")
    readme = out / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{report.MARKERS[0]}\nold table\n{report.MARKERS[1]}\nafter\n")
    done = subprocess.run([sys.executable, "-m", "gpugrad.bench", "--quick", "--libraries", "gpugrad",
                           "--json", str(out / "run.json"), "--markdown", str(readme)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads((out / "run.json").read_text()), readme.read_text()


def test_every_workload_has_a_reference_row_and_each_gpugrad_idiom(quick_run):
    _, run, _ = quick_run
    expected = [(w.name, "NumPy", "by hand") for w in WORKLOADS] + \
        [(w.name, "gpugrad", idiom.label) for w in WORKLOADS for idiom in with_gpugrad.BUILDERS[w.name]]
    got = [(row["workload"], row["library"], row["idiom"]) for row in run["rows"]]
    assert sorted(got) == sorted(expected)
    assert [name for name, *_ in got] == sorted((name for name, *_ in got), key=[w.name for w in WORKLOADS].index)


def test_every_result_was_verified_then_timed(quick_run):
    _, run, _ = quick_run
    for row in run["rows"]:
        if row["workload"] == "compile" and row["library"] == "NumPy":
            assert row["status"] == "n/a" and "nothing to compile" in row["note"]
            continue
        assert row["status"] == "ok", row
        assert row["median"] > 0 and row["one_time"] > 0 and len(row["per_call"]) >= 2
        assert row["per_best"] >= 1
        assert row["per_reference"] is not None or row["workload"] == "compile"


def test_the_table_prints_the_environment_and_one_group_per_workload(quick_run):
    stdout, run, _ = quick_run
    assert stdout.startswith("python -m gpugrad.bench --quick --libraries gpugrad")
    assert "threads" in stdout and "gpugrad 0." in stdout and "NumPy 2." in stdout and "BLAS:" in stdout
    headings = [line for line in stdout.splitlines() if line.endswith("]") and not line.startswith(" ")]
    assert headings == [f"{w.heading(True)}  [{w.name}]" for w in WORKLOADS]
    assert stdout.count("verified") == len(run["rows"]) - 1


def test_markdown_replaces_only_the_marked_section(quick_run):
    _, run, readme = quick_run
    head, section = readme.split(report.MARKERS[0])
    section, tail = section.split(report.MARKERS[1])
    assert head == "# Title\n\nbefore\n" and tail == "\nafter\n"
    assert "old table" not in section and run["command"] in section
    assert section.count("| verified |") == len(run["rows"]) - 1


def test_unknown_names_are_refused_with_the_known_ones(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--only", "logistic,nope"])
    assert "unknown workload nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--libraries", "tensorflow"])
    assert "the libraries are numpy, gpugrad, jax, torch, pytensor" in capsys.readouterr().err


def test_plot_without_matplotlib_is_refused_before_the_run(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "matplotlib" else real(name))
    with pytest.raises(SystemExit):
        cli.main(["--plot", "out.png"])
    assert "--plot needs matplotlib" in capsys.readouterr().err


@pytest.mark.skipif(gpu_available()[0], reason="a GPU is present")
def test_cuda_without_a_gpu_says_why(capsys):
    assert cli.main(["--device", "cuda", "--only", "logistic"]) == 1
    assert "--device cuda: no usable GPU" in capsys.readouterr().err
