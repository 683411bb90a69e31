"""Every variable the templates consume, turned once each: a variant (B) of the example province.

Each `Knob` edits a copy of inventory/ (YAML in, YAML out) and names, per platform, the device
whose rendering the variable changes. The same cases drive the FRR lab test (deploy A -> B -> A
on a real FRR) and the Cisco IOS / Huawei VRP golden tests (remediation and rollback checked
against golden files and the circular property).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.inventory import Inventory, load_inventory
from tests.conftest import INVENTORY

Doc = dict[str, Any]
# secrets of the variant: environment variables (the vault holds A's)
KNOB_SECRETS = {"INFRA_KNOB_BGP_PASSWORD": "Knob-Bgp-Md5-9z1", "INFRA_KNOB_OSPF_KEY": "KnobOsp9"}


@dataclass(frozen=True)
class Knob:
    name: str
    file: str  # the inventory file the variable lives in (relative to inventory/)
    edit: Callable[[Doc], None]
    frr: str | None  # host whose FRR rendering the variable changes (None: FRR renders no such line)
    vendor: str | None  # host whose IOS/VRP rendering it changes (None: they render no such line)

    def variant(self, into: Path) -> Inventory:
        """A copy of the example inventory under `into` with this knob turned."""
        root = into / "inventory"
        shutil.copytree(INVENTORY, root)
        path = root / self.file
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.edit(doc)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return load_inventory(root)


def _set(*keys: str | int, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        node: Any = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return edit


def _link(link_id: str, **changes: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        (link,) = [x for x in doc["links"] if x["id"] == link_id]
        link.update(changes)

    return edit


def _tunnel(tunnel_id: str, **changes: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        (t,) = [x for x in doc["wan_vpn"]["tunnels"] if x["id"] == tunnel_id]
        t.update(changes)

    return edit


def _vlan(vlan_id: int, **changes: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        (v,) = [x for x in doc["vlans"] if x["id"] == vlan_id]
        v.update(changes)

    return edit


BASELINE = "group_vars/all/baseline.yml"
TOPOLOGY = "group_vars/all/topology.yml"
CREDENTIALS = "group_vars/all/credentials.yml"
VC_MOVED = "10.64.0.20/24"  # the endpoint moves to another address on its LAN
CPE = "cpe-so-noi-vu"  # department CPE: carrier BGP, WAN-VPN tunnel, LAN, VC endpoint (QoS)
CORE = "dc-core-1"

KNOBS = (
    # the baseline
    Knob("vty-idle-timeout", BASELINE, _set("baseline", "idle_timeout_minutes", value=9), CPE, CPE),
    Knob(
        "ntp-servers",
        BASELINE,
        _set("baseline", "ntp_servers", value=["10.94.20.14", "10.94.20.16"]),
        None,
        CPE,
    ),
    Knob(
        "syslog-servers",
        BASELINE,
        _set("baseline", "syslog_servers", value=["10.94.20.12", "10.94.20.17"]),
        None,
        CPE,
    ),
    Knob(
        "aaa-servers",
        BASELINE,
        _set("baseline", "aaa_servers", value=["10.94.20.18", "10.94.20.15"]),
        None,
        CPE,
    ),
    Knob("dns-servers", BASELINE, _set("baseline", "dns_servers", value=["10.94.20.14"]), None, CPE),
    Knob(
        "banner", BASELINE, _set("baseline", "banner", value="Authorised access only (changed)."), None, CPE
    ),
    Knob("login-max-failures", BASELINE, _set("baseline", "login_max_failures", value=2), None, CPE),
    Knob("snmp-location", BASELINE, _set("baseline", "snmp_location", value="Rack B2"), None, CPE),
    Knob("snmp-contact", BASELINE, _set("baseline", "snmp_contact", value="soc@lamvien.gov.vn"), None, CPE),
    # OSPF
    Knob("ospf-area", TOPOLOGY, _link("dc-core-1--dc-sw-1", ospf_area=3), CORE, CORE),
    Knob(
        "ospf-timers",
        "group_vars/network.yml",
        _set("ospf", value={"hello_interval": 2, "dead_interval": 8}),
        CORE,
        CORE,
    ),
    Knob("ospf-cost-bandwidth", TOPOLOGY, _link("dc-core-1--dc-sw-1", bandwidth_mbps=40000), None, CORE),
    Knob(
        "ospf-key",
        CREDENTIALS,
        _set("credentials", "ospf_key", value="{{ lookup('env', 'INFRA_KNOB_OSPF_KEY') }}"),
        CORE,
        CORE,
    ),
    Knob(
        "router-id-loopback", f"host_vars/{CORE}.yml", _set("loopback", value="10.126.0.201/32"), CORE, CORE
    ),
    # BGP
    Knob(
        "bgp-password",
        CREDENTIALS,
        _set("credentials", "bgp_password", value="{{ lookup('env', 'INFRA_KNOB_BGP_PASSWORD') }}"),
        CPE,
        CPE,
    ),
    Knob("bgp-connect-timer", "group_vars/all/province.yml", _set("province", "lab", value=False), CPE, None),
    Knob("bgp-asn", f"host_vars/{CPE}.yml", _set("bgp_asn", value=65199), CPE, CPE),
    Knob("bgp-peer-address", TOPOLOGY, _link("cpe-so-noi-vu--tslcd-pe-1", subnet="10.124.1.24/31"), CPE, CPE),
    # addressing
    Knob("link-subnet", TOPOLOGY, _link("dc-core-1--dc-sw-1", subnet="10.124.1.4/31"), CORE, CORE),
    Knob(
        "link-description",
        TOPOLOGY,
        _link("dc-core-1--dc-sw-1", description="core to DC switch (new fibre)"),
        CORE,
        CORE,
    ),
    Knob("tunnel-subnet", TOPOLOGY, _tunnel("vpn-so-noi-vu", subnet="10.122.1.0/31"), CPE, CPE),
    Knob("lan-subnet", f"host_vars/{CPE}.yml", _set("lan", value="10.64.0.0/25"), CPE, CPE),
    Knob(
        "static-route",
        "group_vars/core_routers.yml",
        _set("static_routes", 0, "prefix", value="10.64.0.0/11"),
        CORE,
        CORE,
    ),
    # campus VLANs, ACLs, QoS
    Knob("vlan-name", TOPOLOGY, _vlan(110, name="vp-ubnd-moi"), "campus-core-1", "campus-core-1"),
    Knob("vlan-subnet", TOPOLOGY, _vlan(110, subnet="10.95.100.0/24"), "campus-core-1", "campus-core-1"),
    Knob(
        "acl-management-subnet",
        "group_vars/all/province.yml",
        _set("address_pools", "management", value="10.127.0.0/17"),
        CPE,
        CPE,
    ),
    Knob("qos-wan-bandwidth", TOPOLOGY, _link("cpe-so-noi-vu--tslcd-pe-1", bandwidth_mbps=200), None, CPE),
    Knob("qos-vc-endpoint", "host_vars/vc-so-noi-vu.yml", _set("service_address", value=VC_MOVED), None, CPE),
)


def by_name(name: str) -> Knob:
    (knob,) = [k for k in KNOBS if k.name == name]
    return knob
