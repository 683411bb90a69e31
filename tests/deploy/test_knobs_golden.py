"""Every knob of the inventory, turned and turned back, on every platform: the remediation and
rollback the configuration trees compute (with the platform quirks of infra/drivers/quirks.py)
match reviewed golden files, and they are circular: remediation applied to A gives B, rollback
applied to B gives A.

FRR's cases are also pushed to a real FRR by test_knobs_lab.py; IOS and VRP have no device here,
so their golden files are what a reviewer checks against the vendor's CLI. Regenerate after an
intended change with `INFRA_UPDATE_GOLDEN=1 pytest tests/deploy/test_knobs_golden.py` and review
the diff like code.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from infra.drivers.configtree import Change, apply, compare, rollback, same
from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.deploy.knobs import KNOB_SECRETS, KNOBS, Knob

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("INFRA_UPDATE_GOLDEN") == "1"
PLATFORMS = ("frr", "cisco_ios", "huawei_vrp")


def _host(knob: Knob, platform: str) -> str | None:
    return knob.frr if platform == "frr" else knob.vendor


CASES = [(k, p) for k in KNOBS for p in PLATFORMS if _host(k, p)]


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Inventory]:
    return {k.name: k.variant(tmp_path_factory.mktemp(k.name)) for k in KNOBS}


@pytest.fixture(autouse=True)
def _knob_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KNOB_SECRETS.items():
        monkeypatch.setenv(name, value)


def _masked(text: str, *invs: Inventory) -> str:
    for inv in invs:
        text = inv.secrets.mask(text)
    return text


def _golden_text(change: Change, back: tuple[str, ...]) -> str:
    return "\n".join(["! remediation A -> B", *change.remediation, "! rollback B -> A", *back, ""])


@pytest.mark.parametrize(("knob", "platform"), CASES, ids=[f"{p}-{k.name}" for k, p in CASES])
def test_knob_turned_and_back(
    example: Inventory, variants: dict[str, Inventory], knob: Knob, platform: str
) -> None:
    host = _host(knob, platform)
    assert host
    b_inv = variants[knob.name]
    a = render_host(example, host, Platform(platform))
    b = render_host(b_inv, host, Platform(platform))
    change = compare(platform, a, b)
    assert change.remediation, f"{knob.name} changes nothing in {host}'s {platform} rendering"
    # circular: the remediation gets to B, the rollback back to A, and B -> A is that rollback
    after = apply(platform, a, change.remediation)
    assert same(platform, after, b), f"remediation does not reach B:\n{compare(platform, after, b).diff}"
    undo = rollback(platform, a, b)
    back = apply(platform, after, undo)
    assert same(platform, back, a), f"rollback does not return to A:\n{compare(platform, back, a).diff}"
    assert compare(platform, b, a).remediation == undo

    text = _masked(_golden_text(change, undo), example, b_inv)
    path = GOLDEN / platform / f"{knob.name}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with INFRA_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    diff = difflib.unified_diff(expected.splitlines(), text.splitlines(), str(path), "computed", lineterm="")
    assert text == expected, "\n".join(diff)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_knobs_frr_or_vendors_do_not_render_change_nothing_there(
    example: Inventory, variants: dict[str, Inventory], platform: str
) -> None:
    """A knob marked as not rendered on a platform really changes nothing there (so no case
    is silently missing)."""
    for knob in KNOBS:
        if _host(knob, platform):
            continue
        host = knob.vendor if platform == "frr" else knob.frr
        assert host
        a = render_host(example, host, Platform(platform))
        b = render_host(variants[knob.name], host, Platform(platform))
        assert same(platform, a, b), f"{knob.name} changes {host}'s {platform} rendering: add the case"


def test_every_golden_file_is_a_case_and_holds_no_secret() -> None:
    files = sorted(GOLDEN.glob("*/*.txt"))
    expected = {GOLDEN / p / f"{k.name}.txt" for k, p in CASES}
    assert set(files) == expected or UPDATE, sorted(set(files) ^ expected)
    for path in files:
        text = path.read_text(encoding="utf-8")
        leaked = [s for s in (*LAB_SECRETS, *KNOB_SECRETS.values()) if s in text]
        assert not leaked, f"{path} holds a secret"
