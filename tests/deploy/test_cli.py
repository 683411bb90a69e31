"""The CLI of deploy and history: exit codes, formats, progress, clear errors (audit's: tests/audit)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.cli import cli
from infra.inventory import Inventory
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.deploy.fake_cli import fake_cli, invoke
from tests.deploy.fakes import FakeNetwork


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, inv: Inventory, tmp_path: Path) -> FakeNetwork:
    return fake_cli(monkeypatch, inv, tmp_path / "state")


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
