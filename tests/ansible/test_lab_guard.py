"""The bridge refuses a lab province whose lab is down: its servers' addresses would leave the
machine instead of reaching a namespace."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from infra.ansible import converge_servers
from infra.ansible.datadir import BridgeError, require_lab_up


def fake_route(monkeypatch: pytest.MonkeyPatch, stdout: str) -> list[list[str]]:
    calls: list[list[str]] = []

    def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, stdout, "")

    monkeypatch.setattr(subprocess, "run", run)  # the module datadir calls
    return calls


def test_lab_down_is_refused(monkeypatch: pytest.MonkeyPatch, example_inventory: Any) -> None:
    calls = fake_route(monkeypatch, "")
    with pytest.raises(BridgeError, match="the lab is not up"):
        require_lab_up(example_inventory)
    assert calls == [["ip", "-o", "route", "show", "exact", "10.64.0.0/10"]]
    # Through the bridge: every server fails with the reason, and Ansible never starts.
    r = converge_servers(example_inventory, example_inventory.select("srv-portal-1,srv-log-1"))
    assert {h: x.failed for h, x in r.results.items()} == {"srv-portal-1": True, "srv-log-1": True}
    assert "the lab is not up" in r.results["srv-portal-1"].message


def test_lab_up_passes(monkeypatch: pytest.MonkeyPatch, example_inventory: Any) -> None:
    fake_route(monkeypatch, "unreachable 10.64.0.0/10 \n")
    require_lab_up(example_inventory)
