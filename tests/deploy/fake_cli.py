"""`infra deploy` and `infra audit` against fake devices (the fake network, the recorded codec): the
CLI tests of deploy and audit share this setup (the audit tests deploy first, so backups exist)."""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.audit import drift
from infra.cli import cli
from infra.deploy import deploy
from infra.drivers.base import DeviceTarget, Driver
from infra.inventory import Inventory
from infra.inventory.models import Host
from tests.conftest import INVENTORY
from tests.deploy.fakes import FakeNetwork, fake_intent
from tests.safety.routes import LAB_UP, fake_routes

Intent = Callable[[Inventory, Host], str]  # a host's intended configuration
Factory = Callable[[DeviceTarget], Driver]  # opens a device


def patch_cli(
    monkeypatch: pytest.MonkeyPatch, state_dir: Path, intent: Intent, factory: Factory, **waits: float
) -> None:
    """Point the deploy and audit commands at INTENT and FACTORY, deploying with WAITS (DeployOptions'
    settle/converge/restore seconds); state goes to state_dir. The lab counts as up."""
    deploy_cmd = importlib.import_module("infra.cli.deploy_cmd")  # commands are imported lazily
    audit_cmd = importlib.import_module("infra.cli.audit_cmd")
    fake_routes(monkeypatch, *LAB_UP)  # the fake devices stand in for an up lab

    def fast(inv: Inventory, hosts: Any, options: Any, paths: Any, **kw: Any) -> Any:
        options = dataclasses.replace(options, **waits)
        return deploy(inv, hosts, options, paths, **{**kw, "intent": intent, "factory": factory})

    monkeypatch.setattr(deploy_cmd, "deploy", fast)
    real = drift.audit_drift
    monkeypatch.setattr(audit_cmd, "audit_drift", functools.partial(real, intent=intent, factory=factory))
    monkeypatch.setenv("INFRA_STATE_DIR", str(state_dir))


def fake_cli(monkeypatch: pytest.MonkeyPatch, inv: Inventory, state_dir: Path) -> FakeNetwork:
    """The deploy and audit commands against a fake network of inv; state goes to state_dir."""
    net = FakeNetwork(inv)
    waits = {"settle_s": 0.0, "converge_wait_s": 0.2, "restore_window_s": 0.0}
    patch_cli(monkeypatch, state_dir, fake_intent, net.factory, **waits)
    return net


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), *args], catch_exceptions=False)
