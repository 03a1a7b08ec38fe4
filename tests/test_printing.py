"""pp (infix) and debugprint (one node a line, with ids, types and devices)."""
import io

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.printing import debugprint, pp


def test_pp_raw_gradient_prints_as_theano():
    x = T.dscalar("x")
    assert pp(gg.grad(x ** 2, x)) == "((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))"


def test_pp_of_the_optimized_gradient():
    x = T.dscalar("x")
    f = gg.function([x], gg.grad(x ** 2, x))
    assert pp(f.maker.fgraph.outputs[0]) == "(2.0 * x)"


def test_pp_leaves_and_calls():
    x, y = T.dvector("x"), T.dvector("y")
    assert pp(x) == "x"
    assert pp(-x) == "(-x)"
    assert pp(T.exp(x) + y) == "(exp(x) + y)"
    assert pp(T.constant(2.5)) == "2.5"


def test_debugprint_of_a_variable():
    x = T.dvector("x")
    y = T.exp(x) * x
    text = debugprint(y, file=io.StringIO())
    lines = text.splitlines()
    assert lines[0].startswith("mul [id A]") and "TensorType(float64, vector)" in lines[0]
    assert lines[1].strip().startswith("exp [id B]")
    assert sum(line.strip().startswith("x ") for line in lines) == 2
    assert len(lines) == 4


def test_debugprint_shows_shared_nodes_once():
    x = T.dvector("x")
    e = T.exp(x)
    text = debugprint(e + e * 2, file=io.StringIO())
    assert text.count("exp [id") == 2 and "(seen above)" in text


def test_debugprint_of_a_compiled_function_shows_devices():
    x = T.dvector("x")
    f = gg.function([x], [T.exp(x) + 1, x * 3])
    text = debugprint(f, file=io.StringIO())
    node_lines = [line for line in text.splitlines() if "[id " in line and "seen above" not in line]
    assert node_lines and all(line.endswith("on cpu") for line in node_lines)
    assert "x [TensorType(float64, vector)]" in text


def test_debugprint_prints_to_stdout_by_default(capsys):
    x = T.dscalar("x")
    text = debugprint(x * 2)
    assert capsys.readouterr().out.strip() == text.strip()
