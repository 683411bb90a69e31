"""Symptoms a cut WAN link explains, folded under it on the Alerts page: the series the province's
rules leave out of their own expression (`wan_explained`), which Alertmanager never holds.
Pure first, then through a real Prometheus evaluating the province's rendered rules over metrics
labelled as our exporters label them, and a real Alertmanager."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.inventory import Inventory
from infra.monitoring.alerts import ALERTS, wan_explained, wan_symptoms
from infra.monitoring.labels import host_labels, interface_name_on_device
from infra.monitoring.options import RenderOptions
from infra.monitoring.rules import rule_files
from infra.oncall.alerts import alerts_view
from infra.oncall.board import Snapshot
from infra.oncall.sources import Alert, Sample
from infra.oncall.symptoms import MARK, symptom_query
from infra.state import StatePaths
from tests.monitoring.alertmanager_testlib import post_alerts, run_alertmanager
from tests.oncall.conftest import Exposition, board_client, run_prometheus, wait_for
from tests.ports import free_port

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
CUT = "xa-ta-nung"  # its tunnel is down and InfraWanLinkDown is in Alertmanager
CUT_UNSEEN = "xa-cat-tien"  # its tunnel is down, but no InfraWanLinkDown has reached Alertmanager
UP = "xa-lam-ha"  # its tunnel is up; its codec is not registered all the same


def test_the_symptom_expressions_are_what_wan_explained_wraps() -> None:
    symptoms = wan_symptoms()
    assert {
        "InfraDeviceUnreachable",
        "InfraWanEndpointUnreachable",
        "InfraOspfNeighbourDown",
        "InfraBgpPeerDown",
        "InfraVcEndpointNotRegistered",
    } <= set(symptoms)
    rules = {a.name: a.expr for a in ALERTS}
    assert all(wan_explained(expr) == rules[name] for name, expr in symptoms.items())
    assert symptoms["InfraVcEndpointNotRegistered"] == "infra:vc_endpoint_registered == 0"
    # wrapped only inside a province-wide count: not a per-series symptom
    assert "InfraVcRegistrationsDropping" not in symptoms and "InfraWanLinkDown" not in symptoms
    query = symptom_query({"InfraX": "x == 0"})
    assert query == (
        "label_replace((x == 0) and on (site) (infra:wan_site_reachable == 0) or (x == 0) and on (link_id) "
        '(infra:wan_link_up == 0), "alertname", "InfraX", "", "")'
    )


def link_down(inv: Inventory, site: str, fp: str = "link") -> Alert:
    labels = {
        "alertname": "InfraWanLinkDown",
        "severity": "critical",
        "host": "wan-hub-1",
        "site": site,
        "link_id": inv.wan_link_of(site) or "",
        "link_kind": "tunnel",
    }
    return Alert("InfraWanLinkDown", labels, {}, NOW, "active", fp)


def codec_unregistered(inv: Inventory, site: str) -> Sample:
    host = inv.hosts[f"vc-{site}"]
    labels = host_labels(inv, host) | {
        "__name__": "infra:vc_endpoint_registered",
        "alertname": "InfraVcEndpointNotRegistered",
        "endpoint": host.name,
        "aor": host.sip_uri or "",
        "link_id": inv.wan_link_of(site) or "",
    }
    return Sample(labels, 0)


def test_symptoms_fold_under_the_link_of_their_site_only(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    inv = example_inventory
    cpe = inv.hosts[f"cpe-{CUT}"]
    unreachable = Sample(host_labels(inv, cpe) | {"alertname": "InfraDeviceUnreachable", "job": "icmp"}, 0)
    held = Alert(  # fired before the cut was seen: Alertmanager still holds it, shown once
        "InfraVcEndpointNotRegistered",
        {**codec_unregistered(inv, CUT).labels, "severity": "warning"},
        {},
        NOW,
        "active",
        "held",
    )
    snap = Snapshot([link_down(inv, CUT)], taken=NOW)
    samples = [codec_unregistered(inv, CUT), unreachable, codec_unregistered(inv, UP)]
    view = alerts_view(inv, snap, StatePaths.from_env(tmp_path), symptoms=samples)
    [group] = view.groups
    assert [(a.name, a.host, a.state, a.symptom) for a in group.folded] == [
        ("InfraDeviceUnreachable", cpe.name, MARK, True),
        ("InfraVcEndpointNotRegistered", f"vc-{CUT}", MARK, True),
    ]
    reasons = {a.name: a.reason for a in group.folded}
    assert reasons == {
        "InfraDeviceUnreachable": f"site {CUT} is cut off",  # no link_id: by its site
        "InfraVcEndpointNotRegistered": f"WAN link vpn-{CUT} is down",
    }
    codec = group.folded[1]
    assert codec.severity == "warning" and codec.silence == "" and codec.age == ""
    assert next(f for f in codec.facts if f.label == "Device").href == f"/device/vc-{CUT}"
    as_json = view.as_json()["groups"][0]["folded"][1]
    assert as_json["symptom"] is True and as_json["starts_at"] is None and as_json["silence"] is None

    by_host = alerts_view(inv, snap, StatePaths.from_env(tmp_path), host=f"vc-{CUT}", symptoms=samples)
    assert [g.root.name for g in by_host.groups] == ["InfraWanLinkDown"]  # the symptom's device
    with_held = Snapshot([link_down(inv, CUT), held], taken=NOW)
    view = alerts_view(inv, with_held, StatePaths.from_env(tmp_path), symptoms=samples)
    assert [(a.name, a.symptom) for a in view.groups[0].folded] == [
        ("InfraVcEndpointNotRegistered", False),
        ("InfraDeviceUnreachable", True),
    ]
    nothing = alerts_view(inv, Snapshot([], taken=NOW), StatePaths.from_env(tmp_path), symptoms=samples)
    assert nothing.groups == []  # no link down to fold them under: not shown


# ---- through a real Prometheus and a real Alertmanager ------------------------------------------


@pytest.fixture(scope="module")
def rules_prometheus(
    example_inventory: Inventory, exposition: tuple[Exposition, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real Prometheus evaluating the province's rendered rules, alerts included (fast mode)."""
    _, target = exposition
    data = tmp_path_factory.mktemp("symptoms-prom")
    files = rule_files(example_inventory, RenderOptions(fast_alerts=True))
    paths = []
    for name in ("inventory.yml", "recording.yml", "alerts.yml"):
        (data / name).write_text(yaml.safe_dump(files[name], allow_unicode=True))
        paths.append(data / name)
    yield from run_prometheus(target, data, tuple(paths))


@pytest.fixture(scope="module")
def symptoms_alertmanager(rendered_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own Alertmanager: what the other modules post would add groups here."""
    yield from run_alertmanager(rendered_dir, tmp_path_factory.mktemp("symptoms-am"))


def series(name: str, labels: dict[str, str], value: float) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}" + f" {value:g}"


def exporter_metrics(inv: Inventory) -> str:
    """Every tunnel end (infra-snmp-exporter's ifOperStatus), down at the hub for CUT and
    CUT_UNSEEN; every codec's registration (infra-sip-probe), 0 for those two and UP; the ICMP
    probe of CUT's CPE failing (blackbox)."""
    assert inv.wan_vpn is not None
    cut = {inv.wan_link_of(CUT), inv.wan_link_of(CUT_UNSEEN)}
    lines = []
    for host, ifaces in inv.interfaces.items():
        for i in ifaces:
            if i.kind != "tunnel":
                continue
            labels = {"job": "snmp", "instance": host, **host_labels(inv, inv.hosts[host])}
            labels |= {"ifIndex": "7", "ifName": interface_name_on_device(inv, i.name, i.lab_name)}
            down = i.link_id in cut and host == inv.wan_vpn.hub
            lines.append(series("ifOperStatus", labels, 2 if down else 1))
    for h in inv.hosts.values():
        if h.sip_uri:
            registered = h.site not in (CUT, CUT_UNSEEN, UP)
            labels = {"job": "vc_registration", "instance": "sip-probe", "endpoint": h.name, "aor": h.sip_uri}
            lines.append(series("infra_vc_registered", labels, int(registered)))
    for site in (CUT, UP):
        cpe = inv.hosts[f"cpe-{site}"]
        labels = {"job": "icmp", "instance": cpe.name, **host_labels(inv, cpe)}
        lines.append(series("probe_success", labels, int(site != CUT)))
    return "\n".join(lines) + "\n"


def prometheus_alerts(url: str, **labels: str) -> list[dict[str, str]]:
    """The ALERTS series Prometheus holds with LABELS (pending or firing)."""
    selector = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    query = urllib.parse.urlencode({"query": f"ALERTS{{{selector}}}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as answer:
        return [r["metric"] for r in json.load(answer)["data"]["result"]]


def groups_at(client: Any, site: str) -> list[dict[str, Any]]:
    return [g for g in client.get("/api/alerts").json()["groups"] if g["root"]["labels"].get("site") == site]


def test_the_codec_of_a_cut_commune_is_folded_under_its_link(
    example_inventory: Inventory,
    exposition: tuple[Exposition, str],
    rules_prometheus: str,
    symptoms_alertmanager: str,
    tmp_path: Path,
) -> None:
    inv = example_inventory
    link = inv.wan_link_of(CUT) or ""
    metrics, _ = exposition
    metrics.set(exporter_metrics(inv))
    # The link down fires in Prometheus; what it fires is what Alertmanager gets.
    firing = wait_for(
        f"InfraWanLinkDown firing for {link}",
        lambda: prometheus_alerts(
            rules_prometheus, alertname="InfraWanLinkDown", alertstate="firing", link_id=link
        ),
    )
    post_alerts(
        symptoms_alertmanager,
        [{k: v for k, v in firing[0].items() if k not in ("__name__", "alertstate")}],
    )
    # The rule leaves the cut codec out, while the codec at a site whose link is up is pending.
    codec = "InfraVcEndpointNotRegistered"

    def pending() -> list[dict[str, str]]:
        return prometheus_alerts(rules_prometheus, alertname=codec, host=f"vc-{UP}")

    wait_for(f"vc-{UP} pending", pending)
    assert prometheus_alerts(rules_prometheus, alertname=codec, host=f"vc-{CUT}") == []
    assert prometheus_alerts(rules_prometheus, alertname="InfraDeviceUnreachable", host=f"cpe-{CUT}") == []

    with board_client(inv, rules_prometheus, symptoms_alertmanager, tmp_path) as client:

        def folded() -> list[dict[str, Any]]:
            found = groups_at(client, CUT)
            ok = found and len(found[0]["folded"]) == 2
            return found if ok else []

        [group] = wait_for(f"the symptoms of {CUT} folded under its link", folded)
        assert group["root"]["name"] == "InfraWanLinkDown" and group["root"]["labels"]["link_id"] == link
        assert {(f["name"], f["labels"]["host"], f["state"], f.get("symptom")) for f in group["folded"]} == {
            ("InfraVcEndpointNotRegistered", f"vc-{CUT}", MARK, True),
            ("InfraDeviceUnreachable", f"cpe-{CUT}", MARK, True),
        }
        api = client.get("/api/alerts").json()
        assert api["problems"] == []
        shown = [f["labels"].get("host") for g in api["groups"] for f in [g["root"], *g["folded"]]]
        assert f"vc-{UP}" not in shown  # its link is up: an alert of its own (once it fires), no symptom
        assert f"vc-{CUT_UNSEEN}" not in shown  # explained by a link down Alertmanager does not hold

        html = client.get("/alerts", params={"site": CUT}).text
        start = html.index(f'id="group-{group["id"]}"')
        head = html[start - 300 : start + 400]
        assert 'data-alert="InfraWanLinkDown"' in head and 'data-folded="2"' in head, head
        item = rf'<li class="alert folded symptom warning" data-alert="{codec}">(.*?)</li>'
        found = re.search(item, html, re.S)
        assert found is not None, html
        assert MARK in found.group(1) and f'href="/device/vc-{CUT}"' in found.group(1)
        assert 'class="silence"' not in found.group(1)  # nothing to silence: it does not alert
        assert "2 symptoms explained by InfraWanLinkDown" in html

        # Prometheus gone: the same group, nothing folded, a banner, no error.
        dead = f"http://127.0.0.1:{free_port()}"
        with board_client(inv, dead, symptoms_alertmanager, tmp_path) as down:
            api = down.get("/api/alerts").json()
            [same] = [g for g in api["groups"] if g["id"] == group["id"]]
            assert same["folded"] == []
            [problem] = api["problems"]
            assert problem.startswith("Prometheus is not answering")
            page = down.get("/alerts", params={"part": "live"})
            assert page.status_code == 200 and "Prometheus is not answering" in page.text
            assert 'data-folded="0"' in page.text and "symptom" not in page.text


def test_without_a_cut_wan_link_prometheus_is_not_asked(
    example_inventory: Inventory, rendered_dir: Path, tmp_path: Path
) -> None:
    """The symptom query is the alerts page's most expensive part at scale: it is asked only when
    a WAN link is down. With Prometheus dead and no link down, no banner says it was asked."""
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "am").mkdir()
    own = run_alertmanager(rendered_dir, tmp_path / "am")  # no other test's alerts in it
    alertmanager = next(own)
    try:
        post_alerts(
            alertmanager, [{"alertname": "InfraSymptomsNotAsked", "severity": "warning", "site": "dc"}]
        )
        with board_client(example_inventory, dead, alertmanager, tmp_path) as client:
            page = wait_for(
                "the alert on the page",
                lambda: (
                    (p := client.get("/api/alerts").json())
                    and any(g["root"]["name"] == "InfraSymptomsNotAsked" for g in p["groups"])
                    and p
                ),
            )
            assert not [p for p in page["problems"] if "Prometheus" in p], page["problems"]
            # a link down: now Prometheus is asked, and its silence is a banner
            link_down = {"alertname": "InfraWanLinkDown", "severity": "critical", "site": "so-y-te"}
            post_alerts(alertmanager, [link_down])
            wait_for(
                "the banner for the symptom query",
                lambda: [p for p in client.get("/api/alerts").json()["problems"] if "Prometheus" in p],
            )
    finally:
        own.close()
