"""What a deploy is asked to do, and the types that plug into it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.results import RunResult

# Server side of a deploy (infra.ansible): converge or check the given servers.
ServerRunner = Callable[[Inventory, list[Host], bool, bool], RunResult]  # inv, hosts, check, diff


class OptionError(ValueError):
    pass


@dataclass(frozen=True)
class DeployOptions:
    check: bool = False
    diff: bool = False
    forks: int = 25
    serial: str | None = None  # "N" or "N%"; None = all at once
    max_fail_percentage: float | None = None
    confirm_timeout_s: float = 120.0
    comment: str = ""
    converge_wait_s: float = 60.0  # how long verification waits for adjacencies
    settle_s: float | None = None  # wait before judging adjacencies (None: OSPF dead interval if touched)
    restore_window_s: float = 60.0  # how long a failed device is retried for its restore
    session_log_dir: Path | None = None
    command: str = "infra deploy"


def parse_duration(text: str) -> float:
    """'90', '90s', '2m', '1m30s' -> seconds."""
    m = re.fullmatch(r"\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not text.strip() or not m or (m.group(1) is None and m.group(2) is None):
        raise OptionError(f"--confirm-timeout: {text!r} is not a duration (e.g. 90s, 2m, 1m30s)")
    return int(m.group(1) or 0) * 60 + float(m.group(2) or 0)


def batches(hosts: list[str], serial: str | None) -> list[list[str]]:
    """Ansible's `serial`: N hosts or N% of them per batch (at least one)."""
    if not serial:
        return [hosts] if hosts else []
    m = re.fullmatch(r"\s*(\d+)\s*(%?)\s*", serial)
    if not m or int(m.group(1)) == 0:
        raise OptionError(f"--serial: {serial!r} must be a positive number or percentage (e.g. 5 or 20%)")
    n = int(m.group(1))
    size = max(1, len(hosts) * n // 100) if m.group(2) else n
    return [hosts[i : i + size] for i in range(0, len(hosts), size)]
