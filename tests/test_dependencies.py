"""Every runtime dependency of ``pyproject.toml`` is used by ``src/portlab``.

A dependency is used when a module of the package (at module level or inside a function;
``if TYPE_CHECKING:`` blocks do not count, they never run):

* imports one of its top-level modules (the names the installed distribution provides, from
  ``importlib.metadata.packages_distributions()``: ``pyportfolioopt`` → ``pypfopt``,
  ``pyyaml`` → ``yaml``, ``psycopg[binary]`` → ``psycopg``, ``dask[distributed]`` → ``dask``);
* or loads or launches one of them by name: ``importlib.import_module("x")``,
  ``importlib.util.find_spec("x")``, or a command holding ``"-m", "x"`` (``portlab lab``
  starts ``python -m jupyterlab``; the dashboard looks for ``xlsxwriter``, pandas' Excel
  engine).

Two dependencies are applications that run portlab's code, not libraries it calls; each is
listed in :data:`HOSTS` with the reason, and the test checks that the reason still holds:

* ``jupyter-server-proxy`` loads portlab's ``jupyter_serverproxy_servers`` entry points (the
  dashboard and the console in JupyterLab's launcher);
* ``ipykernel`` is the ``python3`` kernel in which ``portlab report`` runs its notebooks
  (papermill starts it as a process).

A dependency nothing uses fails the test: drop it, or move it to an extra.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "portlab"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    """``"dask[distributed]>=2024.8"`` → ``"dask"`` (the distribution, extras dropped)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return _normal(match.group(1))


def _serverproxy_loads_our_entry_points() -> bool:
    group = "jupyter_serverproxy_servers"
    if group not in PYPROJECT["project"].get("entry-points", {}):
        return False
    files = importlib.metadata.files("jupyter-server-proxy") or []
    return any(
        f.suffix == ".py"
        and group in Path(f.locate()).read_text(encoding="utf-8", errors="replace")
        for f in files
    )


def _ipykernel_is_the_report_kernel() -> bool:
    runner = (SRC / "reports" / "runner.py").read_text(encoding="utf-8")
    files = importlib.metadata.files("ipykernel") or []
    spec = any(str(f).endswith("kernels/python3/kernel.json") for f in files)
    return 'kernel_name="python3"' in runner and spec


#: dependencies that run portlab's code rather than being called by it: the reason, and a
#: check that it still holds
HOSTS = {
    "jupyter-server-proxy": (
        "loads portlab's jupyter_serverproxy_servers entry points (launcher entries of the "
        "dashboard and the console in JupyterLab)",
        _serverproxy_loads_our_entry_points,
    ),
    "ipykernel": (
        "provides the 'python3' kernel in which `portlab report` runs its notebooks "
        "(reports/runner.py, kernel_name='python3')",
        _ipykernel_is_the_report_kernel,
    ),
}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            yield child
            stack.append(child)


def _constant_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def used_modules() -> dict[str, set[str]]:
    """Top-level module → the files of ``src/portlab`` that import, load or launch it."""
    used: dict[str, set[str]] = {}

    def add(module: str, path: Path) -> None:
        used.setdefault(module.split(".")[0], set()).add(str(path.relative_to(SRC)))

    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name, path)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                add(node.module, path)
            elif isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                name = _constant_str(node.args[0])
                if name and func.endswith(("import_module", "find_spec")):
                    add(name, path)
            elif isinstance(node, ast.List | ast.Tuple):
                items = [_constant_str(e) for e in node.elts]
                for flag, module in zip(items, items[1:], strict=False):
                    if flag == "-m" and module:
                        add(module, path)
    return used


def _import_names() -> dict[str, set[str]]:
    """Distribution (normalised) → the top-level modules it installs."""
    names: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            names.setdefault(_normal(dist), set()).add(module)
    return names


RUNTIME = [_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]]


def test_the_scan_sees_imports_loads_and_launches():
    used = used_modules()
    assert "analytics/estimators/_returns.py" in used["pypfopt"]  # inside a function
    assert "cli/_lab.py" in used["jupyterlab"]  # find_spec and python -m jupyterlab
    assert "apps/dashboard.py" in used["xlsxwriter"]  # find_spec (pandas' Excel engine)
    assert "portlab" in used and "typing" in used
    assert _requirement_name("psycopg[binary]>=3.1") == "psycopg"
    assert _requirement_name("dask[distributed]>=2024.8") == "dask"


def test_every_runtime_dependency_is_used():
    used = used_modules()
    provides = _import_names()
    unused, not_installed = [], []
    for dist in RUNTIME:
        if dist in HOSTS:
            continue
        modules = provides.get(dist)
        if not modules:
            not_installed.append(dist)
        elif not modules & used.keys():
            unused.append(f"{dist} (provides {', '.join(sorted(modules))})")
    assert not not_installed, f"runtime dependencies not installed here: {not_installed}"
    assert not unused, (
        "runtime dependencies that no module of src/portlab imports, loads or launches: "
        f"{'; '.join(unused)} -- drop them from [project].dependencies or move them to an extra"
    )


def test_the_hosts_are_dependencies_for_the_stated_reason():
    for dist, (reason, holds) in HOSTS.items():
        assert dist in RUNTIME, f"{dist} is no longer a dependency: drop it from HOSTS"
        assert holds(), f"{dist}: the reason no longer holds: {reason}"
