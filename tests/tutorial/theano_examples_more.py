'''Theano's tutorial pages "Configuration Settings and Compiling Modes", "Understanding
Memory Aliasing", "Printing/Drawing Theano graphs", "Debugging Theano: FAQ", "Using the
GPU" and the pages not run here, as Theano's documentation has them.'''
from tutorial_harness import Example

SPEED = "fewer training steps, to keep CI fast"
LOGISTIC = """
import numpy
import theano
import theano.tensor as T
rng = numpy.random

N = 400
feats = 784
D = (rng.randn(N, feats).astype(theano.config.floatX),
rng.randint(size=N,low=0, high=2).astype(theano.config.floatX))
training_steps = 10000

# Declare Theano symbolic variables
x = T.matrix("x")
y = T.vector("y")
w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
x.tag.test_value = D[0]
y.tag.test_value = D[1]

# Construct Theano expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w)-b)) # Probability of having a one
prediction = p_1 > 0.5 # The prediction that is done: 0 or 1
xent = -y*T.log(p_1) - (1-y)*T.log(1-p_1) # Cross-entropy
cost = xent.mean() + 0.01*(w**2).sum() # The cost to optimize
gw,gb = T.grad(cost, [w,b])

# Compile expressions to functions
train = theano.function(
            inputs=[x,y],
            outputs=[prediction, xent],
            updates=[(w, w-0.01*gw), (b, b-0.01*gb)],
            name = "train")
predict = theano.function(inputs=[x], outputs=prediction,
            name = "predict")

if any([x.op.__class__.__name__ in ['Gemv', 'CGemv', 'Gemm', 'CGemm'] for x in
        train.maker.fgraph.toposort()]):
    print('Used the cpu')
elif any([x.op.__class__.__name__ in ['GpuGemm', 'GpuGemv'] for x in
          train.maker.fgraph.toposort()]):
    print('Used the gpu')
else:
    print('ERROR, not able to tell if theano used the cpu or the gpu')
    print(train.maker.fgraph.toposort())

for i in range(training_steps):
    pred, err = train(D[0], D[1])

print("target values for D")
print(D[1])

print("prediction on D")
print(predict(D[0]))
"""
LOGISTIC_EDITS = (("training_steps = 10000", "training_steps = 10", SPEED),
                  ("['Gemv', 'CGemv', 'Gemm', 'CGemm']", "['Dot']",
                   "gpugrad's matrix products are one op, Dot, on every device"))
DOT_ERROR = """  File "test1.py", line 31, in <module>
    f(numpy.random.rand(5, 10))
  File "PATH_TO_THEANO/theano/compile/function_module.py", line 605, in __call__
    self.fn.thunks[self.fn.position_of_error])
  File "PATH_TO_THEANO/theano/compile/function_module.py", line 595, in __call__
    outputs = self.fn()
ValueError: Shape mismatch: x has 10 cols (and 5 rows) but y has 20 rows (and 10 cols)
Apply node that caused the error: Dot22(x, DimShuffle{1,0}.0)
Inputs types: [TensorType(float64, matrix), TensorType(float64, matrix)]
Inputs shapes: [(5, 10), (20, 10)]
"""  # what Theano's tutorial shows after "Traceback (most recent call last):"
LOGISTIC_OUTPUT = "Used the cpu\ntarget values for D\n...\nprediction on D\n...\n"

MODES = [
    Example("modes", "exercise: logistic regression", LOGISTIC, kind="testcode", output=LOGISTIC_OUTPUT,
            edits=LOGISTIC_EDITS),
    Example("modes", "DebugMode", """
import theano
import theano.tensor as T
x = T.dvector('x')

f = theano.function([x], 10 * x, mode='DebugMode')

f([5])
f([0])
f([7])
""", kind="testcode"),
]

ALIASING = [
    Example("aliasing", "borrowing when creating shared variables", """
import numpy, theano
np_array = numpy.ones(2, dtype='float32')

s_default = theano.shared(np_array)
s_false   = theano.shared(np_array, borrow=False)
s_true    = theano.shared(np_array, borrow=True)
np_array += 1 # now it is an array of 2.0 s

print(s_default.get_value())
print(s_false.get_value())
print(s_true.get_value())
""", kind="testcode", output="[ 1.  1.]\n[ 1.  1.]\n[ 2.  2.]\n"),
    Example("aliasing", "borrowing when reading and assigning values", """
import numpy, theano
np_array = numpy.ones(2, dtype='float32')
def some_inplace_fn(v):
    return v

s = theano.shared(np_array)

v_false = s.get_value(borrow=False) # N.B. borrow default is False
v_true = s.get_value(borrow=True)
v_internal = s.get_value(borrow=True, return_internal_type=True)
s.set_value(
    some_inplace_fn(s.get_value(borrow=True)),
    borrow=True)
""", kind="testcode"),
    Example("aliasing", "borrowing when constructing functions", """
import theano, theano.tensor

x = theano.tensor.matrix()
y = 2 * x
f = theano.function([theano.In(x, borrow=True)], theano.Out(y, borrow=True))
""", kind="testcode"),
]

PRINTING = [
    Example("printing_drawing", "pretty printing the logistic regression", """
>>> import numpy
>>> import theano
>>> import theano.tensor as T
>>> rng = numpy.random
>>> # Training data
>>> N = 400
>>> feats = 784
>>> D = (rng.randn(N, feats).astype(theano.config.floatX), rng.randint(size=N,low=0, high=2).astype(theano.config.floatX))
>>> training_steps = 10000
>>> # Declare Theano symbolic variables
>>> x = T.matrix("x")
>>> y = T.vector("y")
>>> w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
>>> b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
>>> x.tag.test_value = D[0]
>>> y.tag.test_value = D[1]
>>> # Construct Theano expression graph
>>> p_1 = 1 / (1 + T.exp(-T.dot(x, w)-b)) # Probability of having a one
>>> prediction = p_1 > 0.5 # The prediction that is done: 0 or 1
>>> # Compute gradients
>>> xent = -y*T.log(p_1) - (1-y)*T.log(1-p_1) # Cross-entropy
>>> cost = xent.mean() + 0.01*(w**2).sum() # The cost to optimize
>>> gw,gb = T.grad(cost, [w,b])
>>> # Training and prediction function
>>> train = theano.function(inputs=[x,y], outputs=[prediction, xent], updates=[[w, w-0.01*gw], [b, b-0.01*gb]], name = "train")
>>> predict = theano.function(inputs=[x], outputs=prediction, name = "predict")
>>> theano.printing.pprint(prediction) # doctest: +NORMALIZE_WHITESPACE
'gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\\\dot w)) - b)))),
TensorConstant{0.5})'
""", edits=(("""'gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\\\dot w)) - b)))),
TensorConstant{0.5})'""", "'((1 / (1 + exp(((-Dot{0, 1}(x, w)) - DimShuffle{x}(b))))) > 0.5)'",
                 "gpugrad prints constants as numbers and operators infix"),)),
    Example("printing_drawing", "debugprint before and after compiling", "",
            not_run="gpugrad's debugprint has its own layout (ids, types and devices), not Theano's"),
    Example("printing_drawing", "pydotprint of the graphs", "",
            not_run="marked +SKIP in Theano's own doctests; needs graphviz's dot program"),
]

DEBUG_FAQ = [
    Example("debug_faq", "interpreting error messages", """
>>> import numpy as np
>>> import theano
>>> import theano.tensor as T
>>> x = T.vector()
>>> y = T.vector()
>>> z = x + x
>>> z = z + y
>>> f = theano.function([x, y], z)
>>> f(np.ones((2,)), np.ones((3,)))
Traceback (most recent call last):
  ...
ValueError: Input dimension mis-match. (input[0].shape[0] = 3, input[1].shape[0] = 2)
""", edits=(("ValueError: Input dimension mis-match. (input[0].shape[0] = 3, input[1].shape[0] = 2)",
             "gpugrad.errors.ShapeError: shape mismatch: objects cannot be broadcast to a single shape...",
             "gpugrad's ShapeError (a ValueError) names the node and the input shapes in its own words"),)),
    Example("debug_faq", "test values", """
import numpy
import theano
import theano.tensor as T

# compute_test_value is 'off' by default, meaning this feature is inactive
theano.config.compute_test_value = 'off' # Use 'warn' to activate this feature

# configure shared variables
W1val = numpy.random.rand(2, 10, 10).astype(theano.config.floatX)
W1 = theano.shared(W1val, 'W1')
W2val = numpy.random.rand(15, 20).astype(theano.config.floatX)
W2 = theano.shared(W2val, 'W2')

# input which will be of shape (5,10)
x  = T.matrix('x')
# provide Theano with a default test-value
#x.tag.test_value = numpy.random.rand(5, 10)

# transform the shared variable in some way. Theano does not
# know off hand that the matrix func_of_W1 has shape (20, 10)
func_of_W1 = W1.dimshuffle(2, 0, 1).flatten(2).T

# source of error: dot product of 5x10 with 20x10
h1 = T.dot(x, func_of_W1)

# do more stuff
h2 = T.dot(h1, W2.T)

# compile and call the actual function
f = theano.function([x], h2)
f(numpy.random.rand(5, 10))
""", kind="testcode", output="Traceback (most recent call last):\n" + DOT_ERROR, edits=((DOT_ERROR, """  ...
gpugrad.errors.ShapeError: dot: the contracted axes of shapes (5, 10) and (20, 10) differ ((10,) vs (20,))
  while computing node ... (Dot{0, 1}) of inputs (x, ...) with shapes (5, 10), (20, 10)
""", "gpugrad's ShapeError (a ValueError) says the same in its own words"),)),
    Example("debug_faq", "printing test values", """
import theano
import theano.tensor as T
x = T.scalar('x')
# Assigning test value
x.tag.test_value = 42

# Enable test value printing
theano.config.print_test_value = True
print(x.__repr__())

# Disable test value printing
theano.config.print_test_value = False
print(x.__repr__())
""", kind="testcode", output="x\narray(42.0)\nx\n"),
    Example("debug_faq", "printing an intermediate value", """
import numpy
import theano

x = theano.tensor.dvector('x')

x_printed = theano.printing.Print('this is a very important value')(x)

f = theano.function([x], x * 5)
f_with_print = theano.function([x], x_printed * 5)

#this runs the graph without any printing
assert numpy.all( f([1, 2, 3]) == [5, 10, 15])

#this runs the graph with the message, and value printed
assert numpy.all( f_with_print([1, 2, 3]) == [5, 10, 15])
""", kind="testcode", output="this is a very important value __str__ = [ 1.  2.  3.]\n"),
    Example("debug_faq", "stepping through a function with MonitorMode", """
from __future__ import print_function
import theano

def inspect_inputs(i, node, fn):
    print(i, node, "input(s) value(s):", [input[0] for input in fn.inputs],
          end='')

def inspect_outputs(i, node, fn):
    print(" output(s) value(s):", [output[0] for output in fn.outputs])

x = theano.tensor.dscalar('x')
f = theano.function([x], [5 * x],
                    mode=theano.compile.MonitorMode(
                        pre_func=inspect_inputs,
                        post_func=inspect_outputs))
f(3)
""", kind="testcode",
            output="0 Elemwise{mul,no_inplace}(TensorConstant{5.0}, x) input(s) value(s): [array(5.0), array(3.0)] "
                   "output(s) value(s): [array(15.0)]\n",
            edits=(("Elemwise{mul,no_inplace}(TensorConstant{5.0}, x)", "mul(5, x)",
                    "gpugrad names a node by its op and inputs, and keeps the Python 5 an integer constant"),)),
    Example("debug_faq", "detecting NaNs with MonitorMode", """
import numpy

import theano

# This is the current suggested detect_nan implementation to
# show you how it work.  That way, you can modify it for your
# need.  If you want exactly this method, you can use
# ``theano.compile.monitormode.detect_nan`` that will always
# contain the current suggested version.

def detect_nan(i, node, fn):
    for output in fn.outputs:
        if (not isinstance(output[0], numpy.random.RandomState) and
            numpy.isnan(output[0]).any()):
            print('*** NaN detected ***')
            theano.printing.debugprint(node)
            print('Inputs : %s' % [input[0] for input in fn.inputs])
            print('Outputs: %s' % [output[0] for output in fn.outputs])
            break

x = theano.tensor.dscalar('x')
f = theano.function([x], [theano.tensor.log(x) * x],
                    mode=theano.compile.MonitorMode(
                        post_func=detect_nan))
f(0)  # log(0) * 0 = -inf * 0 = NaN
""", kind="testcode", output="""*** NaN detected ***
Elemwise{Composite{(log(i0) * i0)}} [id A] ''
 |x [id B]
Inputs : [array(0.0)]
Outputs: [array(nan)]
""", edits=(("""Elemwise{Composite{(log(i0) * i0)}} [id A] ''
 |x [id B]
Inputs : [array(0.0)]""", """mul [id A] TensorType(float64, scalar)
   log [id B] TensorType(float64, scalar)
      x [TensorType(float64, scalar)]
   x [TensorType(float64, scalar)]
...""", "gpugrad's debugprint layout; on the CPU log and mul are two nodes, and the last one makes the NaN"),)),
    Example("debug_faq", "MonitorMode without fusion and in-place", """
import numpy
import theano

def detect_nan(i, node, fn):
    pass

x = theano.tensor.dscalar('x')
mode = theano.compile.MonitorMode(post_func=detect_nan).excluding(
    'local_elemwise_fusion', 'inplace')
f = theano.function([x], [theano.tensor.log(x) * x],
                    mode=mode)
""", kind="testcode"),
    Example("debug_faq", "an error to debug with pdb", """
import theano
import numpy
import theano.tensor as T

a = T.dmatrix('a')
b = T.dmatrix('b')

f = theano.function([a, b], [a * b])

# matrices chosen so dimensions are unsuitable for multiplication
mat1 = numpy.arange(12).reshape((3, 4))
mat2 = numpy.arange(25).reshape((5, 5))

f(mat1, mat2)
""", kind="testcode", output="""Traceback (most recent call last):
  ...
ValueError: Input dimension mis-match. (input[0].shape[0] = 3, input[1].shape[0] = 5)
Apply node that caused the error: Elemwise{mul,no_inplace}(a, b)
...
""", edits=(("""ValueError: Input dimension mis-match. (input[0].shape[0] = 3, input[1].shape[0] = 5)
Apply node that caused the error: Elemwise{mul,no_inplace}(a, b)
...
""", """gpugrad.errors.ShapeError: operands could not be broadcast together with shapes (3,4) (5,5)...
  while computing node 0 (mul) of inputs (a, b) with shapes (3, 4), (5, 5)
""", "gpugrad's ShapeError (a ValueError) says the same in its own words"),)),
]

USING_GPU = [
    Example("using_gpu", "testing Theano with the GPU", "",
            not_run="inspects Theano's GpuElemwise op classes; gpugrad reports placement in f.placement"),
    Example("using_gpu", "returning a handle to device-allocated data", "",
            not_run="tensor.transfer(None) is libgpuarray's API; gpugrad has return_device_arrays=True"),
    Example("using_gpu", "exercise: logistic regression", LOGISTIC + """
print("floatX=", theano.config.floatX)
print("device=", theano.config.device)
""", kind="testcode", output=LOGISTIC_OUTPUT, edits=LOGISTIC_EDITS),
]

NOT_RUN = [
    Example("loading_and_saving", "pickling", "", not_run="Python 2 code (cPickle, file()) on objects it never makes"),
    Example("profiling", "combining profiles", "", not_run="profiling (ProfileStats) is not part of gpugrad"),
    Example("sparse", "every example", "", not_run="sparse tensors are not part of gpugrad"),
]

ALL = MODES + ALIASING + PRINTING + DEBUG_FAQ + USING_GPU + NOT_RUN
