"""What `infra monitoring render` derives from the inventory: targets, labels, modules, shards,
inhibition, exporter auths, and that no secret ever lands in a rendered file or the output."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from infra.cli import cli
from infra.inventory import Inventory
from infra.monitoring import RenderOptions, render_monitoring
from infra.monitoring.alerts import ALERTS, wan_explained
from infra.monitoring.exporter_config import snmp_exporter_environment
from infra.monitoring.render import Rendered
from infra.monitoring.rules import alert_rule
from infra.monitoring.snmp_modules import snmp_modules
from tests.conftest import LAB_SECRETS

ROOT = Path(__file__).resolve().parents[2]


def targets(rendered: Rendered, name: str) -> list[dict[str, Any]]:
    return json.loads(rendered.files[f"targets/{name}"])  # type: ignore[no-any-return]


def test_every_target_carries_inventory_labels(rendered: Rendered, example_inventory: Inventory) -> None:
    seen = set()
    for path, text in rendered.files.items():
        if not path.startswith("targets/"):
            continue
        for group in json.loads(text):
            labels = group["labels"]
            host = example_inventory.hosts[labels["host"]]
            assert labels["site"] == host.site
            assert labels["role"] == host.role
            assert labels["platform"] == host.platform
            agency = example_inventory.sites[host.site].agency
            assert labels.get("agency") == agency
            seen.add(host.name)
    assert seen == set(example_inventory.hosts)  # every host is watched by some job


def test_wan_probes_every_agency_endpoint_with_its_link_id(
    rendered: Rendered, example_inventory: Inventory
) -> None:
    wan = targets(rendered, "wan.json")
    assert example_inventory.wan_vpn is not None
    assert len(wan) == len(example_inventory.wan_vpn.tunnels) == 20
    so_y_te = next(g for g in wan if g["labels"]["host"] == "cpe-so-y-te")
    assert so_y_te["targets"] == ["10.122.0.7"]
    assert so_y_te["labels"]["link_id"] == "vpn-so-y-te"
    assert so_y_te["labels"]["agency"] == "Sở Y tế"


def test_service_probes_choose_the_blackbox_module_per_protocol(rendered: Rendered) -> None:
    services = {g["labels"]["service"]: g for g in targets(rendered, "services.json")}
    assert {"smtp", "imaps", "portal", "one-stop-shop", "lgsp"} <= set(services)
    assert services["smtp"]["labels"]["__param_module"] == "smtp_banner"
    assert services["imaps"]["labels"]["__param_module"] == "tls_connect"
    assert services["portal"]["labels"]["__param_module"] == "https_2xx"
    # a lab province probes the management address: the only one reachable from the monitoring host
    assert services["portal"]["targets"] == ["https://10.127.0.35:443/healthz"]


def test_snmp_modules_follow_role_and_platform(example_inventory: Inventory) -> None:
    inv = example_inventory
    hub = inv.hosts["wan-hub-1"]
    assert snmp_modules(inv, hub) == ("if_mib", "system", "bgp4", "ospf")  # FRR plays the ISR in the lab
    production = dataclasses.replace(inv, province=inv.province.model_copy(update={"lab": False}))
    assert snmp_modules(production, hub) == ("if_mib", "system", "cisco_cpu", "cisco_envmon", "bgp4", "ospf")
    assert "huawei_entity" in snmp_modules(production, inv.hosts["cpe-xa-lam-ha"])
    assert snmp_modules(inv, inv.hosts["ups-dc-1"]) == ("apc_ups",)
    assert snmp_modules(inv, inv.hosts["pdu-dc-1"]) == ("pdu",)
    assert snmp_modules(inv, inv.hosts["env-dc-1"]) == ("akcp_sensorprobe",)
    assert snmp_modules(inv, inv.hosts["srv-mail-1"]) == ()
    assert "ospf" not in snmp_modules(inv, inv.hosts["tslcd-pe-1"])  # the carrier PE runs BGP only


def hashmod(value: str, modulus: int) -> int:
    """Prometheus' hashmod relabel action: the low 8 bytes of MD5, big-endian, modulo."""
    return int.from_bytes(hashlib.md5(value.encode()).digest()[8:], "big") % modulus


def test_shards_split_by_host_and_global_federates_them(example_inventory: Inventory) -> None:
    r = render_monitoring(example_inventory, RenderOptions(shards=3))
    for i in range(3):
        cfg = yaml.safe_load(r.files[f"prometheus-shard-{i}.yml"])
        assert cfg["global"]["external_labels"]["shard"] == str(i)
        for job in cfg["scrape_configs"]:
            if job["job_name"] == "exporters":
                continue
            first, keep = job["relabel_configs"][:2]
            assert first == {
                "source_labels": ["host"],
                "modulus": 3,
                "target_label": "__tmp_shard",
                "action": "hashmod",
            }
            assert keep == {"source_labels": ["__tmp_shard"], "regex": str(i), "action": "keep"}
    glob = yaml.safe_load(r.files["prometheus-global.yml"])
    fed = glob["scrape_configs"][0]
    assert fed["honor_labels"] is True and fed["metrics_path"] == "/federate"
    assert fed["static_configs"][0]["targets"] == ["127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093"]
    spread = Counter(hashmod(h, 3) for h in example_inventory.hosts)
    assert set(spread) == {0, 1, 2} and min(spread.values()) >= 10  # every shard gets a fair part


def test_inhibition_is_derived_from_the_topology(rendered: Rendered) -> None:
    rules = yaml.safe_load(rendered.files["alertmanager.yml"])["inhibit_rules"]
    by_source = {tuple(r["source_matchers"]): r for r in rules}
    wan = 'alertname=~"InfraWanLinkDown|InfraWanEndpointUnreachable"'
    # a spoke's tunnel or its CPE's carrier link cuts off exactly its site: one rule for every spoke,
    # on the site the alerts carry (tests/monitoring/test_inhibition_fold.py: the same inhibitions as
    # one rule per link)
    spoke = by_source[(wan, 'cuts_off="site"')]
    assert (spoke["target_matchers"], spoke["equal"]) == ([], ["site"])
    # the spoke's own CPE silences its site, except the link alerts that carry that site too
    # (each would otherwise silence the other)
    cpe = by_source[('alertname="InfraDeviceUnreachable"', 'cuts_off="site"')]
    assert cpe["target_matchers"] == [f"alertname!~{wan.removeprefix('alertname=~')}"]
    assert cpe["equal"] == ["site"]
    # the hub and the carrier PE carry every spoke site
    upstream = by_source[('alertname="InfraDeviceUnreachable"', 'host=~"tslcd-pe-1|wan-hub-1"')]
    sites = upstream["target_matchers"][0].removeprefix('site=~"').removesuffix('"').split("|")
    assert len(sites) == 20 and "xa-lam-ha" in sites and "dc" not in sites
    hub_link = by_source[(wan, 'link_id="wan-hub-1--tslcd-pe-1"')]
    assert len(hub_link["target_matchers"][0].split("|")) == 20
    assert len(upstream["target_matchers"]) == 1  # the hub down silences the spokes' link alerts too
    assert len(rules) == 14  # nothing per spoke: no rule names a CPE or a spoke's link
    assert not any("cpe-" in m or "vpn-" in m for r in rules for m in r["source_matchers"])


def test_the_causes_of_a_spoke_site_carry_cuts_off(rendered: Rendered) -> None:
    """`cuts_off="site"` on exactly the causes that cut off the site they carry: a spoke's CPE
    (its ping), its VPN endpoint, its tunnel and carrier access (either end); never the hub, the
    PE or the hub's carrier access, whose alerts carry the data centre's site."""
    icmp = {g["labels"]["host"]: g["labels"] for g in json.loads(rendered.files["targets/icmp.json"])}
    marked = {h for h, labels in icmp.items() if labels.get("cuts_off") == "site"}
    assert "cpe-so-y-te" in marked and len(marked) == 20
    assert all(h.startswith("cpe-") for h in marked)
    wan = json.loads(rendered.files["targets/wan.json"])
    assert wan and all(g["labels"]["cuts_off"] == "site" for g in wan)
    groups = yaml.safe_load(rendered.files["rules/inventory.yml"])["groups"]
    info = [r["labels"] for g in groups for r in g["rules"] if r["record"] == "infra_wan_link_info"]
    for i in info:
        expected = "site" if i["site"] != "dc" else None
        assert i.get("cuts_off") == expected, i
    recording = yaml.safe_load(rendered.files["rules/recording.yml"])["groups"][0]["rules"]
    link_up = next(r["expr"] for r in recording if r["record"] == "infra:wan_link_up")
    assert "cuts_off" in link_up


def test_a_wan_link_carries_the_site_it_serves(rendered: Rendered) -> None:
    groups = yaml.safe_load(rendered.files["rules/inventory.yml"])["groups"]
    info = [r["labels"] for g in groups for r in g["rules"] if r["record"] == "infra_wan_link_info"]
    by_end = {(i["host"], i["link_id"]): i for i in info}
    spoke = {"site": "so-y-te", "agency": "Sở Y tế", "hub_site": "dc"}
    # the tunnel from the hub's end and from the CPE's end, and the CPE's carrier access (PE's end)
    for end in (
        ("wan-hub-1", "vpn-so-y-te"),
        ("cpe-so-y-te", "vpn-so-y-te"),
        ("tslcd-pe-1", "cpe-so-y-te--tslcd-pe-1"),
    ):
        assert {k: by_end[end].get(k) for k in spoke} == spoke, end
    assert by_end[("wan-hub-1", "vpn-so-y-te")]["peer_site"] == "so-y-te"
    # the hub's own carrier access serves every spoke: it stays at the hub's site, no agency
    hub_access = by_end[("wan-hub-1", "wan-hub-1--tslcd-pe-1")]
    assert (hub_access["site"], hub_access["hub_site"], "agency" in hub_access) == ("dc", "dc", False)
    # a WAN interface is described once, by infra_wan_link_info
    wan_ends = {(i["host"], i["ifName"]) for i in info}
    other = [r["labels"] for g in groups for r in g["rules"] if r["record"] == "infra_interface_info"]
    assert wan_ends.isdisjoint((i["host"], i["ifName"]) for i in other)
    # a site is cut off when its own links are down; the hub's site never counts as cut off
    recording = yaml.safe_load(rendered.files["rules/recording.yml"])["groups"][0]["rules"]
    reachable = next(r["expr"] for r in recording if r["record"] == "infra:wan_site_reachable")
    assert 'infra:wan_link_up{site!="dc"}' in reachable


def test_no_secret_in_any_rendered_file(rendered: Rendered, example_inventory: Inventory) -> None:
    env = snmp_exporter_environment(example_inventory)  # reveals the SNMPv3 secrets
    assert set(env.values()) <= set(LAB_SECRETS)
    for path, text in rendered.files.items():
        for secret in LAB_SECRETS:
            assert secret not in text, f"{secret!r} leaked into {path}"
    auths = yaml.safe_load(rendered.files["snmp-exporter.yml"])["auths"]["infra_v3"]
    assert auths["password"] == "${INFRA_SNMP_AUTH_PASSWORD}"
    assert auths["priv_password"] == "${INFRA_SNMP_PRIV_PASSWORD}"
    assert auths["username"] == "infra-mon"


def test_the_snmp_exporter_accepts_the_rendered_auths(
    rendered_dir: Path, example_inventory: Inventory
) -> None:
    env = os.environ | snmp_exporter_environment(example_inventory)
    exporter = Path(sys.executable).with_name("infra-snmp-exporter")
    r = subprocess.run(
        [str(exporter), "--dry-run", "--config.file", str(rendered_dir / "snmp-exporter.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "infra_v3" in r.stdout
    for secret in LAB_SECRETS:
        assert secret not in r.stdout + r.stderr


def test_cli_render_writes_files_and_leaks_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--format", "json", "monitoring", "render", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    files = {f["file"] for f in json.loads(result.output)["files"]}
    assert {
        "prometheus.yml",
        "alertmanager.yml",
        "rules/alerts.yml",
        "dashboards/province-overview.json",
    } <= files
    assert (tmp_path / "m" / "targets" / "wan.json").is_file()
    for secret in LAB_SECRETS:
        assert secret not in result.output


def test_cli_bad_input_is_a_clear_usage_error(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["monitoring", "render", "--out", str(tmp_path), "--scrape-interval", "fast"])
    assert r.exit_code == 2 and "--scrape-interval: 'fast' is not valid" in r.output
    r = runner.invoke(cli, ["monitoring", "render", "--out", str(tmp_path), "--snmp-exporter", "nohostport"])
    assert r.exit_code == 2 and "--snmp-exporter" in r.output
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = runner.invoke(cli, ["monitoring", "render", "--out", str(blocker / "sub")])
    assert r.exit_code == 2 and "cannot write" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_fast_mode_keeps_causes_faster_than_consequences(example_inventory: Inventory) -> None:
    r = render_monitoring(example_inventory, RenderOptions(fast_alerts=True))
    rules = {
        rule["alert"]: rule["for"]
        for group in yaml.safe_load(r.files["rules/alerts.yml"])["groups"]
        for rule in group["rules"]
    }
    seconds = {name: int(f[:-1]) for name, f in rules.items()}
    assert seconds["InfraWanLinkDown"] < seconds["InfraWanEndpointUnreachable"]
    assert seconds["InfraWanLinkDown"] < seconds["InfraOspfNeighbourDown"]
    assert seconds["InfraUpsOnBattery"] < seconds["InfraDeviceUnreachable"]
    assert max(seconds.values()) <= 60


@pytest.mark.parametrize("fast", [False, True], ids=["normal", "fast-alerts"])
def test_consequences_of_a_cut_wait_longer_than_the_cut(fast: bool) -> None:
    """docs/monitoring.md, "Root cause first": each alert a cut explains leaves cut-off sites and
    down links out of its expression, and its `for:` is strictly longer than the link alert's."""
    opts = RenderOptions(fast_alerts=fast)
    rules = {a.name: alert_rule(a, opts) for a in ALERTS}
    link = seconds(rules["InfraWanLinkDown"]["for"])
    explained = [a.name for a in ALERTS if a.expr.endswith(wan_explained("x").removeprefix("(x)"))]
    assert {"InfraWanEndpointUnreachable", "InfraOspfNeighbourDown", "InfraDeviceUnreachable"} <= set(
        explained
    )
    for name in explained:
        assert seconds(rules[name]["for"]) > link, name
    assert "InfraWanLinkDown" not in explained  # the cause itself never hides


def seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]
