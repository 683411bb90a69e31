"""The "done when" list of the lab, proven against the real lab (root; network namespaces)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from infra.lab import lab_up
from infra.lab.netns import lab_namespaces, pids_in, root_links
from infra.lab.paths import SNMP_CLIENT_DIR, SSH_KEY
from infra.lab.plan import FACILITY, ROUTER, SERVER, VC
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.fixtures_lab import LabHandle
from tests.lab.helpers import connect, in_node, vtysh

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def test_every_router_lands_in_vtysh_over_ssh_and_reads_its_running_config(lab: LabHandle) -> None:
    password = lab.inv.secret(lab.inv.credentials.device_password).reveal()
    routers = lab.plan.of_kind(ROUTER)
    assert len(routers) == 32
    for node in routers:
        assert node.mgmt is not None
        conn = connect(str(node.mgmt.ip), lab.inv.credentials.device_username, password)
        try:
            assert conn.find_prompt() == f"{node.name}#"
            running = conn.send_command("show running-config")
        finally:
            conn.disconnect()
        assert f"hostname {node.name}" in running, node.name
        assert "agentx" in running, node.name


def test_every_snmp_node_answers_v3_authpriv_from_inside_the_monitoring_server(lab: LabHandle) -> None:
    c = lab.inv.credentials
    conf = "\n".join(
        [
            "defVersion 3",
            f"defSecurityName {c.snmpv3_user}",
            "defSecurityLevel authPriv",
            "defAuthType SHA",
            "defPrivType AES",
            f"defAuthPassphrase {lab.inv.secret(c.snmpv3_auth_password).reveal()}",
            f"defPrivPassphrase {lab.inv.secret(c.snmpv3_priv_password).reveal()}",
            "",
        ]
    )
    write_conf = "mkdir -p /root/.snmp && cat > /root/.snmp/snmp.conf"
    subprocess.run([*_argv("srv-monitor-1"), "sh", "-c", write_conf], input=conf, text=True, check=True)
    nodes = [n for n in lab.plan.nodes.values() if n.kind in (ROUTER, VC, FACILITY)]
    # every router, switch, VC endpoint and facility device of the inventory (58 in the example)
    assert {n.name for n in nodes} == {h.name for h in lab.inv.hosts.values() if not h.is_server}
    script = "".join(
        f"echo {n.name} $(MIBS= snmpget -Oqv -r 2 -t 2 {n.mgmt.ip} 1.3.6.1.2.1.1.5.0 2>&1)\n"
        for n in nodes
        if n.mgmt
    )
    out = in_node("srv-monitor-1", "sh", "-c", script).stdout
    answers = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    wrong = {n.name: answers.get(n.name) for n in nodes if answers.get(n.name, "").strip('"') != n.name}
    assert not wrong, f"nodes whose sysName did not come back over SNMPv3: {wrong}"


def test_routers_serve_bgp4_and_ospf_mibs_through_agentx(lab: LabHandle) -> None:
    env = {**os.environ, "SNMPCONFPATH": str(SNMP_CLIENT_DIR), "MIBS": ""}
    hub = lab.inv.hosts["wan-hub-1"]
    for oid in ("1.3.6.1.2.1.15.1.0", "1.3.6.1.2.1.14.1.2.0"):  # bgpVersion, ospfAdminStat
        out = subprocess.run(
            ["snmpget", "-Oqv", str(hub.mgmt_address), oid], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0 and "No Such" not in out.stdout, (oid, out.stdout)


def test_a_ups_answers_from_its_recording(lab: LabHandle) -> None:
    env = {**os.environ, "SNMPCONFPATH": str(SNMP_CLIENT_DIR), "MIBS": ""}
    ups = lab.inv.hosts["ups-dc-1"]
    out = subprocess.run(
        ["snmpget", "-Oqv", str(ups.mgmt_address), "1.3.6.1.2.1.1.1.0", "1.3.6.1.4.1.318.1.1.1.1.1.1.0"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    descr, model = out.stdout.splitlines()
    assert "APC" in descr and "Smart-UPS" in model


def _argv(node: str) -> list[str]:
    from infra.lab.exec import exec_argv

    return exec_argv(node, ["true"])[:-1]


def _carrier(lab: LabHandle, host: str) -> tuple[str, str, str]:
    i = next(i for i in lab.inv.interfaces[host] if i.kind == "carrier_access")
    assert i.address and i.peer_host and i.peer_address
    pe_if = next(p.lab_name for p in lab.inv.interfaces[i.peer_host] if p.link_id == i.link_id)
    return i.lab_name, str(i.address), pe_if


def test_a_wan_vpn_tunnel_carries_traffic(lab: LabHandle) -> None:
    t = next(t for t in lab.plan.tunnels if t.spoke == "cpe-so-noi-vu")
    pe = "tslcd-pe-1"
    routes: list[tuple[str, str]] = []
    if not lab.converged:  # the minimal underlay: carrier addresses (as intended) + host routes via the PE
        for node, peer_ep in ((t.hub, t.spoke_endpoint), (t.spoke, t.hub_endpoint)):
            ifname, addr, pe_if = _carrier(lab, node)
            pe_addr = next(i for i in lab.inv.interfaces[pe] if i.lab_name == pe_if).address
            assert pe_addr is not None
            vtysh(node, "configure terminal", f"interface {ifname}", f"ip address {addr}")
            vtysh(pe, "configure terminal", f"interface {pe_if}", f"ip address {pe_addr}")
            route = f"ip route {peer_ep}/32 {pe_addr.ip}"
            vtysh(node, "configure terminal", route)
            routes.append((node, route))
    try:
        ok = False
        for _ in range(30):  # the spoke initiates (the hub only answers), as a branch office does
            ping = in_node(t.spoke, "ping", "-c", "1", "-W", "1", "-I", t.spoke_if, str(t.hub_addr.ip))
            if ping.returncode == 0:
                ok = True
                break
            time.sleep(0.5)
        assert ok, "no answer through the tunnel"
        shown = in_node(t.hub, "wg", "show", t.hub_if, "transfer").stdout.split()
        assert int(shown[1]) > 0 and int(shown[2]) > 0  # bytes received and sent by the hub's peer
    finally:
        for node, route in routes:
            vtysh(node, "configure terminal", f"no {route}")


def test_campus_hosts_reach_each_other_in_a_vlan_and_not_across_vlans(lab: LabHandle) -> None:
    same = in_node("unit-110-1", "ping", "-c", "2", "-W", "1", "10.95.0.253")  # unit-110-2
    assert same.returncode == 0, same.stdout
    # Put a VLAN-111 host into VLAN 110's subnet: only the VLANs (layer 2) can keep them apart.
    in_node("unit-111-1", "ip", "addr", "add", "10.95.0.250/24", "dev", "eth1", check=True)
    try:
        across = in_node("unit-110-1", "ping", "-c", "2", "-W", "1", "10.95.0.250")
        assert across.returncode != 0, "a host in VLAN 111 answered from VLAN 110"
        control = in_node("unit-111-2", "ping", "-c", "1", "-W", "1", "10.95.0.250")
        assert control.returncode != 0  # different subnet on unit-111-2: no route without the core
    finally:
        in_node("unit-111-1", "ip", "addr", "del", "10.95.0.250/24", "dev", "eth1")


def test_an_ansible_ad_hoc_command_runs_on_every_lab_server(lab: LabHandle) -> None:
    env = {
        **os.environ,
        "ANSIBLE_PRIVATE_KEY_FILE": str(SSH_KEY),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o UserKnownHostsFile=/dev/null",
        "ANSIBLE_FORKS": "10",
    }
    proc = subprocess.run(
        [
            str(REPO / ".venv/bin/ansible"),
            "-i",
            str(INVENTORY),
            "servers",
            "-o",
            "-m",
            "command",
            "-a",
            "cat /etc/hostname",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    servers = [n.name for n in lab.plan.of_kind(SERVER)]
    assert sorted(servers) == sorted(h.name for h in lab.inv.hosts.values() if h.is_server)
    for name in servers:
        assert f"{name} | CHANGED | rc=0 | (stdout) {name}" in proc.stdout, proc.stdout + proc.stderr
    for secret in LAB_SECRETS:
        assert secret not in proc.stdout + proc.stderr


def test_a_second_up_changes_nothing(lab: LabHandle) -> None:
    before = {ns: sorted(pids_in(ns)) for ns in lab_namespaces()}
    links = root_links()
    report = lab_up(lab.inv, wait=30)
    assert report.created == []
    assert {ns: sorted(pids_in(ns)) for ns in lab_namespaces()} == before
    assert root_links() == links
    assert all(s.ready for s in report.status)


def test_status_and_outputs_carry_no_secret(lab: LabHandle) -> None:
    out = subprocess.run(
        [str(REPO / ".venv/bin/infra"), "-i", str(INVENTORY), "--format", "json", "lab", "status"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert '"ssh": "ok"' in out.stdout
    for secret in LAB_SECRETS:
        assert secret not in out.stdout + out.stderr


def test_a_ups_can_be_switched_to_a_modified_recording_and_back(lab: LabHandle) -> None:
    from infra.lab.snmprec import serve_modified_recording

    env = {**os.environ, "SNMPCONFPATH": str(SNMP_CLIENT_DIR), "MIBS": ""}
    ups = str(lab.inv.hosts["ups-dc-2"].mgmt_address)
    status_oid = "1.3.6.1.4.1.318.1.1.1.4.1.1.0"  # upsBasicOutputStatus: 2 onLine, 3 onBattery

    def output_status() -> str:
        return subprocess.run(
            ["snmpget", "-Oqv", ups, status_oid], env=env, capture_output=True, text=True
        ).stdout

    assert output_status().strip() == "2"
    serve_modified_recording(lab.inv, "ups-dc-2", [f"{status_oid}=2:3"])
    try:
        assert output_status().strip() == "3"
    finally:
        serve_modified_recording(lab.inv, "ups-dc-2", [], reset=True)
    assert output_status().strip() == "2"


def test_the_lab_logs_carry_no_secret(lab: LabHandle) -> None:
    from infra.lab.paths import RUN_DIR

    logs = [p for p in RUN_DIR.rglob("*.log") if p.is_file()]
    assert logs, "no log file found: nothing to prove"
    for path in logs:
        text = path.read_text(errors="replace")
        for secret in LAB_SECRETS:
            assert secret not in text, path
