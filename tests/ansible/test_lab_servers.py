"""The server playbooks on the lab's servers, over real SSH (issue 5, "proven in the lab").

Three servers (a web front end, a log server and the monitoring server: every role) are reset
to bare. `infra deploy --check --only servers` reports their pending changes (exit 3). Then they
are converged with the whole site playbook, twice: the second run changes nothing; the
monitoring server's configuration is rendered by the run itself (no `infra monitoring render`
first). Then a hand edit is found by the audit and reverted, and an unreachable server is
reported as such by `infra deploy`'s orchestration and its journal. No secret appears anywhere.
"""

from __future__ import annotations

import json
import os
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
from infra.lab.bare import reset_servers
from infra.lab.exec import exec_argv
from infra.lab.paths import SSH_KEY
from infra.lab.server import ensure_script
from infra.lab.sh import ns_argv
from infra.results import RunResult, Status
from infra.state import StatePaths
from tests.conftest import INVENTORY, LAB_SECRETS

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
    """The three servers bare, whatever an earlier session left on them. No extra vars: what the
    monitoring server needs (its configuration, the lab's exporter) comes from the bridge."""
    tmp = tmp_path_factory.mktemp("servers")
    reset_servers(lab.plan, SERVERS)
    yield ServerLab(lab.inv, lab.plan, {}, tmp)


def test_check_on_bare_servers_reports_pending_changes_per_server(servers: ServerLab) -> None:
    env = {**os.environ, "INFRA_STATE_DIR": str(servers.tmp / "check-state")}
    argv = [str(Path(sys.executable).parent / "infra"), "--inventory", str(INVENTORY), "deploy"]
    argv += ["--check", "--only", "servers", "--limit", ",".join(SERVERS), "--format", "json"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=env)
    servers.transcript += [p.stdout, p.stderr]
    assert p.returncode == 3, p.stdout[-3000:] + p.stderr[-3000:]
    hosts = {h["host"]: h for h in json.loads(p.stdout)["hosts"]}
    assert {h: r["status"] for h, r in hosts.items()} == {h: "changed" for h in SERVERS}
    for r in hosts.values():
        assert r["message"].startswith("drift in "), r
    # Check mode touched nothing: the servers are still bare.
    assert "PermitRootLogin no" not in servers.sh(EDITED, "cat /etc/ssh/sshd_config")
    assert servers.sh("srv-monitor-1", "test -e /etc/prometheus/rules || echo absent").strip() == "absent"


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
    # The on-call board, deployed by the same role on the management address (reading may need a
    # login from this machine's address: the page either answers or sends to /login).
    board = f"http://{monitor}:9180"
    healthy = subprocess.run(["curl", "-s", "-m", "5", f"{board}/-/healthy"], capture_output=True)
    assert healthy.stdout == b"ok\n"
    code = ["curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", f"{board}/province"]
    assert subprocess.run(code, capture_output=True).stdout in (b"200", b"303")
    # Rendered by the run from the inventory, pointing at this monitoring server's own daemons.
    prometheus_yml = servers.sh("srv-monitor-1", "cat /etc/prometheus/prometheus.yml")
    assert f"{monitor}:9093" in prometheus_yml and f"{monitor}:9116" in prometheus_yml

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
