"""A tour of gpugrad's insides, in the spirit of micrograd's engine.py.

    python examples/tour.py

A graph is Variables joined by Apply nodes; reverse mode is one walk over those nodes
asking each op for its pullback; compiling rewrites the graph and links it into thunks.
"""
import numpy as np

import gpugrad
import gpugrad.tensor as T
from gpugrad.graph.traversal import graph_inputs, toposort
from gpugrad.printing import debugprint


def build():
    """One neuron, y = tanh(w . x + b): every operator call below adds an Apply node."""
    x = T.dvector("x")
    w = T.dvector("w")
    b = T.dscalar("b")
    y = T.tanh(T.sum(w * x) + b)
    return x, w, b, y


def walk(y):
    """The graph is all there is: owners and inputs, sorted inputs-first."""
    print("leaves:", graph_inputs([y]))
    for node in toposort([y]):
        ins = ", ".join(f"{v!r}: {v.type}" for v in node.inputs)
        print(f"  {node.op}({ins}) -> {node.outputs[0].type}")


def backprop_by_hand(y, wrt):
    """What ``gpugrad.grad`` does, without its bookkeeping for special cases: seed dy/dy = 1,
    visit the nodes outputs-first, and add each op's pullback (vector-Jacobian product)
    into the gradients of its inputs. The pullbacks are gpugrad graphs, not numbers."""
    grads = {y: T.ones_like(y)}
    for node in reversed(toposort([y])):
        out_grads = [grads.get(o, T.zeros_like(o)) for o in node.outputs]
        for var, g in zip(node.inputs, node.op.pullback(node.inputs, node.outputs, out_grads)):
            if g is not None:
                grads[var] = grads[var] + g if var in grads else g
    return [grads[v] for v in wrt]


def main():
    x, w, b, y = build()
    print("== the graph of", gpugrad.pp(y))
    walk(y)

    print("\n== reverse mode by hand, then with gpugrad.grad")
    by_hand = backprop_by_hand(y, [w, b])
    gw, gb = gpugrad.grad(y, [w, b])
    print("dy/dw by hand: ", gpugrad.pp(by_hand[0]))
    print("dy/dw by grad: ", gpugrad.pp(gw))

    print("\n== compiled: the rewrite pipeline, then the optimized graph")
    from gpugrad.rewrites.pipeline import PIPELINE
    print(PIPELINE)
    f = gpugrad.function([x, w, b], [y, gw, gb])
    debugprint(f)
    f_by_hand = gpugrad.function([x, w, b], by_hand)

    print(f"\n== run on {f.device}")
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.standard_normal(3), rng.standard_normal(3), 0.5
    yv, gwv, gbv = f(xv, wv, bv)
    hand_w, hand_b = f_by_hand(xv, wv, bv)
    expected_gw = (1 - np.tanh(xv @ wv + bv) ** 2) * xv
    print("y =", yv, " dy/db =", gbv)
    print("dy/dw =", gwv, "(NumPy:", expected_gw, ")")
    assert np.allclose(gwv, expected_gw) and np.allclose(hand_w, gwv) and np.allclose(hand_b, gbv)


if __name__ == "__main__":
    main()
