"""Session-scoped fixtures for tests that need the lab: the same code as `infra lab up/down`.

- `lab`: the example province up (management configuration only, unless a test in the same
  session asked for `converged_lab`).
- `converged_lab`: the same lab after applying every router's rendered intent (vtysh).

Both hold an exclusive flock on /run/infra-lab.tests.lock for the whole pytest session, so the
pytest sessions of other engineers queue instead of clashing. If the lab was already up when the
session started, it is reused and left up; otherwise it is torn down at the end of the session.
Tests marked `lab_teardown` (the `down` check) run after every other test.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from infra.inventory import Inventory, load_inventory
from infra.lab import LabPlan, UpReport, build_plan, lab_down, lab_up
from infra.lab.netns import lab_namespaces
from infra.lab.paths import TEST_LOCK_FILE

LAB_WAIT = 120.0


@dataclass
class LabHandle:
    inv: Inventory
    plan: LabPlan
    report: UpReport
    was_up: bool  # the lab was up before this pytest session (reused, left up)
    converged: bool = False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab_teardown: takes the lab down; runs after every other test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("lab_teardown") is not None)


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("lab test: needs root (network namespaces); run `sudo make test` or `make unit`")


@pytest.fixture(scope="session")
def lab_lock() -> Iterator[None]:
    _need_root()
    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while another pytest session holds the lab
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.fixture(scope="session")
def lab(lab_lock: None) -> Iterator[LabHandle]:
    from tests.conftest import INVENTORY

    inv = load_inventory(INVENTORY)
    was_up = bool(lab_namespaces())
    report = lab_up(inv, wait=LAB_WAIT)
    not_ready = [s.node for s in report.status if not s.ready]
    assert not not_ready, f"lab nodes not reachable after {LAB_WAIT:.0f} s: {not_ready}"
    handle = LabHandle(inv, build_plan(inv), report, was_up)
    yield handle
    if not handle.was_up and lab_namespaces():
        lab_down()


@pytest.fixture(scope="session")
def converged_lab(lab: LabHandle) -> LabHandle:
    from infra.lab.up import apply_converged

    if not lab.converged:
        apply_converged(lab.inv, lab.plan)
        lab.converged = True
    return lab
