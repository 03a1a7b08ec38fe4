"""CUDA C source -> a host shared object, through g++ and the shim, cached on disk.

``prepare`` makes the few edits the preprocessor cannot: ``extern __shared__ T s[];``
becomes a pointer into the launch's dynamic shared buffer, and each ``extern "C"
__global__`` kernel gets two exported entry points appended,

    extern "C" int gg_launch_<name>(gg::Launch* L) { return gg::launch(<name>, L); }
    extern "C" const char* gg_params_<name>() { return gg::param_codes(<name>); }

so the parameter types come from the compiled code itself and launches can be checked
against them. The shared object is cached under ``$GPUGRAD_CACHE`` (default
``~/.cache/gpugrad``) by a hash of the prepared source, the shim and the flags.
"""
import functools
import hashlib
import importlib.util
import os
import re
import subprocess
import tempfile
from pathlib import Path

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


def cache_dir():
    """Where compiled objects live: ``$GPUGRAD_CACHE`` or ``~/.cache/gpugrad``, then ``cuda_sim``."""
    root = os.environ.get("GPUGRAD_CACHE") or Path.home() / ".cache" / "gpugrad"
    return Path(root) / "cuda_sim"


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


def _compile(args, target, what):
    """Run g++ writing ``target`` atomically (concurrent test processes share the cache)."""
    fd, tmp = tempfile.mkstemp(suffix=target.suffix, dir=target.parent)
    os.close(fd)
    proc = subprocess.run(["g++", *args, "-o", tmp], capture_output=True, text=True)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise KernelCompileError(f"g++ failed to compile {what}:\n{proc.stderr[-6000:]}")
    os.replace(tmp, target)


def precompiled_shim():
    """The shim (with <cmath> and complex.cuh) as a precompiled header: 0.3 s a kernel, not 0.9 s.

    g++ uses ``shim.h.gch`` beside the copied ``shim.h`` when the flags agree and reads
    the header text otherwise, so a stale or rejected PCH costs time, never correctness.
    """
    flags = [*BASE_FLAGS, *(f"-I{d}" for d in complex_include_dirs())]
    text = SHIM.read_text()
    key = hashlib.sha256("\0".join([text, *flags, compiler_version()]).encode()).hexdigest()[:24]
    header = cache_dir() / f"pch-{key}" / "shim.h"
    if not header.with_suffix(".h.gch").exists():
        header.parent.mkdir(parents=True, exist_ok=True)
        header.write_text(text)
        _compile([*flags, "-x", "c++-header", str(header)], header.with_suffix(".h.gch"), SHIM)
    return header, flags


def host_flags(options):
    """NVRTC options the host compiler understands (-D, -I); the rest (-arch, --use_fast_math) drop."""
    header, flags = precompiled_shim()
    keep = [o for o in options if o.startswith(("-D", "-I", "-U"))]
    return [*flags, "-shared", "-include", str(header), *keep]


def build(source, options=()):
    """Compile (or find in the cache) ``source``; returns (path of the .so, kernel names, fibers)."""
    prepared, names = prepare(source)
    flags = host_flags(options)
    texts = included_texts(source, _includes(options))  # an edited header is a new key, never a stale build
    key = hashlib.sha256("\0".join([prepared, *(t for _, t in texts[1:]), SHIM.read_text(), *flags,
                                    compiler_version()]).encode()).hexdigest()
    out_dir = cache_dir()
    so_path = out_dir / f"{key[:32]}.so"
    # threads that synchronise or contend (atomics) need fibers
    fibers = any(_SYNC.search(text) for name, text in texts if name != PRELUDE)
    if so_path.exists():
        return so_path, names, fibers
    out_dir.mkdir(parents=True, exist_ok=True)
    cpp_path = out_dir / f"{key[:32]}.cpp"
    cpp_path.write_text(prepared)
    _compile([*flags, str(cpp_path)], so_path, f"the kernel source {cpp_path}")
    return so_path, names, fibers
