"""Random numbers in graphs. ``PhiloxDraw`` makes uniforms or standard normals from a
Philox state, ``PhiloxAdvance`` the state of the next call (their NumPy algorithm is
``ops/philox.py``, their kernels ``kernels/philox.cu`` and ``philox_advance.cu``: the same bits
on every device); ``Ranking`` and ``InverseCDF`` turn uniforms into indices on the host
(permutations and samples without replacement, samples with given probabilities). The
distributions users call (``tensor/shared_randomstreams.py``) are graphs of these and ordinary
ops (``low + (high - low) * u``, ``avg + std * z``, ``u < p``), so uniform and normal draws are
reparameterised (their gradients with respect to low/high and avg/std are those of the affine
map) and every draw is otherwise a constant: no gradient reaches its state or its sizes."""
import math

import numpy as np

from ..backends.kernels import BLOCK, MAX_GRID
from ..errors import DistributionError, InputError, ShapeError
from ..graph.basic import Apply, Constant
from ..graph.op import CudaFacet, Op
from ..runtime.device_arrays import library_for
from ..runtime.facets import sizes_from
from ..types import dtypes
from ..types.tensor_type import TensorType
from ..types.variable import TensorVariable, as_tensor_variable
from . import philox
from . import scalar as S
from .shape import dimshuffle, pad_batched, require_unbatched

DRAW_DTYPES = ("float32", "float64")
STATE_TYPE = TensorType("uint32", (philox.STATE_WORDS,))


PER_BLOCK = {"float32": 4, "float64": 2}  # the elements one Philox block of four words makes


def _draw_thunk(device, node, storage_in, storage_out):
    """``kernels/philox.cu`` on the state where it lies (a shared variable's resident copy, a
    scan's state buffer): drawing copies nothing; the sizes are read on the host."""
    library, op = library_for(device), node.op
    defines = (("GG_NORMAL", str(int(op.distribution == "normal"))),)
    (state_cell, *size_cells), (out_cell,) = storage_in, storage_out

    def thunk():
        shape = run_time_shape(op, [c[0] for c in size_cells])
        n, out = math.prod(shape), library.backend.allocate(shape, op.dtype)
        if n:
            grid = min(-(-n // (PER_BLOCK[op.dtype] * BLOCK)), MAX_GRID)
            library.launch("philox", grid, BLOCK, (state_cell[0], out, n), defines=defines)
        out_cell[0] = out
    return thunk


def _advance_thunk(device, node, storage_in, storage_out):
    """``kernels/philox_advance.cu``: the next state made where the state lies."""
    library = library_for(device)
    (state_cell,), (next_cell,) = storage_in, storage_out

    def thunk():
        following = library.backend.allocate(philox.STATE_WORDS, np.uint32)
        library.launch("philox_advance", 1, 32, (state_cell[0], following))
        next_cell[0] = following
    return thunk


class PhiloxDraw(Op):
    """The draw of a Philox ``state`` (four uint32 words, ``ops/philox.py``) of integer scalar
    sizes: ``distribution`` "uniform" (in (0, 1)) or "normal" (standard), of ``dtype`` float32 or
    float64. The same state gives the same numbers: a stream's next call reads ``PhiloxAdvance``
    of it (its shared variable's default update)."""
    __props__ = ("distribution", "dtype")
    fresh_outputs = True
    cuda = CudaFacet("kernels/philox.cu, the state kept on the device", thunk=_draw_thunk,
                     host_inputs=sizes_from(1), kernels=("philox.cu",))

    def __init__(self, distribution, dtype):
        if distribution not in ("uniform", "normal"):
            raise ValueError(f"PhiloxDraw: unknown distribution {distribution!r} (uniform or normal)")
        if str(dtype) not in DRAW_DTYPES:
            raise ValueError(f"PhiloxDraw: dtype must be float32 or float64, got {dtype!r}")
        self.distribution, self.dtype = distribution, str(dtype)

    def make_node(self, state, *sizes):
        state = checked_state(self, state)
        sizes = checked_sizes(self, sizes)
        static = tuple(int(s.data) if isinstance(s, Constant) else None for s in sizes)
        return Apply(self, [state, *sizes], [TensorVariable(TensorType(self.dtype, static))])

    def perform(self, node, inputs):
        state, *sizes = inputs
        shape = run_time_shape(self, sizes)
        draw = philox.normal if self.distribution == "normal" else philox.uniform
        return [draw(run_time_state(self, state), int(np.prod(shape, dtype=np.int64)), self.dtype).reshape(shape)]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def pullback(self, inputs, outputs, output_grads):
        return [None] * len(inputs)

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        require_unbatched(self, batched, "a draw's state and sizes are the same for every example "
                                         "(vectorize what is computed from the draw instead)")


class PhiloxAdvance(Op):
    """The state of a stream's next call: the 64-bit counter ``c2 + 2^32 c3`` plus one. A
    function of the state alone, so a stream's default update stays valid however the draws
    that read the state are rebuilt (cloned, vectorized, given other sizes)."""
    fresh_outputs = True
    cuda = CudaFacet("kernels/philox_advance.cu", thunk=_advance_thunk, kernels=("philox_advance.cu",))

    def make_node(self, state):
        return Apply(self, [checked_state(self, state)], [TensorVariable(STATE_TYPE)])

    def perform(self, node, inputs):
        return [philox.advance(run_time_state(self, inputs[0]))]

    def infer_shape(self, node, input_shapes):
        return [(philox.STATE_WORDS,)]

    def pullback(self, inputs, outputs, output_grads):
        return [None]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        require_unbatched(self, batched, "a stream's state is the same for every example")


class Ranking(Op):
    """The first ``count`` positions of each row (last axis) of ``keys`` in the order of a
    stable sort: for uniform keys a uniformly random permutation (or a sample of ``count``
    without replacement). With ``weights`` the keys are -log(u) / w (Efraimidis and
    Spirakis): the first ``count`` are then a weighted sample without replacement."""
    __props__ = ("weighted",)
    fresh_outputs = True

    def __init__(self, weighted=False):
        self.weighted = bool(weighted)

    def make_node(self, keys, count, *weights):
        keys, count = as_tensor_variable(keys), as_tensor_variable(count)
        weights = [as_tensor_variable(w) for w in weights]
        if len(weights) != int(self.weighted):
            raise InputError(f"{self}: expected {int(self.weighted)} weight inputs, got {len(weights)}")
        if keys.ndim == 0 or not dtypes.is_float(keys.dtype):
            raise InputError(f"{self}: the keys must be a float array, got {keys} ({keys.type})")
        (count,) = checked_sizes(self, [count])
        static = (*keys.type.shape[:-1], int(count.data) if isinstance(count, Constant) else None)
        return Apply(self, [keys, count, *weights], [TensorVariable(TensorType("int64", static))])

    def perform(self, node, inputs):
        keys, count, *weights = inputs
        n, count = keys.shape[-1], int(count)
        if not 0 <= count <= n:
            raise DistributionError(f"{self}: cannot take {count} of {n} without replacement")
        if weights:
            w = weights[0]
            if np.any(w < 0) or np.any(np.isnan(w)):
                raise DistributionError(f"{self}: the probabilities must be non-negative, got {w}")
            with np.errstate(divide="ignore"):
                keys = -np.log(keys) / w
        return [np.argsort(keys, axis=-1, kind="stable")[..., :count].astype(np.int64)]

    def infer_shape(self, node, input_shapes):
        return [(*input_shapes[0][:-1], node.inputs[1])]

    def pullback(self, inputs, outputs, output_grads):
        return [None] * len(inputs)

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        require_unbatched(self, batched[1:2], "the number of positions taken would differ between examples")
        keys, count, *weights = inputs
        example_ndim = max(v.ndim - int(f) for v, f in zip([keys, *weights], [batched[0], *batched[2:]]))
        keys, *weights = (_with_batch_axis(v, f, example_ndim) for v, f in zip([keys, *weights],
                                                                              [batched[0], *batched[2:]]))
        return [self(keys, count, *weights)]


class InverseCDF(Op):
    """The category each uniform ``u`` falls in under the probabilities ``p`` (last axis;
    any leading axes of ``p`` broadcast with ``u``): the first k whose cumulative
    probability exceeds ``u`` times the total, as ``np.searchsorted(cumsum(p), u * sum(p),
    side="right")``. Probabilities need not be normalised."""
    fresh_outputs = True

    def make_node(self, u, p):
        u, p = as_tensor_variable(u), as_tensor_variable(p)
        if not dtypes.is_float(u.dtype) or p.ndim == 0 or dtypes.is_complex(p.dtype):
            raise InputError(f"{self}: expected float uniforms and a real vector (or stack) of probabilities, "
                             f"got {u} ({u.type}) and {p} ({p.type})")
        ndim = max(u.ndim, p.ndim - 1)
        return Apply(self, [u, p], [TensorVariable(TensorType("int64", (None,) * ndim))])

    def perform(self, node, inputs):
        u, p = inputs
        if p.shape[-1] == 0 or np.any(p < 0) or np.any(np.isnan(p)) or np.any(p.sum(axis=-1) <= 0):
            raise DistributionError(f"{self}: the probabilities must be non-negative with a positive sum, got {p}")
        cdf = np.cumsum(p, axis=-1, dtype=np.float64)
        target = u * cdf[..., -1]
        if p.ndim == 1:
            index = np.searchsorted(cdf, target, side="right")
        else:
            index = np.sum(cdf <= target[..., None], axis=-1)
        return [np.minimum(index, p.shape[-1] - 1).astype(np.int64).reshape(np.shape(target))]

    def pullback(self, inputs, outputs, output_grads):
        return [None, None]

    def pushforward(self, inputs, outputs, tangents):
        return [None]

    def batch(self, inputs, batched):
        u, p = inputs
        example_ndim = max(u.ndim - int(batched[0]), p.ndim - int(batched[1]) - 1)
        return [self(_with_batch_axis(u, batched[0], example_ndim), _with_batch_axis(p, batched[1], example_ndim + 1))]


def _with_batch_axis(var, batched, example_ndim):
    """``var`` with a leading batch axis (of size 1 if it has none) and broadcastable axes after
    it, so that one example has ``example_ndim`` axes aligned on the right."""
    if batched:
        return pad_batched(var, example_ndim)
    return dimshuffle(var, ["x"] * (example_ndim + 1 - var.ndim) + list(range(var.ndim)))


def checked_state(op, state):
    state = as_tensor_variable(state)
    if state.dtype != "uint32" or state.ndim != 1 or state.type.shape[0] not in (None, philox.STATE_WORDS):
        raise InputError(f"{op}: the state must be a vector of {philox.STATE_WORDS} uint32 words, "
                         f"got {state} ({state.type})")
    return state


def run_time_state(op, state):
    if state.shape != (philox.STATE_WORDS,):
        raise ShapeError(f"{op}: the state has shape {state.shape}, expected ({philox.STATE_WORDS},)")
    return state


def checked_sizes(op, sizes):
    """Integer scalar sizes as int64 variables; a negative constant is an error naming ``op``."""
    out = []
    for k, size in enumerate(sizes):
        size = as_tensor_variable(size)
        if size.ndim != 0 or not dtypes.is_discrete(size.dtype):
            raise ShapeError(f"{op}: size {k} must be an integer scalar, got {size} ({size.type})")
        if isinstance(size, Constant) and int(size.data) < 0:
            raise ShapeError(f"{op}: size {k} is {int(size.data)}; sizes cannot be negative")
        out.append(size if size.dtype == "int64" else S.cast(size, "int64"))
    return out


def run_time_shape(op, sizes):
    shape = tuple(int(s) for s in sizes)
    if any(s < 0 for s in shape):
        raise ShapeError(f"{op}: cannot draw an array of shape {shape}")
    return shape
