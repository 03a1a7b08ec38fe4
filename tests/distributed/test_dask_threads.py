"""``gpugrad.distributed`` under Dask's threaded and synchronous schedulers (no cluster), and
the errors bad input raises, each naming its culprit."""
import numpy as np
import pytest

import gpugrad
import gpugrad.tensor as T
from gpugrad.errors import InputError, PicklingError, ShapeError

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
gd = pytest.importorskip("gpugrad.distributed")

from dask_model import CHUNK, REDUCES, assert_all_close  # noqa: E402


@pytest.fixture(autouse=True)
def threads():
    with dask.config.set(scheduler="threads"):
        yield


def test_outputs_equal_the_whole_data_function(model, data, chunked):
    outputs = gd.map_batches(model.f, *chunked, reduce=REDUCES)
    assert outputs[0].chunks[0] == chunked[0].chunks[0]  # per example: the batch's chunks
    assert_all_close(dask.compute(*outputs), model.f(*data))


def test_the_synchronous_scheduler_and_a_narrow_tree(model, data, chunked):
    with dask.config.set(scheduler="sync"):
        outputs = gd.map_batches(model.f, *chunked, reduce=REDUCES, split_every=2)
        assert_all_close(dask.compute(*outputs), model.f(*data))


def test_a_single_output_and_a_whole_argument(data, chunked):
    """A plain array argument goes whole to every chunk; a single output is a single array."""
    x, v = T.dmatrix("x"), T.dvector("v")
    f = gpugrad.function([x, v], T.tanh(T.dot(x, v)))
    v0 = np.linspace(-1, 1, data[0].shape[1])
    out = gd.map_batches(f, chunked[0], v0)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), f(data[0], v0), rtol=1e-12)


def test_a_device_function_gives_host_results_for_host_chunks(data, chunked):
    """Its results come back from the (simulated) device as NumPy chunks."""
    x = T.dmatrix("x")
    f = gpugrad.function([x], [T.exp(x), (x ** 2).mean()], device="cuda-sim")
    per_example, mean = gd.map_batches(f, chunked[0], reduce=[None, "mean"])
    assert isinstance(per_example._meta, np.ndarray)
    assert_all_close(dask.compute(per_example, mean), f(data[0]))


def test_parameters_are_read_when_called(model, data, chunked):
    before = gd.map_batches(model.f, *chunked, reduce=REDUCES)
    expected = model.f(*data)
    model.w.set_value(model.w.get_value() * 2)
    assert_all_close(dask.compute(*before), expected)
    assert_all_close(dask.compute(*gd.map_batches(model.f, *chunked, reduce=REDUCES)), model.f(*data))


def test_grad_step_trains_as_the_whole_batch_does(model, data, chunked):
    step = gd.grad_step([model.x, model.y], model.cost, [model.w, model.b])
    whole = gpugrad.function([model.x, model.y], [model.cost] + gpugrad.grad(model.cost, [model.w, model.b]))
    for _ in range(3):
        cost, grads = step(*chunked)
        assert_all_close([cost] + grads, whole(*data))
        for var, g in zip([model.w, model.b], grads):
            var.set_value(var.get_value() - 0.5 * g)


def test_chunks_not_aligned_along_the_batch_axis(model, chunked):
    X, y = chunked
    with pytest.raises(ShapeError, match=r"input 1 \(y\) is chunked as \(10, 10, 10, 10, 10\).*input 0 \(x\)"):
        gd.map_batches(model.f, X, y.rechunk(10), reduce=REDUCES)


def test_chunked_along_a_feature_axis(model, chunked):
    X, y = chunked
    with pytest.raises(ShapeError, match=r"input 0 \(x\)'s Dask array is chunked along axis 1.*rechunk"):
        gd.map_batches(model.f, X.rechunk((CHUNK, 2)), y, reduce=REDUCES)


def test_not_a_compiled_function(chunked):
    with pytest.raises(InputError, match="expected a function compiled by gpugrad.function, got function"):
        gd.map_batches(lambda x: x, chunked[0])


def test_no_batch_input(model, data):
    with pytest.raises(InputError, match="no argument of function 'logistic' .* is a Dask array"):
        gd.map_batches(model.f, *data, reduce=REDUCES)
    s = T.dscalar("s")
    double = gpugrad.function([s], s * 2)
    with pytest.raises(InputError, match=r"input 0 \(s\) of function is a scalar"):
        gd.map_batches(double, da.ones(4, chunks=2))


def test_wrong_number_of_arguments_or_reductions(model, chunked):
    with pytest.raises(InputError, match="takes 2 inputs"):
        gd.map_batches(model.f, chunked[0], reduce=REDUCES)
    with pytest.raises(InputError, match="reduce has 2 entries for the 5 outputs"):
        gd.map_batches(model.f, *chunked, reduce=[None, "sum"])
    with pytest.raises(InputError, match="reduce of output 1 is 'avg'"):
        gd.map_batches(model.f, *chunked, reduce=[None, "avg", "sum", "sum", "sum"])


@pytest.mark.parametrize("reduce", [None, [None] * 5])
def test_a_scalar_output_without_a_reduction(model, chunked, reduce):
    with pytest.raises(ShapeError, match=r"output 1 of function 'logistic' has shape \(\).*reduce='sum' or 'mean'"):
        gd.map_batches(model.f, *chunked, reduce=reduce)


def test_an_output_neither_per_example_nor_reduced(chunked):
    x = T.dmatrix("x")
    column_sums = gpugrad.function([x], x.sum(axis=0), name="column_sums")
    with pytest.raises(ShapeError, match=r"output 0 of function 'column_sums' has shape \(4,\) for a chunk of 2"):
        gd.map_batches(column_sums, chunked[0])
    np.testing.assert_allclose(gd.map_batches(column_sums, chunked[0], reduce="sum").compute(),
                               chunked[0].compute().sum(axis=0), rtol=1e-12)


def test_a_function_that_does_not_pickle(chunked):
    double = gpugrad.as_op(itypes=[T.dmatrix], otypes=[T.dmatrix])(lambda x: x * 2)
    x = T.dmatrix("x")
    f = gpugrad.function([x], double(x), name="lambda_op")
    with pytest.raises(PicklingError, match="function 'lambda_op' cannot be sent to Dask workers.*FromFunctionOp"):
        gd.map_batches(f, chunked[0])
    with pytest.raises(PicklingError, match="not made by gpugrad.function"):
        gd.map_batches(f.copy(), chunked[0])


def test_a_function_with_updates_or_a_parameter_that_is_not_shared(model, chunked):
    counter = gpugrad.shared(0.0, name="counter")
    x = T.dmatrix("x")
    f = gpugrad.function([x], x * 2, updates=[(counter, counter + 1)], name="counting")
    with pytest.raises(InputError, match="function 'counting' has 1 update"):
        gd.map_batches(f, chunked[0])
    with pytest.raises(InputError, match=r"wrt\[0\] \(x\) is not a shared variable"):
        gd.grad_step([model.x, model.y], model.cost, [model.x])


def test_cupy_chunks_on_a_gpu(data):
    """With a GPU: CuPy chunks in, a ``cuda`` function, CuPy results out, as on the CPU."""
    cupy = pytest.importorskip("cupy")
    try:
        assert cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        pytest.skip("no usable GPU")
    x = T.dmatrix("x")
    f = gpugrad.function([x], [T.exp(x), (x ** 2).mean()], device="cuda")
    X = da.from_array(data[0], chunks=(CHUNK, -1)).map_blocks(cupy.asarray)
    per_example, mean = gd.map_batches(f, X, reduce=[None, "mean"])
    assert isinstance(per_example._meta, cupy.ndarray)
    got = dask.compute(per_example, mean)
    assert all(isinstance(g, cupy.ndarray) for g in got)
    assert_all_close([g.get() for g in got], [np.exp(data[0]), (data[0] ** 2).mean()])
