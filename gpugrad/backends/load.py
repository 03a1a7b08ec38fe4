"""The kernels of ``kernels/``: parse their signature lines, instantiate, check launches.

Each file starts with one line that both backends trust,

    // gpugrad-kernel: reduce_rows(in T* x, out U* y, i64 rows, i64 cols, i64 chunk)

Pointers are marked ``in``/``out``/``inout``; element types are fixed (``i64``,
``f32``, ``c128``, ...) or type variables (``T``, ``U``) bound from the arrays of a launch.
An instantiation is the file behind a prelude,

    #include "gpugrad.cuh"
    typedef int T;
    typedef long long U;
    #define GG_REDUCE gg_sum            (defines of the launch, if any)
    #line 1 "reduce.cu"

compiled once per (file, types, defines) and backend. A launch binds the type
variables, rejects arrays of the wrong dtype, converts Python scalars to the declared
types, and (on the simulator, which knows the compiled parameter types) checks that the
signature line still matches the code.
"""
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import KernelArgumentError, KernelCompileError


def _kernels_dir():
    """kernels/ beside the package in a checkout; gpugrad/kernels once installed (the
    wheel maps the top-level folder there, see pyproject.toml)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "kernels"
    return installed if installed.is_dir() else package.parent / "kernels"


KERNELS_DIR = _kernels_dir()
FIXED_TYPES = {name: np.dtype(dt) for name, dt in [
    ("bool", np.bool_), ("i8", np.int8), ("i16", np.int16), ("i32", np.int32), ("i64", np.int64),
    ("u8", np.uint8), ("u16", np.uint16), ("u32", np.uint32), ("u64", np.uint64),
    ("f32", np.float32), ("f64", np.float64), ("c64", np.complex64), ("c128", np.complex128)]}
C_TYPES = {np.dtype(dt): c for dt, c in [
    (np.bool_, "bool"), (np.int8, "signed char"), (np.int16, "short"), (np.int32, "int"), (np.int64, "long long"),
    (np.uint8, "unsigned char"), (np.uint16, "unsigned short"), (np.uint32, "unsigned int"),
    (np.uint64, "unsigned long long"), (np.float32, "float"), (np.float64, "double"),
    (np.complex64, "complex<float>"), (np.complex128, "complex<double>")]}
_SIGNATURE = re.compile(r"//\s*gpugrad-kernel:\s*(\w+)\s*\((.*)\)\s*$")
_PARAM = re.compile(r"(?:(in|out|inout)\s+)?(\w+)\s*(\*?)\s*(\w+)$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str           # a key of FIXED_TYPES or a type variable
    pointer: bool
    access: str = None  # "in", "out" or "inout" for pointers


@dataclass(frozen=True)
class KernelSource:
    """One file of ``kernels/``: the kernel's name, its parameters and its text."""
    name: str
    params: tuple
    text: str
    path: Path

    @classmethod
    def parse(cls, path):
        path = Path(path)
        text = path.read_text()
        match = _SIGNATURE.match(text.splitlines()[0] if text else "")
        if not match:
            raise KernelCompileError(f"{path}: the first line must be '// gpugrad-kernel: name(params)'")
        params = []
        for item in filter(None, (p.strip() for p in match.group(2).split(","))):
            m = _PARAM.match(item)
            if not m or bool(m.group(1)) != bool(m.group(3)):
                raise KernelCompileError(f"{path}: bad parameter {item!r} (pointers need in/out/inout, "
                                         f"scalars take none)")
            params.append(Param(m.group(4), m.group(2), bool(m.group(3)), m.group(1)))
        return cls(match.group(1), tuple(params), text, path)

    @property
    def type_vars(self):
        return tuple(dict.fromkeys(p.type for p in self.params if p.type not in FIXED_TYPES))

    def instantiate(self, types, defines=()):
        """The source for the type variables bound in ``types`` (name -> dtype) and macro ``defines``."""
        lines = ['#include "gpugrad.cuh"']
        lines += [f"typedef {C_TYPES[np.dtype(types[t])]} {t};" for t in self.type_vars]
        lines += [f"#define {name} {value}" for name, value in defines]
        return "\n".join(lines) + f'\n#line 1 "{self.path.name}"\n' + self.text

    def bind(self, args):
        """The dtype of each type variable, read from the array arguments; checks they agree."""
        if len(args) != len(self.params):
            raise KernelArgumentError(f"kernel {self.name!r} takes {len(self.params)} arguments "
                                      f"({', '.join(p.name for p in self.params)}), got {len(args)}")
        types, source = {}, {}
        for p, arg in zip(self.params, args):
            if p.pointer and (not hasattr(arg, "dtype") or isinstance(arg, np.generic)):
                raise KernelArgumentError(f"argument {p.name!r} of kernel {self.name!r} is a pointer; "
                                          f"got {type(arg).__name__}")
            if not p.pointer or p.type in FIXED_TYPES:
                continue
            if p.type in types and types[p.type] != arg.dtype:
                raise KernelArgumentError(f"kernel {self.name!r}: {p.type} is {types[p.type]} from "
                                          f"{source[p.type]!r} but {arg.dtype} from {p.name!r}")
            types.setdefault(p.type, arg.dtype)
            source.setdefault(p.type, p.name)
        missing = [t for t in self.type_vars if t not in types]
        if missing:
            raise KernelArgumentError(f"kernel {self.name!r}: type variables {missing} appear in no array argument")
        return types

    def convert(self, types, args):
        """The arguments with pointer dtypes checked and scalars cast to their declared types."""
        out = []
        for p, arg in zip(self.params, args):
            dtype = FIXED_TYPES.get(p.type) or np.dtype(types[p.type])
            if p.pointer:
                if arg.dtype != dtype:
                    raise KernelArgumentError(f"argument {p.name!r} of kernel {self.name!r} must be a {dtype} "
                                              f"array; got {arg.dtype}")
                out.append(arg)
            else:
                out.append(self._scalar(p, dtype, arg))
        return out

    def _scalar(self, p, dtype, arg):
        given = np.min_scalar_type(arg) if isinstance(arg, int) else np.asarray(arg).dtype
        if getattr(arg, "ndim", 0) == 0 and np.can_cast(given, dtype, "same_kind"):
            try:
                return dtype.type(arg)
            except OverflowError:
                pass
        raise KernelArgumentError(f"argument {p.name!r} of kernel {self.name!r} is a {dtype} scalar; got {arg!r}")


def _sim_codes(source, types):
    """The parameter codes the simulator reports for a matching kernel ("*f4", "i8", ...)."""
    codes = []
    for p in source.params:
        dtype = FIXED_TYPES.get(p.type) or np.dtype(types[p.type])
        codes.append((p.pointer, dtype.str.lstrip("<>|=")))
    return codes


class KernelLibrary:
    """The kernels of a directory, instantiated on demand for one backend."""

    def __init__(self, backend, directory=KERNELS_DIR):
        self.backend, self.directory = backend, Path(directory)
        self.sources = {}
        for path in sorted(self.directory.glob("*.cu")):
            src = KernelSource.parse(path)
            if src.name in self.sources:
                raise KernelCompileError(f"kernel {src.name!r} is defined in {path} and {self.sources[src.name].path}")
            self.sources[src.name] = src
        self._kernels = {}

    @property
    def options(self):
        """The folder's headers, and kernels/ for the prelude's ``gpugrad.cuh`` (a user's op may
        keep its kernels in a folder of its own)."""
        return tuple(dict.fromkeys((f"-I{self.directory}", f"-I{KERNELS_DIR}")))

    def kernel(self, name, types, defines=()):
        """The compiled kernel for ``types`` (name -> dtype) and ``defines`` (pairs), cached."""
        source = self.sources[name]
        key = (name, tuple(sorted((t, np.dtype(d).str) for t, d in types.items())), tuple(defines))
        if key not in self._kernels:
            module = self.backend.load_module(source.instantiate(types, defines), self.options, name=name)
            kernel = module.get_function(source.name)
            if hasattr(kernel, "params") and kernel.params != _sim_codes(source, types):
                raise KernelCompileError(f"{source.path}: the signature line does not match the kernel's "
                                         f"parameters ({kernel.params} vs {_sim_codes(source, types)})")
            self.backend.name_parameters(kernel, [p.name for p in source.params])
            self._kernels[key] = kernel
        return self._kernels[key]

    def launch(self, name, grid, block, args, shared_mem=0, defines=()):
        """Bind types from ``args``, check them against the signature, compile if new, launch."""
        if name not in self.sources:
            raise KeyError(f"no kernel {name!r} in {self.directory} (has {sorted(self.sources)})")
        source = self.sources[name]
        types = source.bind(args)
        args = source.convert(types, args)
        self.backend.launch(self.kernel(name, types, defines), grid, block, args, shared_mem=shared_mem)
