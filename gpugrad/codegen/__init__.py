"""Pure functions from graphs to CUDA C source strings (golden-tested, no GPU needed)."""
