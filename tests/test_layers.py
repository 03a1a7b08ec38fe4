"""gpugrad's layers (CONTRIBUTING.md, "Layers"): a package imports only from its own layer and
the layers before it in ``LAYERS``, at module level and inside functions alike, so there is no
import cycle among packages. Every module is parsed; nothing is imported."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "gpugrad"
LAYERS = [
    {"config", "errors", "utils"},
    {"graph"},
    {"types"},
    {"codegen"},
    {"backends"},
    {"runtime"},
    {"ops"},
    {"ifelse", "printing"},
    {"linalg"},
    {"autodiff"},
    {"rewrites"},
    {"compile"},
    {"scan"},
    {"scalar", "testing", "gradient", "gof"},
    {"tensor", "sandbox"},
    {"gpugrad"},  # the package's own __init__: the public names
    {"bench", "distributed"},
]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _part(module):
    """The layer name of a dotted module name: its first component below ``gpugrad``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "gpugrad"


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path.name == "__init__.py"


def _imported(tree, module, is_package):
    """``(line, dotted name)`` of every gpugrad module a parsed module imports, anywhere in it."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "gpugrad")
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names] if node.module is None else [base]
            yield from ((node.lineno, name) for name in names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "gpugrad":
            yield node.lineno, node.module


def test_every_package_has_a_layer():
    assert {_part(module) for _, module, _ in _modules()} <= set(RANK)


def test_no_package_imports_from_a_later_layer():
    upward = []
    for path, module, is_package in _modules():
        for line, target in _imported(ast.parse(path.read_text()), module, is_package):
            source, target_part = _part(module), _part(target)
            if RANK.get(target_part, -1) > RANK[source]:
                upward.append(f"{path.relative_to(ROOT.parent)}:{line}: {source} imports {target}")
    assert not upward, "imports from a later layer:\n" + "\n".join(upward)


@pytest.mark.parametrize("code,expected", [("from ..compile import function", ["gpugrad.compile"]),
                                           ("def f():\n    from ...scan.op import Scan", ["gpugrad.scan.op"]),
                                           ("import gpugrad.tensor as T", ["gpugrad.tensor"])])
def test_imports_inside_functions_count(code, expected):
    module = "gpugrad.ops.shape" if "..." not in code else "gpugrad.ops.sub.shape"
    assert [name for _, name in _imported(ast.parse(code), module, False)] == expected
