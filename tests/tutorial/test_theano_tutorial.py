"""Theano's tutorial, run on gpugrad after the import change (tests/tutorial/theano_examples_*.py
hold the examples, tutorial_harness.py the runner): every example that is run must print
what Theano's documentation prints."""
import numpy as np
import pytest

import gpugrad

from theano_examples_basics import ALL as BASICS
from theano_examples_extending import ALL as EXTENDING
from theano_examples_loop import ALL as LOOP
from theano_examples_more import ALL as MORE
from tutorial_harness import Example, port, run, same_output

EXAMPLES = BASICS + LOOP + MORE + EXTENDING
RUN = [e for e in EXAMPLES if not e.not_run]


@pytest.fixture(autouse=True)
def restored_config():
    """Examples set flags (compute_test_value, print_test_value, warn.*): undo them."""
    saved = dict(gpugrad.config._values)
    yield
    gpugrad.config._values.clear()
    gpugrad.config._values.update(saved)


@pytest.mark.parametrize("example", RUN, ids=[e.id for e in RUN])
def test_the_tutorial_example_prints_what_theano_printed(example):
    np.random.seed(1234)  # the examples draw from NumPy's global generator
    report = run(example)
    assert not report, report


def test_the_import_change():
    assert port("import theano") == "import gpugrad as theano"
    assert port("import theano.tensor as T") == "import gpugrad.tensor as T"
    assert port("from theano import function, config") == "from gpugrad import function, config"
    assert port("from theano.ifelse import ifelse") == "from gpugrad.ifelse import ifelse"
    assert port("import numpy, theano, theano.tensor") == "import numpy, gpugrad as theano, gpugrad.tensor"


def test_numbers_compare_as_numbers():
    assert same_output("array([ 0.5       ,  0.73105858])", "array([0.5       , 0.73105858])")
    assert same_output("array(5.0)", "array(5.)")
    assert not same_output("array(5.0)", "array(5.1)")
    assert not same_output("array([1., 2.])", "[array([1., 2.])]")


def test_every_example_is_accounted_for():
    """Each example either runs or says why not; an edit says why it is needed."""
    assert all(isinstance(e, Example) for e in EXAMPLES)
    assert all(e.source or e.not_run for e in EXAMPLES)
    assert all(len(edit) == 3 and edit[2] for e in EXAMPLES for edit in e.edits)
    assert len({e.id for e in EXAMPLES}) == len(EXAMPLES)
