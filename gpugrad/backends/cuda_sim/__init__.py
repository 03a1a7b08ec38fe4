"""The CUDA simulator: the same CUDA C sources, compiled for the CPU under a shim header."""
from .backend import SimBackend

__all__ = ["SimBackend"]
