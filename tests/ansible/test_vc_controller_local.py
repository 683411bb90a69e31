"""The call controller's rendered configuration running for real, without the lab: Kamailio,
rtpengine and the test room started from what the role renders for srv-vc-1, in a private
network namespace holding the service address (and a caller's address) on its loopback.

Proves the configuration itself (the lab test proves the role converging a server): OPTIONS,
a REGISTER for the domain accepted and one for another domain refused, `ul.dump` and
`kamailio_usrloc_registered_users`, read-only JSON-RPC, the test room registered, and a call to
it whose media flows both ways through the relay, marked AF41 by the relay. Run as root here
(the role runs Kamailio with -u/-g and the others with setpriv); needs the VC packages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ansible.test_vc_controller import ADDRESS, CALLER_CONFIG, DOMAIN, MGMT, rendered  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private network namespace"),
    pytest.mark.skipif(
        not all(shutil.which(b) for b in ("kamailio", "rtpengine", "baresip", "sipsak", "tcpdump", "curl")),
        reason="the VC packages are not installed (scripts/setup.sh)",
    ),
]
CALLER = "10.94.20.11"
DEADLINE = 30.0
OPENSSL = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj"]


class Netns:
    """A private network namespace kept alive by a `sleep`; commands enter it with nsenter."""

    def __init__(self) -> None:
        self.holder = subprocess.Popen(["unshare", "--net", "sleep", "600"])
        self.daemons: list[subprocess.Popen[bytes]] = []
        self.wait_for(lambda: Path(f"/proc/{self.holder.pid}/ns/net").exists() and self.ready())

    def ready(self) -> bool:
        net = os.readlink(f"/proc/{self.holder.pid}/ns/net")
        return net != os.readlink("/proc/self/ns/net")

    def argv(self, *argv: str) -> list[str]:
        return ["nsenter", f"--net=/proc/{self.holder.pid}/ns/net", "--", *argv]

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*argv), input=stdin, capture_output=True, text=True, timeout=60)

    def start(self, log: Path, *argv: str) -> None:
        with log.open("wb") as out:
            self.daemons.append(subprocess.Popen(self.argv(*argv), stdout=out, stderr=subprocess.STDOUT))

    @staticmethod
    def wait_for(ready: object) -> None:
        deadline = time.monotonic() + DEADLINE
        while not ready():  # type: ignore[operator]
            assert time.monotonic() < deadline, "not ready in time"
            time.sleep(0.05)

    def close(self) -> None:
        for p in reversed(self.daemons):
            p.terminate()
        for p in reversed(self.daemons):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.holder.kill()
        self.holder.wait()


@pytest.fixture(scope="module")
def ns(rendered: Path) -> Iterator[Netns]:  # noqa: F811
    (rendered / "tls").mkdir(exist_ok=True)
    (rendered / "run").mkdir(exist_ok=True)
    subprocess.run(
        [
            *OPENSSL,
            f"/CN={DOMAIN}",
            "-keyout",
            str(rendered / "tls/key.pem"),
            "-out",
            str(rendered / "tls/cert.pem"),
        ],
        capture_output=True,
        check=True,
    )
    n = Netns()
    try:
        for address in (ADDRESS, MGMT, CALLER):
            assert n.run("ip", "addr", "add", f"{address}/32", "dev", "lo").returncode == 0
        assert n.run("ip", "link", "set", "lo", "up").returncode == 0
        config = str(rendered)
        n.start(rendered / "rtpengine.log", "rtpengine", f"--config-file={config}/rtpengine.conf")
        n.wait_for(lambda: curl(n, 9901, "/metrics").returncode == 0)
        kamailio = ["kamailio", "-f", f"{config}/kamailio.cfg", "-DD", "-E", "-m", "64", "-M", "8"]
        n.start(rendered / "kamailio.log", *kamailio, "-Y", f"{config}/run")
        n.wait_for(lambda: curl(n, 8088, "/metrics").returncode == 0)
        n.start(rendered / "testroom.log", "baresip", "-f", f"{config}/testroom")
        n.wait_for(lambda: f"testroom@{DOMAIN}" in rpc(n, "ul.dump")[1])
        yield n
    finally:
        n.close()


def curl(n: Netns, port: int, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return n.run("curl", "-sf", "-m", "5", *args, f"http://{ADDRESS}:{port}{path}")


def rpc(n: Netns, method: str, *params: str) -> tuple[str, str]:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
    p = n.run("curl", "-s", "-m", "5", "-w", "\n%{http_code}", "-d", body, f"http://{ADDRESS}:8088/RPC")
    text, status = p.stdout.rsplit("\n", 1)
    return status, text


def register(n: Netns, user: str, domain: str) -> str:
    message = "\r\n".join(
        [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {CALLER}:5099;branch=z9hG4bK-{user}-{time.monotonic_ns()};rport",
            f"From: <sip:{user}@{domain}>;tag={user}",
            f"To: <sip:{user}@{domain}>",
            f"Call-ID: {user}-{time.monotonic_ns()}@{CALLER}",
            "CSeq: 1 REGISTER",
            f"Contact: <sip:{user}@{CALLER}:5099>",
            "Expires: 60",
            "Max-Forwards: 70",
            "Content-Length: 0",
            "",
            "",
        ]
    )
    p = n.run("sipsak", "-vv", "-f", "-", "-s", f"sip:{ADDRESS}", "-l", "5099", stdin=message)
    return p.stdout + p.stderr


def capture(ns: Netns, interface: str, what: str) -> subprocess.Popen[str]:
    """tcpdump in the namespace, once it listens; terminate() it and read what it printed."""
    p = subprocess.Popen(
        ns.argv("tcpdump", "-n", "-v", "-l", "--immediate-mode", "-i", interface, what),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert p.stderr is not None
    assert "listening on" in p.stderr.readline()
    return p


def test_options_register_ul_dump_and_metrics(ns: Netns) -> None:
    sip = capture(ns, "lo", f"udp and src host {ADDRESS} and src port 5060")
    try:
        assert "SIP/2.0 200 Keepalive" in ns.run("sipsak", "-vv", "-s", f"sip:{ADDRESS}").stdout
        sip.terminate()
        marks, _ = sip.communicate(timeout=30)
    finally:
        sip.kill()
    assert set(re.findall(r"\(tos (0x[0-9a-f]+)", marks)) == {"0x60"}, marks  # CS3 on signalling
    assert "SIP/2.0 200 OK" in register(ns, "probe", DOMAIN)
    assert f"SIP/2.0 403 Not the SIP domain {DOMAIN}" in register(ns, "intruder", "example.org")
    status, body = rpc(ns, "ul.dump")
    assert status == "200"
    aors = {a["Info"]["AoR"] for d in json.loads(body)["result"]["Domains"] for a in d["Domain"]["AoRs"]}
    assert aors == {f"probe@{DOMAIN}", f"testroom@{DOMAIN}"}
    metrics = curl(ns, 8088, "/metrics").stdout
    assert re.search(r"^kamailio_usrloc_registered_users 2 ", metrics, re.M), metrics[:1500]
    # Monitoring scrapes both daemons on the management address.
    assert "kamailio_usrloc_registered_users 2 " in ns.run("curl", "-s", f"http://{MGMT}:8088/metrics").stdout
    assert "rtpengine_sessions_total" in ns.run("curl", "-s", f"http://{MGMT}:9901/metrics").stdout
    assert rpc(ns, "ul.rm", "location", f"testroom@{DOMAIN}")[0] == "403"
    assert rpc(ns, "core.kill")[0] == "403"


def test_call_to_the_test_room_flows_both_ways_through_the_relay_marked_af41(
    ns: Netns, tmp_path: Path
) -> None:
    (tmp_path / "config").write_text(CALLER_CONFIG.format(address=CALLER))
    account = f'<sip:caller@{DOMAIN}>;outbound="sip:{ADDRESS}:5060";regint=0;answermode=manual'
    (tmp_path / "accounts").write_text(account + ";audio_codecs=opus/48000/2,pcmu;video_codecs=vp8\n")
    (tmp_path / "contacts").write_text("")
    # Both addresses share one loopback: the caller's packets leave from the service address, and
    # the relay learns that; its packets to the caller are told by the caller's RTP ports.
    relay_media = f"udp and src host {ADDRESS} and src portrange 30000-31999 and dst portrange 22000-22099"
    media = capture(ns, "lo", relay_media)
    try:
        call = ns.run("baresip", "-f", str(tmp_path), "-e", f"/dial sip:testroom@{DOMAIN}", "-t", "6")
        media.terminate()  # tcpdump prints what it captured and exits
        marks, _ = media.communicate(timeout=30)
    finally:
        media.kill()
    log = call.stdout + call.stderr
    assert re.search(r"Call with sip:testroom@\S+ terminated", log), log[-3000:]
    for media in ("audio", "video"):
        assert re.search(
            rf"incoming rtp for '{media}' established, receiving from {re.escape(ADDRESS)}:3\d+", log
        )
    packets = [tuple(map(int, m)) for m in re.findall(r"^packets:\s+(\d+)\s+(\d+)", log, re.M)]
    assert len(packets) == 2 and all(tx > 0 and rx > 0 for tx, rx in packets), log[-2000:]
    tos = re.findall(r"\(tos (0x[0-9a-f]+)", marks)
    assert set(tos) == {"0x88"}, marks[:2000]
    assert len(tos) >= sum(rx for _, rx in packets) // 2  # most of what the caller received
