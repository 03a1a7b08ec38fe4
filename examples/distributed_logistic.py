"""The Theano tutorial's logistic regression, trained data-parallel on a Dask cluster.

A LocalCluster of worker processes stands in for a real cluster (README, "Beyond one machine:
Dask"): the data set is a Dask array made and kept on the workers, chunked along the
examples; each step computes the cost and its gradients chunk by chunk where the chunks
are, averages them by a tree reduction, and updates the parameters on the client.

    python examples/distributed_logistic.py                       # 2 workers, 10 steps, loss per step
    python examples/distributed_logistic.py --rows 200000 --workers 1 --steps 10   # time a step
    python examples/distributed_logistic.py --rows 200000 --workers 0 --steps 10   # no Dask at all
"""
import argparse
import time

import numpy as np
import dask.array as da
from distributed import Client, LocalCluster

import gpugrad as theano
import gpugrad.tensor as T
import gpugrad.distributed as gd


def model(feats, rng):
    """The tutorial's graph: the cost (mean cross-entropy plus an L2 penalty) and a prediction."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(rng.normal(size=feats) * 0.01, name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()  # a mean: reduce="mean" gives the whole batch's
    return x, y, w, b, cost, p_1 > 0.5


def dataset(rows, feats, chunks=4):
    """Examples and labels drawn on the workers, in ``chunks`` chunks (what from_zarr would read)."""
    rng, chunk = da.random.default_rng(0), -(-rows // chunks)
    X = rng.normal(size=(rows, feats), chunks=(chunk, feats))
    y = (X[:, :8].sum(axis=1) + rng.normal(size=rows, chunks=chunk) > 0).astype(float)
    return X.persist(), y.persist()


def train(args):
    x, y, w, b, cost, prediction = model(args.feats, np.random.default_rng(1))
    step = gd.grad_step([x, y], cost, [w, b], reduce="mean")
    gw, gb = T.dvector("gw"), T.dscalar("gb")
    sgd = theano.function([gw, gb], [], updates=[(w, w - args.rate * gw), (b, b - args.rate * gb)])
    X, Y = dataset(args.rows, args.feats)
    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        loss, grads = step(X, Y)
        sgd(*grads)
        times.append(time.perf_counter() - start)
        print(f"step {i}: loss {float(loss):.6f}  ({times[-1] * 1e3:.0f} ms)")
    predict = theano.function([x], prediction)
    accuracy = (gd.map_batches(predict, X) == Y.astype(bool)).mean().compute()
    print(f"training accuracy {accuracy:.3f}; median step {np.median(times[1:] or times) * 1e3:.0f} ms")


def one_process(args):
    """The same steps without Dask, on the whole data in this process: the baseline."""
    x, y, w, b, cost, _ = model(args.feats, np.random.default_rng(1))
    gw, gb = theano.grad(cost, [w, b])
    step = theano.function([x, y], cost, updates=[(w, w - args.rate * gw), (b, b - args.rate * gb)])
    X, Y = (a.compute() for a in dataset(args.rows, args.feats))
    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        loss = step(X, Y)
        times.append(time.perf_counter() - start)
        print(f"step {i}: loss {float(loss):.6f}  ({times[-1] * 1e3:.0f} ms)")
    print(f"median step {np.median(times[1:] or times) * 1e3:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--feats", type=int, default=784)
    parser.add_argument("--workers", type=int, default=2, help="0: no Dask, the whole data in this process")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.1)
    args = parser.parse_args()
    if args.workers == 0:
        return one_process(args)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        train(args)


if __name__ == "__main__":
    main()
