"""``simcupy.ndarray``: a CuPy array whose device memory is the simulator's guarded memory
(``cuda_sim/memory.py``), refusing what CuPy refuses.

It holds a NumPy view of its memory (``_host``, never handed out) and the ordinal of the
device it lives on. As on a GPU: ``np.asarray(a)`` and ``np.array(a)`` raise CuPy's
``TypeError`` (use ``a.get()`` or ``cupy.asnumpy``); NumPy functions and ufuncs dispatch
to the layer's own (``__array_function__``/``__array_ufunc__``: a function the layer does
not have raises NumPy's "no implementation found" ``TypeError``); an operation that reads
or writes an array of another device than the current one raises CuPy's
``ValueError: Array device must be same as the current device``; a NumPy array mixed into
arithmetic raises ``TypeError: Unsupported type``; reductions return 0-d device arrays,
not scalars; views are views. Anything CuPy may do differently and gpugrad does not use is
refused rather than guessed (advanced indexing, Fortran order, ``get(out=...)``).
Arithmetic runs as NumPy's on the host memory behind the arrays, with results written
into fresh device memory of the current device: it stands in for CuPy's elementwise
kernels, which gpugrad's numbers do not depend on. Every such kernel, copy and fill is one
piece of device work (``cuda.enqueue``: run now, or recorded while the stream captures, so
nothing is written during a capture); new arrays come from the current allocator
(``cuda.alloc``), copies between host and device are counted and refused in a capture.
"""
import math
import warnings

import numpy as np

from . import cuda

FUNCTIONS = {}  # "name" or "linalg.name" -> the layer's ``cupy.<that>`` (routines.py registers them)
UFUNCS = {}     # name -> the NumPy ufunc that runs ``cupy.<name>``
SCALAR_TYPES = (bool, int, float, complex, np.generic)
IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")


def check_device(array):
    """CuPy's rule: kernels run on the current device and read only its arrays."""
    here = cuda.current().ordinal
    if array._device != here:
        raise ValueError(f"Array device must be same as the current device: array device = {array._device} "
                         f"while current = {here}")


def produce(compute, reads=()):
    """Fresh arrays of the current device holding ``compute()``'s NumPy result (or tuple of
    results), as a kernel computes it: the shapes now, the values when the work runs (in a
    capture, at each launch of the graph)."""
    first, captured = compute(), cuda.capturing()
    results = tuple(ndarray(r.shape, r.dtype) for r in (first if isinstance(first, tuple) else (first,)))
    hosts = [out._host for out in results]  # the memory, not the arrays: a graph keeps no array alive

    def work():
        values = compute() if captured else first
        for host, value in zip(hosts, values if isinstance(values, tuple) else (values,)):
            host[...] = value
    cuda.enqueue(work, [*hosts, *reads])
    return results if isinstance(first, tuple) else results[0]


def upload(value):
    """A host value copied to a fresh array of the current device (a copy, not a kernel)."""
    value = np.asarray(value)
    cuda.transfer("to_device", value.nbytes)
    out = ndarray(value.shape, value.dtype)
    out._host[...] = value
    return out


def operand(x):
    """What a kernel of the current device reads for ``x``: an array's memory, or a scalar."""
    if isinstance(x, ndarray):
        check_device(x)
        return x._host
    if isinstance(x, SCALAR_TYPES):
        return x
    raise TypeError(f"Unsupported type {type(x)}")


def apply(function, *args, out=None, **kwargs):
    """``function`` (a NumPy ufunc or routine) of device arrays and scalars, as a kernel of the
    current device would compute it (no floating-point warnings: a GPU raises none)."""
    operands = [operand(a) for a in args]

    def compute():
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            result = function(*operands, **kwargs)
        return tuple(map(np.asarray, result)) if isinstance(result, tuple) else np.asarray(result)
    if out is None:
        return produce(compute, operands)
    check_device(out)
    host = out._host
    cuda.enqueue(lambda: host.__setitem__(Ellipsis, compute()), [host, *operands])
    return out


def copy_into(dst, src):
    """A copy kernel: ``src`` (host memory of a device array, or a scalar) into ``dst``."""
    def work():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            np.copyto(dst, src, casting="unsafe")
    cuda.enqueue(work, [dst, src])


class Flags:
    """``ndarray.flags`` as CuPy has it: contiguity and ownership only (no ``writeable``)."""
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c_contiguous, f_contiguous, owndata):
        self.c_contiguous, self.f_contiguous, self.owndata = c_contiguous, f_contiguous, owndata

    def __getitem__(self, name):
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "OWNDATA": "owndata"}[name])


def _indexed(host, key):
    """``host[key]`` for a basic index (ints, slices, None, Ellipsis) as a view, 0-d where every
    axis is taken by an int (CuPy gives an array, NumPy a scalar). Advanced indexing is not
    simulated (CuPy wraps out-of-range array indices where NumPy raises)."""
    key = key if isinstance(key, tuple) else (key,)
    for k in key:
        if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))) or isinstance(k, bool):
            raise NotImplementedError(f"the simulated CuPy does not model advanced indexing (index {k!r}); "
                                      "gpugrad's indexing kernels do it")
    return host[key if any(k is Ellipsis for k in key) else (*key, Ellipsis)]


def _new_bytes(shape, dtype):
    """The bytes of a new array, refused as NumPy refuses them: a negative extent, or more
    bytes than an address can count (a product of int64 extents would wrap silently)."""
    sizes = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(int(n) < 0 for n in sizes):
        raise ValueError("negative dimensions are not allowed")
    nbytes = math.prod(int(n) for n in sizes) * np.dtype(dtype).itemsize
    if nbytes > np.iinfo(np.intp).max:
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.")
    return nbytes


class ndarray:  # noqa: N801 - CuPy's name
    """``cupy.ndarray`` on a simulated device; see the module docstring. ``ndarray(shape,
    dtype, memptr=None, strides=None)`` allocates on the current device or views ``memptr``."""
    __slots__ = ("_host", "_device", "_base", "_memory", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if order not in ("C", None):
            raise NotImplementedError("the simulated CuPy allocates C-ordered arrays only")
        if memptr is None:
            if strides is not None:
                raise ValueError("memptr is required if strides is given.")
            memptr = cuda.alloc(_new_bytes(shape, dtype))
        self._host, self._device, self._base = memptr.view(shape, dtype, strides), memptr.device_id, None
        self._memory = memptr

    @classmethod
    def _of(cls, host, device, base):
        array = object.__new__(cls)
        array._host, array._device, array._base, array._memory = host, device, base, None
        return array

    def _view(self, host):
        """``host`` (a NumPy view of this array's memory) as a device array."""
        return ndarray._of(host, self._device, self if self._base is None else self._base)

    # Layout
    shape = property(lambda self: self._host.shape)
    strides = property(lambda self: self._host.strides)
    dtype = property(lambda self: self._host.dtype)
    ndim = property(lambda self: self._host.ndim)
    size = property(lambda self: self._host.size)
    itemsize = property(lambda self: self._host.itemsize)
    nbytes = property(lambda self: self._host.nbytes)
    base = property(lambda self: self._base)
    device = property(lambda self: cuda.Device(self._device))

    @property
    def flags(self):
        f = self._host.flags
        return Flags(f.c_contiguous, f.f_contiguous, self._base is None)

    @property
    def data(self):
        ptr = self._host.__array_interface__["data"][0]
        return cuda.MemoryPointer(cuda.UnownedMemory(ptr, self.nbytes, self, self._device), 0)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "descr": self.dtype.descr, "stream": 1,
                "version": 3, "strides": None if self._host.flags.c_contiguous else self.strides,
                "data": (self.data.ptr if self.size else 0, False)}

    # Conversions to the host: explicit only
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT)

    def get(self, stream=None, order="C", out=None):
        if out is not None or order not in ("C", "A"):
            raise NotImplementedError("the simulated CuPy's get() takes no out= and copies in C order")
        cuda.transfer("to_host", self.nbytes)
        cuda.simulated(self._device).raise_pending()
        return np.array(self._host, order="C", copy=True)

    def set(self, arr, stream=None):
        """CuPy's copy of host ``arr`` (same shape and dtype) into this C-contiguous array."""
        arr = np.asarray(arr)
        if arr.dtype != self.dtype or arr.shape != self.shape:
            raise ValueError(f"{arr.dtype}{arr.shape} array cannot be set to {self.dtype}{self.shape} array")
        if not self._host.flags.c_contiguous:
            raise RuntimeError("Cannot set to non-contiguous array")
        cuda.transfer("to_device", arr.nbytes)
        self._host[...] = arr

    def item(self):
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self.get().item()

    def tolist(self):
        return self.get().tolist()

    def __format__(self, spec):
        return format(self.get(), spec)

    def __reduce__(self):
        return FUNCTIONS["array"], (self.get(),)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        with self.device:
            return self.copy()

    # NumPy's protocols: CuPy's functions, never NumPy's on device memory
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or ufunc.__name__ not in UFUNCS:
            return NotImplemented
        if "out" in kwargs:
            (kwargs["out"],) = kwargs["out"]
        return apply(ufunc, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        implementation = FUNCTIONS.get(".".join([*func.__module__.split(".")[1:], func.__name__]))
        return NotImplemented if implementation is None else implementation(*args, **kwargs)

    # Copies and casts (kernels of the current device)
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        dtype = np.dtype(dtype)
        if dtype == self.dtype and not copy:
            return self
        check_device(self)
        out = ndarray(self.shape, dtype)
        copy_into(out._host, self._host)
        return out

    def copy(self, order="C"):
        """A copy on the current device (CuPy copies across devices here)."""
        out = ndarray(self.shape, self.dtype)
        copy_into(out._host, self._host)
        return out

    def view(self, dtype=None):
        return self._view(self._host.view() if dtype is None else self._host.view(dtype))

    def fill(self, value):
        check_device(self)
        value, host = value.item() if isinstance(value, np.ndarray) else operand(value), self._host
        cuda.enqueue(lambda: host.fill(value), [host])

    # Views
    def reshape(self, *shape, order="C"):
        """A view where the layout allows, else a copy (a kernel), as CuPy's."""
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)) else shape
        host = self._host.reshape(shape, order=order)
        if host.size and not np.may_share_memory(host, self._host):
            check_device(self)
            return produce(lambda: self._host.reshape(shape, order=order), [self._host])
        return self._view(host)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)) else axes
        return self._view(self._host.transpose(None if axes is None or not len(axes) else axes))

    T = property(lambda self: self if self.ndim < 2 else self.transpose())
    real = property(lambda self: self._view(self._host.real) if self.dtype.kind == "c" else self)

    @property
    def imag(self):
        if self.dtype.kind == "c":
            return self._view(self._host.imag)
        return FUNCTIONS["zeros_like"](self)

    def swapaxes(self, axis1, axis2):
        return self._view(self._host.swapaxes(axis1, axis2))

    def squeeze(self, axis=None):
        return self._view(self._host.squeeze(axis))

    def ravel(self, order="C"):
        return self.reshape(-1)

    def flatten(self):
        return self.reshape(-1).copy()

    def diagonal(self, offset=0, axis1=0, axis2=1):
        view = self._host.diagonal(offset, axis1, axis2)
        view.flags.writeable = self._host.flags.writeable  # CuPy's diagonal is a writable view
        return self._view(view)

    def __getitem__(self, key):
        return self._view(_indexed(self._host, key))

    def __setitem__(self, key, value):
        check_device(self)
        if isinstance(value, np.ndarray) and value.ndim:
            raise TypeError(f"Unsupported type {type(value)}")
        copy_into(_indexed(self._host, key), operand(value.item() if isinstance(value, np.ndarray) else value))

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.ndim:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def conj(self):
        return apply(np.conjugate, self) if self.dtype.kind == "c" else self

    conjugate = conj

    def dot(self, b, out=None):
        return apply(np.dot, self, b, out=out)


def _defers(other):
    """CuPy leaves the operator to ``other`` when it is no array or scalar it knows."""
    return not isinstance(other, (ndarray, np.ndarray, *SCALAR_TYPES))


def _operators(ufunc, swapped=True):
    """``(op, rop, iop)`` of a binary ufunc: CuPy's kernel, or ``NotImplemented`` to defer."""
    def forward(self, other):
        return NotImplemented if _defers(other) else apply(ufunc, self, other)

    def reverse(self, other):
        return NotImplemented if _defers(other) else apply(ufunc, other, self)

    def inplace(self, other):
        return apply(ufunc, self, other, out=self)
    return forward, reverse if swapped else None, inplace


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                      ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power),
                      ("matmul", np.matmul), ("and", np.bitwise_and), ("or", np.bitwise_or),
                      ("xor", np.bitwise_xor), ("lshift", np.left_shift), ("rshift", np.right_shift)]:
    for _prefix, _method in zip(("__", "__r", "__i"), _operators(_ufunc)):
        setattr(ndarray, f"{_prefix}{_name}__", _method)
for _name, _ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                      ("gt", np.greater), ("ge", np.greater_equal)]:
    setattr(ndarray, f"__{_name}__", _operators(_ufunc)[0])
for _name, _function in [("sum", np.sum), ("prod", np.prod), ("mean", np.mean)]:  # 0-d arrays, as CuPy's
    setattr(ndarray, _name, lambda self, axis=None, dtype=None, out=None, keepdims=False, _function=_function:
            apply(_function, self, axis=axis, dtype=dtype, keepdims=keepdims, out=out))
for _name, _function in [("max", np.max), ("min", np.min), ("all", np.all), ("any", np.any), ("argmax", np.argmax),
                         ("argmin", np.argmin)]:
    setattr(ndarray, _name, lambda self, axis=None, out=None, keepdims=False, _function=_function:
            apply(_function, self, axis=axis, keepdims=keepdims, out=out))
for _name, _convert in [("bool", bool), ("int", int), ("float", float), ("complex", complex), ("repr", repr),
                        ("str", str)]:  # through a copy to the host, as CuPy's
    setattr(ndarray, f"__{_name}__", lambda self, _convert=_convert: _convert(self.get()))
for _name, _ufunc in [("neg", np.negative), ("pos", np.positive), ("abs", np.absolute), ("invert", np.invert)]:
    setattr(ndarray, f"__{_name}__", lambda self, _ufunc=_ufunc: apply(_ufunc, self))
