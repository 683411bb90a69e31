"""Golden files: every network device of the example province, per platform, secrets masked; and
one codec (cisco_tp/vc-so-noi-vu.cfg, its xConfiguration intent).

Regenerate after an intended template change with `INFRA_UPDATE_GOLDEN=1 pytest tests/render`,
then review the diff like code.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY, LAB_SECRETS

GOLDEN = Path(__file__).parent / "golden"
PLATFORMS = (Platform.FRR, Platform.CISCO_IOS, Platform.HUAWEI_VRP)
_INV = load_inventory(INVENTORY)
DEVICES = [h.name for h in _INV.hosts.values() if h.is_network_device]
CODEC = "vc-so-noi-vu"  # the golden codec (every codec's text is proven by tests/render/test_codec.py)
UPDATE = os.environ.get("INFRA_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.value)
@pytest.mark.parametrize("host", DEVICES)
def test_rendering_matches_the_golden_file(inv: Inventory, host: str, platform: Platform) -> None:
    text = render_host(inv, host, platform, mask_secrets=True)
    path = GOLDEN / platform.value / f"{host}.cfg"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with INFRA_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    diff = "\n".join(
        difflib.unified_diff(expected.splitlines(), text.splitlines(), str(path), "rendered", lineterm="")
    )
    assert text == expected, diff


def test_the_codec_matches_its_golden_file(inv: Inventory) -> None:
    text = render_host(inv, CODEC, mask_secrets=True)
    assert text == render_host(inv, CODEC)  # a codec's intent holds no secret to mask
    path = GOLDEN / Platform.CISCO_TP.value / f"{CODEC}.cfg"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with INFRA_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    diff = "\n".join(
        difflib.unified_diff(expected.splitlines(), text.splitlines(), str(path), "rendered", lineterm="")
    )
    assert text == expected, diff


def test_every_golden_file_belongs_to_a_device() -> None:
    stale = [
        str(p)
        for p in GOLDEN.glob("*/*.cfg")
        if (p.stem not in DEVICES or p.parent.name not in {pl.value for pl in PLATFORMS})
        and (p.stem, p.parent.name) != (CODEC, Platform.CISCO_TP.value)
    ]
    assert not stale, f"golden files of no device (delete them): {stale}"


def test_golden_files_hold_no_lab_secret() -> None:
    files = sorted(GOLDEN.glob("*/*.cfg"))
    assert len(files) == len(DEVICES) * len(PLATFORMS) + 1  # + the codec
    for path in files:
        if path.parent.name == Platform.CISCO_TP.value:
            assert not [s for s in LAB_SECRETS if s in path.read_text(encoding="utf-8")], path
            continue
        text = path.read_text(encoding="utf-8")
        leaked = [s for s in LAB_SECRETS if s in text]
        assert not leaked, f"{path} holds a lab secret"
        if path.parent.name != Platform.FRR.value or "ip ospf message-digest-key" in text:
            assert "<secret>" in text, f"{path}: secrets should render as <secret>"
