"""Put lab servers back to bare, as `infra lab up` made them, without rebuilding the lab.

A server's changes all live in its overlay's tmpfs upper layer, its own `/run` and `/tmp`, its
processes and its network namespace's nftables ruleset. Resetting stops every process of the
server's namespace, remounts a fresh overlay (the same mount script as `up`), flushes nftables
and starts the lab's sshd again. Per-namespace sysctl values (`net.*`) are not reset: the
baseline role writes its file on a bare server whatever the kernel holds.
"""

from __future__ import annotations

import os
import signal
import time

from infra.lab.netns import pids_in
from infra.lab.paths import node_dir
from infra.lab.plan import SERVER, LabPlan
from infra.lab.server import ensure_script, mount_script
from infra.lab.sh import ns_argv, run


class NotAServer(ValueError):
    pass


def _stop_processes(netns: str, grace_s: float = 3.0) -> None:
    pids = pids_in(netns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + grace_s
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = [p for p in pids if os.path.exists(f"/proc/{p}")]
        if not pids:
            return


def reset_servers(plan: LabPlan, names: list[str]) -> None:
    """Reset each named lab server to bare (the caller holds the lab's test lock)."""
    for name in names:
        node = plan.nodes.get(name)
        if node is None or node.kind != SERVER:
            raise NotAServer(f"{name} is not a server of this lab")
    for name in names:
        node = plan.nodes[name]
        d = node_dir(name)
        _stop_processes(node.netns)
        unmount = f"umount -R {d}/root 2>/dev/null || umount -R -l {d}/root\numount -l {d}/rw\n"
        run([*ns_argv(name), "sh", "-c", unmount + mount_script(node)], timeout=60)
        run([*ns_argv(name, mount=False), "nft", "flush", "ruleset"], timeout=30)
        run([*ns_argv(name), "sh", "-c", ensure_script(node)], timeout=60)
