"""Running commands in the root namespace and inside lab nodes."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from infra.lab.paths import NS_FILES, netns_name


class LabError(Exception):
    """An expected failure of the lab: a missing tool, no root, a node that does not exist."""


def run(
    argv: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]} is not installed (run scripts/setup.sh)") from exc
    if check and proc.returncode != 0:
        raise LabError(f"`{' '.join(argv[:6])}` failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return proc


def ns_argv(node: str, *, mount: bool = True) -> list[str]:
    """nsenter prefix that enters a node: its network namespace, plus its own UTS and mount
    namespaces when the node has them (routers and servers)."""
    argv = ["nsenter", f"--net=/run/netns/{netns_name(node)}"]
    if mount:
        argv += [f"--uts={NS_FILES / (node + '.uts')}", f"--mount={NS_FILES / (node + '.mnt')}"]
    return [*argv, "--"]


def has_own_mounts(node: str) -> bool:
    return (NS_FILES / f"{node}.mnt").exists()


def run_in(node: str, argv: Sequence[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return run([*ns_argv(node, mount=has_own_mounts(node)), *argv], **kw)  # type: ignore[arg-type]


def ip_batch(commands: Sequence[str], netns: str | None = None) -> list[str]:
    """Run `ip` commands in one process (fast); returns the error lines (the batch goes on)."""
    if not commands:
        return []
    argv = ["ip", "-force", "-batch", "-"]
    if netns:
        argv = ["ip", "-n", netns, "-force", "-batch", "-"]
    proc = run(argv, input="\n".join(commands) + "\n", check=False)
    return [ln for ln in proc.stderr.splitlines() if ln.strip()]
