"""CUDA C source -> a host shared object, through g++ and the shim, cached on disk.

``prepare`` makes the few edits the preprocessor cannot: ``extern __shared__ T s[];``
becomes a pointer into the launch's dynamic shared buffer, and each ``extern "C"
__global__`` kernel gets two exported entry points appended,

    extern "C" int gg_launch_<name>(gg::Launch* L) { return gg::launch(<name>, L); }
    extern "C" const char* gg_params_<name>() { return gg::param_codes(<name>); }

so the parameter types come from the compiled code itself and launches can be checked
against them. The shared object and the precompiled shim are cached (``artifact_cache``:
checked before they are loaded) under ``$GPUGRAD_CACHE`` (default ``~/.cache/gpugrad``),
``cuda_sim/``, by a hash of the prepared source, the headers, the shim and the flags.
"""
import errno
import functools
import hashlib
import importlib.util
import os
import re
import subprocess
from pathlib import Path

from ..artifact_cache import ArtifactCache
from ..base import KernelCompileError

SHIM = Path(__file__).with_name("shim.h")
FALLBACK_INCLUDE = Path(__file__).with_name("fallback")
# -fno-tree-slp-vectorize: g++ 12's SLP vectorizer folds complex128 -> complex64 -> complex128
# casts into the identity, dropping the rounding a GPU performs. -ffp-contract=off: a*b+c
# rounds twice, as NumPy's and as NVRTC's with --fmad=false (gpugrad/backends/cuda.py).
# -fwrapv: signed integers wrap (-INT_MIN is INT_MIN), as NumPy's and a GPU's do.
BASE_FLAGS = ("-O2", "-std=c++17", "-fPIC", "-U_FORTIFY_SOURCE", "-fvisibility=hidden", "-fno-strict-aliasing",
              "-fno-tree-slp-vectorize", "-ffp-contract=off", "-fwrapv", "-w")
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?(\w+)\s*\(')
_EXTERN_SHARED = re.compile(
    r"extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s*)?([A-Za-z_][\w:<>,\s]*?)\s*\b(\w+)\s*\[\s*\]\s*;")
_SYNC = re.compile(r"__syncthreads|__syncwarp|__shfl|__ballot_sync|__any_sync|__all_sync|gg_shfl|atomic[A-Z]|gg_atomic_add")
PRELUDE = "gpugrad.cuh"  # in every kernel: its helpers count only where a kernel calls them (gg_shfl, gg_atomic_add)
_INCLUDE = re.compile(r'#\s*include\s*"([^"]+)"')
CACHE = ArtifactCache("cuda_sim")


@functools.cache
def complex_include_dirs():
    """CuPy's include dirs (for ``cupy/complex.cuh``), or the std::complex stand-in without CuPy."""
    spec = importlib.util.find_spec("cupy")
    if spec is None or spec.origin is None:
        return (str(FALLBACK_INCLUDE),)
    root = Path(spec.origin).parent / "_core" / "include"
    cccl = root / "cupy" / "_cccl"
    return tuple(str(p) for p in (root, cccl / "thrust", cccl / "libcudacxx", cccl / "cub"))


@functools.cache
def compiler_version():
    return subprocess.run(["g++", "--version"], capture_output=True, text=True, check=True).stdout


def kernel_names(source):
    return _KERNEL.findall(source)


def parameter_names(source, name):
    """The names of kernel ``name``'s parameters, read from its C signature (for messages)."""
    match = next((m for m in _KERNEL.finditer(source) if m.group(1) == name), None)
    params, depth, current = [], 0, ""
    for char in source[match.end():] if match else "":
        depth += (char in "(<[") - (char in ")>]")
        if depth < 0 or (char == "," and depth == 0):
            params.append(current)
            current = ""
            if depth < 0:
                break
        else:
            current += char
    return [re.findall(r"\w+", p)[-1] for p in params if p.strip()] or None


def _rewrite_extern_shared(source):
    def replace(match):
        ctype, name = match.group(1).strip(), match.group(2)
        pointer = f"reinterpret_cast<{ctype}*>(::gg::L->dynamic_shared)"
        if source[:match.start()].count("{") > source[:match.start()].count("}"):
            return f"{ctype}* const {name} = {pointer};"
        return f"\n#define {name} ({pointer})\n"
    return _EXTERN_SHARED.sub(replace, source)


def prepare(source):
    """The source g++ compiles: shared-memory rewrite plus the exported entry points."""
    names = kernel_names(source)
    entries = "".join(
        f'\nextern "C" __attribute__((visibility("default"))) int gg_launch_{n}(gg::Launch* L)'
        f" {{ return gg::launch({n}, L); }}"
        f'\nextern "C" __attribute__((visibility("default"))) const char* gg_params_{n}()'
        f" {{ return gg::param_codes({n}); }}" for n in names)
    return _rewrite_extern_shared(source) + "\n" + entries + "\n", names


def _includes(options):
    return [o[2:] for o in options if o.startswith("-I") and len(o) > 2]


def included_texts(source, include_dirs):
    """``(name, text)`` of the source (name None) and of every header it includes with quotes, transitively."""
    seen, texts, todo = set(), [(None, source)], [source]
    while todo:
        for name in _INCLUDE.findall(todo.pop()):
            for d in include_dirs:
                path = Path(d) / name
                if path.is_file() and path not in seen:
                    seen.add(path)
                    texts.append((name, path.read_text()))
                    todo.append(texts[-1][1])
    return texts


def _compile(args, workspace, output, what):
    """Run g++ writing ``output`` into the cache's private ``workspace``; a log that says the disk
    is full is an OSError (the cache then moves to a private folder), any other failure a
    KernelCompileError with the log, its paths as the user finds them."""
    target = str(workspace.path / output)
    proc = subprocess.run(["g++", *args, "-o", target], capture_output=True, text=True, pass_fds=workspace.fds)
    if proc.returncode != 0:
        log = workspace.shown(proc.stderr)
        for code in (errno.ENOSPC, errno.EDQUOT):
            if os.strerror(code) in log:
                raise OSError(code, f"g++ could not write {workspace.shown(target)}: {log[-2000:]}")
        raise KernelCompileError(f"g++ failed to compile {what}:\n{log[-6000:]}")


def _write_source(workspace, name, text):
    """A new file of the (private, fresh) workspace: never through a link planted there."""
    with open(workspace.path / name, "x") as f:
        f.write(text)
    return workspace.path / name


def precompiled_shim():
    """The shim (with <cmath> and complex.cuh) as a precompiled header: 0.3 s a kernel, not 0.9 s.
    Returns the header to ``-include``, the flags it was built with and its cache key.

    g++ uses ``shim.h.gch`` beside the copied ``shim.h`` when the flags agree and reads
    the header text otherwise, so a stale or rejected PCH costs time, never correctness.
    """
    flags = [*BASE_FLAGS, *(f"-I{d}" for d in complex_include_dirs())]
    text = SHIM.read_text()
    key = "shim-" + hashlib.sha256("\0".join([text, *flags, compiler_version()]).encode()).hexdigest()[:24]

    def produce(workspace):
        header = _write_source(workspace, "shim.h", text)
        _compile([*flags, "-x", "c++-header", str(header)], workspace, "shim.h.gch", SHIM)
    return CACHE.build(key, produce) / "shim.h", flags, key


def build(source, options=()):
    """Compile (or find in the cache) ``source``; returns (path of the .so, kernel names, fibers).
    NVRTC options the host compiler understands (-D, -I, -U) are kept, the rest (-arch,
    --use_fast_math) dropped."""
    prepared, names = prepare(source)
    header, flags, pch_key = precompiled_shim()
    keep = [o for o in options if o.startswith(("-D", "-I", "-U"))]
    texts = included_texts(source, _includes(options))  # an edited header is a new key, never a stale build
    key = hashlib.sha256("\0".join([prepared, *(t for _, t in texts[1:]), pch_key, *flags, *keep,
                                    compiler_version()]).encode())
    # threads that synchronise or contend (atomics) need fibers
    fibers = any(_SYNC.search(text) for name, text in texts if name != PRELUDE)

    def produce(workspace):
        cpp = _write_source(workspace, "kernel.cpp", prepared)
        _compile([*flags, "-shared", "-include", str(header), *keep, str(cpp)], workspace, "kernel.so",
                 f"the kernel source {workspace.shown(str(cpp))}")
    return CACHE.build(key.hexdigest()[:32], produce) / "kernel.so", names, fibers
