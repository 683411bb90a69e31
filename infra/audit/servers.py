"""Server drift: the site playbook in Ansible's check mode with diffs (infra.ansible), reported
as the same `Check`s as network drift so one report covers both."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from infra.ansible import audit_servers
from infra.ansible.run import server_hosts
from infra.audit.report import Check
from infra.inventory import Host, Inventory
from infra.results import Result


def audit_server_drift(
    inv: Inventory,
    hosts: Sequence[Host],
    *,
    forks: int = 5,
    tags: Sequence[str] | None = None,
    ssh_key: Path | None = None,
) -> list[Check]:
    """One drift `Check` per server among `hosts`: fail = drift (with diffs), error = not read."""
    servers = server_hosts(list(hosts))
    if not servers:
        return []
    run = audit_servers(inv, servers, forks=forks, tags=list(tags or ()), ssh_key=ssh_key)
    return [Check.of("drift", r, _summary(r)) for r in run.results.values()]


def _summary(r: Result) -> str:
    if not r.ok:
        where = f"{r.task}: " if r.task else ""
        return f"{r.status.value}: {where}{r.message}"
    if r.changed:
        tasks = r.details.get("changed_tasks") or []
        return f"{r.message}" + (f": {', '.join(tasks)}" if tasks else "")
    return "in sync with the playbooks"
