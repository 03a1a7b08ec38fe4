"""The LeNet program of Theano's deep learning tutorials (convolutional_mlp.py), in the shape
it has there: LeNetConvPoolLayer / HiddenLayer / LogisticRegression classes over shared
parameters, the data in shared variables with the labels cast to int32, and train, validate
and test functions over ``givens`` slices of a minibatch index, with SGD ``updates``. Written
with the tutorial's calls after the import change only, in both of its spellings (the first,
``conv.conv2d(image_shape=)`` with ``downsample.max_pool_2d(ds=)``, and the last,
``conv2d(input_shape=)`` with ``pool.pool_2d(ws=)``), on generated 28x28 digits: on the CPU
at the tutorial's sizes (a few minibatches), on cuda-sim a small slice."""
import numpy
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.tensor.nnet import conv, conv2d
from gpugrad.tensor.signal import downsample, pool


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name="W", borrow=True)
        self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, activation=T.tanh):
        bound = numpy.sqrt(6.0 / (n_in + n_out))
        W_values = numpy.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)), dtype=theano.config.floatX)
        self.W = theano.shared(value=W_values, name="W", borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX), name="b", borrow=True)
        self.output = activation(T.dot(input, self.W) + self.b)
        self.params = [self.W, self.b]


class LeNetConvPoolLayer:
    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2), spelling="last"):
        assert image_shape[1] == filter_shape[1]
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
        W_bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        self.W = theano.shared(numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                                             dtype=theano.config.floatX), borrow=True)
        self.b = theano.shared(value=numpy.zeros((filter_shape[0],), dtype=theano.config.floatX), borrow=True)
        if spelling == "first":
            conv_out = conv.conv2d(input=input, filters=self.W, filter_shape=filter_shape, image_shape=image_shape)
            pooled_out = downsample.max_pool_2d(input=conv_out, ds=poolsize, ignore_border=True)
        else:
            conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
            pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def generated_digits(rng, n):
    """``n`` 28x28 images of ten classes (a bright bar whose place is the class) plus noise."""
    y = rng.integers(0, 10, n)
    x = rng.uniform(0, 0.3, (n, 28, 28))
    for i, label in enumerate(y):
        x[i, 2 + 2 * label:5 + 2 * label, 4:24] += 0.7
    return x.reshape(n, 784), y


def shared_dataset(data_xy, borrow=True):
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
    return shared_x, T.cast(shared_y, "int32")


def evaluate_lenet5(datasets, learning_rate=0.1, n_epochs=1, nkerns=(20, 50), batch_size=500, spelling="last"):
    """The tutorial's model and training loop; returns the costs and the validation error."""
    rng = numpy.random.RandomState(23455)
    (train_set_x, train_set_y), (valid_set_x, valid_set_y), (test_set_x, test_set_y) = datasets
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 28, 28),
                                filter_shape=(nkerns[0], 1, 5, 5), poolsize=(2, 2), spelling=spelling)
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output, image_shape=(batch_size, nkerns[0], 12, 12),
                                filter_shape=(nkerns[1], nkerns[0], 5, 5), poolsize=(2, 2), spelling=spelling)
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=nkerns[1] * 4 * 4, n_out=500, activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    validate_model = theano.function([index], layer3.errors(y), givens={
        x: valid_set_x[index * batch_size: (index + 1) * batch_size],
        y: valid_set_y[index * batch_size: (index + 1) * batch_size]})
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(param_i, param_i - learning_rate * grad_i) for param_i, grad_i in zip(params, grads)]
    train_model = theano.function([index], cost, updates=updates, givens={
        x: train_set_x[index * batch_size: (index + 1) * batch_size],
        y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    costs = [float(train_model(i)) for _ in range(n_epochs) for i in range(n_train_batches)]
    return costs, numpy.mean([validate_model(i) for i in range(n_valid_batches)])


@pytest.mark.parametrize("spelling", ["first", "last"])
def test_lenet_tutorial_trains_on_the_cpu(spelling):
    rng = numpy.random.default_rng(0)
    datasets = [shared_dataset(generated_digits(rng, n)) for n in (40, 20, 20)]
    costs, error = evaluate_lenet5(datasets, n_epochs=3, batch_size=20, spelling=spelling)
    assert costs[-1] < costs[0] and costs[0] == pytest.approx(numpy.log(10), rel=1e-6)
    assert error < 0.9


def test_lenet_tutorial_agrees_on_cuda_sim():
    """A small slice (minibatches of 4, 2 and 3 kernels) on cuda-sim and on the CPU."""
    results = []
    for device in ("cuda-sim", "cpu"):
        rng = numpy.random.default_rng(1)
        datasets = [shared_dataset(generated_digits(rng, n)) for n in (8, 4, 4)]
        with theano.config.change_flags(device=device):
            results.append(evaluate_lenet5(datasets, n_epochs=2, nkerns=(2, 3), batch_size=4))
    numpy.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    assert results[0][1] == results[1][1]
