from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.deploy import DeployOptions, DeployReport, deploy
from infra.inventory import Inventory, load_inventory
from infra.state import StatePaths
from tests.conftest import INVENTORY
from tests.deploy.fakes import FakeNetwork, fake_intent


@pytest.fixture
def inv() -> Inventory:
    return load_inventory(INVENTORY)  # fresh per test: secrets revealed so far are per inventory


@pytest.fixture
def paths(tmp_path: Path) -> StatePaths:
    return StatePaths.from_env(tmp_path / "state")


@pytest.fixture
def net(inv: Inventory) -> FakeNetwork:
    return FakeNetwork(inv)


@pytest.fixture
def run(inv: Inventory, paths: StatePaths, net: FakeNetwork) -> Callable[..., DeployReport]:
    def go(limit: str = "network", intent: Any = fake_intent, **opts: Any) -> DeployReport:
        opts.setdefault("converge_wait_s", 0.2)
        opts.setdefault("restore_window_s", 0.0)
        opts.setdefault("settle_s", 0.0)
        opts.setdefault("command", "infra deploy (test)")
        return deploy(
            inv, inv.select(limit), DeployOptions(**opts), paths, intent=intent, factory=net.factory
        )

    return go
