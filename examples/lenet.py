"""A small LeNet trained on scikit-learn's 8x8 handwritten digits (generated bar digits when
scikit-learn is not installed), written as Theano code: conv2d, pool_2d, batch
normalization, relu/elu, a softmax layer, and SGD with momentum through ``updates=``.

    python examples/lenet.py [--device cpu|cuda|cuda-sim] [--epochs N]

It prints the cost per epoch and the accuracy on held-out digits.
"""
import argparse
import time

import numpy as np

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.tensor.nnet import bn
from gpugrad.tensor.signal import pool


def load_digits(rng):
    """(images (n, 1, 8, 8) in [0, 1], labels), from scikit-learn or generated."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        labels = rng.integers(0, 10, 1797)
        images = rng.uniform(0, 0.4, (1797, 8, 8))
        for image, label in zip(images, labels):  # a bright bar: its row and length tell the class
            image[label % 8, 1:2 + label // 2 + 2 * (label >= 8)] += 0.6
        return images[:, None].astype("float32"), labels.astype("int32"), "generated bar digits"
    digits = sklearn_digits()
    return (digits.images[:, None] / 16.0).astype("float32"), digits.target.astype("int32"), "scikit-learn digits"


def parameter(rng, *shape):
    fan_in = np.prod(shape[1:]) if len(shape) > 1 else 1
    return theano.shared((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype("float32"))


def build(rng, device, learning_rate=0.05, momentum=0.9):
    """The training step and the predictor, compiled for ``device``."""
    W0, W1, W2 = parameter(rng, 8, 1, 3, 3), parameter(rng, 16, 8, 3, 3), parameter(rng, 64, 10)
    gamma, beta = theano.shared(np.ones(8, "float32")), theano.shared(np.zeros(8, "float32"))
    b1, b2 = theano.shared(np.zeros(16, "float32")), theano.shared(np.zeros(10, "float32"))
    params = [W0, gamma, beta, W1, b1, W2, b2]
    running_mean, running_var = theano.shared(np.zeros(8, "float32")), theano.shared(np.ones(8, "float32"))
    x, y = T.ftensor4("x"), T.ivector("y")

    def network(x, train):
        """Class probabilities, and in training the new running statistics of the batch norm."""
        h = T.nnet.conv2d(x, W0, border_mode="half")                       # (n, 8, 8, 8)
        if train:
            h, _, _, mean, var = bn.batch_normalization_train(h, gamma, beta, "spatial", running_mean=running_mean,
                                                              running_var=running_var)
            statistics = [(running_mean, mean), (running_var, var)]
        else:
            h, statistics = bn.batch_normalization_test(h, gamma, beta, running_mean, running_var, "spatial"), []
        h = pool.pool_2d(T.nnet.relu(h), ws=(2, 2), ignore_border=True)     # (n, 8, 4, 4)
        h = T.nnet.conv2d(h, W1, border_mode="half") + b1.dimshuffle("x", 0, "x", "x")
        h = pool.pool_2d(T.nnet.elu(h), ws=(2, 2), ignore_border=True)      # (n, 16, 2, 2)
        return T.nnet.softmax(T.dot(h.flatten(2), W2) + b2), statistics

    probabilities, updates = network(x, True)
    cost = T.mean(T.nnet.categorical_crossentropy(probabilities, y))
    velocities = [theano.shared(np.zeros_like(p.get_value())) for p in params]
    for p, v, g in zip(params, velocities, T.grad(cost, params)):
        updates += [(v, momentum * v - learning_rate * g), (p, p + momentum * v - learning_rate * g)]
    step = theano.function([x, y], cost, updates=updates, device=device)
    predict = theano.function([x], T.argmax(network(x, False)[0], axis=1), device=device)
    return step, predict


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images, labels, source = load_digits(rng)
    order = rng.permutation(len(images))
    train, test = order[:1400], order[1400:]
    step, predict = build(rng, args.device)
    print(f"{source}: {len(train)} to train on, {len(test)} held out; device {args.device}")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        batches = np.array_split(rng.permutation(train), len(train) // 50)
        costs = [step(images[b], labels[b]) for b in batches]
        print(f"epoch {epoch + 1}: cost {np.mean(costs):.4f}")
    accuracy = np.mean(predict(images[test]) == labels[test])
    print(f"held-out accuracy: {accuracy:.1%} after {time.perf_counter() - start:.1f} s of training")
    if accuracy < 0.8:
        raise SystemExit("the network did not learn")


if __name__ == "__main__":
    main()
