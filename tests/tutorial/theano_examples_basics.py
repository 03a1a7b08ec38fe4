'''Theano's tutorial pages "Baby Steps - Algebra" (adding), "More Examples" (examples),
"Derivatives in Theano" (gradients), "Broadcasting" and "NumPy refresher": every
``>>>`` session and ``testcode`` block, as Theano's documentation has them.'''
from tutorial_harness import Example

SPEED = "fewer training steps, to keep CI fast"
PHILOX = "gpugrad's streams are Philox streams (the same numbers on every device), not Theano's generators"
RANDOM_SETUP = """
>>> from theano.tensor.shared_randomstreams import RandomStreams
>>> from theano import function
>>> srng = RandomStreams(seed=234)
>>> rv_u = srng.uniform((2,2))
>>> rv_n = srng.normal((2,2))
>>> f = function([], rv_u)
>>> g = function([], rv_n, no_default_updates=True)    #Not updating rv_n.rng
>>> nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
"""  # the page's setup code-block, which its later sessions continue

ADDING = [
    Example("adding", "adding two scalars", """
>>> import numpy
>>> import theano.tensor as T
>>> from theano import function
>>> x = T.dscalar('x')
>>> y = T.dscalar('y')
>>> z = x + y
>>> f = function([x, y], z)
>>> f(2, 3)
array(5.0)
>>> numpy.allclose(f(16.3, 12.1), 28.4)
True
"""),
    Example("adding", "the type of a variable", """
>>> import theano.tensor as T
>>> x = T.dscalar('x')
>>> type(x)
<class 'theano.tensor.var.TensorVariable'>
>>> x.type
TensorType(float64, scalar)
>>> T.dscalar
TensorType(float64, scalar)
>>> x.type is T.dscalar
True
""", edits=(("<class 'theano.tensor.var.TensorVariable'>", "<class 'gpugrad.types.variable.TensorVariable'>",
             "the class lives in gpugrad's own module"),)),
    Example("adding", "pretty-printing", """
>>> import theano.tensor as T
>>> from theano import pp
>>> x = T.dscalar('x')
>>> y = T.dscalar('y')
>>> z = x + y
>>> print(pp(z))
(x + y)
"""),
    Example("adding", "eval", """
>>> import numpy
>>> import theano.tensor as T
>>> x = T.dscalar('x')
>>> y = T.dscalar('y')
>>> z = x + y
>>> numpy.allclose(z.eval({x : 16.3, y : 12.1}), 28.4)
True
"""),
    Example("adding", "adding two matrices", """
>>> import numpy
>>> import theano.tensor as T
>>> from theano import function
>>> x = T.dmatrix('x')
>>> y = T.dmatrix('y')
>>> z = x + y
>>> f = function([x, y], z)
>>> f([[1, 2], [3, 4]], [[10, 20], [30, 40]])
array([[ 11.,  22.],
       [ 33.,  44.]])
>>> f(numpy.array([[1, 2], [3, 4]]), numpy.array([[10, 20], [30, 40]]))
array([[ 11.,  22.],
       [ 33.,  44.]])
"""),
    Example("adding", "exercise", """
import theano
a = theano.tensor.vector() # declare variable
out = a + a ** 10               # build symbolic expression
f = theano.function([a], out)   # compile function
print(f([0, 1, 2]))
""", kind="testcode", output="[    0.     2.  1026.]\n"),
]

EXAMPLES = [
    Example("examples", "logistic function", """
>>> import theano
>>> import theano.tensor as T
>>> x = T.dmatrix('x')
>>> s = 1 / (1 + T.exp(-x))
>>> logistic = theano.function([x], s)
>>> logistic([[0, 1], [-1, -2]])
array([[ 0.5       ,  0.73105858],
       [ 0.26894142,  0.11920292]])
>>> s2 = (1 + T.tanh(x / 2)) / 2
>>> logistic2 = theano.function([x], s2)
>>> logistic2([[0, 1], [-1, -2]])
array([[ 0.5       ,  0.73105858],
       [ 0.26894142,  0.11920292]])
"""),
    Example("examples", "several outputs", """
>>> import theano
>>> import theano.tensor as T
>>> a, b = T.dmatrices('a', 'b')
>>> diff = a - b
>>> abs_diff = abs(diff)
>>> diff_squared = diff**2
>>> f = theano.function([a, b], [diff, abs_diff, diff_squared])
>>> f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
[array([[ 1.,  0.],
       [-1., -2.]]), array([[ 1.,  0.],
       [ 1.,  2.]]), array([[ 1.,  0.],
       [ 1.,  4.]])]
"""),
    Example("examples", "a default value", """
>>> import theano.tensor as T
>>> from theano import In
>>> from theano import function
>>> x, y = T.dscalars('x', 'y')
>>> z = x + y
>>> f = function([x, In(y, value=1)], z)
>>> f(33)
array(34.0)
>>> f(33, 2)
array(35.0)
"""),
    Example("examples", "defaults by name", """
>>> import theano.tensor as T
>>> from theano import In
>>> from theano import function
>>> x, y, w = T.dscalars('x', 'y', 'w')
>>> z = (x + y) * w
>>> f = function([x, In(y, value=1), In(w, value=2, name='w_by_name')], z)
>>> f(33)
array(68.0)
>>> f(33, 2)
array(70.0)
>>> f(33, 0, 1)
array(33.0)
>>> f(33, w_by_name=1)
array(34.0)
>>> f(33, w_by_name=1, y=0)
array(33.0)
"""),
    Example("examples", "shared variables", """
>>> import theano.tensor as T
>>> from theano import function
>>> from theano import shared
>>> state = shared(0)
>>> inc = T.iscalar('inc')
>>> accumulator = function([inc], state, updates=[(state, state+inc)])
>>> print(state.get_value())
0
>>> accumulator(1)
array(0)
>>> print(state.get_value())
1
>>> accumulator(300)
array(1)
>>> print(state.get_value())
301
>>> state.set_value(-1)
>>> accumulator(3)
array(-1)
>>> print(state.get_value())
2
>>> decrementor = function([inc], state, updates=[(state, state-inc)])
>>> decrementor(2)
array(2)
>>> print(state.get_value())
0
>>> fn_of_state = state * 2 + inc
>>> # The type of foo must match the shared variable we are replacing
>>> # with the ``givens``
>>> foo = T.scalar(dtype=state.dtype)
>>> skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
>>> skip_shared(1, 3)  # we're using 3 for the state, not state.value
array(7)
>>> print(state.get_value())  # old state still there, but we didn't use it
0
"""),
    Example("examples", "copying functions", """
>>> import theano
>>> import theano.tensor as T
>>> state = theano.shared(0)
>>> inc = T.iscalar('inc')
>>> accumulator = theano.function([inc], state, updates=[(state, state+inc)])
>>> accumulator(10)
array(0)
>>> print(state.get_value())
10
>>> new_state = theano.shared(0)
>>> new_accumulator = accumulator.copy(swap={state:new_state})
>>> new_accumulator(100)
[array(0)]
>>> print(new_state.get_value())
100
>>> print(state.get_value())
10
>>> null_accumulator = accumulator.copy(delete_updates=True)
>>> null_accumulator(9000)
[array(10)]
>>> print(state.get_value())
10
""", edits=(("[array(0)]", "array(0)", "a copy returns what the original returns (Theano's copies returned lists)"),
            ("[array(10)]", "array(10)", "the same"))),
    Example("examples", "random streams: brief example", RANDOM_SETUP + """
>>> f_val0 = f()
>>> f_val1 = f()  #different numbers from f_val0
>>> g_val0 = g()  # different numbers from f_val0 and f_val1
>>> g_val1 = g()  # same numbers as g_val0!
>>> nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)
"""),
    Example("examples", "random streams: seeding", RANDOM_SETUP + """
>>> rng_val = rv_u.rng.get_value(borrow=True)   # Get the rng for rv_u
>>> rng_val.seed(89234)                         # seeds the generator
>>> rv_u.rng.set_value(rng_val, borrow=True)    # Assign back seeded rng
>>> srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
"""),
    Example("examples", "random streams: sharing between functions", RANDOM_SETUP + """
>>> state_after_v0 = rv_u.rng.get_value().get_state()
>>> nearly_zeros()       # this affects rv_u's generator
>>> v1 = f()
>>> rng = rv_u.rng.get_value(borrow=True)
>>> rng.set_state(state_after_v0)
>>> rv_u.rng.set_value(rng, borrow=True)
>>> v2 = f()             # v2 != v1
>>> v3 = f()             # v3 == v1
""", edits=((">>> nearly_zeros()  ", ">>> _ = nearly_zeros()",
             "the call's result would print in a doctest; Theano's page shows none"),)),
    Example("examples", "random streams: copying random state", """
import theano
import numpy
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams
from theano.tensor.shared_randomstreams import RandomStreams

class Graph():
    def __init__(self, seed=123):
        self.rng = RandomStreams(seed)
        self.y = self.rng.uniform(size=(1,))

g1 = Graph(seed=123)
f1 = theano.function([], g1.y)

g2 = Graph(seed=987)
f2 = theano.function([], g2.y)

print 'By default, the two functions are out of sync.'
print 'f1() returns ', f1()
print 'f2() returns ', f2()

def copy_random_state(g1, g2):
    if isinstance(g1.rng, MRG_RandomStreams):
        g2.rng.rstate = g1.rng.rstate
    for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
        su2[0].set_value(su1[0].get_value())

print 'We now copy the state of the theano random number generators.'
copy_random_state(g1, g2)
print 'f1() returns ', f1()
print 'f2() returns ', f2()
""", kind="testcode", output="""# By default, the two functions are out of sync.
f1() returns  [ 0.72803009]
f2() returns  [ 0.55056769]
# We now copy the state of the theano random number generators.
f1() returns  [ 0.59044123]
f2() returns  [ 0.59044123]
""", edits=(*[(f"print {text}", f"print({text})", "Python 2's print statement")
              for text in ("'By default, the two functions are out of sync.'", "'f1() returns ', f1()",
                           "'f2() returns ', f2()",
                           "'We now copy the state of the theano random number generators.'")],
            ("# By default", "By default", "the page shows the output as a shell session's comments"),
            ("# We now", "We now", "the same"),
            ("[ 0.72803009]", "[0.64634978]", PHILOX), ("[ 0.55056769]", "[0.23920936]", PHILOX),
            ("[ 0.59044123]", "[0.79723426]", PHILOX))),
    Example("examples", "a real example: logistic regression", """
import numpy
import theano
import theano.tensor as T
rng = numpy.random

N = 400                                   # training sample size
feats = 784                               # number of input variables

# generate a dataset: D = (input_values, target_class)
D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
training_steps = 10000

# Declare Theano symbolic variables
x = T.dmatrix("x")
y = T.dvector("y")

# initialize the weight vector w randomly
#
# this and the following bias variable b
# are shared so they keep their values
# between training iterations (updates)
w = theano.shared(rng.randn(feats), name="w")

# initialize the bias term
b = theano.shared(0., name="b")

print("Initial model:")
print(w.get_value())
print(b.get_value())

# Construct Theano expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))   # Probability that target = 1
prediction = p_1 > 0.5                    # The prediction thresholded
xent = -y * T.log(p_1) - (1-y) * T.log(1-p_1) # Cross-entropy loss function
cost = xent.mean() + 0.01 * (w ** 2).sum()# The cost to minimize
gw, gb = T.grad(cost, [w, b])             # Compute the gradient of the cost
                                          # w.r.t weight vector w and
                                          # bias term b
                                          # (we shall return to this in a
                                          # following section of this tutorial)

# Compile
train = theano.function(
          inputs=[x,y],
          outputs=[prediction, xent],
          updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = theano.function(inputs=[x], outputs=prediction)

# Train
for i in range(training_steps):
    pred, err = train(D[0], D[1])

print("Final model:")
print(w.get_value())
print(b.get_value())
print("target values for D:")
print(D[1])
print("prediction on D:")
print(predict(D[0]))
""", kind="testcode", output="""Initial model:
...
0.0
Final model:
...
target values for D:
...
prediction on D:
...
""", edits=(("training_steps = 10000", "training_steps = 10", SPEED),)),
]

GRADIENTS = [
    Example("gradients", "the gradient of x ** 2", """
>>> import theano.tensor as T
>>> from theano import function
>>> from theano import pp
>>> x = T.dscalar('x')
>>> y = x**2
>>> gy = T.grad(y, x)
>>> pp(gy)  # print out the gradient prior to optimization
'((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))'
>>> f = function([x], gy)
>>> f(4)
array(8.0)
>>> f(94.2)
array(188.40000000000001)
>>> pp(f.maker.fgraph.outputs[0])
'(2.0 * x)'
"""),
    Example("gradients", "the gradient of the logistic", """
>>> import theano.tensor as T
>>> from theano import function
>>> x = T.dmatrix('x')
>>> s = T.sum(1 / (1 + T.exp(-x)))
>>> gs = T.grad(s, x)
>>> dlogistic = function([x], gs)
>>> dlogistic([[0, 1], [-1, -2]])
array([[ 0.25      ,  0.19661193],
       [ 0.19661193,  0.10499359]])
"""),
    Example("gradients", "the Jacobian by scan", """
>>> import theano
>>> import theano.tensor as T
>>> from theano import function
>>> x = T.dvector('x')
>>> y = x**2
>>> J, updates = theano.scan(lambda i, y,x : T.grad(y[i], x), sequences = T.arange(y.shape[0]), non_sequences = [y,x])
>>> f = function([x], J, updates = updates)
>>> f([4,4])
array([[ 8.,  0.],
       [ 0.,  8.]])
"""),
    Example("gradients", "the Hessian by scan", """
>>> import theano
>>> import theano.tensor as T
>>> from theano import function
>>> x = T.dvector('x')
>>> y = x**2
>>> cost = y.sum()
>>> gy = T.grad(cost, x)
>>> H, updates = theano.scan(lambda i, gy,x : T.grad(gy[i], x), sequences = T.arange(gy.shape[0]), non_sequences = [gy,x])
>>> f = function([x], H, updates = updates)
>>> f([4,4])
array([[ 2.,  0.],
       [ 0.,  2.]])
"""),
    Example("gradients", "the R-operator and the L-operator", """
>>> import theano
>>> import theano.tensor as T
>>> W = T.dmatrix('W')
>>> V = T.dmatrix('V')
>>> x = T.dvector('x')
>>> y = T.dot(x,W)
>>> JV = T.Rop(y, W, V)
>>> f = theano.function([W,V,x], JV)
>>> f([[1,1],[1,1]], [[2,2,],[2,2]], [0,1])
array([ 2.,  2.])
>>> W = T.dmatrix('W')
>>> v = T.dvector('v')
>>> x = T.dvector('x')
>>> y = T.dot(x,W)
>>> VJ = T.Lop(y, W, v)
>>> f = theano.function([W,v,x], JV)
>>> f([[1,1],[1,1]], [2,2,], [0,1])
array([[ 0.,  0.],
       [ 2.,  2.]])
""", edits=(("f = theano.function([W,v,x], JV)", "f = theano.function([W,v,x], VJ, on_unused_input='ignore')",
             "the tutorial's typo (it compiles the R-op again, without its V); and the L-op does not read W, "
             "which Theano's function refused as unused too"),)),
    Example("gradients", "the Hessian times a vector", """
>>> import theano
>>> import theano.tensor as T
>>> x = T.dvector('x')
>>> v = T.dvector('v')
>>> y = T.sum(x**2)
>>> gy = T.grad(y, x)
>>> vH = T.grad( T.sum(gy*v), x)
>>> f = theano.function([x,v], vH)
>>> f([4,4],[2,2])
array([ 4.,  4.])
>>> Hv = T.Rop(gy,x,v)
>>> f = theano.function([x,v], Hv)
>>> f([4,4],[2,2])
array([ 4.,  4.])
"""),
]

BROADCASTING = [
    Example("broadcasting", "rows and columns", """
>>> import numpy as np
>>> import theano
>>> import theano.tensor as T
>>> r = T.row()
>>> r.broadcastable
(True, False)
>>> mtr = T.matrix()
>>> mtr.broadcastable
(False, False)
>>> f_row = theano.function([r, mtr], [r + mtr])
>>> R = np.arange(3).reshape(1, 3)
>>> R
array([[0, 1, 2]])
>>> M = np.arange(9).reshape(3, 3)
>>> M
array([[0, 1, 2],
       [3, 4, 5],
       [6, 7, 8]])
>>> f_row(R, M)
[array([[  0.,   2.,   4.],
       [  3.,   5.,   7.],
       [  6.,   8.,  10.]])]
>>> c = T.col()
>>> c.broadcastable
(False, True)
>>> f_col = theano.function([c, mtr], [c + mtr])
>>> C = np.arange(3).reshape(3, 1)
>>> C
array([[0],
       [1],
       [2]])
>>> M = np.arange(9).reshape(3, 3)
>>> f_col(C, M)
[array([[  0.,   1.,   2.],
       [  4.,   5.,   6.],
       [  8.,   9.,  10.]])]
"""),
]

NUMPY = [
    Example("numpy", "matrix conventions", """
>>> import numpy
>>> numpy.asarray([[1., 2], [3, 4], [5, 6]])
array([[ 1.,  2.],
       [ 3.,  4.],
       [ 5.,  6.]])
>>> numpy.asarray([[1., 2], [3, 4], [5, 6]]).shape
(3, 2)
>>> numpy.asarray([[1., 2], [3, 4], [5, 6]])[2, 0]
5.0
"""),
    Example("numpy", "broadcasting", """
>>> import numpy
>>> a = numpy.asarray([1.0, 2.0, 3.0])
>>> b = 2.0
>>> a * b
array([ 2.,  4.,  6.])
"""),
]

ALL = ADDING + EXAMPLES + GRADIENTS + BROADCASTING + NUMPY
