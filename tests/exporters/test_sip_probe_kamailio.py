"""infra-sip-probe against a live Kamailio 5.6 (Debian's package) on 127.0.0.1: endpoints that
SIPp registers read 1, one that unregisters (Expires: 0) and one never seen read 0, and the
probe fails cleanly when Kamailio is gone. The configuration is the recording's
(data/sip/recorded-with-kamailio.cfg) with this test's ports."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporters.sip.collector import RegistrationCollector
from exporters.sip.config import Config, Endpoint
from tests.monitoring.conftest import need
from tests.ports import BIND_RETRIES, free_port

DATA = Path(__file__).parent / "data" / "sip"
DOMAIN = "vc.lamvien.gov.vn"
BIND_FAILED = ("Address already in use", "bind failed", "could not bind")


@dataclass
class Kamailio:
    sip_port: int
    rpc_url: str
    proc: subprocess.Popen[bytes]
    scenario: Path
    tmp: Path
    contact_ports: dict[str, int] = field(default_factory=dict)


def _config(tmp: Path, sip_port: int, http_port: int) -> str:
    text = (DATA / "recorded-with-kamailio.cfg").read_text()
    return (
        text.replace("udp:127.0.0.1:15860", f"udp:127.0.0.1:{sip_port}")
        .replace("tcp:127.0.0.1:18088", f"tcp:127.0.0.1:{http_port}")
        .replace("/tmp/vcmon-kam", str(tmp))
    )


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Kamailio]:
    binary = need("kamailio")
    log = tmp_path / "kamailio.log"
    for attempt in range(1, BIND_RETRIES + 1):
        sip_port, http_port = free_port(), free_port()
        cfg = tmp_path / "kamailio.cfg"
        cfg.write_text(_config(tmp_path, sip_port, http_port))
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [binary, "-f", str(cfg), "-DD", "-E", "-m", "32", "-M", "4", "-Y", str(tmp_path)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{http_port}/RPC"
        for _ in range(100):
            if proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers HTTP
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None:
            break
        text = log.read_text(errors="replace")
        if attempt == BIND_RETRIES or not any(s in text for s in BIND_FAILED):
            pytest.fail(f"kamailio did not start: {text[-2000:]}")
    try:
        yield Kamailio(sip_port, url, proc, DATA / "recorded-with-sipp-register.xml", tmp_path)
    finally:
        proc.terminate()
        proc.wait(10)


def register(k: Kamailio, user: str, expires: int) -> None:
    csv = k.tmp / f"{user}.csv"
    csv.write_text(f"SEQUENTIAL\n{expires};infra-test\n")
    for _ in range(BIND_RETRIES):
        # the same contact (SIPp's port is in it) for a user, so that Expires: 0 removes it
        port = k.contact_ports.setdefault(user, free_port())
        r = subprocess.run(
            [
                need("sipp"),
                f"127.0.0.1:{k.sip_port}",
                "-sf", str(k.scenario),
                "-inf", str(csv),
                "-s", user,
                "-i", "127.0.0.1",
                "-p", str(port),
                "-m", "1",
                "-nostdin",
                "-timeout", "10",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=k.tmp,
        )  # fmt: skip
        if r.returncode == 0:
            return
        k.contact_ports.pop(user)  # perhaps the port was taken: another one
    pytest.fail(f"SIPp could not register {user}: {r.stdout[-1000:]} {r.stderr[-1000:]}")


def probe(cfg: Config) -> str:
    reg = CollectorRegistry()
    reg.register(RegistrationCollector(cfg))
    return generate_latest(reg).decode()


def line(endpoint: str, user: str, value: int) -> str:
    return f'infra_vc_registered{{aor="sip:{user}@{DOMAIN}",endpoint="{endpoint}"}} {value}.0'


def test_live_registrations(kamailio: Kamailio) -> None:
    cfg = Config(
        "srv-vc-1",
        kamailio.rpc_url,
        5.0,
        (
            Endpoint("vc-so-noi-vu", f"sip:so-noi-vu@{DOMAIN}"),
            Endpoint("vc-xa-da-huoai", f"sip:xa-da-huoai@{DOMAIN}"),
            Endpoint("vc-so-y-te", f"sip:so-y-te@{DOMAIN}"),
        ),
    )
    register(kamailio, "so-noi-vu", 600)
    register(kamailio, "xa-da-huoai", 600)
    text = probe(cfg)
    assert "infra_vc_probe_success 1.0" in text
    assert line("vc-so-noi-vu", "so-noi-vu", 1) in text
    assert line("vc-xa-da-huoai", "xa-da-huoai", 1) in text
    assert line("vc-so-y-te", "so-y-te", 0) in text
    register(kamailio, "xa-da-huoai", 0)  # the codec unregisters
    assert line("vc-xa-da-huoai", "xa-da-huoai", 0) in probe(cfg)
    kamailio.proc.terminate()
    kamailio.proc.wait(10)
    text = probe(cfg)
    assert "infra_vc_probe_success 0.0" in text and "infra_vc_registered{" not in text
