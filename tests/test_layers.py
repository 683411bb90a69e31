"""The import picture (README "Layout"): imports point one way, down the layers, and nothing
imports in a circle. Read from the source with `ast`, so a deferred import inside a function
counts the same as one at the top: hiding an arrow does not remove it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each package may import only from those listed (and from itself). Leaves shared by all:
# infra (the version), infra.xconfig (pure text), infra.results, infra.safety, infra.state.
SHARED = {"infra", "infra.xconfig", "infra.results", "infra.safety", "infra.state"}
ALLOWED = {
    "infra.inventory": set(),
    "infra.render": {"infra.inventory"},
    "infra.drivers": {"infra.inventory"},
    "infra.journal": set(),
    "infra.lab": {"infra.inventory", "infra.render"},
    # the monitoring generator is pure like render; the Ansible bridge hands its output to a role
    "infra.monitoring": {"infra.inventory", "infra.lab"},
    "infra.ansible": {"infra.inventory", "infra.monitoring"},
    "infra.deploy": {"infra.inventory", "infra.render", "infra.drivers", "infra.journal"},
    "infra.audit": {"infra.inventory", "infra.render", "infra.drivers", "infra.ansible"},
    "infra.backup": {
        *("infra.inventory", "infra.render", "infra.drivers", "infra.ansible", "infra.journal"),
        "infra.deploy",  # a restore is a deploy of a past configuration
    },
    "infra.oncall": {"infra.inventory", "infra.journal", "infra.monitoring", "infra.audit"},
    "infra.vc": {
        *("infra.inventory", "infra.render", "infra.drivers", "infra.journal", "infra.lab"),
        *("infra.monitoring", "infra.audit", "infra.deploy"),
    },
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, wherever the import stands, except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def _graph(top: str) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / top).rglob("*.py")}
    return {m: {i for i in _imports(p) if i in files and i != m} for m, p in files.items()}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_exporters_never_import_infra() -> None:
    files = {_module_name(p): p for p in (ROOT / "exporters").rglob("*.py")}
    wrong = sorted(
        f"{m} imports {i}" for m, p in files.items() for i in _imports(p) if i.split(".")[0] == "infra"
    )
    assert not wrong, wrong


def test_every_import_points_down_the_layers() -> None:
    graph = _graph("infra")
    wrong = []
    for module, targets in graph.items():
        mine = _package(module)
        for target in targets:
            theirs = _package(target)
            if theirs == mine or theirs in SHARED or target in SHARED:
                continue
            if theirs == "infra.cli":
                wrong.append(f"{module} imports the CLI ({target})")
            elif mine not in ALLOWED and mine not in SHARED and mine != "infra.cli":
                wrong.append(f"{mine} is in no layer: add it to ALLOWED (and to README's Layout)")
            elif mine in ALLOWED and theirs not in ALLOWED[mine]:
                wrong.append(f"{module} imports {target}")
    assert not sorted(wrong), sorted(wrong)


def test_audit_opens_devices_through_the_drivers_not_deploy() -> None:
    graph = _graph("infra")
    wrong = sorted(
        f"{m} -> {t}"
        for m, ts in graph.items()
        if m.startswith("infra.audit")
        for t in ts
        if t.startswith("infra.deploy")
    )
    assert not wrong, wrong


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


@pytest.mark.parametrize("top", ["infra", "exporters"])
def test_no_module_imports_in_a_circle(top: str) -> None:
    assert _cycles(_graph(top)) == []


def test_no_package_imports_in_a_circle() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in _graph("infra").items():
        packages.setdefault(_package(module), set()).update(
            _package(t) for t in targets if _package(t) != _package(module)
        )
    assert _cycles(packages) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_400_lines() -> None:
    long = sorted(
        f"{p.relative_to(ROOT)}: {n} lines"
        for top in ("infra", "exporters")
        for p in (ROOT / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    )
    assert not long, long
