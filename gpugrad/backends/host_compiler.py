"""Host C++ (codegen/host.py) -> a loaded shared object, built by the host's C++ compiler
in the background and cached on disk.

The artifacts live in the artifact cache (``artifact_cache``: safe against concurrent
processes, truncated files and unwritable folders) under ``$GPUGRAD_CACHE/cpu`` (default
``~/.cache/gpugrad/cpu``), keyed by a hash of the source, the flags, the compiler's version
and the instruction set ``-march=native`` resolves to on this machine, so a cache shared by
machines of different CPUs never serves one an artifact built for another.

``request(source, what)`` returns a ``Future`` of the kernel (a ctypes function): compiled by
one background thread, so the caller keeps computing with NumPy meanwhile; the same source
is compiled once per process. Each build that actually runs the compiler prints one line
(with the number still waiting when several queue up) unless ``config.quiet``.
"""
import concurrent.futures
import ctypes
import functools
import hashlib
import os
import queue
import shutil
import subprocess
import sys
import threading

from ..config import config
from .artifact_cache import ArtifactCache
from .base import KernelCompileError
from .cuda_sim.compiler import FALLBACK_INCLUDE

# -ffp-contract=off: a*b+c rounds twice, as NumPy's. -fwrapv: signed integers wrap as NumPy's.
# -fno-tree-slp-vectorize: g++ 12's SLP vectorizer folds complex128 -> complex64 -> complex128
# casts into the identity (the loop vectorizer stays on). -fno-math-errno and
# -fno-trapping-math change no value (errno is never read, float exceptions are ignored as
# in every compiled gpugrad program) but let sqrt and selects vectorize. 512-bit vectors where
# the CPU has them: NumPy's own SIMD loops use AVX-512 there. sin and cos are no builtins, so
# g++ does not merge sin(x) and cos(x) into one sincos call, which has no vector variant.
FLAGS = ("-O3", "-march=native", "-mprefer-vector-width=512", "-std=c++17", "-fPIC", "-shared",
         "-fvisibility=hidden", "-fno-strict-aliasing", "-fno-tree-slp-vectorize", "-ffp-contract=off", "-fwrapv",
         "-fno-math-errno", "-fno-trapping-math", "-w",
         "-fno-builtin-sin", "-fno-builtin-cos", "-fno-builtin-sinf", "-fno-builtin-cosf")
CACHE = ArtifactCache("cpu")
_COMPLEX_HEADER = FALLBACK_INCLUDE / "cupy" / "complex.cuh"


@functools.cache
def compiler():
    """The C++ compiler (``$CXX``, else ``g++``, else ``c++``), or None."""
    for name in (os.environ.get("CXX"), "g++", "c++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@functools.cache
def _identity():
    """The compiler's version and the target ``-march=native`` means here (its features)."""
    version = subprocess.run([compiler(), "--version"], capture_output=True, text=True).stdout
    target = subprocess.run([compiler(), "-march=native", "-Q", "--help=target"], capture_output=True,
                            text=True).stdout
    return version + target


_VECTOR_MATH = {1: "exp log sin cos tan sinh cosh tanh asin acos atan asinh acosh atanh exp2 expm1 log2 log10 "
                   "log1p erf erfc".split(), 2: ["atan2", "pow"]}


@functools.cache
def vector_math():
    """Declarations that let the loop vectorizer call glibc's vector math library (libmvec,
    within 4 ulps, as NumPy's own SIMD loops) for the functions whose SSE, AVX2 and AVX-512
    variants, double and float, this machine's libmvec has; none without it."""
    try:
        lib = ctypes.CDLL("libmvec.so.1")
    except OSError:
        return ""
    lines = []
    for arity, names in _VECTOR_MATH.items():
        v = "v" * arity
        for name in names:
            symbols = [f"_ZGV{isa}N{n}{v}_{name}{suffix}" for suffix, widths in (("", (2, 4, 8)), ("f", (4, 8, 16)))
                       for isa, n in zip("bde", widths)]
            if all(hasattr(lib, symbol) for symbol in symbols):
                args = ", ".join(["double"] * arity)
                fargs = ", ".join(["float"] * arity)
                lines += [f"double {name}({args}) noexcept;", f"float {name}f({fargs}) noexcept;"]
    if not lines:
        return ""
    simd = '__attribute__((__simd__("notinbranch"), const))'  # const: no errno (-fno-math-errno)
    return 'extern "C" {\n' + "".join(f"{simd} {line}\n" for line in lines) + "}\n"


def key(source):
    """The artifact's key: the source, the flags, the compiler and the CPU, the complex header
    (its text, not where gpugrad is installed)."""
    parts = [source, *FLAGS, _identity(), _COMPLEX_HEADER.read_text()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def build(source, what):
    """The path of the shared object of ``source`` (compiled now unless cached), behind the
    vector math declarations of this machine."""
    source = vector_math() + source

    def produce(workspace):
        _notice(what)
        cpp = workspace.path / "kernel.cpp"
        with open(cpp, "x") as f:
            f.write(source)
        proc = subprocess.run([compiler(), *FLAGS, f"-I{FALLBACK_INCLUDE}", str(cpp), "-o", str(workspace.path / "kernel.so")],
                              capture_output=True, text=True, pass_fds=workspace.fds)
        if proc.returncode != 0:
            log = workspace.shown(proc.stderr)[-6000:]
            raise KernelCompileError(f"{compiler()} failed to compile {what}:\n{log}")
    return CACHE.build(key(source), produce) / "kernel.so"


def load(path, name):
    fn = getattr(ctypes.CDLL(str(path)), name)
    fn.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
    fn.restype = None
    return fn


class _Builder:
    """One daemon thread compiling requests in order; a request per source per process."""

    def __init__(self):
        self._queue, self._futures, self._lock, self._thread = queue.Queue(), {}, threading.Lock(), None

    def request(self, source, what, name):
        with self._lock:
            future = self._futures.get(source)
            if future is None:
                future = self._futures[source] = concurrent.futures.Future()
                self._queue.put((future, source, what, name))
                if self._thread is None:
                    self._thread = threading.Thread(target=self._work, name="gpugrad-cpu-compiler", daemon=True)
                    self._thread.start()
            return future

    def waiting(self):
        return self._queue.qsize()

    def _work(self):
        while True:
            future, source, what, name = self._queue.get()
            try:
                future.set_result(load(build(source, what), name))
            except BaseException as exc:  # the future carries it to the thunks that wait
                future.set_exception(exc)


_BUILDER = _Builder()
request = _BUILDER.request


def _notice(what):
    if config.quiet:
        return
    more = _BUILDER.waiting()
    sys.stderr.write(f"gpugrad: compiling a CPU kernel for {what}"
                     f"{f' ({more} more waiting)' if more else ''}\n")
    sys.stderr.flush()
