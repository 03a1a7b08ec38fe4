"""``gpugrad.distributed`` on a ``dask.distributed`` LocalCluster of two worker processes (one
thread each, shared by the module): the same results as the whole data in one process, the
function shipped once per worker, and a worker killed in the middle of a chunk."""
import os
import sys

import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
gd = pytest.importorskip("gpugrad.distributed")

from dask_model import REDUCES, assert_all_close  # noqa: E402

KILL_FLAG = None  # set on the workers: the file whose absence makes die_once kill its worker


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        yield client


def test_outputs_equal_the_whole_data_function(client, model, data, chunked):
    X, y = (a.persist() for a in chunked)  # the chunks live on the workers, spread over both
    outputs = gd.map_batches(model.f, X, y, reduce=REDUCES)
    assert_all_close(dask.compute(*outputs), model.f(*data))
    assert len({w for ws in client.who_has(X).values() for w in ws}) == 2


def _count_compilations():
    """On a worker: count the functions compiled from a pickle from now on (run once per worker)."""
    from gpugrad.compile import pickling
    compile_ = pickling._compiled

    def counting(*recipe):
        pickling.compilations += 1
        return compile_(*recipe)
    pickling.compilations, pickling._compiled = 0, counting


def _compilations():
    from gpugrad.compile import pickling
    return pickling.compilations


def test_a_training_loop_ships_the_function_once_per_worker(client, model, data, chunked):
    client.run(_count_compilations)
    step = gd.grad_step([model.x, model.y], model.cost, [model.w, model.b])
    whole = gpugrad.function([model.x, model.y], [model.cost] + gpugrad.grad(model.cost, [model.w, model.b]))
    for _ in range(4):
        cost, grads = step(*chunked)
        assert_all_close([cost] + grads, whole(*data))  # each step reads the parameters' new values
        for var, g in zip([model.w, model.b], grads):
            var.set_value(var.get_value() - 0.5 * g)
    assert sorted(client.run(_compilations).values()) == [1, 1]  # 4 steps of 4 chunks


def _arm(path):
    sys.modules[__name__].KILL_FLAG = path


@gpugrad.as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])
def die_once(x):
    """The identity, except that the first call on the armed workers kills its process: the
    flag is created atomically, so two workers starting chunks at once never both die (they
    did, and Dask cancelled the computation)."""
    if KILL_FLAG is not None:
        try:
            os.close(os.open(KILL_FLAG, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return x
        os._exit(1)
    return x


def test_a_worker_killed_in_the_middle_of_a_chunk(client, data, chunked, tmp_path):
    """Dask runs the chunk again on the other worker, which holds the function too."""
    x = T.dmatrix("x")
    f = gpugrad.function([x], [T.exp(die_once(x)), T.sqr(x).mean()], name="fragile")
    flag = tmp_path / "killed"
    client.run(_arm, str(flag))
    futures = client.compute(gd.map_batches(f, chunked[0], reduce=[None, "mean"]))
    distributed.wait(futures, timeout=120)  # a failure here, never a hang of the suite
    assert_all_close(client.gather(futures), f(data[0]))
    assert flag.exists()
