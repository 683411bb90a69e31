"""The server playbooks on the lab's servers, over real SSH (issue 5, "proven in the lab").

Three servers are converged with the whole site playbook (baseline, snmpd, node_exporter, a
web front end, a log server and the monitoring server), twice: the second run changes nothing. Then a hand
edit is found by the audit and reverted, and an unreachable server is reported as such by
`infra deploy`'s orchestration and its journal. No secret appears anywhere.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from infra.ansible import audit_servers, converge_servers
from infra.deploy import DeployOptions, deploy
from infra.inventory import Host, Inventory
from infra.lab.exec import exec_argv
from infra.lab.paths import SSH_KEY
from infra.lab.server import ensure_script
from infra.lab.sh import ns_argv
from infra.monitoring.options import RenderOptions
from infra.monitoring.render import render_monitoring, write_monitoring
from infra.results import RunResult, Status
from infra.state import StatePaths
from tests.conftest import LAB_SECRETS

pytestmark = pytest.mark.lab

# a web front end, a log server, the monitoring server: every role, in the fewest servers
SERVERS = ["srv-portal-1", "srv-log-1", "srv-monitor-1"]
EDITED = "srv-log-1"
DOWN = "srv-portal-1"


@dataclass
class ServerLab:
    inv: Inventory
    plan: Any
    extravars: dict[str, object]
    tmp: Path
    transcript: list[str] = field(default_factory=list)

    def hosts(self, names: list[str] = SERVERS) -> list[Host]:
        return [self.inv.hosts[n] for n in names]

    def record(self, result: RunResult) -> RunResult:
        self.transcript.append(json.dumps({h: r.as_dict() for h, r in result.results.items()}))
        return result

    def converge(self, **kw: Any) -> dict[str, Any]:
        run = converge_servers(
            self.inv, self.hosts(), ssh_key=SSH_KEY, extravars=self.extravars, forks=4, **kw
        )
        return self.record(run).results

    def audit(self, **kw: Any) -> dict[str, Any]:
        run = audit_servers(self.inv, self.hosts(), ssh_key=SSH_KEY, extravars=self.extravars, forks=4, **kw)
        return self.record(run).results

    def sh(self, node: str, script: str) -> str:
        p = subprocess.run(exec_argv(node, ["sh", "-c", script]), capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr


@pytest.fixture(scope="module")
def servers(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerLab]:
    inv = lab.inv
    tmp = tmp_path_factory.mktemp("servers")
    monitor = inv.hosts["srv-monitor-1"].mgmt_address
    opts = RenderOptions(
        snmp_exporter=f"{monitor}:9116", blackbox_exporter=f"{monitor}:9115", alertmanager=f"{monitor}:9093"
    )
    write_monitoring(render_monitoring(inv, opts), tmp / "monitoring")
    extravars: dict[str, object] = {
        "monitoring_server_config_dir": str(tmp / "monitoring"),
        # The project's own exporter, installed on this machine (the lab's servers share its /).
        "monitoring_server_snmp_exporter_command": str(Path(sys.executable).parent / "infra-snmp-exporter"),
        "monitoring_server_snmp_exporter_user": "root",  # the venv lives under /root
    }
    yield ServerLab(inv, lab.plan, extravars, tmp)


def test_converge_three_servers_then_a_second_run_changes_nothing(servers: ServerLab) -> None:
    first = servers.converge()
    assert {h: r.status for h, r in first.items() if not r.ok} == {}, {h: r.message for h, r in first.items()}
    assert all(r.changed for r in first.values())

    # What the roles did is real: the hardened sshd config, SNMPv3 authPriv, node exporter on
    # the management address, the TLS health endpoint, the monitoring daemons.
    assert "PermitRootLogin no" in servers.sh(EDITED, "grep ^PermitRootLogin /etc/ssh/sshd_config")
    log_mgmt = str(servers.inv.hosts[EDITED].mgmt_address)
    auth, priv = LAB_SECRETS[2], LAB_SECRETS[3]
    v3 = ["-v3", "-l", "authPriv", "-u", "infra-mon", "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv]
    snmp = subprocess.run(
        ["snmpget", *v3, "-t", "3", "-On", log_mgmt, "1.3.6.1.2.1.1.5.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert f'STRING: "{EDITED}"' in snmp.stdout, snmp.stderr
    metrics = subprocess.run(
        ["curl", "-s", "-m", "5", f"http://{log_mgmt}:9100/metrics"], capture_output=True
    )
    assert b"node_uname_info" in metrics.stdout
    portal = str(servers.inv.hosts["srv-portal-1"].mgmt_address)
    health = subprocess.run(["curl", "-sk", "-m", "5", f"https://{portal}/healthz"], capture_output=True)
    assert health.stdout == b"ok\n"
    monitor = str(servers.inv.hosts["srv-monitor-1"].mgmt_address)
    ready = subprocess.run(["curl", "-s", "-m", "5", f"http://{monitor}:9090/-/ready"], capture_output=True)
    assert b"Ready" in ready.stdout

    second = servers.converge()
    assert {h: (r.status, r.details.get("changed_tasks")) for h, r in second.items()} == {
        h: (Status.OK, []) for h in SERVERS
    }


def test_hand_edit_is_drift_in_audit_and_reverted_by_the_next_deploy(servers: ServerLab) -> None:
    servers.sh(EDITED, "sed -i 's/^PermitRootLogin no/PermitRootLogin yes/' /etc/ssh/sshd_config")
    audit = servers.audit(tags=["baseline_sshd"])
    assert audit[EDITED].changed and audit[EDITED].message == "drift in 1 task(s)"
    assert "-PermitRootLogin yes\n+PermitRootLogin no" in audit[EDITED].diff
    assert [h for h, r in audit.items() if r.changed] == [EDITED]
    assert "PermitRootLogin yes" in servers.sh(EDITED, "grep ^PermitRootLogin /etc/ssh/sshd_config")

    fix = servers.converge(tags=["baseline_sshd"])
    assert fix[EDITED].status == Status.CHANGED
    assert "PermitRootLogin no" in servers.sh(EDITED, "grep ^PermitRootLogin /etc/ssh/sshd_config")
    assert not servers.audit(tags=["baseline_sshd"])[EDITED].changed


def test_unreachable_server_is_reported_the_others_converge_and_the_journal_says_so(
    servers: ServerLab,
) -> None:
    servers.sh(DOWN, "kill $(cat /run/sshd.pid)")
    paths = StatePaths.from_env(servers.tmp / "state")
    try:
        runner = partial(
            converge_servers, ssh_key=SSH_KEY, extravars=servers.extravars, tags=["baseline_sshd"]
        )
        report = deploy(
            servers.inv, servers.hosts(), DeployOptions(comment="lab test"), paths, servers=runner
        )
    finally:
        subprocess.run(
            [*ns_argv(DOWN), "sh", "-c", ensure_script(servers.plan.nodes[DOWN])], check=True, timeout=60
        )
    servers.record(report.results)
    by_host = report.results.results
    assert by_host[DOWN].status == Status.UNREACHABLE
    assert {h: r.status for h, r in by_host.items() if h != DOWN} == {
        h: Status.OK for h in SERVERS if h != DOWN
    }
    assert report.exit_code == 1
    with sqlite3.connect(paths.journal) as db:
        (status,) = db.execute("SELECT status FROM runs WHERE id = ?", (report.run_id,)).fetchone()
        rows = dict(db.execute("SELECT host, status FROM device_results WHERE run_id = ?", (report.run_id,)))
    assert status == "failed"
    assert rows == {h: ("unreachable" if h == DOWN else "ok") for h in SERVERS}


def test_no_secret_in_any_output_artifact_or_journal(servers: ServerLab) -> None:
    assert servers.transcript, "runs above recorded nothing"
    stored = [p for p in servers.tmp.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite") for p in stored)
    for text in servers.transcript:
        for secret in LAB_SECRETS:
            assert secret not in text
    for p in stored:
        data = p.read_bytes()
        for secret in LAB_SECRETS:
            assert secret.encode() not in data, f"{secret!r} in {p}"
