"""A real Kamailio (Debian's package) on 127.0.0.1 for tests: registrar, JSON-RPC over HTTP
(`/RPC`, module jsonrpcs through xhttp) and its own metrics (`/metrics`, xhttp_prom), on ports
from tests/ports.py (retried when another process took one first); REGISTERs sent by SIPp.

The configuration is the one the probe's recordings were made with
(tests/exporters/data/sip/recorded-with-kamailio.cfg) plus xhttp_prom.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.ports import BIND_RETRIES, free_port

DATA = Path(__file__).parent / "exporters" / "data" / "sip"
BIND_FAILED = ("Address already in use", "bind failed", "could not bind")
METRICS = """loadmodule "xhttp_prom.so"
modparam("xhttp_prom", "xhttp_prom_stats", "all")
"""


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: run scripts/setup.sh")
    return path


@dataclass
class Kamailio:
    sip_port: int
    http_port: int
    proc: subprocess.Popen[bytes]
    tmp: Path
    contact_ports: dict[str, int] = field(default_factory=dict)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/RPC"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def register(self, user: str, expires: int) -> None:
        """REGISTER sip:USER@vc.lamvien.gov.vn (Expires: 0 removes it: same contact per user)."""
        csv = self.tmp / f"{user}.csv"
        csv.write_text(f"SEQUENTIAL\n{expires};infra-test\n")
        for _ in range(BIND_RETRIES):
            port = self.contact_ports.setdefault(user, free_port())
            r = subprocess.run(
                [
                    need("sipp"), f"127.0.0.1:{self.sip_port}",
                    "-sf", str(DATA / "recorded-with-sipp-register.xml"), "-inf", str(csv), "-s", user,
                    "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin", "-timeout", "10",
                ],
                capture_output=True, text=True, timeout=30, cwd=self.tmp,
            )  # fmt: skip
            if r.returncode == 0:
                return
            self.contact_ports.pop(user)  # perhaps the port was taken: another one
        pytest.fail(f"SIPp could not register {user}: {r.stdout[-1000:]} {r.stderr[-1000:]}")


def _config(tmp: Path, sip_port: int, http_port: int) -> str:
    text = (DATA / "recorded-with-kamailio.cfg").read_text()
    text = (
        text.replace("udp:127.0.0.1:15860", f"udp:127.0.0.1:{sip_port}")
        .replace("tcp:127.0.0.1:18088", f"tcp:127.0.0.1:{http_port}")
        .replace("/tmp/vcmon-kam", str(tmp))
        .replace('loadmodule "ctl.so"\n', 'loadmodule "ctl.so"\n' + METRICS)
        .replace("auto_aliases=no\n", "auto_aliases=no\ntcp_accept_no_cl=yes\n")
    )
    rpc = 'if ($hu =~ "^/RPC") { jsonrpc_dispatch(); exit; }'
    return text.replace(rpc, rpc + '\n\tif ($hu =~ "^/metrics") { prom_dispatch(); exit; }')


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def kamailio(tmp: Path) -> Iterator[Kamailio]:
    binary = need("kamailio")
    log = tmp / "kamailio.log"
    for attempt in range(1, BIND_RETRIES + 1):
        sip_port, http_port = free_port(), free_port()
        cfg = tmp / "kamailio.cfg"
        cfg.write_text(_config(tmp, sip_port, http_port))
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [binary, "-f", str(cfg), "-DD", "-E", "-m", "32", "-M", "4", "-Y", str(tmp)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        k = Kamailio(sip_port, http_port, proc, tmp)
        for _ in range(100):
            if proc.poll() is not None or _answers(k.rpc_url):
                break
            time.sleep(0.1)
        if proc.poll() is None:
            break
        text = log.read_text(errors="replace")
        if attempt == BIND_RETRIES or not any(s in text for s in BIND_FAILED):
            pytest.fail(f"kamailio did not start: {text[-2000:]}")
    try:
        yield k
    finally:
        k.stop()
