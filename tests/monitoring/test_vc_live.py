"""The VC monitoring chain with real parts on loopback: a live Kamailio (tests/kamailio.py) with
endpoints registered by SIPp, infra-sip-probe, Prometheus and Alertmanager as `infra monitoring up`
starts them on the example province's rendered configuration. Only the VC targets are pointed at
the loopback Kamailio instead of srv-vc-1 (the lab is not needed). Proves that Kamailio's own
/metrics and the probe's series reach Prometheus under the rendered jobs, that the recording rule
gives each endpoint its inventory labels, and that the registration alerts evaluate on them."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from infra.inventory import Inventory
from infra.monitoring.stack import Ports, StackError, start_stack, stop_stack
from tests.kamailio import kamailio
from tests.ports import port_in_use, with_fresh_ports

CONTROLLER = {"host": "srv-vc-1", "site": "dc", "role": "server", "platform": "linux", "service": "kamailio"}


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?query={urllib.parse.quote(expr)}"
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)["data"]["result"]  # type: ignore[no-any-return]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def test_registrations_reach_prometheus_with_inventory_labels_and_alert(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    out = tmp_path / "monitoring"
    with kamailio(tmp_path) as k:
        k.register("so-noi-vu", 600)
        k.register("xa-da-huoai", 600)
        stack = with_fresh_ports(
            5,
            lambda p: start_stack(
                example_inventory, out, Ports(*p), fast_alerts=True, lab_stand_ins=False,
                with_targets=False, scrape_interval="1s", board=False,
            ),
            lambda e: isinstance(e, StackError) and port_in_use(str(e)),
        )  # fmt: skip
        try:
            probe_config = yaml.safe_load((out / "sip-probe.yml").read_text())
            probe_config["rpc_url"] = k.rpc_url
            (out / "sip-probe.yml").write_text(yaml.safe_dump(probe_config))
            req = urllib.request.Request(f"{stack.urls['sip-probe']}/-/reload", method="POST")
            urllib.request.urlopen(req, timeout=10)
            (out / "targets" / "vc-controller.json").write_text(
                json.dumps([{"targets": [f"127.0.0.1:{k.http_port}"], "labels": CONTROLLER}])
            )
            (out / "targets" / "vc-registration.json").write_text(
                json.dumps([{"targets": ["srv-vc-1"], "labels": CONTROLLER}])
            )
            prom = stack.urls["prometheus"]

            # Kamailio's own metrics (xhttp_prom) under job vc_controller
            wait_for(
                "kamailio_usrloc_registered_users == 2",
                lambda: query(
                    prom, 'kamailio_usrloc_registered_users{job="vc_controller", host="srv-vc-1"} == 2'
                ),
            )
            # every inventory endpoint, 2 registered, each with its inventory labels
            wait_for("20 endpoints", lambda: query(prom, "count(infra:vc_endpoint_registered) == 20"))
            registered = query(prom, "infra:vc_endpoint_registered == 1")
            assert sorted(r["metric"]["endpoint"] for r in registered) == ["vc-so-noi-vu", "vc-xa-da-huoai"]
            huoai = next(r["metric"] for r in registered if r["metric"]["endpoint"] == "vc-xa-da-huoai")
            assert huoai == {
                "__name__": "infra:vc_endpoint_registered",
                "endpoint": "vc-xa-da-huoai",
                "host": "vc-xa-da-huoai",
                "site": "xa-da-huoai",
                "agency": "Xã Đạ Huoai",
                "role": "vc_endpoint",
                "platform": "cisco_tp",
                "aor": "sip:xa-da-huoai@vc.lamvien.gov.vn",
                "link_id": "vpn-xa-da-huoai",
            }

            def not_registered(endpoint: str) -> list[dict[str, Any]]:
                return query(prom, f'ALERTS{{alertname="InfraVcEndpointNotRegistered", host="{endpoint}"}}')

            # 18 of 20 unregistered: each endpoint's alert and the province-wide one evaluate
            wait_for("vc-so-y-te's registration alert", lambda: not_registered("vc-so-y-te"))
            wait_for(
                "the province-wide drop",
                lambda: query(prom, 'ALERTS{alertname="InfraVcRegistrationsDropping", host="srv-vc-1"}'),
            )
            assert not_registered("vc-so-noi-vu") == []
            k.register("so-noi-vu", 0)  # the codec unregisters
            wait_for("vc-so-noi-vu's registration alert", lambda: not_registered("vc-so-noi-vu"))
            assert not_registered("vc-xa-da-huoai") == []
        finally:
            stop_stack(out)
