"""The CLI of deploy, audit and history: exit codes, formats, progress, clear errors."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.audit import drift
from infra.cli import cli
from infra.deploy import deploy
from infra.inventory import Inventory
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.deploy.fakes import FakeNetwork, fake_intent
from tests.safety.routes import LAB_UP, fake_routes


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, inv: Inventory, tmp_path: Path) -> FakeNetwork:
    deploy_cmd = importlib.import_module("infra.cli.deploy_cmd")  # commands are imported lazily
    audit_cmd = importlib.import_module("infra.cli.audit_cmd")
    net = FakeNetwork(inv)
    fake_routes(monkeypatch, *LAB_UP)  # the fake network stands in for an up lab

    def fast(inv: Inventory, hosts: Any, options: Any, paths: Any, **kw: Any) -> Any:
        options = dataclasses.replace(options, settle_s=0.0, converge_wait_s=0.2, restore_window_s=0.0)
        return deploy(inv, hosts, options, paths, **{**kw, "intent": fake_intent, "factory": net.factory})

    monkeypatch.setattr(deploy_cmd, "deploy", fast)
    real = drift.audit_drift
    monkeypatch.setattr(
        audit_cmd, "audit_drift", functools.partial(real, intent=fake_intent, factory=net.factory)
    )
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path / "state"))
    return net


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), *args], catch_exceptions=False)


def test_check_diff_then_deploy_then_history(fake: FakeNetwork) -> None:
    r = invoke("deploy", "-l", "dc-core-1", "--check", "--diff")
    assert r.exit_code == 3, r.output
    assert "+ hostname dc-core-1" in r.output and "--- remediation" in r.output
    assert fake.pushes == {}
    r = invoke("deploy", "-l", "dc-core-1,dc-core-2", "--comment", "first", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["counts"]["changed"] == 2 and doc["backup_commit"]
    r = invoke("history")
    assert r.exit_code == 0 and "first" in r.output and "2 changed" in r.output
    r = invoke("history", "dc-core-1", "--format", "json")
    entries = json.loads(r.output)
    assert [e["status"] for e in entries] == ["changed", "changed"]  # the check run, then the deploy
    for text in (r.output, invoke("history", "dc-core-1", "--diff").output):
        assert not any(s in text for s in LAB_SECRETS)


def test_deploy_failure_exit_1(fake: FakeNetwork) -> None:
    fake.down.add("dc-core-2")
    r = invoke("deploy", "-l", "dc-core-1,dc-core-2")
    assert r.exit_code == 1
    assert "unreachable" in r.output and "dc-core-2" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--serial", "0"], "--serial: '0' must be a positive number or percentage"),
        (["--confirm-timeout", "soon"], "--confirm-timeout: 'soon' is not a duration"),
        (["-l", "no-such-host"], "no-such-host"),
    ],
)
def test_bad_input_exit_2(fake: FakeNetwork, args: list[str], message: str) -> None:
    r = CliRunner().invoke(cli, ["-i", str(INVENTORY), "deploy", *args])
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output


def test_audit_drift_formats_and_exit_codes(fake: FakeNetwork, tmp_path: Path) -> None:
    invoke("deploy", "-l", "dc-core-1,dc-core-2")
    r = invoke("audit", "-l", "dc-core-1,dc-core-2")
    assert r.exit_code == 0, r.output
    fake.configs["dc-core-1"] = fake.configs["dc-core-1"].replace("hostname dc-core-1", "hostname x")
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--format", "json")
    assert r.exit_code == 3
    doc = json.loads(r.output)
    status = {c["host"]: c["status"] for c in doc["checks"]}
    assert status == {"dc-core-1": "fail", "dc-core-2": "pass"}
    out = tmp_path / "drift.xml"
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--format", "junit", "-o", str(out))
    assert r.exit_code == 3
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "2"
    failure = suite.find("testcase[@name='dc-core-1']/failure")
    assert failure is not None and "+ hostname dc-core-1" in (failure.text or "")
    # offline: from the backups the deploy committed (the hand change is not in them)
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--offline")
    assert r.exit_code == 0, r.output
    fake.down.add("dc-core-2")
    assert invoke("audit", "-l", "dc-core-2").exit_code == 1  # could not read: error, not drift


def test_servers_join_the_same_run(fake: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.results import Result, RunResult

    seen: list[tuple[list[str], bool]] = []

    def servers(inv: Inventory, hosts: Any, check: bool, diff: bool) -> RunResult:
        seen.append(([h.name for h in hosts], check))
        out = RunResult()
        for h in hosts:
            out.add(Result(h.name, changed=True, diff="+ PermitRootLogin no"))
        return out

    deploy_cmd = importlib.import_module("infra.cli.deploy_cmd")
    real = deploy_cmd.deploy
    monkeypatch.setattr(deploy_cmd, "deploy", lambda *a, **k: real(*a, **{**k, "servers": servers}))
    r = invoke("deploy", "-l", "dc-core-1,srv-portal-1", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert {h["host"]: h["status"] for h in doc["hosts"]} == {
        "dc-core-1": "changed",
        "srv-portal-1": "changed",
    }
    assert seen == [(["srv-portal-1"], False)]
    history = json.loads(invoke("history", "--format", "json").output)
    assert history[0]["counts"]["changed"] == 2  # one run, one journal entry for both
