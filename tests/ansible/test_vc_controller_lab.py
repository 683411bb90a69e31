"""The vc_controller role on the lab's srv-vc-1, over real SSH, proven from another namespace
(issue 13, point 3: the call controller).

srv-vc-1 is reset to bare; check mode reports its pending changes; then it is converged with the
site playbook (baseline with its firewall, SNMP, node exporter, then vc_controller), as
`infra deploy` does. From the monitoring server's
network namespace (same service VLAN; the probes run with the machine's own sipsak and curl):
Kamailio answers SIP OPTIONS on the service address, a REGISTER for the province's domain is
accepted (and one for another domain refused), the registration shows in `ul.dump` (JSON-RPC)
and in `kamailio_usrloc_registered_users`, rtpengine's /metrics answers, the test room is
registered, a call to it carries audio and video both ways through the relay (marked AF41 by
the relay on the wire), and a second run changes nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.ansible import converge_servers
from infra.inventory import Inventory
from infra.lab.bare import reset_servers
from infra.lab.exec import exec_argv
from infra.lab.paths import SSH_KEY
from infra.lab.sh import ns_argv
from infra.results import Status
from tests.ansible.test_vc_controller import CALLER_CONFIG

pytestmark = pytest.mark.lab

SERVER = "srv-vc-1"
PROBE = "srv-monitor-1"  # another namespace on the call controller's service VLAN
PROBE_PORT = 5099


@dataclass
class VcLab:
    inv: Inventory
    address: str
    domain: str
    first: dict[str, Any]
    first_s: float
    check: dict[str, Any]  # check mode on the bare server, before the first converge

    def probe(self, argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """A command in the probe's network namespace (the machine's own tools)."""
        return subprocess.run(
            [*ns_argv(PROBE, mount=False), *argv], input=stdin, capture_output=True, text=True, timeout=60
        )

    def on_server(self, script: str) -> str:
        p = subprocess.run(
            exec_argv(SERVER, ["sh", "-c", script]), capture_output=True, text=True, timeout=60
        )
        return p.stdout + p.stderr

    def rpc(self, method: str, *params: str) -> subprocess.CompletedProcess[str]:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
        return self.probe(
            ["curl", "-s", "-m", "5", "-w", "\n%{http_code}", "-d", body, self.url(8088, "/RPC")]
        )

    def url(self, port: int, path: str) -> str:
        return f"http://{self.address}:{port}{path}"

    def register(self, user: str, domain: str, expires: int = 60) -> str:
        me = self.probe_address
        message = "\r\n".join(
            [
                f"REGISTER sip:{self.domain} SIP/2.0",
                f"Via: SIP/2.0/UDP {me}:{PROBE_PORT};branch=z9hG4bK-{user}-{time.monotonic_ns()};rport",
                f"From: <sip:{user}@{domain}>;tag={user}",
                f"To: <sip:{user}@{domain}>",
                f"Call-ID: {user}-{time.monotonic_ns()}@{me}",
                "CSeq: 1 REGISTER",
                f"Contact: <sip:{user}@{me}:{PROBE_PORT}>",
                f"Expires: {expires}",
                "Max-Forwards: 70",
                "Content-Length: 0",
                "",
                "",
            ]
        )
        argv = ["sipsak", "-vv", "-f", "-", "-s", f"sip:{self.address}", "-l", str(PROBE_PORT)]
        p = self.probe(argv, stdin=message)
        return p.stdout + p.stderr

    @property
    def probe_address(self) -> str:
        address = self.inv.hosts[PROBE].service_address
        assert address is not None
        return str(address.ip)


def converge(inv: Inventory) -> dict[str, Any]:
    return converge_servers(inv, [inv.hosts[SERVER]], ssh_key=SSH_KEY, forks=1).results


@pytest.fixture(scope="module")
def vc(lab: Any) -> Iterator[VcLab]:
    """srv-vc-1 bare, then converged once by the site playbook."""
    inv: Inventory = lab.inv
    assert inv.vc is not None and inv.registrar_address is not None
    reset_servers(lab.plan, [SERVER])
    check = converge_servers(inv, [inv.hosts[SERVER]], check=True, ssh_key=SSH_KEY, forks=1).results
    t0 = time.monotonic()
    first = converge(inv)
    yield VcLab(inv, str(inv.registrar_address), inv.vc.domain, first, time.monotonic() - t0, check)


def test_check_mode_on_the_bare_server_reports_pending_changes(vc: VcLab) -> None:
    r = vc.check[SERVER]
    assert r.status == Status.CHANGED, r.message
    changed = r.details["changed_tasks"]
    assert {"vc_controller : Configure Kamailio", "vc_controller : Configure rtpengine"} <= set(changed), (
        changed
    )


def test_first_converge_starts_the_call_controller(vc: VcLab) -> None:
    r = vc.first[SERVER]
    assert r.ok and r.status == Status.CHANGED, r.message
    print(f"first converge of {SERVER} from bare: {vc.first_s:.1f} s")
    ps = vc.on_server("ps -eo args")
    assert re.search(r"^/usr/sbin/kamailio -f /etc/vc-controller/kamailio.cfg", ps, re.M), ps
    assert re.search(r"^/usr/bin/rtpengine --config-file=/etc/vc-controller/rtpengine.conf", ps, re.M), ps
    assert re.search(r"^/usr/bin/baresip -f /var/lib/vc-testroom", ps, re.M), ps


def test_kamailio_answers_options_on_the_service_address(vc: VcLab) -> None:
    p = vc.probe(["sipsak", "-vv", "-s", f"sip:{vc.address}"])
    assert "SIP/2.0 200 Keepalive" in p.stdout, p.stdout + p.stderr


def test_register_for_the_domain_is_accepted_and_listed_in_ul_dump_and_metrics(vc: VcLab) -> None:
    assert "SIP/2.0 200 OK" in vc.register("probe", vc.domain)
    dump = vc.rpc("ul.dump")
    body, status = dump.stdout.rsplit("\n", 1)
    assert status == "200", dump.stdout + dump.stderr
    aors = {aor["Info"]["AoR"] for d in json.loads(body)["result"]["Domains"] for aor in d["Domain"]["AoRs"]}
    assert {f"probe@{vc.domain}", f"testroom@{vc.domain}"} <= aors
    metrics = vc.probe(["curl", "-s", "-m", "5", vc.url(8088, "/metrics")]).stdout
    registered = re.search(r"^kamailio_usrloc_registered_users (\d+)", metrics, re.M)
    accepted = re.search(r"^kamailio_registrar_accepted_regs (\d+)", metrics, re.M)
    assert registered and accepted, metrics[:2000]
    assert int(registered.group(1)) == len(aors)
    assert int(accepted.group(1)) >= 2
    assert re.search(r"^kamailio_tmx_UAS_transactions \d+", metrics, re.M)


def test_register_for_another_domain_is_refused(vc: VcLab) -> None:
    out = vc.register("intruder", "example.org")
    assert f"SIP/2.0 403 Not the SIP domain {vc.domain}" in out, out
    lookup = vc.rpc("ul.lookup", "location", "intruder@example.org")
    assert "intruder@example.org" not in lookup.stdout.rsplit("\n", 1)[0].replace('"AoR"', "")


def test_only_read_only_rpc_methods_are_served(vc: VcLab) -> None:
    denied = vc.rpc("ul.rm", "location", f"testroom@{vc.domain}")
    assert denied.stdout.endswith("\n403"), denied.stdout
    found = vc.rpc("ul.lookup", "location", f"testroom@{vc.domain}")
    body, status = found.stdout.rsplit("\n", 1)
    assert status == "200" and json.loads(body)["result"]["Contacts"], found.stdout


def test_rtpengine_metrics_answer_on_the_service_address(vc: VcLab) -> None:
    metrics = vc.probe(["curl", "-s", "-m", "5", vc.url(9901, "/metrics")]).stdout
    assert re.search(r"^rtpengine_sessions_total \d+", metrics, re.M), metrics[:2000]
    assert "rtpengine_mos_samples_total" in metrics
    # The ng control port is on loopback only: not reachable from another namespace.
    ng = vc.on_server("cat /proc/net/udp")
    assert "0100007F:56CE" in ng  # 127.0.0.1:22222


def test_a_call_to_the_test_room_carries_media_both_ways_through_the_relay(vc: VcLab, tmp_path: Path) -> None:
    """A real user agent in the probe's namespace calls the test room for a few seconds: the
    test room answers, audio and video flow both ways via the relay, which marks them AF41."""
    ua = tmp_path / "ua"
    ua.mkdir()
    me = vc.probe_address
    (ua / "config").write_text(CALLER_CONFIG.format(address=me))
    account = f'<sip:probe-caller@{vc.domain}>;outbound="sip:{vc.address}:5060";regint=0;answermode=manual'
    (ua / "accounts").write_text(account + ";audio_codecs=opus/48000/2,pcmu;video_codecs=vp8\n")
    (ua / "contacts").write_text("")
    before = vc.probe(["curl", "-s", "-m", "5", vc.url(8088, "/metrics")]).stdout
    relay_media = f"udp and src host {vc.address} and src portrange 30000-31999"
    capture = subprocess.Popen(
        [
            *ns_argv(PROBE, mount=False),
            "tcpdump",
            "-n",
            "-v",
            "-l",
            "--immediate-mode",
            "-i",
            "eth1",
            relay_media,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert capture.stderr is not None
        assert "listening on" in capture.stderr.readline()
        call = vc.probe(["baresip", "-f", str(ua), "-e", f"/dial sip:testroom@{vc.domain}", "-t", "8"])
        capture.terminate()  # tcpdump prints what it captured and exits
        marks, _ = capture.communicate(timeout=30)
    finally:
        capture.kill()
    log = call.stdout + call.stderr
    assert re.search(r"Call with sip:testroom@\S+ terminated", log), log[-3000:]
    # Both streams came from the relay, and both directions carried packets.
    for media in ("audio", "video"):
        assert re.search(
            rf"incoming rtp for '{media}' established, receiving from {re.escape(vc.address)}:3\d+", log
        )
    packets = [tuple(map(int, m)) for m in re.findall(r"^packets:\s+(\d+)\s+(\d+)", log, re.M)]
    assert len(packets) == 2 and all(tx > 0 and rx > 0 for tx, rx in packets), log[-2000:]
    tos = re.findall(r"\(tos (0x[0-9a-f]+)", marks)
    assert set(tos) == {"0x88"}, marks[:2000]
    assert len(tos) >= sum(rx for _, rx in packets) // 2  # most of what the caller received
    after = vc.probe(["curl", "-s", "-m", "5", vc.url(8088, "/metrics")]).stdout
    assert answered(after) == answered(before) + 1


def answered(metrics: str) -> int:
    m = re.search(r'^kamailio_calls_total\{result="answered"\} (\d+)', metrics, re.M)
    return int(m.group(1)) if m else 0


def test_monitoring_reaches_both_metrics_on_the_management_address(vc: VcLab) -> None:
    """Where `infra monitoring` scrapes them (infra/monitoring/vc.py), from the machine's own
    namespace (the lab's management network), through the server's firewall."""
    mgmt = str(vc.inv.hosts[SERVER].mgmt_address)
    for port, series in ((8088, "kamailio_usrloc_registered_users"), (9901, "rtpengine_sessions_total")):
        p = subprocess.run(
            ["curl", "-s", "-m", "5", f"http://{mgmt}:{port}/metrics"], capture_output=True, text=True
        )
        assert series in p.stdout, (port, p.stdout[:500], p.stderr)


def test_second_converge_changes_nothing(vc: VcLab) -> None:
    t0 = time.monotonic()
    second = converge(vc.inv)
    print(f"second converge of {SERVER}: {time.monotonic() - t0:.1f} s")
    r = second[SERVER]
    assert (r.status, r.details.get("changed_tasks")) == (Status.OK, []), r.message
    found = vc.rpc("ul.lookup", "location", f"testroom@{vc.domain}")
    assert found.stdout.endswith("\n200")


def test_a_hand_edit_is_reverted_and_kamailio_restarted_with_the_test_room(vc: VcLab) -> None:
    """The restart handlers for real: a changed kamailio.cfg is put back, Kamailio and the test
    room are restarted (new pids), the relay is left alone, and the test room is registered again."""
    pids = "cat /run/vc-kamailio.pid /run/vc-testroom.pid /run/vc-rtpengine.pid"
    before = vc.on_server(pids).split()
    vc.on_server("echo '# hand edit' >> /etc/vc-controller/kamailio.cfg")
    r = converge(vc.inv)[SERVER]
    assert r.status == Status.CHANGED, r.message
    assert "vc_controller : Configure Kamailio" in r.details["changed_tasks"]
    after = vc.on_server(pids).split()
    assert len(before) == len(after) == 3
    assert after[0] != before[0] and after[1] != before[1] and after[2] == before[2], (before, after)
    assert "# hand edit" not in vc.on_server("tail -1 /etc/vc-controller/kamailio.cfg")
    found = vc.rpc("ul.lookup", "location", f"testroom@{vc.domain}")
    assert found.stdout.endswith("\n200"), found.stdout
