"""Helpers used across layers."""
import warnings


def report(mode, error, message, option, stacklevel=4):
    """Act on a problem as the user's ``option`` asks: raise ``error``, warn, or ignore."""
    if mode == "raise":
        raise error(message)
    if mode == "warn":
        warnings.warn(message, stacklevel=stacklevel)
    elif mode != "ignore":
        raise ValueError(f"{option} must be 'raise', 'warn' or 'ignore', got {mode!r}")
