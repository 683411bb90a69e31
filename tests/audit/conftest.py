from __future__ import annotations

from pathlib import Path

import pytest

from infra.inventory import Inventory, load_inventory
from tests.conftest import INVENTORY
from tests.deploy.fake_cli import fake_cli
from tests.deploy.fakes import FakeNetwork


@pytest.fixture
def inv() -> Inventory:
    return load_inventory(INVENTORY)  # fresh per test: secrets revealed so far are per inventory


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, inv: Inventory, tmp_path: Path) -> FakeNetwork:
    """`infra deploy` and `infra audit` against a fake network (see tests/deploy/fake_cli.py)."""
    return fake_cli(monkeypatch, inv, tmp_path / "state")
