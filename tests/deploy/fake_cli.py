"""`infra deploy` and `infra audit` against the fake network: the CLI tests of deploy and audit
share this setup (the audit tests deploy first, so the backups exist)."""

from __future__ import annotations

import dataclasses
import functools
import importlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.audit import drift
from infra.cli import cli
from infra.deploy import deploy
from infra.inventory import Inventory
from tests.conftest import INVENTORY
from tests.deploy.fakes import FakeNetwork, fake_intent
from tests.safety.routes import LAB_UP, fake_routes


def fake_cli(monkeypatch: pytest.MonkeyPatch, inv: Inventory, state_dir: Path) -> FakeNetwork:
    """Point the deploy and audit commands at a fake network of inv; state goes to state_dir."""
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
    monkeypatch.setenv("INFRA_STATE_DIR", str(state_dir))
    return net


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), *args], catch_exceptions=False)
