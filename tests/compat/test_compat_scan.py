"""Theano's ``scan`` keywords (``mode``, ``name``, ``return_list``, ``strict``, ``profile``),
PyTensor's ``return_updates``, and loops that are equal comparing equal, so a function
computing the same loop twice runs it once."""
import numpy as np
import pytest

import gpugrad as theano
import gpugrad.tensor as T
from gpugrad.errors import InputError
from gpugrad.scan.op import Scan


def _scans(f):
    return [node for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def _power(a, k, **kwargs):
    return theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a), non_sequences=a, n_steps=k,
                       **kwargs)


def test_keywords_with_theanos_meaning():
    a, k = T.dvector('a'), T.iscalar('k')
    out, updates = _power(a, k, name='power', mode='FAST_COMPILE', profile=True, allow_gc=False)
    assert out.owner.inputs[0].owner.op.name == 'power' and str(out.owner.inputs[0].owner.op) == 'Scan{power}'
    assert out.owner.inputs[0].owner.op.optimizer == 'fast_compile'
    np.testing.assert_allclose(theano.function([a, k], out[-1])([1., 2.], 3), [1., 8.])
    listed, _ = _power(a, k, return_list=True)
    assert isinstance(listed, list) and len(listed) == 1
    w = theano.shared(np.ones(2), name='w')
    with pytest.raises(InputError, match="strict=True.*w"):
        theano.scan(lambda x: x * w, sequences=a, strict=True)
    ok, _ = theano.scan(lambda x, w: x * w.sum(), sequences=a, non_sequences=w, strict=True)
    np.testing.assert_allclose(theano.function([a], ok)([2., 3.]), [4., 6.])


def test_return_updates_false():
    a, k = T.dvector('a'), T.iscalar('k')
    out = theano.scan(lambda prior, a: prior * a, outputs_info=a, non_sequences=a, n_steps=k, return_updates=False)
    np.testing.assert_allclose(theano.function([a, k], out[-1])([2.], 3), [16.])
    counter = theano.shared(0)
    with pytest.raises(InputError, match="return_updates"):
        theano.scan(lambda: {counter: counter + 1}, n_steps=k, return_updates=False)


def test_equal_loops_compare_equal_and_merge():
    a, k = T.dvector('a'), T.iscalar('k')
    first, _ = _power(a, k)
    second, _ = _power(a, k)
    op1, op2 = first.owner.inputs[0].owner.op, second.owner.inputs[0].owner.op
    assert op1 is not op2 and op1 == op2 and hash(op1) == hash(op2)
    other, _ = theano.scan(lambda prior, a: prior + a, outputs_info=T.ones_like(a), non_sequences=a, n_steps=k)
    assert other.owner.inputs[0].owner.op != op1
    f = theano.function([a, k], [first[-1], second[-1] * 2])
    assert len(_scans(f)) == 1
    x, y = f([2.], 3)
    assert x[0] == 8. and y[0] == 16.
