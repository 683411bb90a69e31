"""The render API: strict variables, clear errors, secrets only on demand, purity."""

from __future__ import annotations

import builtins
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import RenderError, device_context, render_all, render_host
from infra.render.filters import frr_name_cmp
from tests.conftest import INVENTORY, LAB_SECRETS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def _templates_with(tmp_path: Path, platform: str, main: str) -> Path:
    tdir = tmp_path / "templates"
    shutil.copytree(TEMPLATES / platform, tdir / platform)
    (tdir / platform / "main.j2").write_text(main, encoding="utf-8")
    return tdir


def test_a_missing_variable_names_host_template_line_and_variable(inv: Inventory, tmp_path: Path) -> None:
    tdir = _templates_with(tmp_path, "frr", "hostname {{ hostname }}\n{{ ntp_server_list }}\n")
    with pytest.raises(RenderError) as err:
        render_host(inv, "wan-hub-1", Platform.FRR, mask_secrets=True, templates_dir=tdir)
    msg = str(err.value)
    assert "wan-hub-1" in msg and "ntp_server_list" in msg and "frr/main.j2 line 2" in msg
    assert err.value.host == "wan-hub-1"


def test_a_missing_attribute_in_an_include_names_the_include(inv: Inventory, tmp_path: Path) -> None:
    tdir = _templates_with(tmp_path, "frr", '{% include "frr/broken.j2" %}\n')
    (tdir / "frr" / "broken.j2").write_text("x\n{% if bgp %}\n router bgp {{ bgp.local_as }}\n{% endif %}\n")
    with pytest.raises(RenderError) as err:
        render_host(inv, "tslcd-pe-1", Platform.FRR, mask_secrets=True, templates_dir=tdir)
    msg = str(err.value)
    assert "tslcd-pe-1" in msg and "local_as" in msg and "frr/broken.j2 line 3" in msg


def test_strict_undefined_even_where_a_lax_engine_would_print_nothing(inv: Inventory, tmp_path: Path) -> None:
    tdir = _templates_with(tmp_path, "frr", "{% for s in baseline.ntp_peers %}{{ s }}{% endfor %}\n")
    with pytest.raises(RenderError, match="ntp_peers"):
        render_host(inv, "dc-core-1", Platform.FRR, mask_secrets=True, templates_dir=tdir)


def test_unknown_host_platform_and_secret_are_clear_errors(inv: Inventory, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"no-such-router.*not in the inventory"):
        render_host(inv, "no-such-router")
    with pytest.raises(RenderError, match=r"srv-mail-1.*network devices only"):
        render_host(inv, "srv-mail-1")
    tdir = _templates_with(tmp_path, "frr", "{{ secret('root_password') }}\n")
    with pytest.raises(RenderError, match="unknown secret 'root_password'"):
        render_host(inv, "dc-core-1", Platform.FRR, templates_dir=tdir)


def test_a_secret_that_cannot_be_resolved_names_the_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD", raising=False)
    fresh = load_inventory(INVENTORY)
    assert "<secret>" in render_host(fresh, "wan-hub-1", mask_secrets=True)  # masked needs no vault
    with pytest.raises(RenderError, match=r"wan-hub-1.*credentials\.ospf_key"):
        render_host(fresh, "wan-hub-1")


def test_secrets_appear_only_when_asked_for(inv: Inventory) -> None:
    for platform in (Platform.FRR, Platform.CISCO_IOS, Platform.HUAWEI_VRP):
        masked = render_host(inv, "wan-hub-1", platform, mask_secrets=True)
        real = render_host(inv, "wan-hub-1", platform)
        assert not [s for s in LAB_SECRETS if s in masked]
        assert "LabOspf8" in real and "Lab-Bgp-Md5-2c7x" in real, platform
        assert inv.secrets.mask(real) == masked, platform


def test_the_context_carries_no_secret_value(inv: Inventory) -> None:
    ctx = device_context(inv, "wan-hub-1", mask_secrets=False)
    flat = repr({k: v for k, v in ctx.items() if k != "secret"})
    assert not [s for s in LAB_SECRETS if s in flat]
    assert ctx["secret"]("ospf_key") == "LabOspf8"


def test_platform_defaults_to_the_stand_in(inv: Inventory) -> None:
    # a lab province: FRR plays the Cisco hub, with Linux interface names
    assert inv.hosts["wan-hub-1"].platform == Platform.CISCO_IOS
    assert render_host(inv, "wan-hub-1", mask_secrets=True) == render_host(
        inv, "wan-hub-1", Platform.FRR, mask_secrets=True
    )
    assert "interface ge0-0-1" in render_host(inv, "wan-hub-1", mask_secrets=True)
    cisco = render_host(inv, "wan-hub-1", Platform.CISCO_IOS, mask_secrets=True)
    assert "interface GigabitEthernet0/0/1" in cisco and "interface Tunnel20" in cisco
    huawei = render_host(inv, "cpe-so-tai-chinh", Platform.HUAWEI_VRP, mask_secrets=True)
    assert "interface Tunnel0/0/0" in huawei and "interface LoopBack0" in huawei


def test_rendering_is_pure(inv: Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_all(inv, mask_secrets=True)
    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert not set(mode) & set("wax+"), f"render opened {file} for writing"
        return real_open(file, mode, *args, **kwargs)

    def no_os_write(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("render wrote a file")

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(os, "write", no_os_write)
    second = render_all(inv, mask_secrets=True)
    assert first == second
    # network devices and codecs (their own platform: a codec is not rendered as FRR)
    assert set(first) == {
        h.name for h in inv.hosts.values() if h.is_network_device or h.platform == Platform.CISCO_TP
    }
    # the other platforms too, and a second inventory object gives the same text
    again = load_inventory(INVENTORY)
    for p in (Platform.CISCO_IOS, Platform.HUAWEI_VRP):
        assert render_all(inv, platform=p, mask_secrets=True) == render_all(
            again, platform=p, mask_secrets=True
        )


def test_frr_orders_interface_names_like_frr() -> None:
    names = ["wg10", "lo", "eth10", "wg2", "eth2", "ge0-0-10", "ge0-0-2", "mgmt0", "vlan110", "eth1"]
    import functools

    ordered = sorted(names, key=functools.cmp_to_key(frr_name_cmp))
    assert ordered == [
        "eth1",
        "eth2",
        "eth10",
        "ge0-0-2",
        "ge0-0-10",
        "lo",
        "mgmt0",
        "vlan110",
        "wg2",
        "wg10",
    ]


def test_a_frr_cpe_has_routing_towards_the_carrier_and_the_hub(inv: Inventory) -> None:
    text = render_host(inv, "cpe-xa-ta-nung", mask_secrets=True)
    assert "router bgp 65120\n" in text
    assert " neighbor 10.124.0.63 remote-as 64600\n" in text
    assert "  network 10.126.0.29/32\n" in text or "  network " in text
    assert "interface wg0\n" in text and " ip ospf area 2\n" in text
    assert " ip ospf network point-to-point\n" in text
