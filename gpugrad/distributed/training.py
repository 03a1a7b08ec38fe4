"""``grad_step``: the data-parallel step of a training loop, as PyTorch's DDP takes it.

Each chunk of the batch computes the cost and its gradients with respect to the shared
parameters on its worker; a tree reduction combines them (``"mean"``: weighted by the
chunks' rows, so a ``cost.mean()`` gives exactly the gradient of the whole batch's mean);
the client gets the results and applies the update it likes, so the parameters live in one
place and every step's chunks read the same values."""
import dask

from ..autodiff.grad import grad
from ..compile.function import function
from ..compile.shared import SharedVariable
from ..errors import InputError
from .batches import map_batches


def grad_step(inputs, cost, wrt, reduce="mean", split_every=None, **compile_options):
    """A ``GradStep`` computing ``cost`` (a scalar) and its gradients with respect to the
    shared variables ``wrt`` over Dask arrays: ``loss, grads = step(X, y)``.
    ``compile_options`` go to ``gpugrad.function`` (``device``, ``mode``, ``name``, ...)."""
    wrt = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for k, var in enumerate(wrt):
        if not isinstance(var, SharedVariable):
            raise InputError(f"grad_step: wrt[{k}] ({var}) is not a shared variable; the gradients combined across "
                             "chunks are those of parameters every chunk shares (gpugrad.shared)")
    f = function(inputs, [cost] + grad(cost, wrt), **compile_options)
    return GradStep(f, wrt, reduce, split_every)


class GradStep:
    """``step(*arrays)``: ``(cost, [gradient per wrt])``, computed now (``compute=False``:
    as Dask arrays). A step reads the parameters' values when it is called."""

    def __init__(self, function, wrt, reduce, split_every):
        self.function, self.wrt = function, wrt
        self.reduce, self.split_every = reduce, split_every

    def __call__(self, *arrays, compute=True):
        cost, *grads = map_batches(self.function, *arrays, reduce=self.reduce, split_every=self.split_every)
        if compute:
            cost, *grads = dask.compute(cost, *grads)
        return cost, grads
