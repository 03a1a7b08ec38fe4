"""Graph core: Variable/Apply/Constant invariants, iterative traversals on deep graphs,
and the validator."""
import numpy as np
import pytest

import gpugrad as gg
import gpugrad.tensor as T
from gpugrad.errors import GraphError
from gpugrad.graph.basic import Apply, Variable
from gpugrad.graph.fgraph import FunctionGraph
from gpugrad.graph.traversal import ancestors, clone_graph, graph_inputs, toposort
from gpugrad.graph.validate import validate
from gpugrad.types.tensor_type import TensorType

DEPTH = 20000


def test_apply_sets_owner_and_index():
    x, y = T.dvector("x"), T.dvector("y")
    z = x + y
    node = z.owner
    assert isinstance(node, Apply) and node.outputs == [z] and z.index == 0
    assert node.inputs == [x, y] and x.owner is None
    assert node.out is z


def test_clone_keeps_type_and_name_but_not_owner():
    x = T.dvector("x")
    z = (x * 2).clone()
    assert z.owner is None and z.type == (x * 2).type
    assert x.clone().name == "x" and x.clone() is not x


def test_constant_data_is_read_only_and_signature_identifies_it():
    c = T.constant(np.arange(3.0))
    with pytest.raises(ValueError):
        c.data[0] = 5
    assert c.signature() == T.constant(np.arange(3.0)).signature()
    assert c.signature() != T.constant(np.arange(3.0), dtype="float32").signature()
    assert T.constant(2.0).signature() != T.constant(np.float64(2.0)).signature()  # weak vs strong


def test_toposort_puts_inputs_first_and_respects_blockers():
    x = T.dscalar("x")
    a = x + 1
    b = a * a
    c = b - a
    order = toposort([c])
    assert order.index(a.owner) < order.index(b.owner) < order.index(c.owner)
    assert toposort([c], blockers=[b]) == [a.owner, c.owner]
    assert set(graph_inputs([c])) >= {x}
    assert graph_inputs([c], blockers=[a]) == [a]


def test_toposort_detects_a_cycle():
    x = T.dscalar("x")
    a = x + 1
    b = a * 2
    a.owner.inputs[0] = b  # only a broken rewrite could do this
    with pytest.raises(GraphError, match="cycle"):
        toposort([b])
    with pytest.raises(GraphError, match="cycle"):
        validate(b)


@pytest.fixture(scope="module")
def chain():
    x = T.dscalar("x")
    y = x
    for _ in range(DEPTH):
        y = y + 1
    return x, y


def test_traversals_are_iterative_on_a_deep_chain(chain):
    x, y = chain
    assert len(toposort([y])) == DEPTH
    assert x in graph_inputs([y])
    assert len(ancestors([y])) > DEPTH
    (copy,) = clone_graph([y], replace={x: T.dscalar("x2")})
    assert len(toposort([copy])) == DEPTH
    validate(y)


def test_deep_chain_differentiates_and_compiles_unoptimized(chain):
    x, y = chain
    g = gg.grad(y, x)
    f = gg.function([x], [y, g], mode="None")
    value, slope = f(1.5)
    assert value == 1.5 + DEPTH and slope == 1.0
    validate(f.maker.fgraph)


def test_chain_compiles_with_the_optimizer():
    """Shorter than ``DEPTH``: the optimizer's cost grows with the chain (see the report)."""
    x = T.dscalar("x")
    y = x
    for _ in range(300):
        y = y + 1
    f = gg.function([x], [y, gg.grad(y, x)])
    assert f(1.5) == [301.5, 1.0]
    validate(f.maker.fgraph)


def test_validate_accepts_good_graphs_and_function_graphs():
    x, W = T.dvector("x"), T.dmatrix("W")
    out = T.exp((W * x).sum(axis=1)).sum()
    nodes = validate([out])
    assert nodes == toposort([out])
    fgraph = FunctionGraph([x, W], [out])
    validate(fgraph)


def test_validate_rejects_an_output_not_pointing_back():
    x = T.dvector("x")
    z = x + 1
    z.index = 3
    with pytest.raises(GraphError, match="owner"):
        validate(z)


def test_validate_rejects_non_tensor_types_and_bad_constants():
    x = T.dvector("x")
    odd = Variable(type="not a type", name="odd")
    z = x + 1
    z.owner.inputs.append(odd)
    with pytest.raises(GraphError, match="TensorType"):
        validate(z)
    c = T.constant(np.zeros(3))
    c.type = TensorType("float32", (3,))
    with pytest.raises(GraphError, match="does not match"):
        validate(x + c)
    with pytest.raises(GraphError, match="not a Variable"):
        validate([x, 3.0])


def test_validate_checks_function_graph_clients():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x) + x])
    validate(fgraph)
    (inp,) = fgraph.inputs
    fgraph.clients[inp].pop()
    with pytest.raises(GraphError, match="clients"):
        validate(fgraph)


def test_validate_checks_function_graph_reads_only_its_inputs():
    x, y = T.dvector("x"), T.dvector("y")
    fgraph = FunctionGraph([x], [x + y], clone=False)
    with pytest.raises(GraphError, match="neither an input"):
        validate(fgraph)


def test_validate_after_replace():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x) * 2])
    (inp,) = fgraph.inputs
    node = fgraph.outputs[0].owner
    fgraph.replace(node.inputs[0], T.log(inp), reason="test")
    validate(fgraph)
    fgraph.prune()
    validate(fgraph)
    f = gg.function([x], T.exp(x) * 2)
    np.testing.assert_allclose(f([0.0, 1.0]), 2 * np.exp([0.0, 1.0]))
