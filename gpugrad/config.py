"""Global settings: ``gpugrad.config.floatX``, ``.device``, ``.optimizer``, ``.sync_launches``.

``change_flags`` is a context manager that restores the previous values, so tests
and user code can switch a setting for one block without leaking it.
"""
import contextlib
import os

_CHOICES = {
    "floatX": ("float64", "float32"),
    "optimizer": ("fast_run", "fast_compile", "None"),
    "sync_launches": (False, True),  # functions compiled while True wait after every device node
}


class Config:
    def __init__(self):
        object.__setattr__(self, "_values", {
            "floatX": os.environ.get("GPUGRAD_FLOATX", "float64"),
            "device": os.environ.get("GPUGRAD_DEVICE", "auto"),
            "optimizer": "fast_run",
            "sync_launches": os.environ.get("GPUGRAD_SYNC_LAUNCHES", "0") not in ("", "0"),
        })

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"gpugrad.config has no setting {name!r}") from None

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"gpugrad.config has no setting {name!r}")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ValueError(f"config.{name} must be one of {_CHOICES[name]}, got {value!r}")
        self._values[name] = value

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
