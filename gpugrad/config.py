"""Global settings: ``gpugrad.config.floatX``, ``.device``, ``.optimizer``, ``.mode``, ``.sync_launches``,
``.cuda_graphs``, ``.profile``, ``.cpu_codegen``, ``.cpu_threads``, ``.cpu_compile_after``, ``.quiet``, ...

``change_flags`` is a context manager that restores the previous values, so tests
and user code can switch a setting for one block without leaking it.

Theano's ``warn.*`` flags (``config.warn.subtensor_merge_bug = False``, or PyTensor's
spelling ``config.warn__subtensor_merge_bug``) silence warnings about bugs of old Theano
versions that gpugrad never had: any name is accepted and stored, and has no effect.
"""
import contextlib
import os

_CHOICES = {
    "floatX": ("float64", "float32"),
    "optimizer": ("fast_run", "fast_compile", "None"),
    "compute_test_value": ("off", "ignore", "warn", "raise"),
    "exception_verbosity": ("low", "high"),
    "print_test_value": (False, True),
    "sync_launches": (False, True),  # functions compiled while True wait after every device node
    "cuda_graphs": (False, True),    # functions compiled while True replay their launches as CUDA graphs
    "profile": (False, True),        # functions compiled while True time every node (Theano's flag)
    "cpu_codegen": (False, True),    # functions compiled while True run fused CPU regions as generated C++
    "quiet": (False, True),          # True: no line when a kernel compiles
}
_WARN = "warn__"


class _WarnFlags:
    """``config.warn``: Theano's namespace of ``warn.*`` flags; any name may be set."""

    def __init__(self, values):
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name):
        return self._values.get(_WARN + name, False)

    def __setattr__(self, name, value):
        self._values[_WARN + name] = value


class Config:
    def __init__(self):
        object.__setattr__(self, "_values", {
            "floatX": os.environ.get("GPUGRAD_FLOATX", "float64"),
            "device": os.environ.get("GPUGRAD_DEVICE", "auto"),
            "optimizer": "fast_run",
            "mode": "Mode",  # Theano's default: the optimizer named by config.optimizer
            "compute_test_value": "off",
            "print_test_value": False,
            "exception_verbosity": "low",
            "sync_launches": os.environ.get("GPUGRAD_SYNC_LAUNCHES", "0") not in ("", "0"),
            "cuda_graphs": os.environ.get("GPUGRAD_CUDA_GRAPHS", "1") not in ("", "0"),
            "profile": os.environ.get("GPUGRAD_PROFILE", "0") not in ("", "0"),
            "cpu_codegen": os.environ.get("GPUGRAD_CPU_CODEGEN", "1") not in ("", "0"),
            "cpu_threads": int(os.environ.get("GPUGRAD_CPU_THREADS", "0")),  # 0: every core this process may use
            # elements a fused CPU region computes with NumPy before its C++ kernel is built (in
            # the background); 0: build it at the first call and wait for it
            "cpu_compile_after": int(os.environ.get("GPUGRAD_CPU_COMPILE_AFTER", str(1 << 18))),
            "quiet": os.environ.get("GPUGRAD_QUIET", "0") not in ("", "0"),
        })

    def __getattr__(self, name):
        if name == "warn":
            return _WarnFlags(self._values)
        try:
            return self._values[name]
        except KeyError:
            if name.startswith(_WARN):
                return False
            raise AttributeError(f"gpugrad.config has no setting {name!r}") from None

    def __setattr__(self, name, value):
        if name not in self._values and not name.startswith(_WARN):
            raise AttributeError(f"gpugrad.config has no setting {name!r}")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ValueError(f"config.{name} must be one of {_CHOICES[name]}, got {value!r}")
        self._values[name] = value

    def __str__(self):
        return "\n".join(f"{name} = {value!r}" for name, value in self._values.items())

    @contextlib.contextmanager
    def change_flags(self, **flags):
        old = {name: getattr(self, name) for name in flags}
        try:
            for name, value in flags.items():
                setattr(self, name, value)
            yield self
        finally:
            self._values.update(old)


config = Config()
