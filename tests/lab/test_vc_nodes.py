"""VC endpoints in the lab (issue 13, point 3's plumbing): each endpoint is a node on its agency's
LAN behind its CPE, managed over SSH with the codec account, running baresip; after a deploy of
the routers it reaches the call controller across the WAN-VPN, and not once its tunnel is cut."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from infra.deploy import EXIT_OK, DeployOptions, deploy
from infra.inventory.models import Host
from infra.lab.netns import pids_in
from infra.lab.plan import ROUTER, VC, LabPlan, Node
from infra.lab.status import lab_status
from infra.state import StatePaths
from tests.fixtures_lab import LabHandle
from tests.lab.helpers import in_node

pytestmark = pytest.mark.lab

ENDPOINT = "vc-xa-da-huoai"  # a commune's codec: its CPE is a WAN-VPN spoke
FALLBACK = "vc-so-noi-vu"  # before the inventory has commune endpoints


def _endpoint(lab: LabHandle) -> Node:
    return lab.plan.nodes.get(ENDPOINT) or lab.plan.nodes[FALLBACK]


def _call_controller(lab: LabHandle) -> str:
    address = lab.inv.registrar_address
    assert address is not None, "the inventory names no call controller"
    return str(address)


@pytest.fixture(scope="module")
def deployed(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> LabHandle:
    """The routers deployed by `infra deploy`'s orchestration (no change if they already are)."""
    routers: list[Host] = [h for h in lab.inv.hosts.values() if lab.plan.nodes[h.name].kind == ROUTER]
    state = StatePaths.from_env(tmp_path_factory.mktemp("vc-deploy-state"))
    options = DeployOptions(forks=25, restore_window_s=5.0, comment="vc lab nodes")
    report = deploy(lab.inv, routers, options, state)
    bad = {h: r.message for h, r in report.results.results.items() if not r.ok}
    assert report.exit_code == EXIT_OK, bad
    return lab


def _ping(node: str, source: str, dest: str) -> subprocess.CompletedProcess[str]:
    return in_node(node, "ping", "-n", "-c", "1", "-W", "1", "-I", source, dest, timeout=30)


def _wait_ping(node: str, source: str, dest: str, *, ok: bool, within: float) -> bool:
    deadline = time.monotonic() + within
    while True:
        if (_ping(node, source, dest).returncode == 0) == ok:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(1)


def _processes(node: Node) -> list[tuple[str, int]]:
    """(command name, real uid) of every process in the node."""
    out = []
    for pid in pids_in(node.netns):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            uid = int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0])
        except (OSError, IndexError):
            continue
        out.append((name, uid))
    return out


def test_every_endpoint_sits_on_its_agency_lan_behind_its_cpe(lab: LabHandle) -> None:
    endpoints = lab.plan.of_kind(VC)
    assert endpoints
    bridges = {lan.cpe: lan.name for lan in lab.plan.lans.values()}
    for node in endpoints:
        assert node.host is not None and node.access is not None
        assert node.gateway == lab.inv.endpoint_gateway(node.host)
        addrs = in_node(node.name, "ip", "-o", "-4", "addr", "show", "dev", "eth1").stdout
        assert f"inet {node.access} " in addrs, (node.name, addrs)
        route = in_node(node.name, "ip", "route", "show", "default").stdout
        assert f"default via {node.gateway} dev eth1" in route, (node.name, route)
        # the endpoint's eth1 and its CPE's lan0 are ports of the same bridge
        (port,) = [p for p in lab.plan.lan_ports if p.node == node.name]
        (cpe_port,) = [p for p in lab.plan.lan_ports if p.node == port.lan and p.node != node.name]
        members = subprocess.run(
            ["ip", "-o", "link", "show", "master", bridges[port.lan]], capture_output=True, text=True
        ).stdout
        assert port.root_if in members and cpe_port.root_if in members, (node.name, members)
        assert "lan0" in in_node(port.lan, "ip", "-o", "link", "show", "lan0").stdout


def test_status_reports_the_endpoint_daemons(lab: LabHandle) -> None:
    endpoints = lab.plan.of_kind(VC)
    status = lab_status(lab.inv, LabPlan(nodes={n.name: n for n in endpoints}))
    assert len(status) == len(endpoints)
    for st in status:
        assert st.daemons == {"sshd": True, "baresip": True, "snmpd": True}, st
        assert st.ssh is True and st.snmp is True, st
    assert "baresip" in {name for name, _ in _processes(_endpoint(lab))}


@pytest.fixture
def codec_session(lab: LabHandle) -> Iterator[paramiko.Channel]:
    node = _endpoint(lab)
    assert node.mgmt is not None and lab.inv.credentials.codec_password is not None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        str(node.mgmt.ip),
        username=lab.inv.credentials.codec_username,
        password=lab.inv.secret(lab.inv.credentials.codec_password).reveal(),
        allow_agent=False,
        look_for_keys=False,
        timeout=20,
    )
    try:
        channel = client.invoke_shell(width=511)
        channel.settimeout(20)
        yield channel
    finally:
        client.close()


def _read_until_status(channel: paramiko.Channel, seen: str = "") -> str:
    """Read until a line `OK` or `ERROR` (the end of a RoomOS answer) arrives after `seen`."""
    out = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            chunk = channel.recv(4096).decode(errors="replace")
        except TimeoutError:
            break
        if not chunk:
            break
        out += chunk
        lines = [ln.strip() for ln in out.replace("\r", "").split("\n")]
        if any(ln in ("OK", "ERROR") for ln in lines) and seen in out:
            return out
    pytest.fail(f"no OK/ERROR from the codec shell: {out!r}")


def test_the_codec_account_lands_in_the_codec_shell_over_ssh(
    lab: LabHandle, codec_session: paramiko.Channel
) -> None:
    banner = _read_until_status(codec_session)
    assert "*r Login successful" in banner, banner
    codec_session.send(b"xStatus SIP Registration\n")
    answer = _read_until_status(codec_session, "*s SIP Registration 1 Status:")
    assert answer.replace("\r", "").rstrip().splitlines()[-1] == "OK", answer
    # the session's shell is the codec shell, a process of the endpoint's namespace
    names = {name for name, _ in _processes(_endpoint(lab))}
    assert names & {"python3", "python"}, names


def test_netmiko_cisco_tp_reads_the_codec_lan_address(lab: LabHandle) -> None:
    """Netmiko's `cisco_tp` class (what the codec driver uses) against a lab endpoint: the codec
    reports the LAN address the lab gave its eth1."""
    from netmiko import ConnectHandler

    node = _endpoint(lab)
    assert node.mgmt is not None and node.access is not None
    assert lab.inv.credentials.codec_password is not None
    conn = ConnectHandler(
        device_type="cisco_tp",
        host=str(node.mgmt.ip),
        username=lab.inv.credentials.codec_username,
        password=lab.inv.secret(lab.inv.credentials.codec_password).reveal(),
        allow_agent=False,
        use_keys=False,
        ssh_config_file=None,
        fast_cli=True,
        conn_timeout=20,
    )
    try:
        out = conn.send_command(
            "xStatus Network 1 IPv4 Address", expect_string=r"\n(OK|ERROR)\n", strip_prompt=False
        )
    finally:
        conn.disconnect()
    assert f'*s Network 1 IPv4 Address: "{node.access.ip}"' in out, out


def test_the_codec_login_offers_nothing_but_the_codec_shell(codec_session: paramiko.Channel) -> None:
    """The account has uid 0 (the codec shell loads nft marks): no SFTP, no forwarding."""
    transport = codec_session.get_transport()
    assert transport is not None
    with pytest.raises(paramiko.SSHException):
        paramiko.SFTPClient.from_transport(transport)
    with pytest.raises(paramiko.ChannelException):
        transport.open_channel("direct-tcpip", ("10.127.0.1", 22), ("127.0.0.1", 0))


def test_a_wrong_codec_password_is_refused(lab: LabHandle) -> None:
    node = _endpoint(lab)
    assert node.mgmt is not None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(
            str(node.mgmt.ip),
            username=lab.inv.credentials.codec_username,
            password="not-the-codec-password",
            allow_agent=False,
            look_for_keys=False,
            timeout=20,
        )
    client.close()


def test_an_endpoint_reaches_the_call_controller_across_the_wan_vpn_until_its_tunnel_is_cut(
    deployed: LabHandle,
) -> None:
    lab = deployed
    node = _endpoint(lab)
    assert node.access is not None and node.host is not None
    source, controller = str(node.access.ip), _call_controller(lab)
    cpe = next(p.lan for p in lab.plan.lan_ports if p.node == node.name)
    (tunnel,) = [t for t in lab.plan.tunnels if t.spoke == cpe]
    # after a deploy the spoke's OSPF over the tunnel may take a few SPF rounds to carry the LAN
    assert _wait_ping(node.name, source, controller, ok=True, within=60), in_node(
        node.name, "ip", "route"
    ).stdout
    in_node(tunnel.hub, "ip", "link", "set", tunnel.hub_if, "down", check=True)
    try:
        assert _wait_ping(node.name, source, controller, ok=False, within=30)
        assert _ping(node.name, source, controller).returncode != 0
    finally:
        in_node(tunnel.hub, "ip", "link", "set", tunnel.hub_if, "up", check=True)
    # restored: the lab is left as found
    assert _wait_ping(node.name, source, controller, ok=True, within=90)


def test_endpoint_files_hold_secrets_only_where_a_device_would(lab: LabHandle) -> None:
    from infra.lab.paths import node_dir

    d = node_dir(_endpoint(lab).name)
    for name in ("snmpd.conf", "sshd_config", "shadow"):
        assert os.stat(d / name).st_mode & 0o007 == 0, name
    assert os.stat(d / "codec").st_mode & 0o077 == 0
