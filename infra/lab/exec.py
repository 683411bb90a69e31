"""`infra lab exec NODE -- CMD`: run a command inside a node (its network, UTS and mount
namespaces; a server's command runs chrooted in its overlay root)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from infra.lab.lock import require_root
from infra.lab.netns import lab_namespaces
from infra.lab.paths import netns_name, node_dir
from infra.lab.sh import LabError, has_own_mounts, ns_argv


def exec_argv(node: str, command: Sequence[str]) -> list[str]:
    if netns_name(node) not in lab_namespaces():
        raise LabError(f"node {node!r} is not in the lab (is the lab up? see `infra lab status`)")
    if not command:
        raise LabError("no command given: infra lab exec NODE -- COMMAND ...")
    argv = ns_argv(node, mount=has_own_mounts(node))
    root = node_dir(node) / "root"
    if root.is_dir():  # a server: run in its overlay root, like an SSH session would
        return [*argv, "chroot", str(root), *command]
    return [*argv, *command]


def lab_exec(node: str, command: Sequence[str]) -> int:
    """Runs the command with the caller's terminal; returns its exit code."""
    require_root()
    return subprocess.call(exec_argv(node, command))
