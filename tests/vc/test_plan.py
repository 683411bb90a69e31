"""Which endpoints a run checks and what it knows about each, from the example province."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from infra.inventory import Inventory, load_inventory
from infra.inventory.generate import Shape, generate
from infra.vc.plan import VcInputError, plan_check
from infra.vc.session import codec_target, prometheus_url
from tests.inventory.helpers import copy_inventory, edit_yaml


def test_a_meeting_selects_its_endpoints_at_its_bitrate(example_inventory: Inventory) -> None:
    plan = plan_check(example_inventory, "vc-xa-*", "giao-ban-ubnd")
    assert [e.host for e in plan.endpoints] == [
        h.name for h in example_inventory.vc_endpoints if h.site.startswith("xa-")
    ]
    ep = next(e for e in plan.endpoints if e.host == "vc-xa-da-huoai")
    assert (ep.site, ep.site_kind, ep.cpe, ep.wan_link, ep.bitrate_kbps) == (
        "xa-da-huoai", "commune", "cpe-xa-da-huoai", "vpn-xa-da-huoai", 1920
    )  # fmt: skip
    assert ep.agency == example_inventory.sites["xa-da-huoai"].agency
    assert ep.wan_link_mbps == example_inventory.tunnel("vpn-xa-da-huoai").bandwidth_mbps  # type: ignore[union-attr]
    assert plan.test_room_uri == "sip:testroom@vc.lamvien.gov.vn" and plan.call_controller == "srv-vc-1"
    assert (plan.thresholds.call_setup_s, plan.thresholds.sample_s, plan.thresholds.min_mos) == (5, 6, 3.6)


def test_a_meetings_own_bitrate_or_the_largest_of_the_meetings_naming_it(tmp_path: Path) -> None:
    path = copy_inventory(tmp_path)
    meeting = {"name": "so-y-te", "endpoints": "vc-so-y-te", "bitrate_kbps": 4000}
    edit_yaml(path / "group_vars/all/vc.yml", lambda d: d["vc"]["meetings"].append(meeting))
    inv = load_inventory(path)
    assert plan_check(inv, "vc-so-y-te", "giao-ban-ubnd").endpoints[0].bitrate_kbps == 1920
    assert plan_check(inv, "vc-so-y-te", None).endpoints[0].bitrate_kbps == 4000
    assert plan_check(inv, "vc-so-noi-vu", None).endpoints[0].bitrate_kbps == 1920
    assert [e.host for e in plan_check(inv, None, "so-y-te").endpoints] == ["vc-so-y-te"]


def test_endpoints_at_one_site_share_its_wan_link(tmp_path: Path) -> None:
    generate(tmp_path / "p", Shape(vc_endpoints=45))
    plan = plan_check(load_inventory(tmp_path / "p"), None, None)
    per_link = Counter(e.wan_link for e in plan.endpoints)
    assert max(per_link.values()) > 1
    assert all(e.sharing == per_link[e.wan_link] for e in plan.endpoints)
    one = plan.endpoints[-1]  # --limit does not change who joins the meeting over that link
    assert plan_check(load_inventory(tmp_path / "p"), one.host, None).endpoints[0].sharing == one.sharing


def test_no_vc_system_is_bad_input(example_inventory: Inventory) -> None:
    with pytest.raises(VcInputError, match="the inventory describes no VC system"):
        plan_check(replace(example_inventory, vc=None), None, None)


def test_the_prometheus_url(example_inventory: Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFRA_PROMETHEUS_URL", raising=False)
    assert prometheus_url(example_inventory) == "http://127.0.0.1:19090"  # `infra monitoring up`
    production = replace(
        example_inventory, province=example_inventory.province.model_copy(update={"lab": False})
    )
    assert prometheus_url(production) == "http://10.94.20.11:9090"  # srv-monitor-1's prometheus service
    monkeypatch.setenv("INFRA_PROMETHEUS_URL", "http://127.0.0.1:29090")
    assert prometheus_url(example_inventory) == "http://127.0.0.1:29090"
    assert prometheus_url(example_inventory, "http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_the_codec_login_uses_the_codec_credentials(example_inventory: Inventory) -> None:
    ep = plan_check(example_inventory, "vc-so-noi-vu", None).endpoints[0]
    target = codec_target(example_inventory, ep)
    assert (target.address, target.port, target.platform, target.username) == (
        "10.127.0.43",
        22,
        "cisco_tp",
        "admin",
    )
    assert target.password.reveal() == "Lab-Codec-Pw-6m2k" and "Lab-Codec-Pw-6m2k" not in repr(target)
