"""Namespaces and veth links of the lab, seen from the root namespace."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from infra.lab.paths import NS_FILES, NS_PREFIX, ROOT_LINK_PREFIX, netns_name
from infra.lab.sh import ip_batch, ns_argv, run


def lab_namespaces() -> list[str]:
    """Every network namespace of the lab (by prefix: found even if the inventory changed)."""
    d = Path("/run/netns")
    return sorted(p.name for p in d.iterdir() if p.name.startswith(NS_PREFIX)) if d.is_dir() else []


def netns_argv(nodes: Iterable[str]) -> dict[str, list[str]]:
    """For each of `nodes` whose network namespace is up, the argv prefix that runs a command in
    it (its network only: the command sees this machine's files). Nodes that are not up are left
    out. What the monitoring stack uses to start its lab stand-ins beside the nodes."""
    up = set(lab_namespaces())
    return {node: ns_argv(node, mount=False) for node in nodes if netns_name(node) in up}


def root_links() -> set[str]:
    out = run(["ip", "-o", "link", "show"]).stdout
    names = set()
    for line in out.splitlines():
        name = line.split(":", 2)[1].strip().split("@")[0]
        names.add(name)
    return names


def lab_root_links() -> list[str]:
    return sorted(n for n in root_links() if n.startswith(ROOT_LINK_PREFIX) and not n.startswith("lo"))


def links_in(netns: str) -> set[str]:
    out = run(["ip", "-n", netns, "-o", "link", "show"], check=False).stdout
    return {line.split(":", 2)[1].strip().split("@")[0] for line in out.splitlines() if ":" in line}


def ensure_ns_files_dir() -> None:
    """The directory that holds the nodes' mount/UTS namespace files must be a private mount,
    or bind-mounting a namespace file into it would loop through propagation."""
    NS_FILES.mkdir(parents=True, exist_ok=True)
    if not is_mountpoint(NS_FILES):
        run(["mount", "--bind", str(NS_FILES), str(NS_FILES)])
    run(["mount", "--make-private", str(NS_FILES)])


def add_namespaces(names: list[str]) -> list[str]:
    return ip_batch([f"netns add {n}" for n in names])


def pids_in(netns: str) -> list[int]:
    out = run(["ip", "netns", "pids", netns], check=False).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def ns_file_mounts() -> list[str]:
    """Mount points of the lab under /run/infra-lab (namespace files and the directory itself)."""
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4]
        if mp.startswith(str(NS_FILES.parent)):
            out.append(mp)
    return out


def is_mountpoint(path: Path) -> bool:
    """From /proc/self/mountinfo: os.path.ismount misses a directory bound over itself."""
    target = str(path)
    return any(line.split()[4] == target for line in Path("/proc/self/mountinfo").read_text().splitlines())
