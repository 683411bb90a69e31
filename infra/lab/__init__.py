"""`infra lab`: the province built for real in network namespaces on this machine.

`lab_up` / `lab_down` / `lab_status` / `lab_exec` are the library behind `infra lab ...` and the
pytest fixtures (`tests/fixtures_lab.py`), so tests use exactly what operators use.
"""

from infra.lab.down import DownReport, lab_down
from infra.lab.exec import lab_exec
from infra.lab.paths import SSH_KEY
from infra.lab.plan import LabPlan, build_plan
from infra.lab.sh import LabError
from infra.lab.status import NodeStatus, lab_status
from infra.lab.up import UpReport, lab_up

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
]
