"""Graphs: variables, applies, ops, traversal, and ``clone_replace``."""
from .replace import clone_replace
