"""The layer rules of docs/architecture.md, read from the package's own imports.

Every ``import`` in ``lstm_shapes`` (module level, inside functions and under
``TYPE_CHECKING`` alike) is an edge of the graph. The rules: a module imports only from its
own layer or a lower one, never from a sibling layer it is kept independent of; torch only
under ``probe/`` (also through ``probe.runtime.import_torch``), rich only under ``render/``, typer only under ``cli/``; no import cycles;
no ``_private`` name taken from another module. The second half of this file feeds the same
checker a bad graph, to show that it can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lstm_shapes"

#: Lowest first. A module may import its own layer and the layers before it.
LAYERS = ("base", "spec", "theory", "report", "probe", "teach", "render", "api", "cli")

#: (importer layer, imported layer) pairs that are forbidden although the order allows them:
#: torch runs are started by the api, never by the page builders or the renderers.
INDEPENDENT = {("teach", "probe"), ("render", "probe"), ("render", "api")}

#: Third-party packages and the one layer allowed to import each.
OWNED = {"torch": "probe", "rich": "render", "typer": "cli"}


def layer_of(module: str) -> str:
    """The layer of a module of the package, from its dotted name."""
    parts = module.split(".")
    if parts[0] != "lstm_shapes":
        raise ValueError(module)
    # testing: assert_lstm_shapes; pytest_plugin: loaded by pytest, calls the api
    if len(parts) == 1 or parts[1] in ("api", "testing", "pytest_plugin"):
        return "api"
    if parts[1] in ("errors", "_version"):
        return "base"
    if parts[1] == "__main__":
        return "cli"
    if parts[1] in LAYERS:
        return parts[1]
    raise ValueError(f"{module} is in no layer: put it in a sub-package or in LAYERS")


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    names: tuple[str, ...]
    line: int


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def edges_of(path: Path, known: set[str]) -> list[Edge]:
    importer = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Edge] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Edge(importer, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(importer, path.name == "__init__.py", node)
            for alias in node.names:
                # `from lstm_shapes.probe import forward` imports a module, not a name.
                if f"{source}.{alias.name}" in known:
                    found.append(Edge(importer, f"{source}.{alias.name}", (), node.lineno))
                else:
                    found.append(Edge(importer, source, (alias.name,), node.lineno))
    return found


def package_graph() -> list[Edge]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    return [edge for p in paths for edge in edges_of(p, known)]


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(edges: Iterable[Edge]) -> list[str]:
    """Every broken rule, one line each, ``importer:line -> imported: why``."""
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for edge in edges:
        where = f"{edge.importer}:{edge.line} -> {edge.imported}"
        top = edge.imported.split(".")[0]
        if top in OWNED and layer_of(edge.importer) != OWNED[top]:
            problems.append(f"{where}: only {OWNED[top]}/ may import {top}")
        if top != "lstm_shapes":
            continue
        # A package's __init__ re-exports its own modules: the parent edge is not a cycle.
        if not edge.imported.startswith(edge.importer + ".") and edge.imported != edge.importer:
            graph.setdefault(edge.importer, set()).add(edge.imported)
        mine, theirs = layer_of(edge.importer), layer_of(edge.imported)
        if LAYERS.index(theirs) > LAYERS.index(mine):
            problems.append(f"{where}: {mine}/ imports the higher layer {theirs}/")
        elif (mine, theirs) in INDEPENDENT:
            problems.append(f"{where}: {mine}/ is kept independent of {theirs}/")
        if "import_torch" in edge.names and mine != "probe":
            problems.append(f"{where}: only probe/ may use torch (import_torch)")
        private = [n for n in edge.names if n.startswith("_") and not n.startswith("__")]
        if private:
            problems.append(f"{where}: imports private {', '.join(private)}")
    problems += [f"cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return problems


#: Known breaks of the rules, each owned by an open issue (none today). A line is removed
#: when its break is mended: the test fails while a listed break no longer occurs.
KNOWN: set[str] = set()


def _without_line(problem: str) -> str:
    if problem.startswith("cycle: "):
        return problem
    head, _, rest = problem.partition(" -> ")
    return f"{head.rsplit(':', 1)[0]} -> {rest}" if rest else problem


def test_the_package_keeps_its_layer_rules() -> None:
    problems = {_without_line(p) for p in violations(package_graph())}
    assert not problems - KNOWN, "\n".join(sorted(problems - KNOWN))
    assert not KNOWN - problems, "mended, remove from KNOWN:\n" + "\n".join(KNOWN - problems)


def test_every_module_is_in_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))


# The checker itself, on graphs that break each rule.


def _edge(importer: str, imported: str, *names: str) -> Edge:
    return Edge(importer, imported, names, 1)


@pytest.mark.parametrize(
    ("edge", "problem"),
    [
        (
            _edge("lstm_shapes.theory.shapes", "torch"),
            "lstm_shapes.theory.shapes:1 -> torch: only probe/ may import torch",
        ),
        (
            _edge("lstm_shapes.report.explain", "rich.table"),
            "lstm_shapes.report.explain:1 -> rich.table: only render/ may import rich",
        ),
        (
            _edge("lstm_shapes.api", "typer"),
            "lstm_shapes.api:1 -> typer: only cli/ may import typer",
        ),
        (
            _edge("lstm_shapes.spec.core", "lstm_shapes.probe.forward"),
            "lstm_shapes.spec.core:1 -> lstm_shapes.probe.forward: spec/ imports the higher "
            "layer probe/",
        ),
        (
            _edge("lstm_shapes.render.table", "lstm_shapes.probe.forward"),
            "lstm_shapes.render.table:1 -> lstm_shapes.probe.forward: render/ is kept "
            "independent of probe/",
        ),
        (
            _edge("lstm_shapes.probe.packed", "lstm_shapes.probe.forward", "_tolerance"),
            "lstm_shapes.probe.packed:1 -> lstm_shapes.probe.forward: imports private _tolerance",
        ),
        (
            _edge("lstm_shapes.api", "lstm_shapes.probe.runtime", "import_torch"),
            "lstm_shapes.api:1 -> lstm_shapes.probe.runtime: only probe/ may use torch "
            "(import_torch)",
        ),
        (
            _edge("lstm_shapes.theory.shapes", "lstm_shapes"),
            "lstm_shapes.theory.shapes:1 -> lstm_shapes: theory/ imports the higher layer api/",
        ),
    ],
)
def test_the_checker_sees_a_broken_rule(edge: Edge, problem: str) -> None:
    assert violations([edge]) == [problem]


def test_the_checker_sees_a_cycle() -> None:
    edges = [
        _edge("lstm_shapes.probe.packed", "lstm_shapes.probe.forward"),
        _edge("lstm_shapes.probe.forward", "lstm_shapes.probe.packed"),
        _edge("lstm_shapes.probe.measure", "lstm_shapes.probe.forward"),
    ]
    assert violations(edges) == [
        "cycle: lstm_shapes.probe.forward -> lstm_shapes.probe.packed",
    ]


def test_the_checker_reads_real_source(tmp_path: Path) -> None:
    source = tmp_path / "lstm_shapes" / "theory" / "bad.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    import torch\n    from ..probe.forward import _x\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "lstm_shapes"
    try:
        edges = edges_of(source, set())
    finally:
        PACKAGE = saved
    assert violations(edges) == [
        "lstm_shapes.theory.bad:2 -> torch: only probe/ may import torch",
        "lstm_shapes.theory.bad:3 -> lstm_shapes.probe.forward: theory/ imports the higher "
        "layer probe/",
        "lstm_shapes.theory.bad:3 -> lstm_shapes.probe.forward: imports private _x",
    ]
