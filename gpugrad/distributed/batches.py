"""``map_batches``: a compiled function over Dask arrays split along their first axis.

Each chunk of the batch inputs (the Dask arrays among the arguments) is one task, run
where the chunk is, calling the function once on that chunk and the other arguments whole.
Its outputs come back as Dask arrays, each as its ``reduce`` says:

- ``None``: per example; the chunks' results are concatenated along axis 0, so each must
  have one row per row of its chunk;
- ``"sum"``: the chunks' results (a cost, a gradient: any shape) are summed elementwise
  by a tree reduction (``split_every`` chunks at a time);
- ``"mean"``: the same, weighted by the chunks' rows and divided by all the rows: for an
  output that is itself a mean over its chunk (``cost.mean()`` and its gradients), this
  is that mean over the whole batch, however the rows are split.

Results land where their chunk lies: NumPy for NumPy chunks, CuPy for CuPy chunks."""
import functools
import importlib
import operator
import uuid
import warnings

import numpy as np

from ..errors import InputError, ShapeError
from .shipping import shipment

try:
    import dask
    import dask.array as da
    from dask.array.utils import meta_from_array
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError("gpugrad.distributed needs Dask: pip install 'gpugrad[distributed]' "
                      "(or dask[distributed])") from exc

REDUCTIONS = (None, "sum", "mean")
_SPLIT_EVERY = 8  # partial results a reduction task adds up


def map_batches(f, *args, reduce=None, split_every=None):
    """Run compiled function ``f`` over the chunks of its Dask array arguments (chunked
    along axis 0 only, alike in all of them); the other arguments go whole to every chunk.
    ``reduce`` (one of ``None``, ``"sum"``, ``"mean"``, or a list with one per output) says
    how each output's chunks combine (module docstring). Shared variables are read now: the
    results use the values they have when ``map_batches`` is called. Returns a Dask array,
    or a list of them as ``f`` returns a list."""
    ship = shipment(f, "map_batches")
    reduces = _reductions(reduce, ship)
    batch = _batch_arguments(ship, args)
    rows = next(iter(batch.values())).chunks[0]
    template = tuple(None if i in batch else value for i, value in enumerate(args))
    call = _ChunkCall(ship.label, ship.single, tuple(batch), template, reduces)
    params = ship.param_values()
    specs = _probe(ship, call, batch, params)
    token = uuid.uuid4().hex
    extras = dask.delayed((call, params), traverse=False, name=f"gpugrad-arguments-{token}")
    handle = ship.handle(_client())
    blocks = [array.to_delayed(optimize_graph=False).ravel() for array in batch.values()]
    parts = [dask.delayed(_run_chunk, pure=True)(handle, extras, *(b[i] for b in blocks),
                                                 dask_key_name=(f"gpugrad-chunk-{token}", i))
             for i in range(len(rows))]
    totals = _tree_sum(parts, reduces, rows, split_every or _SPLIT_EVERY, token)
    results = _as_arrays(parts, totals, reduces, specs, rows, next(iter(batch.values()))._meta)
    return results[0] if ship.single else results


def _as_arrays(parts, totals, reduces, specs, rows, meta_source):
    """One Dask array per output: the chunks' parts concatenated, or the reduced total."""
    results = []
    for k, (how, (dtype, shape)) in enumerate(zip(reduces, specs)):
        meta = meta_from_array(meta_source, ndim=len(shape) + (how is None), dtype=dtype)
        if how is None:
            results.append(da.concatenate([da.from_delayed(part[k], shape=(n,) + shape, dtype=dtype, meta=meta)
                                           for part, n in zip(parts, rows)], axis=0))
        else:
            results.append(da.from_delayed(totals[k], shape=shape, dtype=dtype, meta=meta))
    return results


def _reductions(reduce, ship):
    """One of ``REDUCTIONS`` per output of the function."""
    n = ship.n_outputs
    reduces = list(reduce) if isinstance(reduce, (list, tuple)) else [reduce] * n
    if len(reduces) != n:
        raise InputError(f"map_batches: reduce has {len(reduces)} entries for the {n} outputs of {ship.label}")
    for k, how in enumerate(reduces):
        if how not in REDUCTIONS:
            raise InputError(f"map_batches: reduce of output {k} is {how!r}; use None (per example), 'sum' or 'mean'")
    return tuple(reduces)


def _batch_arguments(ship, args):
    """``{position: Dask array}`` of the batch inputs, checked to split alike along axis 0 only."""
    inputs, label = ship.inputs, ship.label
    if len(args) != len(inputs):
        raise InputError(f"map_batches: {label} takes {len(inputs)} inputs ({_names(inputs)}), got {len(args)} "
                         "arguments")
    batch = {i: a for i, a in enumerate(args) if isinstance(a, da.Array)}
    if not batch:
        raise InputError(f"map_batches: no argument of {label} (inputs {_names(inputs)}) is a Dask array, so there "
                         "is no batch to split: pass the inputs with one row per example as Dask arrays chunked "
                         "along axis 0 (dask.array.from_array(X, chunks=(rows, -1)))")
    for i, array in batch.items():
        what, ndim = f"input {i} ({inputs[i]})", inputs[i].type.ndim
        if ndim == 0:
            raise InputError(f"map_batches: {what} of {label} is a scalar, so its Dask array has no batch axis: "
                             "pass it as a plain value")
        if array.ndim != ndim:
            raise InputError(f"map_batches: {what} of {label} has {ndim} dimensions; its Dask array has {array.ndim}")
        if any(np.isnan(c) for c in array.chunks[0]):
            raise ShapeError(f"map_batches: {what}'s Dask array has chunks of unknown size along the batch axis: "
                             "call compute_chunk_sizes() on it first")
        split = [axis for axis, chunks in enumerate(array.chunks) if axis and len(chunks) > 1]
        if split:
            raise ShapeError(f"map_batches: {what}'s Dask array is chunked along axis {split[0]} "
                             f"({array.chunks[split[0]]}); only the batch axis 0 may be split: "
                             f"rechunk it with .rechunk({{{split[0]}: -1}})")
    first = min(batch)
    for i, array in batch.items():
        if array.chunks[0] != batch[first].chunks[0]:
            raise ShapeError(f"map_batches: the batch axis of input {i} ({inputs[i]}) is chunked as "
                             f"{array.chunks[0]}, that of input {first} ({inputs[first]}) as {batch[first].chunks[0]}; "
                             f"each chunk must hold the same examples of every input: rechunk one like the other, "
                             f".rechunk({{0: x.chunks[0]}})")
    return batch


def _names(inputs):
    return ", ".join(str(v) for v in inputs) or "none"


class _ChunkCall:
    """What a chunk's task needs besides the function and the chunks: the other arguments,
    where the chunks go among them, and how each output combines (sent once per call)."""

    def __init__(self, label, single, positions, template, reduces):
        self.label, self.single, self.positions = label, single, positions
        self.template, self.reduces = template, reduces

    def arguments(self, chunks):
        args = list(self.template)
        for position, chunk in zip(self.positions, chunks):
            args[position] = chunk
        return args

    def finish(self, results, rows, like):
        """The outputs of one chunk's call, checked and made ready to combine (a mean
        weighted by ``rows``), on ``like``'s device."""
        results = [results] if self.single else results
        finished = []
        for k, (value, how) in enumerate(zip(results, self.reduces)):
            if how is None:
                if value.ndim == 0 or value.shape[0] != rows:
                    raise ShapeError(f"map_batches: output {k} of {self.label} has shape {value.shape} for a chunk "
                                     f"of {rows} rows, so it is not per example (one row per row of the chunk); "
                                     "for a result of the whole chunk (a cost, a gradient) say how the chunks' "
                                     "results combine with reduce='sum' or 'mean'")
            elif how == "mean":
                value = value * rows
            finished.append(_on_device_of(like, value))
        return tuple(finished)


def _on_device_of(like, value):
    """``value`` in the array module of chunk ``like`` (CuPy's for a CuPy chunk): never
    ``np.asarray`` of a device array, which CuPy refuses."""
    if isinstance(like, np.ndarray):
        return np.asarray(value) if isinstance(value, (np.ndarray, np.generic)) else value.get()
    return importlib.import_module(type(like).__module__.split(".")[0]).asarray(value)


def _run_chunk(function, extras, *chunks):
    """A chunk's task, on the worker that holds the chunks."""
    call, params = extras
    results = function(*call.arguments(chunks), *params)
    return call.finish(results, chunks[0].shape[0], chunks[0])


def _probe(ship, call, batch, params):
    """``(dtype, shape)`` per output (of a row for one per example, of the whole otherwise),
    from a call on the client with two rows of zeros shaped like the chunks: Dask needs
    both before anything runs, and a function that does not fit its arguments fails here,
    at once."""
    rows = 2
    zeros = [np.zeros((rows,) + array.shape[1:], array.dtype) for array in batch.values()]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        results = ship.stateless(*call.arguments(zeros), *params)
    specs = []
    for value, how in zip(call.finish(results, rows, zeros[0]), call.reduces):
        value = value / rows if how == "mean" else value  # as the root of the tree divides it
        specs.append((value.dtype, value.shape[1:] if how is None else value.shape))
    return specs


def _tree_sum(parts, reduces, rows, split_every, token):
    """A task holding, per output, the sum of the chunks' results (their mean for ``"mean"``;
    None per example), reduced ``split_every`` at a time: all reduced outputs in one tree."""
    if all(how is None for how in reduces):
        return None
    level, depth = parts, 0
    while depth == 0 or len(level) > 1:
        groups = [level[i:i + split_every] for i in range(0, len(level), split_every)]
        divisor = sum(rows) if len(groups) == 1 else None
        level = [dask.delayed(_combined, pure=True)(reduces, divisor, *group,
                                                    dask_key_name=(f"gpugrad-sum-{token}", depth, i))
                 for i, group in enumerate(groups)]
        depth += 1
    return level[0]


def _combined(reduces, divisor, *partials):
    """The elementwise sums of the partials' reduced outputs (None per example); at the root
    (``divisor``, all the rows) the means divided by it."""
    sums = []
    for how, values in zip(reduces, zip(*partials)):
        total = None if how is None else functools.reduce(operator.add, values)
        sums.append(total / divisor if how == "mean" and divisor is not None else total)
    return tuple(sums)


def _client():
    """The ``dask.distributed`` client that computes now, if it is the configured scheduler."""
    if dask.config.get("scheduler", None) not in ("dask.distributed", "distributed"):
        return None
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None
