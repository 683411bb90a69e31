"""`infra lab`: the province built for real in network namespaces on this machine.

`lab_up` / `lab_down` / `lab_status` / `lab_exec` are the library behind `infra lab ...` and the
pytest fixtures (`tests/fixtures_lab.py`), so tests use exactly what operators use.

The exports load on first use: every SSH login to a lab codec runs `python3 -m
infra.lab.codec.shell`, which imports this package, and should not pay for the whole lab
(measured: 0.22 s and 43 MB per login eagerly, 0.06 s and 16 MB lazily).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.lab.down import DownReport, lab_down
    from infra.lab.exec import lab_exec
    from infra.lab.netns import netns_argv
    from infra.lab.paths import SSH_KEY
    from infra.lab.plan import LabPlan, build_plan
    from infra.lab.sh import LabError
    from infra.lab.status import NodeStatus, lab_status
    from infra.lab.up import UpReport, lab_up

_EXPORTS = {
    "DownReport": "down",
    "lab_down": "down",
    "lab_exec": "exec",
    "netns_argv": "netns",
    "SSH_KEY": "paths",
    "LabPlan": "plan",
    "build_plan": "plan",
    "LabError": "sh",
    "NodeStatus": "status",
    "lab_status": "status",
    "UpReport": "up",
    "lab_up": "up",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'infra.lab' has no attribute {name!r}")
    return getattr(importlib.import_module(f"infra.lab.{module}"), name)


__all__ = [
    "SSH_KEY",
    "DownReport",
    "LabError",
    "LabPlan",
    "NodeStatus",
    "UpReport",
    "build_plan",
    "lab_down",
    "lab_exec",
    "lab_status",
    "lab_up",
    "netns_argv",
]
