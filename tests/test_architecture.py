"""The package's import graph: no cycles, no private names reached across packages.

Every ``import`` and ``from ... import`` in ``src/portlab`` counts, at module level and inside
functions alike (a function-level import is still a dependency, it is only paid later); only
``if TYPE_CHECKING:`` blocks are left out, as they never run. ``from a import b`` is an edge to
the module ``a.b`` when that is a module, to ``a`` otherwise.

Private means a name or a module component starting with ``_`` (dunders excepted). A private
module or name may be used within the package (folder) that holds it, never from another one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "portlab"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _package(module: str) -> str:
    """The package (folder) a module lives in: itself for an ``__init__``."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            stack.append(child)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package(module).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _edges() -> dict[str, set[tuple[str, str]]]:
    """module -> {(imported module, the name imported from it or "")}."""
    edges: dict[str, set[tuple[str, str]]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "portlab":
                        edges[module].add((alias.name, ""))
                continue
            target = _resolve(module, node)
            if target.split(".")[0] != "portlab":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                edges[module].add((sub, "") if sub in MODULES else (target, alias.name))
    return edges


EDGES = _edges()


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    graph = {m: sorted({t for t, _ in ts if t in MODULES}) for m, ts in EDGES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:  # Tarjan; the graph is a few hundred nodes deep at most
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_package():
    assert "portlab.engine.coordinator" in MODULES
    assert ("portlab.exceptions", "DataError") in EDGES["portlab.market"]


def test_no_import_cycles():
    assert _cycles() == []


def _owner(target: str, name: str) -> str | None:
    """The package that owns the first private part of ``target`` (+ ``name``), or None."""
    parts = target.split(".")
    for k, part in enumerate(parts[1:], start=1):
        if _private(part):
            return ".".join(parts[:k])
    if name and _private(name):
        return _package(target) if target in MODULES else target
    return None


def test_no_private_names_imported_across_packages():
    bad = sorted(
        f"{module} imports {target}{'.' + name if name else ''}"
        for module, targets in EDGES.items()
        for target, name in targets
        if (owner := _owner(target, name)) is not None and owner != _package(module)
    )
    assert bad == []


_NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def _own_attributes(tree: ast.AST) -> set[str]:
    """Private attributes a module's own code defines or uses on ``self``/``cls``, its classes'
    and functions' names, the names its class bodies assign and ``__slots__`` entries: reading
    them on another instance of the module's own class (``new._cash``) stays within the module,
    and a subclass overriding its base's hook may extend the base's value
    (``_resources = {**Base._resources, ...}``)."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            own.add(node.name)
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else []
                own.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in {"self", "cls"}:
                own.add(node.attr)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "__slots__":
                    own.update(
                        c.value
                        for c in ast.walk(node.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    )
    return own


def test_no_private_attributes_read_across_modules():
    """``other._name`` naming a private attribute the module does not own: reaching into an
    object of another module. (``sys._getframe`` and namedtuple's ``_replace`` are public APIs.)"""
    bad = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        own = _own_attributes(tree) | _NAMEDTUPLE_API
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            if node.attr in own or (isinstance(node.value, ast.Name) and node.value.id == "sys"):
                continue
            bad.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert bad == []
