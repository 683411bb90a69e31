"""Write a generated province as an Ansible inventory: hosts.yml, group_vars/ and host_vars/.

`generate.py` draws the province (hosts, sites, links, tunnels, VLANs as plain data); this module
lays it out in files, with the group tree, the province-wide settings and each group's role vars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.inventory.generate_vc import VC_SYSTEM


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def _write(path: Path, data: Any, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(f"---\n# {header}\n{body}", encoding="utf-8")


def write_province(
    out: Path,
    name: str,
    lab: bool,
    *,
    hosts: dict[str, dict[str, Any]],
    host_vars: dict[str, dict[str, Any]],
    sites: dict[str, Any],
    links: list[dict[str, Any]],
    tunnels: list[dict[str, Any]],
    vlans: list[dict[str, Any]],
) -> None:
    def grp(*names: str) -> dict[str, Any]:
        return {n: {"hosts": hosts[n]} for n in names if n in hosts}

    tree = {
        "all": {
            "children": {
                "network": {
                    "children": {
                        **grp("core_routers", "dc_switches", "firewalls", "wan_hubs", "carrier_pe"),
                        "cpe": {"children": grp("cpe_departments", "cpe_communes")},
                        "campus": {"children": grp("campus_core", "access_switches")},
                    }
                },
                "servers": {
                    "children": {k: {"hosts": v} for k, v in hosts.items() if k.startswith("servers_")}
                },
                **grp("vc_endpoints"),
                "facilities": {"children": grp("ups", "pdus", "env_sensors")},
            }
        }
    }
    _write(
        out / "hosts.yml", tree, f"{name}: hosts and groups. Topology lives in group_vars/all/topology.yml."
    )
    gv = out / "group_vars"
    _write(
        gv / "all" / "province.yml",
        {
            "province": {"name": name, "code": "lamvien", "domain": "lamvien.gov.vn", "lab": lab},
            "address_pools": {
                "lab_space": "10.64.0.0/10",
                "management": "10.127.0.0/16",
                "loopbacks": "10.126.0.0/16",
                "p2p": "10.124.0.0/15",
                "wan_vpn": "10.122.0.0/15",
                "lans": "10.64.0.0/11",
            },
            "carrier": {"name": "TSLCD (dedicated data network of Party and State agencies)", "asn": 64600},
        },
        "The province and its address plan. lab_space is blackholed on the host by `infra lab up`.",
    )
    _write(gv / "all" / "vc.yml", {"vc": VC_SYSTEM}, "The video-conference system (docs/vc.md).")
    _write(gv / "all" / "sites.yml", {"sites": sites}, "Sites: the data centre, the campus, every agency.")
    _write(
        gv / "all" / "topology.yml",
        {
            "links": links,
            "wan_vpn": {"hub": "wan-hub-1", "listen_port_base": 51820, "tunnels": tunnels},
            "vlans": vlans,
        },
        "Every link, tunnel and VLAN, written once: both ends are derived from each entry.",
    )
    _write(
        gv / "all" / "baseline.yml",
        {
            "baseline": {
                "ntp_servers": ["10.94.20.14", "10.94.20.15"],
                "syslog_servers": ["10.94.20.12", "10.94.20.13"],
                "aaa_servers": ["10.94.20.14", "10.94.20.15"],
                "dns_servers": ["10.94.20.14", "10.94.20.15"],
                "banner": "Authorised access only. This system belongs to the provincial government of "
                f"{name}; activity is logged and monitored.",
                "idle_timeout_minutes": 10,
                "login_max_failures": 3,
                "snmp_location": "Provincial data-integration centre",
                "snmp_contact": "noc@lamvien.gov.vn",
            }
        },
        "The security baseline (DOMAIN.md): rendered into every device, checked by infra audit.",
    )
    _write(
        gv / "all" / "credentials.yml",
        {
            "credentials": {
                "device_username": "admin",
                "server_username": "root",
                "snmpv3_user": "infra-mon",
                "device_password": "{{ vault_device_password }}",
                "enable_secret": "{{ vault_enable_secret }}",
                "snmpv3_auth_password": "{{ vault_snmpv3_auth_password }}",
                "snmpv3_priv_password": "{{ vault_snmpv3_priv_password }}",
                "aaa_key": "{{ vault_aaa_key }}",
                "ospf_key": "{{ vault_ospf_key }}",
                "bgp_password": "{{ vault_bgp_password }}",
                "ntp_key": "{{ vault_ntp_key }}",
                "wan_vpn_psk": "{{ vault_wan_vpn_psk }}",
                "codec_username": "admin",
                "codec_password": "{{ vault_codec_password }}",
            }
        },
        "Who infra logs in as. Secrets are references to group_vars/all/vault.yml (ansible-vault).",
    )
    role_vars = {
        "core_routers": {"role": "core_router", "platform": "cisco_ios", "site": "dc"},
        "dc_switches": {"role": "dc_switch", "platform": "huawei_vrp", "site": "dc"},
        "firewalls": {"role": "firewall", "platform": "huawei_vrp", "site": "dc"},
        "wan_hubs": {"role": "wan_hub", "platform": "cisco_ios", "site": "dc"},
        "carrier_pe": {"role": "carrier_pe", "platform": "frr", "site": "tslcd"},
        "cpe": {"role": "cpe"},
        "campus_core": {"role": "campus_core", "platform": "cisco_ios", "site": "campus"},
        "access_switches": {"role": "access_switch", "platform": "cisco_ios", "site": "campus"},
        "servers": {
            "role": "server",
            "platform": "linux",
            "site": "dc",
            "ansible_user": "root",
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_private_key_file": "/var/lib/infra-lab/ssh/id_ed25519",  # the lab's login key
        },
        "vc_endpoints": {"role": "vc_endpoint", "platform": "cisco_tp"},
        "ups": {"role": "ups", "platform": "snmp", "site": "dc"},
        "pdus": {"role": "pdu", "platform": "snmp", "site": "dc"},
        "env_sensors": {"role": "env_sensor", "platform": "snmp", "site": "dc"},
    }
    for g, v in role_vars.items():
        _write(gv / f"{g}.yml", v, f"What every host of group {g} is.")
    _write(
        gv / "network.yml",
        {"ansible_user": "admin", "ospf": {"hello_interval": 1, "dead_interval": 4}},
        "Network devices. Fast OSPF timers so the lab converges in seconds; use 10/40 on real WAN links.",
    )
    for h, v in host_vars.items():
        _write(out / "host_vars" / f"{h}.yml", v, f"{h}")
