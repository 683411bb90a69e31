"""The Ansible YAML inventory layout: `hosts.yml`, `group_vars/`, `host_vars/`.

Builds groups, hosts and each host's variables with Ansible's precedence (group `all`, then
parent groups before their children, then the host; `*_vars` files over the inventory file)
so that `infra` sees exactly what `ansible-inventory --list` sees. Each variable keeps the
place it was written, for error messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.inventory.errors import InventoryError, Problem
from infra.inventory.source import Origin, load_yaml

YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class Group:
    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)


@dataclass
class RawInventory:
    """Groups and hosts as Ansible sees them, before any typing."""

    root: Path
    groups: dict[str, Group]
    host_order: list[str]
    host_vars: dict[str, dict[str, Any]]
    host_origins: dict[str, dict[str, Origin]]
    host_groups: dict[str, list[str]]
    hosts_file: Path | None = None
    host_set: set[str] = field(default_factory=set)
    membership: set[tuple[str, str]] = field(default_factory=set)
    depth: dict[str, int] = field(default_factory=dict)

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)


class _VarsDir:
    """`group_vars/` or `host_vars/`, listed once (5,000 hosts would otherwise cost 20,000 stats)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        try:
            self.entries = {e.name: e for e in os.scandir(base)}
        except OSError:  # no such directory
            self.entries = {}

    def files(self, name: str) -> list[Path]:
        """`<name>.yml` or every YAML file under `<name>/`, sorted like Ansible."""
        out: list[Path] = []
        for suffix in ("", *YAML_SUFFIXES):
            entry = self.entries.get(f"{name}{suffix}")
            if entry is None or not entry.is_file():
                continue
            candidate = self.base / entry.name
            if suffix or candidate.suffix in YAML_SUFFIXES or not candidate.suffix:
                out.append(candidate)
        entry = self.entries.get(name)
        if entry is not None and entry.is_dir():
            folder = self.base / name
            out.extend(sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES))
        return out


def _hosts_file(root: Path) -> Path:
    if root.is_file():
        return root
    for name in ("hosts.yml", "hosts.yaml"):
        if (root / name).is_file():
            return root / name
    raise InventoryError([Problem("no hosts.yml found", str(root))])


def read_layout(path: Path) -> RawInventory:
    """Read the inventory directory (or a single hosts file) into groups and host variables."""
    root = path.resolve()
    if not root.exists():
        raise InventoryError([Problem("inventory does not exist", str(path))])
    hosts_file = _hosts_file(root)
    inv_dir = hosts_file.parent
    raw = RawInventory(inv_dir, {"all": Group("all"), "ungrouped": Group("ungrouped")}, [], {}, {}, {})
    problems: list[Problem] = []
    raw.hosts_file = hosts_file
    hosts_path = hosts_file
    display = raw.display(hosts_file)
    data = load_yaml(hosts_file, display)
    if not isinstance(data, dict) or "all" not in data:
        raise InventoryError([Problem("must be a mapping with a top-level 'all' group", display)])
    inline_host_vars: dict[str, list[tuple[dict[str, Any], str]]] = {}
    _walk_group("all", data["all"], raw, inline_host_vars, display, problems)
    if problems:
        raise InventoryError(problems)
    all_group = raw.groups["all"]
    for g in raw.groups.values():
        if g.name not in ("all", "ungrouped") and not g.parents:
            g.parents.append("all")
            all_group.children.append(g.name)
    direct: dict[str, list[str]] = {}
    for g in raw.groups.values():
        for h in g.hosts:
            direct.setdefault(h, []).append(g.name)
    for host in raw.host_order:
        if not [g for g in direct.get(host, ()) if g != "all"]:
            raw.groups["ungrouped"].hosts.append(host)
            direct.setdefault(host, []).append("ungrouped")
    if raw.groups["ungrouped"].hosts or "ungrouped" not in all_group.children:
        all_group.children.append("ungrouped")
        raw.groups["ungrouped"].parents = ["all"]

    raw.depth = _depths(raw)
    # group_vars/ files override the variables written in hosts.yml
    group_vars, host_vars = _VarsDir(inv_dir / "group_vars"), _VarsDir(inv_dir / "host_vars")
    for g in raw.groups.values():
        for f in group_vars.files(g.name):
            _merge_file_into(g.vars, g.origins, f, raw)

    ancestry_cache: dict[tuple[str, ...], list[str]] = {}
    for host in raw.host_order:
        merged: dict[str, Any] = {}
        origins: dict[str, Origin] = {}
        chain = _ancestry(direct.get(host, []), raw, ancestry_cache)
        raw.host_groups[host] = [g for g in chain if g != "all"]
        for gname in chain:
            g = raw.groups[gname]
            merged.update(g.vars)
            origins.update(g.origins)
        for values, where in inline_host_vars.get(host, []):
            merged.update(values)
            origins.update({k: Origin(where, k, hosts_path) for k in values})
        for f in host_vars.files(host):
            _merge_file_into(merged, origins, f, raw)
        raw.host_vars[host] = merged
        raw.host_origins[host] = origins
    return raw


def _merge_file_into(target: dict[str, Any], origins: dict[str, Origin], f: Path, raw: RawInventory) -> None:
    display = raw.display(f)
    data = load_yaml(f, display)
    if data is None:
        return
    if not isinstance(data, dict):
        raise InventoryError([Problem("must be a mapping of variables", display)])
    target.update(data)
    for k in data:
        origins[k] = Origin(display, k, f)


def _walk_group(
    name: str,
    body: Any,
    raw: RawInventory,
    inline: dict[str, list[tuple[dict[str, Any], str]]],
    display: str,
    problems: list[Problem],
) -> None:
    group = raw.groups.setdefault(name, Group(name))
    if body is None:
        return
    if not isinstance(body, dict):
        problems.append(Problem(f"group {name!r} must be a mapping", display))
        return
    for key in body:
        if key not in ("hosts", "children", "vars"):
            line = Origin(display, key, raw.hosts_file).line
            problems.append(
                Problem(
                    f"group {name!r} has unknown key {key!r} (expected hosts, children, vars)", display, line
                )
            )
    for host, hvars in (body.get("hosts") or {}).items():
        if host not in raw.host_set:
            raw.host_set.add(host)
            raw.host_order.append(host)
        if (name, host) not in raw.membership:
            raw.membership.add((name, host))
            group.hosts.append(host)
        if hvars:
            inline.setdefault(host, []).append((hvars, display))
    gvars = body.get("vars") or {}
    group.vars.update(gvars)
    for k in gvars:
        group.origins[k] = Origin(display, k, raw.hosts_file)
    for child, cbody in (body.get("children") or {}).items():
        child_group = raw.groups.setdefault(child, Group(child))
        if child not in group.children:
            group.children.append(child)
        if name not in child_group.parents:
            child_group.parents.append(name)
        _walk_group(child, cbody, raw, inline, display, problems)


def _depths(raw: RawInventory) -> dict[str, int]:
    depth: dict[str, int] = {"all": 0}
    frontier = ["all"]
    while frontier:
        nxt = []
        for g in frontier:
            for c in raw.groups[g].children:
                if depth.get(c, -1) < depth[g] + 1:
                    depth[c] = depth[g] + 1
                    nxt.append(c)
        frontier = nxt
    return depth


def _ancestry(direct: list[str], raw: RawInventory, cache: dict[tuple[str, ...], list[str]]) -> list[str]:
    """Groups of a host ordered the way Ansible applies their variables (shallow first, then name)."""
    key = tuple(direct)
    if key in cache:
        return cache[key]
    seen: set[str] = set()
    stack = list(direct)
    while stack:
        g = stack.pop()
        if g in seen:
            continue
        seen.add(g)
        stack.extend(raw.groups[g].parents)
    seen.add("all")
    cache[key] = sorted(seen, key=lambda g: (raw.depth.get(g, 1), g))
    return cache[key]
