"""Every rendered Cisco and Huawei configuration of the example province carries the security baseline
of DOMAIN.md (the compliance audit checks the same rules with their STIG/CIS ids), and QoS for VC."""

from __future__ import annotations

import re

import pytest

from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY

_INV = load_inventory(INVENTORY)
DEVICES = [h.name for h in _INV.hosts.values() if h.is_network_device]

# (rule, pattern that must match at least `count` times)
CISCO = [
    ("ssh v2", r"^ip ssh version 2$", 1),
    ("vty ssh only", r"^ transport input ssh$", 2),
    ("vty access-class", r"^ access-class VTY-MGMT in$", 2),
    ("idle timeout <= 10", r"^ exec-timeout (10|[1-9]) 0$", 3),
    ("login lockout", r"^login block-for \d+ attempts [1-3] within \d+$", 1),
    ("tacacs servers", r"^tacacs server TACACS-\d$", 2),
    ("command accounting", r"^aaa accounting commands 15 default start-stop group TACACS-GROUP$", 1),
    ("local last-resort account", r"^username admin privilege 15 algorithm-type scrypt secret <secret>$", 1),
    ("enable secret", r"^enable algorithm-type scrypt secret <secret>$", 1),
    ("password encryption", r"^service password-encryption$", 1),
    ("banner", r"^banner login \^C$", 1),
    (
        "snmpv3 authpriv aes",
        r"^snmp-server user infra-mon INFRA-MON v3 auth sha <secret> priv aes 128 <secret>",
        1,
    ),
    ("snmpv3 priv group", r"^snmp-server group INFRA-MON v3 priv ", 1),
    ("syslog servers", r"^logging host \S+$", 2),
    ("log timestamps", r"^service timestamps log datetime msec", 1),
    ("ntp servers with key", r"^ntp server \S+ key 1$", 2),
    ("ntp authenticate", r"^ntp authenticate$", 1),
    ("archive log config", r"^  logging enable$", 1),
    ("no http server", r"^no ip http server$", 1),
    ("no http secure server", r"^no ip http secure-server$", 1),
    ("no bootp", r"^no ip bootp server$", 1),
    ("no pad", r"^no service pad$", 1),
]
CISCO_FORBIDDEN = [
    r"^snmp-server community",
    r"transport input (telnet|all)",
    r"^ip http server",
    r"ip finger",
]
HUAWEI = [
    ("stelnet", r"^stelnet server enable$", 1),
    ("no telnet", r"^undo telnet server enable$", 1),
    ("vty acl", r"^ acl 2000 inbound$", 1),
    ("vty ssh only", r"^ protocol inbound ssh$", 1),
    ("idle timeout <= 10", r"^ idle-timeout (10|[1-9]) 0$", 2),
    ("lockout", r"^ local-aaa-user wrong-password retry-interval \d+ retry-time [1-3] block-time \d+$", 1),
    ("hwtacacs servers", r"^ hwtacacs-server authentication \S+", 2),
    ("command accounting", r"^ cmd recording-scheme TACACS$", 1),
    ("banner", r"^header login information ", 1),
    ("snmpv3 privacy aes", r"^snmp-agent usm-user v3 infra-mon privacy-mode aes128 cipher <secret>$", 1),
    ("snmpv3 only", r"^snmp-agent sys-info version v3$", 1),
    ("syslog servers", r"^info-center loghost \d\S+ ", 2),
    ("log timestamps", r"^info-center timestamp log date precision-time millisecond$", 1),
    ("ntp servers with key", r"^ntp-service unicast-server \S+ authentication-keyid 1$", 2),
    ("ntp authentication", r"^ntp-service authentication enable$", 1),
    ("no http", r"^undo http server enable$", 1),
]
HUAWEI_FORBIDDEN = [r"snmp-agent community", r"protocol inbound (telnet|all)", r"^telnet server enable"]


def _count(pattern: str, text: str) -> int:
    return len(re.findall(pattern, text, flags=re.M))


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.mark.parametrize("host", DEVICES)
def test_cisco_baseline(inv: Inventory, host: str) -> None:
    text = render_host(inv, host, Platform.CISCO_IOS, mask_secrets=True)
    missing = [rule for rule, pattern, n in CISCO if _count(pattern, text) < n]
    assert not missing, f"{host}: baseline rules missing: {missing}"
    present = [p for p in CISCO_FORBIDDEN if _count(p, text)]
    assert not present, f"{host}: forbidden lines: {present}"


@pytest.mark.parametrize("host", DEVICES)
def test_huawei_baseline(inv: Inventory, host: str) -> None:
    text = render_host(inv, host, Platform.HUAWEI_VRP, mask_secrets=True)
    missing = [rule for rule, pattern, n in HUAWEI if _count(pattern, text) < n]
    assert not missing, f"{host}: baseline rules missing: {missing}"
    present = [p for p in HUAWEI_FORBIDDEN if _count(p, text)]
    assert not present, f"{host}: forbidden lines: {present}"


def _blocks(text: str, header: str) -> dict[str, str]:
    """Interface name -> its block of lines."""
    out: dict[str, str] = {}
    for m in re.finditer(rf"^{header} (\S+)\n((?: .*\n)*)", text, flags=re.M):
        out[m.group(1)] = m.group(2)
    return out


def test_every_wan_interface_queues_and_every_lan_marks(inv: Inventory) -> None:
    hub = render_host(inv, "wan-hub-1", Platform.CISCO_IOS, mask_secrets=True)
    assert re.search(r"^ class VOICE\n  priority percent \d+$", hub, flags=re.M)
    assert re.search(r"^ class VIDEO-CONF\n  bandwidth percent \d+$", hub, flags=re.M)
    assert re.search(r"^ class VC-TRAFFIC\n  set dscp af41$", hub, flags=re.M)
    blocks = _blocks(hub, "interface")
    tunnels = {n: b for n, b in blocks.items() if n.startswith("Tunnel")}
    assert len(tunnels) == 20
    for name, block in tunnels.items():
        assert " service-policy output WAN-SHAPE-200M\n" in block, name
        assert " tunnel protection ipsec profile WAN-VPN\n" in block, name
        assert " ip ospf message-digest-key 1 md5 <secret>\n" in block, name
    edge = blocks["GigabitEthernet0/0/3"]
    for line in (
        " service-policy output WAN-SHAPE-1000M",
        " ip verify unicast source reachable-via rx",
        " no cdp enable",
    ):
        assert line + "\n" in edge
    core = render_host(inv, "campus-core-1", Platform.CISCO_IOS, mask_secrets=True)
    svis = {n: b for n, b in _blocks(core, "interface").items() if n.startswith("Vlan")}
    assert len(svis) == 8 and all(" service-policy input MARK-VC\n" in b for b in svis.values())


def test_access_switch_ports_follow_the_vlans(inv: Inventory) -> None:
    text = render_host(inv, "campus-acc-1", Platform.CISCO_IOS, mask_secrets=True)
    blocks = _blocks(text, "interface")
    access = {n: b for n, b in blocks.items() if " switchport mode access\n" in b and "shutdown" not in b}
    assert len(access) == 48
    assert sum(" switchport access vlan 110\n" in b for b in access.values()) == 24
    assert sum(" switchport access vlan 114\n" in b for b in access.values()) == 24
    assert all(
        " spanning-tree bpduguard enable\n" in b and " storm-control action trap\n" in b
        for b in access.values()
    )
    assert " switchport trunk allowed vlan 110,114\n" in blocks["GigabitEthernet1/1/1"]
    assert " switchport trunk native vlan 999\n" in blocks["GigabitEthernet1/1/1"]
    assert "shutdown" in blocks["Vlan1"]
