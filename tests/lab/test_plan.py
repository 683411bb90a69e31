"""Unit tests of what the lab derives from the inventory (no root, no lab)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from infra.inventory import Inventory
from infra.lab import router, server, snmpnode, vcnode, wireguard
from infra.lab.down import _user_agents
from infra.lab.paths import root_ifname
from infra.lab.plan import FACILITY, ROUTER, SERVER, UNIT, VC, build_plan
from infra.lab.sh import LabError
from infra.lab.snmprec import apply_changes, parse_change
from infra.lab.up import password_hashes
from infra.lab.vagrant import render
from tests.conftest import LAB_SECRETS, SHARED

REPO = Path(__file__).resolve().parents[2]


def test_every_host_becomes_one_node_of_the_right_kind(example_inventory: Inventory) -> None:
    plan = build_plan(example_inventory)
    kinds = {k: len(plan.of_kind(k)) for k in (ROUTER, SERVER, VC, FACILITY, UNIT)}
    assert kinds == {ROUTER: 32, SERVER: 10, VC: 20, FACILITY: 6, UNIT: 16}
    assert set(example_inventory.hosts) <= set(plan.nodes)
    # cisco_ios and huawei_vrp devices are played by FRR
    assert (
        plan.nodes["wan-hub-1"].kind == ROUTER
        and example_inventory.hosts["wan-hub-1"].platform == "cisco_ios"
    )
    assert (
        plan.nodes["dc-sw-1"].kind == ROUTER and example_inventory.hosts["dc-sw-1"].platform == "huawei_vrp"
    )


def test_every_link_is_one_cable_with_both_ends(example_inventory: Inventory) -> None:
    plan = build_plan(example_inventory)
    assert len(plan.cables) == len(example_inventory.links)
    ends = [(c.a, c.a_if) for c in plan.cables] + [(c.b, c.b_if) for c in plan.cables]
    assert len(ends) == len(set(ends))
    pe = [c for c in plan.cables if "tslcd-pe-1" in (c.a, c.b)]
    assert len(pe) == 21


def test_a_limit_keeps_only_links_and_tunnels_between_selected_hosts(example_inventory: Inventory) -> None:
    plan = build_plan(example_inventory, "wan-hub-1:tslcd-pe-1:cpe-so-noi-vu")
    assert set(plan.nodes) == {"wan-hub-1", "tslcd-pe-1", "cpe-so-noi-vu"}
    assert {c.link_id for c in plan.cables} == {"wan-hub-1--tslcd-pe-1", "cpe-so-noi-vu--tslcd-pe-1"}
    (t,) = plan.tunnels
    assert (t.hub_if, t.spoke_if, t.hub_port, t.spoke_port) == ("wg1", "wg0", 51821, 51820)
    assert str(t.hub_endpoint) == "10.124.0.22" and str(t.spoke_endpoint) == "10.124.0.24"


def test_campus_units_sit_behind_their_access_switch_in_their_vlan(example_inventory: Inventory) -> None:
    plan = build_plan(example_inventory)
    ports = {p.node: p for p in plan.ports if p.node.startswith("unit-")}
    assert ports["unit-110-1"].bridge == "campus-acc-1" and ports["unit-110-1"].vlan == 110
    assert plan.bridges["campus-acc-1"].uplink_to == "campus"
    assert str(plan.nodes["unit-110-1"].access) == "10.95.0.254/24"
    assert str(plan.nodes["unit-110-1"].gateway) == "10.95.0.1"
    svi = [p for p in plan.ports if p.node == "campus-core-1"]
    assert {p.vlan for p in svi} == set(range(110, 118)) and all(p.bridge == "campus" for p in svi)
    mail = next(p for p in plan.ports if p.node == "srv-mail-1")
    assert (mail.bridge, mail.vlan, mail.ifname) == ("dc", 10, "eth1")


def test_root_side_names_fit_linux_and_never_collide(example_inventory: Inventory) -> None:
    plan = build_plan(example_inventory)
    names = [root_ifname("m", n) for n in plan.nodes] + [p.root_if for p in plan.ports]
    names += [b.name for b in plan.bridges.values()]
    names += [lan.name for lan in plan.lans.values()] + [p.root_if for p in plan.lan_ports]
    assert all(len(n) <= 15 for n in names)
    assert len(names) == len(set(names))


def test_routers_start_with_management_only_and_no_v2c_community(example_inventory: Inventory) -> None:
    node = build_plan(example_inventory).nodes["wan-hub-1"]
    conf = router.management_config(example_inventory, node)
    assert "hostname wan-hub-1" in conf and "agentx" in conf
    assert "router bgp" not in conf and "router ospf" not in conf and "ip address" not in conf
    snmpd = router.snmpd_config(example_inventory, node)
    assert "community" not in snmpd and "public" not in snmpd
    assert "rouser infra-mon priv" in snmpd and "agentaddress udp:10.127.0.7:161" in snmpd
    assert "ospfd=yes" in router.daemons_file(node) and "bgpd=yes" in router.daemons_file(node)
    assert "-M snmp" in router.ensure_script(node)


def test_generated_scripts_and_configs_that_may_be_shown_carry_no_secret(
    example_inventory: Inventory,
) -> None:
    plan = build_plan(example_inventory)
    texts = [router.management_config(example_inventory, n) for n in plan.of_kind(ROUTER)]
    texts += [router.ensure_script(n) + router.mount_script(n) for n in plan.of_kind(ROUTER)]
    texts += [server.mount_script(n) + server.sshd_config(n) for n in plan.of_kind(SERVER)]
    for n in plan.of_kind(VC):
        texts += [vcnode.mount_script(n), vcnode.ensure_script(n), vcnode.login_shell(n.name)]
        texts.append(vcnode.codec_sshd_config(n, example_inventory.credentials.codec_username))
    texts.append(render(example_inventory))
    for text in texts:
        for secret in LAB_SECRETS:
            assert secret not in text


def test_wireguard_keys_are_kept_and_scripts_configure_both_ends(
    example_inventory: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wireguard, "node_dir", lambda name: tmp_path / name)
    plan = build_plan(example_inventory, "wan-hub-1:tslcd-pe-1:cpe-so-noi-vu:cpe-xa-ta-nung")
    first = wireguard.scripts(plan)
    assert set(first) == {"wan-hub-1", "cpe-so-noi-vu", "cpe-xa-ta-nung"}
    assert "wg set wg20 listen-port 51840" in first["wan-hub-1"]
    assert "endpoint 10.124.0.22:51821 persistent-keepalive 5" in first["cpe-so-noi-vu"]
    assert "endpoint" not in first["wan-hub-1"]  # only spokes initiate: no handshake collisions
    assert "allowed-ips 0.0.0.0/0" in first["cpe-so-noi-vu"]
    assert wireguard.scripts(plan) == first  # keys are generated once, then reused


def test_facility_recordings_are_served_by_subtree(example_inventory: Inventory) -> None:
    records = snmpnode.read_records(SHARED / "snmprec" / "apc-smart-ups-rt3000xl.snmprec")
    roots = snmpnode.recording_roots(records)
    assert "1.3.6.1.4.1.318" in roots and "1.3.6.1.2.1.2" in roots
    assert not any(r.startswith("1.3.6.1.2.1.1") and r == "1.3.6.1.2.1.1" for r in roots)
    node = build_plan(example_inventory).nodes["ups-dc-1"]
    conf = snmpnode.snmpd_config(example_inventory, node, records)
    assert "sysName ups-dc-1" in conf and "dlmod snmprec_agent" in conf and "sysDescr APC" in conf


def test_a_modified_recording_replaces_or_adds_records() -> None:
    records = [("1.3.6.1.4.1.318.1.1.1.4.1.1.0", "2", "2"), ("1.3.6.1.2.1.1.5.0", "4", "ups")]
    out = apply_changes(
        records, ["1.3.6.1.4.1.318.1.1.1.4.1.1.0=2:3", ".1.3.6.1.4.1.318.1.1.1.2.2.3.0=67:6000"]
    )
    assert ("1.3.6.1.4.1.318.1.1.1.4.1.1.0", "2", "3") in out
    assert out[0][0] == "1.3.6.1.2.1.1.5.0" and len(out) == 3
    with pytest.raises(LabError, match="OID=TAG:VALUE"):
        parse_change("upsBasicOutputStatus=3")
    with pytest.raises(LabError, match="TAG one of"):
        parse_change("1.3.6.1.2.1.1.5.0=99:x")


def test_the_vagrant_topology_is_generated_from_the_inventory(example_inventory: Inventory) -> None:
    committed = (REPO / "lab" / "vagrant-topology.json").read_text()
    assert committed == render(example_inventory), "stale: run `infra lab vagrant-topology`"
    topo = json.loads(committed)
    assert len(topo["nodes"]) == len(example_inventory.hosts)


@pytest.mark.skipif(shutil.which("vagrant") is None, reason="Debian's vagrant package is not installed")
def test_vagrant_validates_the_vagrantfile() -> None:
    env = {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_NO_PLUGINS": "1"}
    proc = subprocess.run(
        ["vagrant", "validate", "--ignore-provider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Vagrantfile validated successfully" in proc.stdout


def test_the_cli_refuses_without_root_or_a_lab_with_a_clear_message(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(REPO / ".venv/bin/infra"), "lab", "exec", "no-such-node", "--", "true"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no-such-node" in proc.stderr or "root" in proc.stderr


def test_a_cpe_lan_is_a_bridge_joining_the_cpe_lan0_and_the_site_endpoints(
    example_inventory: Inventory,
) -> None:
    inv = example_inventory
    plan = build_plan(inv)
    cpes = [h.name for h in inv.hosts.values() if h.lan is not None]
    assert sorted(plan.lans) == sorted(cpes)  # every CPE's LAN, with or without endpoints
    ports = {(p.node, p.ifname): p.lan for p in plan.lan_ports}
    for cpe in cpes:
        # the interface the lab creates is the one the renderer configures (its lab_name)
        (lan_if,) = [i for i in inv.interfaces[cpe] if i.kind == "lan"]
        assert lan_if.lab_name == "lan0" and ports[(cpe, "lan0")] == cpe
        assert plan.lans[cpe].gateway == lan_if.address
    endpoints = plan.of_kind(VC)
    assert endpoints
    for node in endpoints:
        assert node.host is not None and node.access == node.host.service_address
        cpe = ports[(node.name, "eth1")]
        assert inv.hosts[cpe].site == node.site
        assert node.gateway == plan.lans[cpe].gateway.ip == inv.endpoint_gateway(node.host)
    assert len(plan.lan_ports) == len(cpes) + len(endpoints)


def test_a_limit_keeps_an_endpoint_lan_even_without_its_cpe(example_inventory: Inventory) -> None:
    node = build_plan(example_inventory).of_kind(VC)[0]
    plan = build_plan(example_inventory, node.name)
    assert set(plan.nodes) == {node.name}
    assert [(p.node, p.ifname) for p in plan.lan_ports] == [(node.name, "eth1")]


def test_endpoints_run_sshd_held_to_the_codec_account_and_baresip(example_inventory: Inventory) -> None:
    inv = example_inventory
    node = build_plan(inv).of_kind(VC)[0]
    assert node.own_mounts and node.daemons == ("sshd", "baresip", "snmpd")
    sshd = vcnode.codec_sshd_config(node, inv.credentials.codec_username)
    assert f"AllowUsers {inv.credentials.codec_username}\n" in sshd
    assert node.mgmt is not None and f"ListenAddress {node.mgmt.ip}" in sshd
    # the codec account has uid 0 (the codec shell loads nft marks): nothing but that shell
    assert "Subsystem" not in sshd and "DisableForwarding yes" in sshd
    assert sshd.count("PermitRootLogin") == 1
    ensure = vcnode.ensure_script(node)
    assert " ".join(vcnode.ua_argv(node.name)) in ensure and "sshd_config" in ensure
    mount = vcnode.mount_script(node)
    # a private /run holding the node's own directory only
    assert "mount -t tmpfs" in mount and " /run\n" in mount and "--no-canonicalize --bind ." in mount


def test_the_codec_boot_runs_before_baresip(example_inventory: Inventory) -> None:
    node = build_plan(example_inventory).of_kind(VC)[0]
    assert node.access is not None
    boot = vcnode.boot_argv(node)
    assert boot[1:3] == ["-m", "infra.lab.codec.boot"]
    assert boot[-2:] == ["--lan-address", str(node.access.ip)]
    ensure = vcnode.ensure_script(node)
    assert ensure.index("infra.lab.codec.boot") < ensure.index("baresip -f")
    assert "codec boot failed" in ensure  # `up` names the log rather than failing silently


def test_the_codec_shell_is_the_login_and_takes_one_command_as_its_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`ssh codec CMD` runs the login shell as `-c CMD`: the command is the codec shell's input
    (never a Unix shell's: the account has uid 0)."""
    monkeypatch.setattr(vcnode, "node_dir", lambda name: tmp_path / name)
    state = tmp_path / "vc-x" / "codec"
    state.mkdir(parents=True)
    assert vcnode.shell_argv("vc-x")[1:] == ["-m", "infra.lab.codec.shell", "--state", str(state)]
    shell = tmp_path / "vc-x" / "codec-shell"
    shell.write_text(vcnode.login_shell("vc-x"))
    answers = {
        "xConfiguration SIP DefaultTransport": "*c xConfiguration SIP DefaultTransport: Auto",
        "id; xStatus": "Command not recognized.",  # not run by any Unix shell
    }
    for command, answer in answers.items():
        proc = subprocess.run(["sh", str(shell), "-c", command], capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert "*r Login successful" in lines and answer in lines, proc.stdout
        assert "uid=" not in proc.stdout and lines.count("OK") <= 2  # the login's, and one answer's


def test_lab_up_needs_the_codec_password_for_vc_endpoints(example_inventory: Inventory) -> None:
    inv = example_inventory
    plan = build_plan(inv)
    assert password_hashes(inv, plan).codec is not None
    without = dataclasses.replace(
        inv, credentials=inv.credentials.model_copy(update={"codec_password": None})
    )
    with pytest.raises(LabError, match="codec_password"):
        password_hashes(without, plan)
    assert password_hashes(without, build_plan(without, "wan-hub-1")).codec is None  # no endpoint


def test_down_finds_the_user_agents_by_name(tmp_path: Path) -> None:
    """`down` kills baresip at once (its graceful stop waits for the registrar)."""
    fake = tmp_path / "baresip"
    shutil.copy("/bin/sleep", fake)
    proc = subprocess.Popen([str(fake), "30"])
    try:
        comm = Path(f"/proc/{proc.pid}/comm")
        deadline = time.monotonic() + 10  # the kernel names the process once its exec completes
        while comm.read_text().strip() != "baresip" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _user_agents([proc.pid, os.getpid()]) == [proc.pid]
    finally:
        proc.kill()
        proc.wait()


def test_a_lan_with_several_endpoints_is_one_bridge_with_all_of_them(tmp_path: Path) -> None:
    """`inventory generate` puts up to ~10 codecs on one agency LAN at 170 endpoints."""
    from infra.inventory import load_inventory
    from infra.inventory.generate import Shape, generate

    generate(tmp_path, Shape(vc_endpoints=45), name="synthetic", lab=True)
    inv = load_inventory(tmp_path)
    plan = build_plan(inv)
    endpoints = plan.of_kind(VC)
    assert len(endpoints) == 45 and all(n.gateway is not None for n in endpoints)
    members: dict[str, list[str]] = {}
    for p in plan.lan_ports:
        members.setdefault(p.lan, []).append(p.node)
    crowded = max(members.values(), key=len)
    assert len(crowded) > 2 and crowded[0] in plan.lans  # the CPE and its several endpoints
    roots = [p.root_if for p in plan.lan_ports] + [lan.name for lan in plan.lans.values()]
    assert len(roots) == len(set(roots)) and all(len(r) <= 15 for r in roots)
