"""Real parts for the exporter tests: net-snmp snmpd + the snmprec plug-in, our exporter, Go's.

Everything listens on 127.0.0.1 on free high ports and is stopped at the end of the session.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from exporters.snmp import ber
from tests.ports import BIND_RETRIES, free_port, port_in_use

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("INFRA_SHARED", ROOT.parent / "shared"))
SNMPREC = SHARED / "snmprec"
DATA = Path(__file__).parent / "data"
AGENT_SRC = SHARED / "tools" / "snmprec-agent" / "snmprec_agent.c"
AGENT_SO = ROOT / "build" / "snmprec_agent.so"
REFERENCE_IF_MIB = SHARED / "reference" / "snmp_exporter-v0.21-if_mib.yml"
GEN_SWITCH = SHARED / "tools" / "snmprec-agent" / "gen_switch.py"
V3_USER = ("benchuser", "authpass123", "privpass123")

# Which snmpd MIB modules stay on: the config handlers only; the recording answers for everything.
SNMPD_MODULES = "dlmod,vacm_conf,vacm_vars,usmConf"


def missing_tool(what: str) -> None:
    """Skip on a developer's machine; in CI (CI=true) a missing tool fails the test instead."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{what} (CI=true: a missing tool is a failure, not a skip)")
    pytest.skip(what)


def build_agent_so() -> Path:
    if AGENT_SO.exists():
        return AGENT_SO
    if not AGENT_SRC.exists() or not shutil.which("gcc") or not shutil.which("net-snmp-config"):
        missing_tool("snmprec_agent.so is missing and cannot be built here")
    AGENT_SO.parent.mkdir(exist_ok=True)
    flags = subprocess.run(["net-snmp-config", "--cflags"], capture_output=True, text=True, check=True).stdout
    cmd = ["gcc", "-O2", "-Wall", "-fPIC", "-shared", "-o", str(AGENT_SO), str(AGENT_SRC)]
    subprocess.run([*cmd, *flags.split(), "-lnetsnmpagent", "-lnetsnmp"], check=True)
    return AGENT_SO


def wait_udp_agent(port: int, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until an SNMP agent answers a v2c GET on 127.0.0.1:port (or PROC, the agent, exits)."""
    msg = ber.enc_community_message(
        1, b"public", ber.enc_pdu(ber.GET, 1, [ber.oid_to_bytes("1.3.6.1.2.1.1.1.0")])
    )
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            s.sendto(msg, ("127.0.0.1", port))
            try:
                s.recvfrom(65535)
                return
            except OSError:
                continue
    raise RuntimeError(f"snmpd on port {port} did not answer")


def wait_http(url: str, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until URL answers (or PROC, the server, exits: then RuntimeError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Agent:
    """One snmpd serving one recording on one or more UDP ports."""

    recording: Path
    ports: list[int]
    proc: subprocess.Popen[bytes]
    workdir: Path

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def start_agent(recording: Path, nports: int = 1, roots: str = "1.3.6.1") -> Agent:
    """snmpd on NPORTS fresh ports; retried with other ports if one was taken before snmpd bound it."""
    so = build_agent_so()
    work = Path(tempfile.mkdtemp(prefix="snmprec-agent-"))
    user, auth, priv = V3_USER
    (work / "agent.conf").write_text(
        "rocommunity public 127.0.0.1\n"
        f"createUser {user} SHA {auth} AES {priv}\n"
        f"rouser {user} priv\n"
        "dontLogTCPWrappersConnects yes\n"
        f"dlmod snmprec_agent {so}\n"
    )
    env = dict(
        os.environ, SNMPREC_FILE=str(recording), SNMPREC_ROOTS=roots, SNMP_PERSISTENT_DIR=str(work / "state")
    )
    env["MIBS"] = ""
    log = work / "agent.log"
    for attempt in range(1, BIND_RETRIES + 1):
        ports = [free_port() for _ in range(nports)]
        listen = ",".join(f"udp:127.0.0.1:{p}" for p in ports)
        cmd = ["snmpd", "-f", "-Lf", str(log), "-C", "-c", str(work / "agent.conf")]
        proc = subprocess.Popen([*cmd, "-I", SNMPD_MODULES, listen], env=env, stdout=subprocess.DEVNULL)
        try:
            for p in ports:
                wait_udp_agent(p, proc=proc)
        except RuntimeError:
            stop(proc)
            text = log.read_text(errors="replace") if log.exists() else ""
            if attempt < BIND_RETRIES and port_in_use(text):
                log.unlink()
                continue
            raise RuntimeError(f"snmpd did not answer on {listen}: {text[-2000:]}") from None
        return Agent(recording, ports, proc, work)
    raise AssertionError("unreachable")


@dataclass
class Agents:
    """Session-wide agents, one per recording, started on first use."""

    started: dict[tuple[str, int], Agent] = field(default_factory=dict)

    def __call__(self, recording: Path | str, nports: int = 1) -> Agent:
        path = Path(recording)
        if not path.is_absolute():
            path = SNMPREC / path if (SNMPREC / path).exists() else DATA / path
        key = (str(path), nports)
        if key not in self.started:
            self.started[key] = start_agent(path, nports)
        return self.started[key]

    def close(self) -> None:
        for agent in self.started.values():
            stop(agent.proc)
            shutil.rmtree(agent.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def agents() -> Iterator[Agents]:
    if not shutil.which("snmpd"):
        missing_tool("net-snmp snmpd is not installed")
    a = Agents()
    try:
        yield a
    finally:
        a.close()


@pytest.fixture(scope="session")
def switch48(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("switch") / "switch48.snmprec"
    subprocess.run([sys.executable, str(GEN_SWITCH), "48", str(out)], check=True, capture_output=True)
    return out


TEST_CONFIG = """
auths:
  bench_v3:
    version: 3
    username: benchuser
    security_level: authPriv
    auth_protocol: SHA
    password: ${TEST_SNMP_AUTH_PASSWORD}
    priv_protocol: AES
    priv_password: ${TEST_SNMP_PRIV_PASSWORD}
  wrong_v3:
    version: 3
    username: benchuser
    security_level: authPriv
    auth_protocol: SHA
    password: not-the-password
    priv_protocol: AES
    priv_password: privpass123
  private_v2:
    community: not-public
  broken_v2:
    community: broken
  fuzz_v2:
    community: fuzz
  elsewhere_v3:
    version: 3
    username: benchuser
    security_level: authPriv
    auth_protocol: SHA
    password: ${TEST_SNMP_AUTH_PASSWORD}
    priv_protocol: AES
    priv_password: ${TEST_SNMP_PRIV_PASSWORD}
  unlisted_v2:
    community: unlisted-secret
allowed_targets:
  bench_v3: {cidrs: [127.0.0.0/8, "::1"]}
  wrong_v3: {cidrs: [127.0.0.0/8]}
  private_v2: {cidrs: [127.0.0.0/8]}
  broken_v2: {cidrs: [127.0.0.0/8]}
  fuzz_v2: {cidrs: [127.0.0.0/8]}
  elsewhere_v3: {cidrs: [192.0.2.0/24, 127.0.0.2]}
"""


@dataclass
class Exporter:
    url: str
    proc: subprocess.Popen[bytes]
    config_file: Path
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path: str) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, data=b"", method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def start_http_server(
    argv: Callable[[int], list[str]], log: Path, env: dict[str, str] | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ARGV(port) on a fresh port until it serves /-/healthy; retried if the port was taken."""
    for attempt in range(1, BIND_RETRIES + 1):
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(argv(port), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(url + "/-/healthy", proc=proc)
            if proc.poll() is None:
                return url, proc
        except RuntimeError:
            pass
        stop(proc)
        text = log.read_text(errors="replace")
        if attempt == BIND_RETRIES or not port_in_use(text):
            raise RuntimeError(f"{argv(port)[0]} did not come up on {url}: {text[-2000:]}")
    raise AssertionError("unreachable")


def start_exporter(config_files: list[Path], workdir: Path, workers: int = 2) -> Exporter:
    log = workdir / "exporter.log"
    env = dict(os.environ, TEST_SNMP_AUTH_PASSWORD=V3_USER[1], TEST_SNMP_PRIV_PASSWORD=V3_USER[2])

    def argv(port: int) -> list[str]:
        args = [sys.executable, "-m", "exporters.snmp.main", f"--web.listen-address=127.0.0.1:{port}"]
        return args + [f"--config.file={f}" for f in config_files] + [f"--web.workers={workers}"]

    url, proc = start_http_server(argv, log, env)
    return Exporter(url, proc, config_files[-1], log)


@pytest.fixture(scope="session")
def exporter_config(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The bundled configuration plus a file with test auths (v3 secrets from the environment)."""
    from exporters.snmp.config import bundled_files

    extra = tmp_path_factory.mktemp("exporter-config") / "test-auths.yml"
    extra.write_text(TEST_CONFIG)
    return [*bundled_files(), extra]


@pytest.fixture(scope="session")
def exporter(exporter_config: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    """Our exporter, two worker processes, as deployed."""
    e = start_exporter(exporter_config, tmp_path_factory.mktemp("exporter"))
    try:
        yield e
    finally:
        stop(e.proc)


@pytest.fixture(scope="session")
def go_exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus-snmp-exporter")
    if not binary or not REFERENCE_IF_MIB.exists():
        missing_tool("Debian's prometheus-snmp-exporter or the reference if_mib module is missing")
    log = tmp_path_factory.mktemp("go-exporter") / "go.log"

    def argv(port: int) -> list[str]:
        return [binary, f"--config.file={REFERENCE_IF_MIB}", f"--web.listen-address=127.0.0.1:{port}"]

    url, proc = start_http_server(argv, log)
    try:
        yield url
    finally:
        stop(proc)


Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


LINE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


UNESCAPE_RE = re.compile(r"\\(.)")


def _unescape(m: re.Match[str]) -> str:
    return "\n" if m[1] == "n" else m[1]


def parse_series(text: str, skip_prefix: str = "snmp_scrape_") -> Series:
    """Exposition text -> {(name, sorted labels): value}: names exactly as written (no _total games)."""
    out: Series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE_RE.match(line)
        assert m, f"not an exposition line: {line!r}"
        name, labels, value = m[1], m[2] or "", m[3]
        if skip_prefix and name.startswith(skip_prefix):
            continue
        pairs = [(k, UNESCAPE_RE.sub(_unescape, v)) for k, v in LABEL_RE.findall(labels)]
        key = (name, tuple(sorted(pairs)))
        assert key not in out, f"duplicate series {key}"
        out[key] = float(value)
    return out


def series_value(series: Series, name: str, **labels: str) -> float:
    """The value of the one series named `name` whose labels include `labels`."""
    found = [
        v for (n, labs), v in series.items() if n == name and all((k, v2) in labs for k, v2 in labels.items())
    ]
    assert len(found) == 1, f"{name}{labels}: {len(found)} matches"
    return found[0]


@pytest.fixture
def scrape(exporter: Exporter) -> Callable[..., str]:
    def do(target: str, module: str, auth: str = "public_v2", **headers: str) -> str:
        status, body = exporter.get(f"/snmp?target={target}&module={module}&auth={auth}", headers)
        assert status == 200, body
        return body

    return do
