"""Server drift becomes the same audit `Check`s as network drift (the Ansible run is faked here;
the lab test runs the real one)."""

from __future__ import annotations

from typing import Any

import pytest

import infra.audit.servers as server_audit
from infra.results import Result, RunResult


def test_drift_error_and_pass_checks(monkeypatch: pytest.MonkeyPatch, example_inventory: Any) -> None:
    seen: dict[str, Any] = {}

    def fake_audit(inv: Any, hosts: list[Any], **kw: Any) -> RunResult:
        seen["hosts"] = [h.name for h in hosts]
        run = RunResult()
        run.add(Result("srv-log-1", changed=True, diff="-a\n+b\n", message="drift in 1 task(s)",
                       details={"changed_tasks": ["baseline : Configure sshd"]}))  # fmt: skip
        run.add(Result("srv-portal-1", message="in sync"))
        run.add(Result("srv-mail-1", unreachable=True, task="Gathering Facts", message="ssh: refused"))
        return run

    monkeypatch.setattr(server_audit, "audit_servers", fake_audit)
    hosts = example_inventory.select("srv-log-1,srv-portal-1,srv-mail-1,dc-core-1")
    checks = {c.host: c for c in server_audit.audit_server_drift(example_inventory, hosts)}
    assert sorted(seen["hosts"]) == ["srv-log-1", "srv-mail-1", "srv-portal-1"]  # no router
    assert checks["srv-log-1"].status == "fail" and checks["srv-log-1"].detail == "-a\n+b\n"
    assert checks["srv-log-1"].summary == "drift in 1 task(s): baseline : Configure sshd"
    assert checks["srv-portal-1"].status == "pass"
    assert checks["srv-mail-1"].status == "error"
    assert checks["srv-mail-1"].summary == "unreachable: Gathering Facts: ssh: refused"
    assert server_audit.audit_server_drift(example_inventory, example_inventory.select("dc-core-1")) == []
