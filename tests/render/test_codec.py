"""Codecs (cisco_tp): every endpoint of the province renders its intended xConfiguration, in the
text form the codec driver diffs path by path, with its SIP URI and registrar from the inventory."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from infra.inventory import Host, Inventory, Platform, load_inventory
from infra.render import RenderError, render_all, render_host, sip_proxy
from infra.render.codec import codec_uri
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.inventory.helpers import run

# One setting a line: `xConfiguration <Path words and indexes>: <value>`, strings double-quoted,
# enums and numbers bare (RoomOS's `*c xConfiguration ...` output minus `*c `).
LINE = re.compile(
    r'^xConfiguration (?P<path>[A-Za-z0-9]+(?: [A-Za-z0-9]+)*): (?P<value>"[^"\\]*"|[A-Za-z0-9+]+)$'
)
SECRET_PATHS = re.compile(r"(?i)password|passphrase|key\b|communityname")


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def _codecs(inv: Inventory) -> list[Host]:
    return [h for h in inv.hosts.values() if h.platform == Platform.CISCO_TP]


def _settings(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = LINE.match(line)
        assert m, f"line {n} is not `xConfiguration <path>: <value>`: {line!r}"
        assert m["path"] not in out, f"{m['path']} set twice"
        out[m["path"]] = m["value"]
    return out


def _variant(tmp_path: Path, **vc: Any) -> Inventory:
    """The example inventory with some `vc` keys changed (group_vars/all/vc.yml)."""
    root = tmp_path / "inventory"
    shutil.copytree(INVENTORY, root)
    path = root / "group_vars" / "all" / "vc.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["vc"].update(vc)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_inventory(root)


def test_every_codec_renders_with_its_uri_and_the_call_controller(inv: Inventory) -> None:
    codecs = _codecs(inv)
    assert len(codecs) >= 6
    assert inv.vc is not None and inv.vc.transport == "tls"
    registrar = f'"{inv.registrar_address}:{inv.vc.sips_port}"'
    uris = set()
    for h in codecs:
        s = _settings(render_host(inv, h.name))
        assert h.sip_uri and s["SIP URI"] == f'"{codec_uri(h.sip_uri)}"'
        assert not s["SIP URI"].startswith('"sip:')
        uris.add(s["SIP URI"])
        assert s["SIP Proxy 1 Address"] == registrar == f'"{sip_proxy(inv)}"'
        assert [s[f"SIP Proxy {i} Address"] for i in (2, 3, 4)] == ['""'] * 3  # no stale proxy
        site = inv.sites[h.site]
        assert s["SIP DisplayName"] == f'"{site.agency}"'
        assert s["SystemUnit Name"] == f'"{h.name}"'
        assert s["SIP DefaultTransport"] == "Tls"
        assert not [p for p in s if SECRET_PATHS.search(p)]
    assert len(uris) == len(codecs)


def test_the_baseline_and_call_policy_are_in_every_codec(inv: Inventory) -> None:
    ntp = [str(a) for a in inv.baseline.ntp_servers]
    for h in _codecs(inv):
        s = _settings(render_host(inv, h.name))
        assert s["Conference AutoAnswer Mode"] == "Off"
        assert s["Conference FarEndControl Mode"] == "Off"
        assert s["Conference Encryption Mode"] == "On"
        assert s["NetworkServices H323 Mode"] == "Off"  # vc.h323 is false
        assert s["NetworkServices HTTP Mode"] == "HTTPS"
        assert s["NetworkServices SNMP Mode"] == "Off"
        assert s["NetworkServices NTP Mode"] == "Manual"
        assert [s[f"NetworkServices NTP Server {i} Address"].strip('"') for i in (1, 2)] == ntp[:2]
        assert s["Logging External Server Address"] == f'"{inv.baseline.syslog_servers[0]}"'
        assert 1 <= int(s["Security Session InactivityTimeout"]) <= 15
        assert int(s["Security Session InactivityTimeout"]) == inv.baseline.idle_timeout_minutes
        assert (s["Network 1 QoS Mode"], s["Network 1 QoS Diffserv Video"]) == ("Diffserv", "34")
        assert (s["Network 1 QoS Diffserv Audio"], s["Network 1 QoS Diffserv Signalling"]) == ("46", "24")
        assert not any(k.startswith("Network 1 IPv4") for k in s)  # the address is not managed


def test_transport_port_and_h323_follow_the_inventory(tmp_path: Path) -> None:
    variant = _variant(tmp_path, transport="tcp", sip_port=5070, h323=True)
    s = _settings(render_host(variant, "vc-so-noi-vu"))
    assert s["SIP DefaultTransport"] == "TCP"
    assert s["SIP Proxy 1 Address"] == f'"{variant.registrar_address}:5070"'
    assert s["NetworkServices H323 Mode"] == "On"


def test_render_all_and_the_platform_option(inv: Inventory) -> None:
    everything = render_all(inv, mask_secrets=True)
    codecs = {h.name for h in _codecs(inv)}
    assert codecs <= set(everything)
    assert not codecs & set(render_all(inv, platform=Platform.FRR, mask_secrets=True))
    assert set(render_all(inv, platform=Platform.CISCO_TP)) == codecs
    with pytest.raises(RenderError, match=r"vc-so-noi-vu \(frr\): a codec renders only as cisco_tp"):
        render_host(inv, "vc-so-noi-vu", Platform.FRR)


def test_bad_codec_input_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "inventory"
    shutil.copytree(INVENTORY, root)
    path = root / "host_vars" / "vc-so-noi-vu.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^sip_uri: .*$", "sip_uri: 'sip:so\"noi@vc.lamvien.gov.vn'", text))
    bad = load_inventory(root)
    with pytest.raises(RenderError) as err:
        render_host(bad, "vc-so-noi-vu")
    assert "vc-so-noi-vu (cisco_tp)" in str(err.value) and "sip_uri" in str(err.value)
    assert "quote" in str(err.value)


def _cli(*args: str) -> Result:
    return run("render", *args)


def test_cli_renders_a_codec_and_refuses_a_codec_as_frr() -> None:
    result = _cli("-l", "vc-so-noi-vu")
    assert result.exit_code == 0, result.output
    assert 'xConfiguration SIP URI: "so-noi-vu@vc.lamvien.gov.vn"' in result.output
    assert not [s for s in LAB_SECRETS if s in result.output]
    refused = _cli("-l", "vc-so-noi-vu", "--platform", "frr")
    assert refused.exit_code == 2 and "no frr device matches" in refused.output


def test_every_endpoint_of_a_170_endpoint_province_renders(tmp_path: Path) -> None:
    """`inventory generate --vc-endpoints 170`: each codec renders, each with its own URI (from its
    host vars) and the one call controller, on the agency of its own site."""
    from infra.inventory.generate import Shape, generate

    generate(tmp_path / "big", Shape(departments=40, communes=130, vc_endpoints=170))
    big = load_inventory(tmp_path / "big")
    codecs = _codecs(big)
    assert len(codecs) == 170 and codecs == big.vc_endpoints
    configs = render_all(big, codecs)
    assert set(configs) == {h.name for h in codecs}
    proxy = f'"{big.registrar_address}:{big.vc.registrar_port if big.vc else 0}"'
    seen: set[str] = set()
    for h in codecs:
        s = _settings(configs[h.name])
        assert h.sip_uri and s["SIP URI"] == f'"{codec_uri(h.sip_uri)}"'
        assert s["SIP Proxy 1 Address"] == proxy
        assert s["SIP DisplayName"] == f'"{big.sites[h.site].agency}"'
        seen.add(s["SIP URI"])
    assert len(seen) == 170
