"""The video-conference system in the inventory: described once, checked before anything is contacted."""

from __future__ import annotations

from pathlib import Path

from infra.inventory import Inventory
from infra.inventory.models import Platform
from tests.inventory.helpers import edit_yaml
from tests.inventory.test_errors import broken, edit_topology, set_host_var


def test_every_department_and_commune_has_an_endpoint_on_its_lan(example_inventory: Inventory) -> None:
    inv = example_inventory
    endpoints = inv.vc_endpoints
    agency_sites = {s for s, site in inv.sites.items() if site.kind in ("department", "commune")}
    assert {h.site for h in endpoints} == agency_sites
    assert len([h for h in endpoints if inv.sites[h.site].kind == "commune"]) >= 10
    for h in endpoints:
        router = inv.lan_router(h)
        assert router is not None and router.role.value == "cpe" and router.site == h.site
        assert h.platform == Platform.CISCO_TP and h.sip_uri and h.sip_uri.endswith("@vc.lamvien.gov.vn")
        assert inv.endpoint_gateway(h) == next(router.lan.hosts()) if router.lan else False
        assert inv.wan_link_of(h.site) == f"vpn-{h.site}"
    assert inv.call_controller is not None and inv.call_controller.name == "srv-vc-1"
    assert str(inv.registrar_address) == "10.94.20.16"
    assert inv.test_room_uri == "sip:testroom@vc.lamvien.gov.vn"


def test_a_sip_uri_used_twice_is_refused(tmp_path: Path) -> None:
    code, out = broken(tmp_path, set_host_var("vc-xa-lam-ha", "sip_uri", "sip:xa-da-huoai@vc.lamvien.gov.vn"))
    assert code == 2
    assert "host vc-xa-lam-ha" in out and "field sip_uri" in out and "also the URI of vc-xa-da-huoai" in out


def test_an_endpoint_whose_site_has_no_wan_path_is_refused(tmp_path: Path) -> None:
    def cut(doc: dict) -> None:  # type: ignore[type-arg]
        doc["links"] = [x for x in doc["links"] if x["id"] != "cpe-xa-da-huoai--tslcd-pe-1"]
        doc["wan_vpn"]["tunnels"] = [t for t in doc["wan_vpn"]["tunnels"] if t["spoke"] != "cpe-xa-da-huoai"]

    code, out = broken(tmp_path, edit_topology(cut))
    assert code == 2
    assert "host vc-xa-da-huoai" in out and "cpe-xa-da-huoai" in out and "no WAN path" in out


def test_an_endpoint_outside_any_lan_of_its_site_is_refused(tmp_path: Path) -> None:
    code, out = broken(tmp_path, set_host_var("vc-xa-da-huoai", "service_address", "10.64.12.10/24"))
    assert code == 2
    assert (
        "vc-xa-da-huoai.yml:" in out and "no router at site xa-da-huoai has a LAN holding 10.64.12.10" in out
    )


def test_a_codec_without_credentials_is_refused(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(
            inv / "group_vars" / "all" / "credentials.yml",
            lambda d: d["credentials"].pop("codec_password"),
        )

    code, out = broken(tmp_path, edit)
    assert code == 2 and "credentials.codec_password" in out and "codecs (e.g. vc-so-noi-vu)" in out


def test_a_call_controller_that_is_not_a_host_is_refused(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(
            inv / "group_vars" / "all" / "vc.yml", lambda d: d["vc"].__setitem__("call_controller", "srv-x")
        )

    code, out = broken(tmp_path, edit)
    assert code == 2 and "vc.yml:" in out and "vc.call_controller 'srv-x' is not a host" in out
