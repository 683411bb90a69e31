"""Configuration of the exporters Prometheus scrapes through: infra-snmp-exporter's auths (each
with the targets it may be sent to) and the blackbox exporter's probe modules. Secrets are
`${ENV}` references the exporter resolves at load: nothing secret is ever written to the
rendered files."""

from __future__ import annotations

import ipaddress
from typing import Any

from infra.inventory import Inventory
from infra.monitoring.options import AUTH_PASSWORD_ENV, COMMUNITY_ENV, PRIV_PASSWORD_ENV
from infra.monitoring.snmp_modules import SNMP_V3_AUTH, snmp_auth, snmp_modules

Config = dict[str, Any]


def snmp_exporter_auths(inv: Inventory) -> Config:
    auths: Config = {
        SNMP_V3_AUTH: {
            "version": 3,
            "username": inv.credentials.snmpv3_user,
            "security_level": "authPriv",
            "auth_protocol": "SHA",
            "password": "${" + AUTH_PASSWORD_ENV + "}",
            "priv_protocol": "AES",
            "priv_password": "${" + PRIV_PASSWORD_ENV + "}",
        }
    }
    if any(h.snmp_community for h in inv.hosts.values()):
        auths["infra_v2c"] = {"version": 2, "community": "${" + COMMUNITY_ENV + "}"}
    return {"auths": auths, "allowed_targets": snmp_allowed_targets(inv)}


def snmp_allowed_targets(inv: Inventory) -> Config:
    """Each auth may be sent only to the devices the inventory scrapes with it (the same hosts
    and addresses as the targets/snmp-*.json files): the exporter refuses every other target,
    so whoever reaches it cannot use the province's SNMP credentials elsewhere."""
    by_auth: dict[str, set[str]] = {}
    for h in inv.hosts.values():
        if snmp_modules(inv, h):
            by_auth.setdefault(snmp_auth(h), set()).add(str(h.mgmt_address))
    return {
        auth: {"cidrs": sorted(addresses, key=ipaddress.ip_address)}
        for auth, addresses in sorted(by_auth.items())
    }


def snmp_exporter_environment(inv: Inventory) -> dict[str, str]:
    """The environment the SNMP exporter needs (values revealed from the vault: never write them)."""
    env = {
        AUTH_PASSWORD_ENV: inv.secret(inv.credentials.snmpv3_auth_password).reveal(),
        PRIV_PASSWORD_ENV: inv.secret(inv.credentials.snmpv3_priv_password).reveal(),
    }
    communities = {h.snmp_community for h in inv.hosts.values() if h.snmp_community}
    if communities:
        env[COMMUNITY_ENV] = sorted(communities)[0]
    return env


def blackbox_config(inv: Inventory) -> Config:
    tls = {"insecure_skip_verify": inv.province.lab}  # the lab serves self-signed certificates
    return {
        "modules": {
            "icmp": {"prober": "icmp", "timeout": "3s", "icmp": {"preferred_ip_protocol": "ip4"}},
            "http_2xx": {
                "prober": "http",
                "timeout": "5s",
                "http": {"preferred_ip_protocol": "ip4", "valid_status_codes": []},
            },
            "https_2xx": {
                "prober": "http",
                "timeout": "5s",
                "http": {"preferred_ip_protocol": "ip4", "fail_if_not_ssl": True, "tls_config": tls},
            },
            "smtp_banner": {
                "prober": "tcp",
                "timeout": "5s",
                "tcp": {
                    "preferred_ip_protocol": "ip4",
                    "query_response": [{"expect": "^220 "}, {"send": "QUIT"}],
                },
            },
            "tls_connect": {
                "prober": "tcp",
                "timeout": "5s",
                "tcp": {"preferred_ip_protocol": "ip4", "tls": True, "tls_config": tls},
            },
            "tcp_connect": {"prober": "tcp", "timeout": "5s", "tcp": {"preferred_ip_protocol": "ip4"}},
        }
    }
