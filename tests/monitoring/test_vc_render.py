"""The VC system in the rendered monitoring: targets with inventory labels, infra-sip-probe's
configuration (accepted by the probe itself), the inventory info series the VC alerts join on,
and nothing of it for a province without a VC system."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from infra.inventory import Inventory
from infra.monitoring import RenderOptions, render_monitoring
from infra.monitoring.render import Rendered

CONTROLLER_LABELS = {"host": "srv-vc-1", "site": "dc", "role": "server", "platform": "linux"}


def info(rendered: Rendered, record: str) -> list[dict[str, Any]]:
    groups = yaml.safe_load(rendered.files["rules/inventory.yml"])["groups"]
    return [r for g in groups for r in g["rules"] if r.get("record") == record]


def jobs(rendered: Rendered, name: str = "prometheus.yml") -> dict[str, dict[str, Any]]:
    return {j["job_name"]: j for j in yaml.safe_load(rendered.files[name])["scrape_configs"]}


def test_kamailio_rtpengine_and_the_probe_are_scraped_with_the_controllers_labels(rendered: Rendered) -> None:
    controller = json.loads(rendered.files["targets/vc-controller.json"])
    relay = json.loads(rendered.files["targets/vc-media-relay.json"])
    # the management address, as for node exporter
    assert controller == [
        {"targets": ["10.127.0.69:8088"], "labels": CONTROLLER_LABELS | {"service": "kamailio"}}
    ]
    assert relay == [
        {"targets": ["10.127.0.69:9901"], "labels": CONTROLLER_LABELS | {"service": "rtpengine"}}
    ]
    j = jobs(rendered)
    assert {"vc_controller", "vc_media_relay", "vc_registration"} <= set(j)
    assert j["vc_registration"]["metrics_path"] == "/probe"
    assert {"target_label": "__address__", "replacement": "127.0.0.1:9117"} in j["vc_registration"][
        "relabel_configs"
    ]
    exporters = {c["labels"]["exporter"]: c["targets"] for c in j["exporters"]["static_configs"]}
    assert exporters["sip_probe"] == ["127.0.0.1:9117"]


def test_production_scrapes_the_management_address_too(example_inventory: Inventory) -> None:
    """Metrics and the JSON-RPC are management functions: never the service VLAN the codecs use."""
    production = dataclasses.replace(
        example_inventory, province=example_inventory.province.model_copy(update={"lab": False})
    )
    r = render_monitoring(production, RenderOptions())
    assert json.loads(r.files["targets/vc-controller.json"])[0]["targets"] == ["10.127.0.69:8088"]
    assert yaml.safe_load(r.files["sip-probe.yml"])["rpc_url"] == "http://10.127.0.69:8088/RPC"


def test_every_endpoint_has_its_info_series_and_its_aor_in_the_probe(
    rendered: Rendered, example_inventory: Inventory
) -> None:
    endpoints = {r["labels"]["endpoint"]: r["labels"] for r in info(rendered, "infra_vc_endpoint_info")}
    assert len(endpoints) == len(example_inventory.vc_endpoints) == 20
    assert endpoints["vc-xa-da-huoai"] == {
        "host": "vc-xa-da-huoai",
        "endpoint": "vc-xa-da-huoai",
        "site": "xa-da-huoai",
        "agency": "Xã Đạ Huoai",
        "role": "vc_endpoint",
        "platform": "cisco_tp",
        "aor": "sip:xa-da-huoai@vc.lamvien.gov.vn",
        "link_id": "vpn-xa-da-huoai",  # what InfraWanLinkDown of that site carries
    }
    probe = yaml.safe_load(rendered.files["sip-probe.yml"])
    assert {e["endpoint"]: e["aor"] for e in probe["endpoints"]} == {
        n: labels["aor"] for n, labels in endpoints.items()
    }
    assert [r["labels"] for r in info(rendered, "infra_vc_call_controller_info")] == [CONTROLLER_LABELS]
    assert [r["labels"]["meeting"] for r in info(rendered, "infra_vc_meeting_info")] == ["giao-ban-ubnd"]


def test_thresholds_come_from_the_inventory_in_base_units(example_inventory: Inventory) -> None:
    vc = example_inventory.vc
    assert vc is not None
    strict = vc.model_copy(
        update={"readiness": vc.readiness.model_copy(update={"min_mos": 4.1, "max_jitter_ms": 20})}
    )
    r = render_monitoring(dataclasses.replace(example_inventory, vc=strict), RenderOptions())
    thresholds = {x["labels"]["threshold"]: x["expr"] for x in info(r, "infra_vc_threshold")}
    assert thresholds == {
        "min_mos": "vector(4.1)",
        "max_loss_ratio": "vector(0.01)",  # 1.0 %
        "max_jitter_seconds": "vector(0.02)",  # 20 ms
        "call_setup_seconds": "vector(5)",
    }


def test_the_probe_accepts_the_rendered_configuration(rendered_dir: Path) -> None:
    probe = Path(sys.executable).with_name("infra-sip-probe")
    r = subprocess.run(
        [str(probe), "--dry-run", "--config.file", str(rendered_dir / "sip-probe.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "call controller srv-vc-1 at http://10.127.0.69:8088/RPC, 20 endpoints" in r.stdout


def test_a_province_without_vc_gets_no_vc_jobs(example_inventory: Inventory) -> None:
    r = render_monitoring(dataclasses.replace(example_inventory, vc=None), RenderOptions(shards=2))
    assert "sip-probe.yml" not in r.files
    assert not [f for f in r.files if f.startswith("targets/vc-")]
    assert not {"vc_controller", "vc_registration"} & set(jobs(r, "prometheus-shard-0.yml"))
    assert "sip_probe" not in r.files["prometheus-shard-0.yml"]
    assert not info(r, "infra_vc_endpoint_info")
    assert "infra:vc_endpoint_registered" not in r.files["rules/recording.yml"]
