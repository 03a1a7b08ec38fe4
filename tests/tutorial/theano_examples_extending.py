'''Theano's tutorial page "Creating a new Op: Python implementation" (extending_theano):
every ``testcode`` block, as Theano's documentation has it.'''
from tutorial_harness import Example

DOUBLE_METHODS = """
    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        # R_op can receive None as eval_points.
        # That mean there is no diferientiable path through that input
        # If this imply that you cannot compute some outputs,
        # return None for those.
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)
"""  # on Theano's page DoubleOp1 and DoubleOp2 share these, word for word
DOUBLE_OPS = """
import theano

#Using make_node


class DoubleOp1(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        # Note: using x_.type() is dangerous, as it copies x's broadcasting
        # behaviour
        return theano.Apply(self, [x], [x.type()])
""" + DOUBLE_METHODS + """
doubleOp1 = DoubleOp1()

#Using itypes and otypes


class DoubleOp2(theano.Op):
    __props__ = ()

    itypes = [theano.tensor.dmatrix]
    otypes = [theano.tensor.dmatrix]
""" + DOUBLE_METHODS + """
doubleOp2 = DoubleOp2()
"""  # the page's first "example" block, which its later ones continue

AXPB = """
import theano

class AXPBOp(theano.Op):
    \"\"\"
    This creates an Op that takes x to a*x+b.
    \"\"\"
    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b
        super(AXPBOp, self).__init__()

    def make_node(self, x):
        # check that the theano version has support for __props__.
        assert hasattr(self, '_props'), ("Your version of theano is too"
                                         "old to support __props__.")
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = self.a * x + self.b

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [a * output_grads[0] + b]
"""

AS_OP = """
import theano
import numpy
from theano import function
from theano.compile.ops import as_op

def infer_shape_numpy_dot(node, input_shapes):
    ashp, bshp = input_shapes
    return [ashp[:-1] + bshp[-1:]]

@as_op(itypes=[theano.tensor.fmatrix, theano.tensor.fmatrix],
       otypes=[theano.tensor.fmatrix], infer_shape=infer_shape_numpy_dot)
def numpy_dot(a, b):
   return numpy.dot(a, b)
"""

TRYING = """
import theano
x = theano.tensor.matrix()
f = theano.function([x], DoubleOp()(x))
import numpy
inp = numpy.random.rand(5, 4)
out = f(inp)
assert numpy.allclose(inp * 2, out)
print(inp)
print(out)
"""  # the page's two blocks trying DoubleOp1 and DoubleOp2 differ in the name only
UNSEEN = "Theano's page hides this output and skips checking it (its input is random)"
UTT = ("Theano's test helpers (theano.tests.unittest_tools: InferShapeTester, RopLop_checker) are not part of "
       "gpugrad; tests/test_user_ops.py checks infer_shape, verify_grad and the R-op of such ops")

ALL = [
    Example("extending_theano", "an op's methods", """
import theano

class MyOp(theano.Op):
    # Properties attribute
    __props__ = ()

    #itypes and otypes attributes are
    #compulsory if make_node method is not defined.
    #They're the type of input and output respectively
    itypes = None
    otypes = None

    #Compulsory if itypes and otypes are not defined
    def make_node(self, *inputs):
        pass

    # Python implementation:
    def perform(self, node, inputs_storage, output_storage):
        pass

    # Other type of implementation
    # C implementation: [see theano web site for other functions]
    def c_code(self, node, inputs, outputs, sub):
        pass

    # Other implementations (pycuda, ...):
    def make_thunk(self, node, storage_map, _, _2):
        pass

    # optional:
    check_input = True

    def __init__(self, *args):
        pass

    def grad(self, inputs, g):
        pass

    def R_op(self, inputs, eval_points):
        pass

    def infer_shape(node, input_shapes):
        pass
""", kind="testcode"),
    Example("extending_theano", "op definition", DOUBLE_OPS, kind="testcode"),
    *[Example("extending_theano", f"trying {name}", DOUBLE_OPS + TRYING.replace("DoubleOp", name), kind="testcode",
              edits=(("print(inp)\nprint(out)\n", "", UNSEEN),)) for name in ("DoubleOp1", "DoubleOp2")],
    Example("extending_theano", "__props__ definition", AXPB, kind="testcode"),
    Example("extending_theano", "testing __props__", AXPB + """
mult4plus5op = AXPBOp(4, 5)
another_mult4plus5op = AXPBOp(4, 5)
mult2plus3op = AXPBOp(2, 3)

assert mult4plus5op == another_mult4plus5op
assert mult4plus5op != mult2plus3op

x = theano.tensor.matrix()
f = theano.function([x], mult4plus5op(x))
g = theano.function([x], mult2plus3op(x))

import numpy
inp = numpy.random.rand(5, 4).astype(numpy.float32)
assert numpy.allclose(4 * inp + 5, f(inp))
assert numpy.allclose(2 * inp + 3, g(inp))
""", kind="testcode"),
    Example("extending_theano", "basic tests", "", not_run=UTT),
    Example("extending_theano", "testing infer_shape", "", not_run=UTT),
    Example("extending_theano", "testing the gradient", "", not_run=UTT),
    Example("extending_theano", "testing the Rop", "", not_run=UTT),
    Example("extending_theano", "running the tests in-file", "", not_run=UTT),
    Example("extending_theano", "as_op", AS_OP, kind="testcode"),
    Example("extending_theano", "trying as_op", AS_OP + """
x = theano.tensor.fmatrix()
y = theano.tensor.fmatrix()
f = function([x, y], numpy_dot(x, y))
inp1 = numpy.random.rand(5, 4).astype('float32')
inp2 = numpy.random.rand(4, 7).astype('float32')
out = f(inp1, inp2)
""", kind="testcode"),
    Example("extending_theano", "documenting an op", '''
import theano

class DoubleOp(theano.Op):
    """ Double each element of a tensor.

    :param x: input tensor.

    :return: a tensor of the same shape and dtype as the input with all
    values doubled.

    :note:
        this is a test note

    :seealso:
        You can use the elemwise op to replace this example.
        Just execute `x * 2` with x being a Theano variable.

    .. versionadded:: 0.6
    """
''', kind="testcode"),
]
