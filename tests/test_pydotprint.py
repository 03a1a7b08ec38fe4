import shutil

import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.printing import pydotprint


def logistic_gradient():
    x = T.dmatrix("x")
    return gg.function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))


def test_dot_source_has_one_box_per_node_coloured_by_device():
    f = logistic_gradient()
    source = pydotprint(f, format="dot")
    assert source.startswith("digraph gpugrad {") and source.rstrip().endswith("}")
    assert source.count("shape=box") == len(f.maker.fgraph.toposort())
    assert source.count('fillcolor="#cfe2f3"') == len(f.maker.fgraph.toposort())  # all on the CPU
    assert 'label="x"' in source


def test_a_variable_can_be_drawn_and_written(tmp_path):
    x = T.dvector("x")
    target = tmp_path / "graph.dot"
    assert pydotprint(T.exp(x) * 2, outfile=str(target), format="dot") is None
    assert "exp" in target.read_text()


def test_missing_graphviz_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(gg.GpugradError, match="graphviz"):
        pydotprint(logistic_gradient(), format="svg")


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="format"):
        pydotprint(logistic_gradient(), format="gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_svg_with_graphviz():
    assert "<svg" in pydotprint(logistic_gradient(), format="svg")
