"""The bridge refuses a lab province whose lab is down: its servers' addresses would leave the
machine instead of reaching a namespace (the guard itself: tests/safety/test_guard.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.ansible import converge_servers
from infra.ansible.datadir import BridgeError, require_lab_up
from tests.safety.routes import LAB_DOWN, LAB_UP, fake_routes


def test_lab_down_is_refused(monkeypatch: pytest.MonkeyPatch, example_inventory: Any) -> None:
    reads = fake_routes(monkeypatch, *LAB_DOWN)
    with pytest.raises(BridgeError, match=r"the lab is not up.*infra lab up"):
        require_lab_up(example_inventory)
    assert reads
    # Through the bridge: every server fails with the reason, and Ansible never starts.
    r = converge_servers(example_inventory, example_inventory.select("srv-portal-1,srv-log-1"))
    assert {h: x.failed for h, x in r.results.items()} == {"srv-portal-1": True, "srv-log-1": True}
    assert "the lab is not up" in r.results["srv-portal-1"].message


def test_lab_up_passes(monkeypatch: pytest.MonkeyPatch, example_inventory: Any) -> None:
    reads = fake_routes(monkeypatch, *LAB_UP)
    require_lab_up(example_inventory)
    assert reads
