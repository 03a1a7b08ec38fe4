"""Reverse mode (``grad``, ``Lop``) and forward mode (``Rop``): walks over the graph that
call each op's ``pullback`` or ``pushforward`` and build ordinary gpugrad graphs."""

from ..errors import DisconnectedInputError, GpugradError, InputError, NullTypeGradError, ShapeError
from ..graph.basic import Variable
from ..graph.op import Op
from ..graph.traversal import ancestors, toposort
from ..ops import scalar as S
from ..ops.gradient_ops import NullGradient
from ..ops.reduce import sum as sum_
from ..ops.shape import Fill, MatchShape, alloc_like, zeros_like
from ..types import dtypes
from ..types.variable import as_tensor_variable, constant
from ..utils import report


def _as_list(value):
    """``(items, pack)``: the items of a list or tuple (or the one value), and ``pack``,
    which gives results back in the same container (a tuple for a tuple, as in Theano)."""
    if isinstance(value, (list, tuple)):
        return list(value), tuple if isinstance(value, tuple) else list
    return [value], _single


def _single(results):
    return results[0]


def _as_grad_of(g, var):
    """``g`` with the dtype a gradient of ``var`` has: real for a real ``var`` (its real
    part), float for an integer one, and float32 kept float32."""
    want = dtypes.grad_dtype(var.dtype)
    if dtypes.is_complex(g.dtype) and not dtypes.is_complex(want):
        g = S.real(g)
    return g if g.dtype == want else S.cast(g, want)


def _depends_on(outputs, wrt, blockers):
    """The variables on a path from some ``wrt`` to some output that does not pass
    through a blocker (a ``consider_constant`` variable other than a ``wrt``)."""
    reached = set(wrt)
    for node in toposort(outputs):
        if any(v in reached for v in node.inputs):
            reached.update(o for o in node.outputs if o not in blockers)
    return reached


def _handle_disconnected(var, mode, what):
    message = f"{what}: {var} is not part of the computational graph of the cost"
    if mode == "raise":
        message += " (pass disconnected_inputs='ignore' to get zeros)"
    report(mode, DisconnectedInputError, message, "disconnected_inputs", stacklevel=5)


def keep_input(derivative, var):
    """``derivative``, reading ``var`` if it does not already: a Jacobian, and the zeros
    ``grad`` gives for a disconnected input, keep their ``wrt`` as an input of the graph, as
    in Theano, even where their value is a constant (the Jacobian of ``x * 2``, static
    shapes), so ``function`` never calls ``var`` unused. The link is a run-time check that the derivative's trailing
    axes have ``var``'s shape, which the rewrites remove where static shapes prove it."""
    if var in ancestors([derivative]):
        return derivative
    what = f"the derivative with respect to {_describe(var)}"
    return MatchShape(what, derivative.ndim - var.ndim)(derivative, var)


def backpropagate(seeds, wrt, consider_constant=()):
    """Sum of pullbacks from ``seeds`` (variable -> gradient) to each of ``wrt``;
    None where no gradient arrives. A ``consider_constant`` variable receives its
    gradient but passes none on to what computes it."""
    blockers = set(consider_constant)
    outputs = list(seeds)
    live = _depends_on(outputs, wrt, blockers)
    grads = {var: [g] for var, g in seeds.items()}
    for node in reversed(toposort(outputs, blockers=blockers)):
        out_grads = [None if o in blockers else _total(grads.get(o)) for o in node.outputs]
        if all(g is None for g in out_grads) or not any(v in live for v in node.inputs):
            continue
        if any(g is None for g in out_grads):
            out_grads = [zeros_like(o, dtype=dtypes.grad_dtype(o.dtype)) if g is None else g
                         for g, o in zip(out_grads, node.outputs)]
        in_grads = node.op.pullback(node.inputs, node.outputs, out_grads)
        if len(in_grads) != len(node.inputs):
            raise GpugradError(f"{node.op}.pullback returned {len(in_grads)} gradients "
                               f"for {len(node.inputs)} inputs")
        for var, g in zip(node.inputs, in_grads):
            if g is not None and var in live:
                grads.setdefault(var, []).append(_as_grad_of(as_tensor_variable(g), var))
    return [_total(grads.get(v)) for v in wrt]


def _total(terms):
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else S.add(*terms)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", known_grads=None,
         holomorphic=False, add_names=True, return_disconnected="zero"):
    """Gradient of the real scalar ``cost`` with respect to ``wrt`` (a variable, list or tuple).

    For complex ``wrt`` z = a + ib the result is dC/da + i dC/db. ``known_grads`` maps
    variables to gradients to start from (with ``cost`` or instead of it). As in Theano,
    with ``add_names`` a gradient is named ``(dcost/dx)`` where both have names; PyTensor's
    ``return_disconnected="none"`` gives None for a disconnected input instead of zeros."""
    if return_disconnected not in ("zero", "none"):
        raise ValueError(f"grad: return_disconnected must be 'zero' or 'none', got {return_disconnected!r}")
    wrt_list, pack = _as_list(wrt)
    wrt_list = [_check_wrt(v, "grad") for v in wrt_list]
    cost = None if cost is None else as_tensor_variable(cost)
    results = backpropagate(_seeds(cost, known_grads, holomorphic), wrt_list, consider_constant or ())
    out = []
    for var, g in zip(wrt_list, results):
        if g is None:
            _handle_disconnected(var, disconnected_inputs, "grad")
            if return_disconnected == "none":
                out.append(None)
                continue
            g = keep_input(zeros_like(var, dtype=dtypes.grad_dtype(var.dtype)), var)
        _check_defined(g)
        g = S.conj(g) if holomorphic and dtypes.is_complex(g.dtype) else g
        if add_names and cost is not None and cost.name and var.name and g.name is None and g.owner is not None:
            g.name = f"(d{cost.name}/d{var.name})"
        out.append(g)
    return pack(out)


def _check_defined(g):
    """A gradient that needs one an op declared undefined (``gradient.grad_undefined``) raises."""
    for node in toposort([g]):
        if isinstance(node.op, NullGradient):
            raise NullTypeGradError(node.op.message)


def _seeds(cost, known_grads, holomorphic):
    """The gradients a backward walk starts from: ones for the cost, and ``known_grads``."""
    seeds = {}
    if cost is not None:
        if cost.ndim != 0:
            raise InputError(f"grad: the cost must be a scalar, got {cost} of type {cost.type} "
                             "(reduce it with .sum() or use jacobian)")
        if dtypes.is_complex(cost.dtype) and not holomorphic:
            raise InputError(f"grad: the cost {cost} is complex ({cost.dtype}); differentiate "
                             "T.real(cost) or abs(cost), or pass holomorphic=True for f'(z)")
        # fill(cost, 1.0) reads the cost, so grad(i, i) keeps i an input, as in Theano; for an
        # integer cost the value's dtype (float) is the seed's
        one = constant(1.0, dtype=dtypes.grad_dtype(cost.dtype)) if dtypes.is_discrete(cost.dtype) else 1.0
        seeds[cost] = Fill()(cost, as_tensor_variable(one))
    for var, g in (known_grads or {}).items():
        g = as_tensor_variable(g)
        if g.ndim != var.ndim:
            raise InputError(f"grad: known gradient of {var} has {g.ndim} dimensions, expected {var.ndim}")
        seeds[var] = g
    if not seeds:
        raise InputError("grad: give a cost or known_grads")
    return seeds


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """Theano's backpropagation one subgraph at a time: the gradients with respect to
    ``wrt`` and to ``end`` (the variables where this subgraph's walk stops) of ``cost``
    plus the gradients ``start`` ({variable: gradient}) coming from the subgraph after
    this one. The gradients of ``end`` are the next call's ``start``. With ``details``
    the parts from ``start`` and from ``cost`` come back too."""
    if cost is None and start is None:
        raise InputError("subgraph_grad: give a cost, start gradients or both")
    params = list(dict.fromkeys(list(wrt) + list(end)))
    parts = [grad(c, params, consider_constant=end, disconnected_inputs="ignore", known_grads=k)
             for c, k in ((None, start), (cost, None)) if (c if k is None else k) is not None]
    totals = [S.add(*terms) if len(terms) > 1 else terms[0] for terms in zip(*parts)]
    by_param = dict(zip(params, totals))
    result = [by_param[v] for v in wrt], [by_param[v] for v in end]
    if details:
        from_start = parts[0] if start is not None else None
        from_cost = parts[-1] if cost is not None else None
        return result + (from_start, from_cost)
    return result


def _check_wrt(var, what):
    if not isinstance(var, Variable):
        raise InputError(f"{what}: wrt must be a symbolic variable, got {type(var).__name__} {var!r}")
    return var


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise", return_disconnected="zero"):
    """Vector times Jacobian: ``grad(real(sum(conj(u) * f)), wrt)`` for each ``u`` in
    ``eval_points``, without building that cost."""
    f_list, _ = _as_list(f)
    points, _ = _as_list(eval_points)
    wrt_list, pack = _as_list(wrt)
    wrt_list = [_check_wrt(v, "Lop") for v in wrt_list]
    if len(points) != len(f_list):
        raise InputError(f"Lop: {len(f_list)} outputs but {len(points)} eval points")
    # No run-time shape check of the seeds: it would make the result depend on f's
    # inputs (the tutorial's Lop of dot(x, W) with respect to W needs only x and v).
    seeds = {out: _eval_point(u, out, "Lop") for out, u in zip(f_list, points)}
    return pack(grad(None, wrt_list, consider_constant, disconnected_inputs, known_grads=seeds,
                     return_disconnected=return_disconnected))


def _describe(var):
    """A name for ``var`` in messages: its own, or the op computing it."""
    if var.name or var.owner is None:
        return repr(var)
    return f"the output of {var.owner.op}"


def _eval_point(u, like, what):
    u = as_tensor_variable(u)
    if u.ndim != like.ndim:
        raise ShapeError(f"{what}: the eval point {u} has {u.ndim} dimensions ({u.type}); "
                         f"it must have the shape of {like} ({like.type})")
    if dtypes.is_complex(u.dtype) and not dtypes.is_complex(like.dtype):
        raise InputError(f"{what}: the eval point {u} is complex ({u.dtype}) but {like} is {like.dtype}")
    return u


def pushforward_graph(outputs, tangents, consider_constant=()):
    """Tangents of ``outputs`` (None where none arrives) given ``tangents`` (variable ->
    tangent): the forward twin of ``backpropagate``. ``Rop`` adds a run-time check of
    its eval points' shapes; this walk adds none, so a symbolic tangent can be vectorized."""
    known = dict(tangents)
    constant = set(consider_constant)
    for node in toposort(list(outputs), blockers=set(known)):
        if not any(v in known for v in node.inputs):
            continue
        outs = op_pushforward(node.op, node.inputs, node.outputs, [known.get(v) for v in node.inputs])
        for out, t in zip(node.outputs, outs):
            if t is not None and out not in constant:
                known[out] = _tangent_of(as_tensor_variable(t), out)
    return [known.get(o) for o in outputs]


def op_pushforward(op, inputs, outputs, tangents):
    """``op.pushforward``; for a user's op that has a pullback but no R-op (``derived_facets``),
    the R-op its pullback implies. The pullback is the linear map u -> J^T u, so J t is the
    gradient with respect to u of <J^T u, t>, at any u: zeros of the outputs' shapes."""
    if not (getattr(op, "derived_facets", False) and type(op).pushforward is Op.pushforward):
        return op.pushforward(inputs, outputs, tangents)
    seeds = [zeros_like(o, dtype=dtypes.grad_dtype(o.dtype)) for o in outputs]
    terms = [sum_(g * t) for g, t in zip(op.pullback(inputs, outputs, seeds), tangents)
             if g is not None and t is not None]
    if not terms:
        return [None] * len(outputs)
    return grad(_total(terms), seeds, disconnected_inputs="ignore", add_names=False, return_disconnected="none")


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero",
        use_op_rop_implementation=True):
    """Jacobian times vector, d/dt f(wrt + t v) at t = 0, by forward mode. PyTensor's
    ``use_op_rop_implementation=False`` (R-op by two L-ops) gives the same values; gpugrad
    always uses each op's native ``pushforward``. ``return_disconnected="none"`` gives None
    for an output that does not depend on ``wrt``."""
    f_list, pack = _as_list(f)
    wrt_list, _ = _as_list(wrt)
    points, _ = _as_list(eval_points)
    if len(points) != len(wrt_list):
        raise InputError(f"Rop: {len(wrt_list)} wrt variables but {len(points)} eval points")
    tangents = {}
    for var, v in zip(wrt_list, points):
        var = _check_wrt(var, "Rop")
        v = _eval_point(v, var, "Rop")
        tangents[var] = MatchShape(f"Rop eval point {v!r} for {_describe(var)}")(v, var)
    results = []
    for out, t in zip(f_list, pushforward_graph(f_list, tangents)):
        if t is None:
            _handle_disconnected(out, disconnected_outputs, "Rop (output does not depend on wrt)")
            t = None if return_disconnected == "none" else zeros_like(out, dtype=dtypes.grad_dtype(out.dtype))
        results.append(t)
    return pack(results)


def pushforward(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero",
                use_op_pushforward=True):
    """PyTensor's name for ``Rop``: the Jacobian of ``f`` times ``eval_points``. Its
    ``use_op_pushforward=False`` (two pullbacks) gives the same values; gpugrad always
    uses each op's native pushforward."""
    return Rop(f, wrt, eval_points, disconnected_outputs, return_disconnected)


def pullback(f, wrt, eval_points, **kwargs):
    """PyTensor's name for ``Lop``: ``eval_points`` times the Jacobian of ``f``."""
    return Lop(f, wrt, eval_points, **kwargs)


def _tangent_of(t, out):
    """A tangent keeps its output's shape and dtype (a complex one for a real output of a
    real function of complex inputs is never produced by the rules)."""
    if t.ndim != out.ndim or (t.type.shape != out.type.shape and None not in out.type.shape):
        t = alloc_like(t, out) if t.ndim <= out.ndim else t
    want = dtypes.grad_dtype(out.dtype)
    if dtypes.is_complex(t.dtype) and not dtypes.is_complex(want):
        t = S.real(t)
    return t if t.dtype == want else S.cast(t, want)
