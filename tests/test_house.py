"""The house rules of docs/architecture.md: small rooms, short functions, no import up a floor."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100
SOURCES = sorted([*(ROOT / "gpu_stress").rglob("*.py"), *(ROOT / "kernels").glob("*.py")])


# What each floor may import from gpu_stress (its own package included); anything else runs up a floor.
MAY_IMPORT = {
    "gpu_stress/results": {"arrays", "blocks", "config", "errors", "kernels", "results", "scenarios"},
    "gpu_stress/config": {"blocks", "config", "errors", "kernels", "params"},
    "gpu_stress/blocks": {"blocks", "config.types", "kernels"},
    "gpu_stress/backends": {"arrays", "backends", "errors", "kernels", "machine"},
    "kernels": {"kernels"},  # the device code stands alone
}


def relative(path):
    return path.relative_to(ROOT).as_posix()


def gpu_stress_imports(path):
    """The gpu_stress modules ``path`` imports (at any depth of the code), as dotted names below gpu_stress."""
    package = relative(path).removesuffix(".py").split("/")
    package = ["gpu_stress", *package[1:-1]] if package[0] == "gpu_stress" else ["gpu_stress", "kernels"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names = (
                    [".".join([*base, node.module])] if node.module else [".".join([*base, a.name]) for a in node.names]
                )
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.removeprefix("gpu_stress.") for name in names if name and name.startswith("gpu_stress.")}
    return found


@pytest.mark.parametrize("path", SOURCES, ids=relative)
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


def test_no_function_is_over_100_lines():
    long = {
        f"{relative(path)}:{node.name}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert not long


@pytest.mark.parametrize("floor", list(MAY_IMPORT))
def test_no_import_runs_up_a_floor(floor):
    allowed = MAY_IMPORT[floor]
    above = {}
    for path in SOURCES:
        if not relative(path).startswith(floor + "/"):
            continue
        for module in gpu_stress_imports(path):
            if not any(module == name or module.startswith(name + ".") for name in allowed):
                above.setdefault(relative(path), []).append(module)
    assert above == {}


def test_the_floor_check_sees_imports_at_any_depth():
    """api.run imports the engine inside the function (``from . import engine``); the check sees it."""
    assert "engine" in gpu_stress_imports(ROOT / "gpu_stress" / "api.py")
    assert "results.verify" in gpu_stress_imports(ROOT / "gpu_stress" / "cli" / "main.py")  # ``from ..results.verify``


@pytest.mark.parametrize("path", sorted((ROOT / "gpu_stress" / "cli").glob("*.py")), ids=relative)
def test_the_cli_computes_nothing_on_results(path):
    """The CLI parses, calls the API and renders: it imports no array library and no aggregation."""
    imports = {
        alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imports |= {node.module or "" for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ImportFrom)}
    computing = {name for name in imports if name.split(".")[0] in {"numpy", "pyarrow", "polars", "pandas"}}
    computing |= {name for name in gpu_stress_imports(path) if name in {"results.aggregates.compute", "tables"}}
    assert not computing
