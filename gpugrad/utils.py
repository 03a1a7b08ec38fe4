"""Helpers used across layers."""
import functools
import gc
import warnings


def report(mode, error, message, option, stacklevel=4):
    """Act on a problem as the user's ``option`` asks: raise ``error``, warn, or ignore."""
    if mode == "raise":
        raise error(message)
    if mode == "warn":
        warnings.warn(message, stacklevel=stacklevel)
    elif mode != "ignore":
        raise ValueError(f"{option} must be 'raise', 'warn' or 'ignore', got {mode!r}")


def cyclic_gc_paused(fn):
    """``fn`` with Python's cycle collector paused while it runs. Building and rewriting a graph
    makes cycles (a variable and its node refer to each other) by the hundred thousand, and
    collecting while they are all alive costs more than the work itself on a deep graph (the
    compile of a 50,000-op chain and its gradient: 44 s with it, 26 s without). Collection
    resumes when ``fn`` returns; a collector paused already (by the user, another thread)
    is left as it is."""
    @functools.wraps(fn)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return paused
