"""A throwaway SIP call path for the codec stand-in, outside the lab, in namespaces this test
owns (`scratch-codec-<pid>-core|codec|room`: not `lv-*`, so `infra lab down` never sees them):

    codec (198.18.1.10) --- core (198.18.1.1 | 198.18.2.1) --- room (198.18.2.10)
    baresip + the shell      Kamailio registrar/proxy            baresip, auto-answer
                             forwards, counts DSCP marks          (sip:testroom@vc.lab.test)

198.18.0.0/15 is the benchmarking range: nothing routes it, and the namespaces are not
connected to the machine's own. Every daemon runs in its own namespace (own port space), is
stopped by pid, and the namespaces are deleted on exit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from signal import SIGKILL, SIGTERM
from typing import TypeVar

from infra.lab.codec.baresip import write_baresip_config
from infra.lab.codec.state import load_settings, save_settings

PREFIX = "scratch-codec-"
DOMAIN = "vc.lab.test"
CORE_A, CORE_B = "198.18.1.1", "198.18.2.1"
CODEC, ROOM = "198.18.1.10", "198.18.2.10"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
T = TypeVar("T")


def available() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    missing = [b for b in ("kamailio", "kamcmd", "baresip", "nft", "openssl") if shutil.which(b) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (scripts/setup.sh installs them)"
    return None


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)


def poll(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.2) -> T:
    """probe() until it returns something (not None/False), or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})")


def tls_files(rundir: Path) -> None:
    """A self-signed certificate for the registrar's TLS listener (baresip does not verify it)."""
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={DOMAIN}",
        "-keyout", str(rundir / "key.pem"), "-out", str(rundir / "cert.pem"))  # fmt: skip
    (rundir / "tls.cfg").write_text(
        "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
        f"private_key = {rundir / 'key.pem'}\ncertificate = {rundir / 'cert.pem'}\n"
        "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n",
        encoding="utf-8",
    )


def kamailio_cfg(rundir: Path) -> str:
    """A registrar + stateful proxy (the lab call controller's essentials, no media relay)."""
    modules = ("kex", "corex", "tm", "tmx", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "xlog",
               "sanity", "usrloc", "registrar", "ctl", "tls")  # fmt: skip
    mods = "\n".join(f'loadmodule "{m}.so"' for m in modules)
    return f"""#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
tos=0x60
listen=udp:{CORE_A}:5060
listen=tcp:{CORE_A}:5060
enable_tls=yes
listen=tls:{CORE_A}:5061
alias={DOMAIN}
mpath="{KAMAILIO_MODULES}"
{mods}
modparam("ctl", "binrpc", "unix:{rundir}/kamailio_ctl")
modparam("rr", "append_fromtag", 1)
modparam("usrloc", "db_mode", 0)
modparam("tls", "config", "{rundir}/tls.cfg")
request_route {{
	if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
	if (has_totag()) {{
		if (loose_route()) {{ t_relay(); exit; }}
		if (is_method("ACK")) {{ if (t_check_trans()) t_relay(); exit; }}
		sl_send_reply("404", "Not here"); exit;
	}}
	if (is_method("CANCEL")) {{ if (t_check_trans()) t_relay(); exit; }}
	t_check_trans();
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE")) record_route();
	if (is_method("REGISTER")) {{ if (!save("location")) sl_reply_error(); exit; }}
	if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
	if (!t_relay()) sl_reply_error();
}}
"""


# what the core sees arriving from the codec, by mark (forwarded media, SIP to Kamailio)
SEEN = f"""table inet scratch_seen {{
	chain forwarded {{
		type filter hook forward priority 0; policy accept;
		ip saddr {CODEC} udp sport 20000-20999 ip dscp ef counter comment "ef"
		ip saddr {CODEC} udp sport 20000-20999 ip dscp af41 counter comment "af41"
	}}
	chain arriving {{
		type filter hook input priority 0; policy accept;
		ip saddr {CODEC} th dport 5060 ip dscp cs3 counter comment "cs3"
	}}
}}
"""


def counters(netns: str, table: str) -> dict[str, int]:
    """Packets counted by each commented rule of an nft table."""
    out = json.loads(run("ip", "netns", "exec", netns, "nft", "-j", "list", "table", "inet", table).stdout)
    seen: dict[str, int] = {}
    for item in out["nftables"]:
        rule = item.get("rule")
        if not rule or "comment" not in rule:
            continue
        packets = sum(e["counter"]["packets"] for e in rule["expr"] if "counter" in e)
        seen[rule["comment"]] = seen.get(rule["comment"], 0) + packets
    return seen


class Shell:
    """The codec shell over a pipe, as an SSH login would run it, in the codec's namespace."""

    def __init__(self, netns: str, state_dir: Path) -> None:
        argv = ["ip", "netns", "exec", netns, sys.executable, "-m", "infra.lab.codec.shell"]
        self.proc = subprocess.Popen(
            [*argv, "--state", str(state_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=Path(__file__).resolve().parents[2],
        )
        self.banner = self._read_answer()

    def _read_answer(self) -> str:
        assert self.proc.stdout is not None
        lines: list[str] = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"the shell ended; so far: {lines}")
            lines.append(line.rstrip("\n"))
            if lines[-1] in ("OK", "ERROR", "Command not recognized."):
                return "\n".join(lines)

    def ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read_answer()

    def value(self, path: str, verb: str = "xStatus") -> str:
        """One leaf's value (quotes removed)."""
        answer = self.ask(f"{verb} {path}")
        for line in answer.splitlines():
            head, _, value = line.partition(": ")
            if head.split(" ", 1)[-1].lower().removeprefix("xconfiguration ") == path.lower():
                return value.strip().strip('"')
        raise AssertionError(f"{verb} {path}: no value in {answer!r}")

    def close(self) -> int:
        assert self.proc.stdin is not None
        with suppress(BrokenPipeError):
            self.proc.stdin.write("bye\n")
            self.proc.stdin.close()
        return self.proc.wait(timeout=20)


@dataclass
class CallPath:
    tag: str
    root: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    agents: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)  # role -> its process

    def ns(self, role: str) -> str:
        return f"{PREFIX}{self.tag}-{role}"

    @property
    def codec_state(self) -> Path:
        return self.root / "codec"

    def kamcmd(self, *args: str) -> str:
        sock = f"unix:{self.root / 'kamailio' / 'kamailio_ctl'}"
        return run("ip", "netns", "exec", self.ns("core"), "kamcmd", "-s", sock, *args, check=False).stdout

    def menu(self, role: str, command: str) -> str:
        """A baresip menu command over its httpd (127.0.0.1:8000 inside the role's namespace)."""
        code = f"from infra.lab.codec.control import menu; print(menu(('127.0.0.1', 8000), {command!r}))"
        return run("ip", "netns", "exec", self.ns(role), sys.executable, "-c", code).stdout

    def shell(self) -> Shell:
        return Shell(self.ns("codec"), self.codec_state)

    def start(self, role: str, argv: list[str], log: Path) -> None:
        with open(log, "wb") as f:
            argv = ["ip", "netns", "exec", self.ns(role), *argv]
            self.agents[role] = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
            self.procs.append(self.agents[role])


def _wire(path: CallPath) -> None:
    core, codec, room = path.ns("core"), path.ns("codec"), path.ns("room")
    for ns in (core, codec, room):
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
    run("ip", "-n", core, "link", "add", "c0", "type", "veth", "peer", "name", "eth1", "netns", codec)
    run("ip", "-n", core, "link", "add", "r0", "type", "veth", "peer", "name", "eth1", "netns", room)
    for ns, dev, addr in ((core, "c0", f"{CORE_A}/24"), (core, "r0", f"{CORE_B}/24"),
                          (codec, "eth1", f"{CODEC}/24"), (room, "eth1", f"{ROOM}/24")):  # fmt: skip
        run("ip", "-n", ns, "addr", "add", addr, "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")
    run("ip", "-n", codec, "route", "add", "default", "via", CORE_A)
    run("ip", "-n", room, "route", "add", "default", "via", CORE_B)
    run("ip", "netns", "exec", core, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    subprocess.run(["ip", "netns", "exec", core, "nft", "-f", "-"], input=SEEN, text=True, check=True)


def _room(path: CallPath) -> None:
    """The test room: a stand-in codec with no shell, registered, answering automatically."""
    state = path.root / "room"
    state.mkdir()
    room = {"SIP URI": f"sip:testroom@{DOMAIN}", "SIP Proxy 1 Address": CORE_A, "SIP DefaultTransport": "UDP"}
    save_settings(state, {**load_settings(state), **room, "Conference AutoAnswer Mode": "On"})
    write_baresip_config(state, load_settings(state), ROOM)
    path.start("room", ["baresip", "-f", str(state / "baresip")], state / "baresip.log")


def _codec(path: CallPath) -> None:
    """A bare lab codec: factory settings, prepared the way the lab boots one, then baresip."""
    state = path.codec_state
    state.mkdir()
    run("ip", "netns", "exec", path.ns("codec"), sys.executable, "-m", "infra.lab.codec.boot",
        "--state", str(state), "--lan-address", CODEC)  # fmt: skip
    path.start("codec", ["baresip", "-f", str(state / "baresip")], state / "baresip.log")


def _stop(path: CallPath) -> None:
    for p in path.procs:
        with suppress(ProcessLookupError):
            p.terminate()
    for p in path.procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
    for role in ("core", "codec", "room"):
        ns = path.ns(role)
        for sig in (SIGTERM, SIGKILL):
            for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
                with suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), sig)
            deadline = time.monotonic() + 5
            while run("ip", "netns", "pids", ns, check=False).stdout.split() and time.monotonic() < deadline:
                time.sleep(0.1)
        run("ip", "netns", "del", ns, check=False)


@contextmanager
def call_path(tag: str) -> Iterator[CallPath]:
    path = CallPath(f"{tag}{os.getpid() % 100000}", Path(tempfile.mkdtemp(prefix=PREFIX)))
    try:
        _wire(path)
        kam = path.root / "kamailio"
        kam.mkdir()
        tls_files(kam)
        (kam / "kamailio.cfg").write_text(kamailio_cfg(kam), encoding="utf-8")
        argv = ["kamailio", "-f", str(kam / "kamailio.cfg"), "-DD", "-E", "-m", "32", "-M", "8",
                "-P", str(kam / "kamailio.pid"), "-Y", str(kam)]  # fmt: skip
        path.start("core", argv, kam / "kamailio.log")
        poll(
            "Kamailio answers its control socket",
            lambda: "kamailio" in path.kamcmd("core.version").lower(),
            20,
        )
        _room(path)
        poll("the test room registers", lambda: "testroom" in path.kamcmd("ul.dump"), 20)
        _codec(path)
        yield path
    finally:
        _stop(path)
        shutil.rmtree(path.root, ignore_errors=True)
