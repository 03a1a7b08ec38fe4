"""Running Theano's tutorial examples on gpugrad: the import change, the output check.

An example is Theano's own text: a doctest session (``>>>`` lines and the printed
results) or a ``testcode`` block (a script and its ``testoutput``). ``port`` applies the
one change a user makes (``import theano`` -> ``import gpugrad as theano``, and so on);
any other edit an example needs is listed beside it with the reason. Printed numbers are
compared as numbers (Theano's doctests were written for NumPy 1's spacing), the rest of
the text exactly, up to whitespace and doctest's ``...``."""
import contextlib
import dataclasses
import doctest
import io
import re
import traceback

import numpy as np

_FROM = re.compile(r"\bfrom theano(\.[\w.]+)? import\b")
_IMPORT = re.compile(r"^(\s*(?:>>> )?)import (.+)$", re.M)
_NUMPY_SCALAR = re.compile(r"np\.(?:float|int|complex|bool)\w*\((.*?)\)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclasses.dataclass
class Example:
    """One tutorial example. ``kind`` is "doctest" or "testcode" (then ``output`` is what
    the script prints); ``edits`` are (Theano's text, ours, why) beyond the import change;
    ``not_run`` says why an example is left out (it then counts as not passing)."""
    page: str
    title: str
    source: str
    kind: str = "doctest"
    output: str = ""
    edits: tuple = ()
    not_run: str = ""

    @property
    def id(self):
        return f"{self.page}: {self.title}"


def port(source):
    """Theano's import lines as a user changes them for gpugrad: ``import theano`` binds
    gpugrad to the name ``theano``, ``theano.x`` modules become ``gpugrad.x``."""
    source = _FROM.sub(lambda m: f"from gpugrad{m.group(1) or ''} import", source)
    return _IMPORT.sub(lambda m: m.group(1) + "import " + ", ".join(map(_ported, m.group(2).split(","))), source)


def _ported(name):
    name = name.strip()
    if name == "theano":
        return "gpugrad as theano"
    return "gpugrad" + name[len("theano"):] if name.startswith("theano.") else name


def _edited(example):
    source, output = example.source, example.output
    for old, new, _ in example.edits:
        if old not in source and old not in output:
            raise AssertionError(f"{example.id}: the edit {old!r} matches nothing")
        source, output = source.replace(old, new), output.replace(old, new)
    return port(source), output


class NumericChecker(doctest.OutputChecker):
    """Doctest's check, or the same text with the numbers equal as numbers."""

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        return same_output(want, got)


def same_output(want, got):
    if "..." in want:
        return False

    want, got = _NUMPY_SCALAR.sub(r"\1", want), _NUMPY_SCALAR.sub(r"\1", got)  # NumPy 2's scalar repr

    def skeleton(text):
        return re.sub(r"\s+", "", _NUMBER.sub("#", text))
    wanted, found = _NUMBER.findall(want), _NUMBER.findall(got)
    if skeleton(want) != skeleton(got) or len(wanted) != len(found):
        return False
    return bool(np.allclose([float(w) for w in wanted], [float(f) for f in found], rtol=1e-6, atol=1e-8))


FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run(example):
    """The report of running ``example`` ("" when it passes)."""
    source, output = _edited(example)
    if example.kind == "doctest":
        test = doctest.DocTestParser().get_doctest(source, {}, example.id, None, 0)
        report = io.StringIO()
        runner = doctest.DocTestRunner(checker=NumericChecker(), optionflags=FLAGS)
        runner.run(test, out=report.write)
        return report.getvalue() if runner.failures else ""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            exec(compile(source, example.id, "exec"), {"__name__": "__tutorial__"})
        except Exception as exc:  # a block that ends in an error shows its traceback's last line
            if not output.startswith("Traceback"):
                raise
            print("Traceback (most recent call last):\n  ...\n" + traceback.format_exception_only(exc)[-1], end="")
    got = printed.getvalue()
    if NumericChecker().check_output(output, got, FLAGS):
        return ""
    return f"{example.id} printed:\n{got}\nTheano's tutorial shows:\n{output}"
