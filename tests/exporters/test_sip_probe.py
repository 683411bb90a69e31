"""infra-sip-probe: per-endpoint registration from Kamailio's ul.dump.

The answers under data/sip/ were recorded from a real Kamailio 5.6.3 (Debian 12) on 127.0.0.1,
configured with data/sip/recorded-with-kamailio.cfg (registrar + jsonrpcs over xhttp) and fed
REGISTERs by SIPp (data/sip/recorded-with-sipp-register.xml): so-noi-vu (expires 600),
xa-da-huoai (300), testroom (600) and so-y-te (2 s, read after it had expired, before usrloc's
timer removed it: `"Expires": "expired"`). test_sip_probe_kamailio.py runs the probe against a
live Kamailio too.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporters.sip.collector import RegistrationCollector
from exporters.sip.config import Config, ConfigError, Endpoint, load, parse
from exporters.sip.main import Probe, handler
from exporters.sip.rpc import ProbeError, contacts_by_aor

DATA = Path(__file__).parent / "data" / "sip"
UL_DUMP = json.loads((DATA / "ul.dump-kamailio-5.6.3.json").read_text())
NOT_FOUND = json.loads((DATA / "method-not-found-kamailio-5.6.3.json").read_text())
DOMAIN = "vc.lamvien.gov.vn"
ENDPOINTS = (
    Endpoint("vc-so-noi-vu", f"sip:so-noi-vu@{DOMAIN}"),
    Endpoint("vc-xa-da-huoai", f"sip:xa-da-huoai@{DOMAIN}"),
    Endpoint("vc-so-y-te", f"sip:so-y-te@{DOMAIN}"),  # expired
    Endpoint("vc-so-tai-chinh", f"sip:so-tai-chinh@{DOMAIN}"),  # never registered
)
CFG = Config("srv-vc-1", "http://127.0.0.1:8088/RPC", 5.0, ENDPOINTS)


def scrape(answer: Any, cfg: Config = CFG) -> dict[str, float]:
    """Series text -> value, of one collection fed ANSWER (or raising it)."""

    def fetch(url: str, timeout: float) -> Any:
        assert (url, timeout) == (cfg.rpc_url, cfg.timeout_s)
        if isinstance(answer, Exception):
            raise answer
        return answer

    reg = CollectorRegistry()
    reg.register(RegistrationCollector(cfg, fetch=fetch))
    out: dict[str, float] = {}
    for line in generate_latest(reg).decode().splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def reg(endpoint: str, user: str, metric: str = "infra_vc_registered") -> str:
    return f'{metric}{{aor="sip:{user}@{DOMAIN}",endpoint="{endpoint}"}}'


def test_recorded_dump_gives_each_endpoint_its_state() -> None:
    got = scrape(UL_DUMP)
    assert got[reg("vc-so-noi-vu", "so-noi-vu")] == 1
    assert got[reg("vc-xa-da-huoai", "xa-da-huoai")] == 1
    assert got[reg("vc-so-y-te", "so-y-te")] == 0  # "Expires": "expired" is not registered
    assert got[reg("vc-so-tai-chinh", "so-tai-chinh")] == 0  # absent from the dump
    assert got[reg("vc-so-noi-vu", "so-noi-vu", "infra_vc_registration_contacts")] == 1
    assert 0 < got[reg("vc-so-noi-vu", "so-noi-vu", "infra_vc_registration_expires_seconds")] <= 600
    assert got[reg("vc-so-y-te", "so-y-te", "infra_vc_registration_expires_seconds")] == 0
    assert got["infra_vc_registered_other_aors"] == 1  # the test room
    assert got["infra_vc_probe_success"] == 1


def test_aors_written_with_their_domain_match_too() -> None:
    """usrloc with use_domain=1 writes `user@domain`."""
    answer = copy.deepcopy(UL_DUMP)
    for a in answer["result"]["Domains"][0]["Domain"]["AoRs"]:
        a["Info"]["AoR"] += f"@{DOMAIN}"
    got = scrape(answer)
    assert got[reg("vc-so-noi-vu", "so-noi-vu")] == 1
    assert got[reg("vc-so-y-te", "so-y-te")] == 0


def test_permanent_contact_is_registered() -> None:
    answer = copy.deepcopy(UL_DUMP)
    aors = answer["result"]["Domains"][0]["Domain"]["AoRs"]
    so_y_te = next(a for a in aors if a["Info"]["AoR"] == "so-y-te")
    so_y_te["Info"]["Contacts"][0]["Contact"]["Expires"] = "permanent"
    assert scrape(answer)[reg("vc-so-y-te", "so-y-te")] == 1


def test_a_kamailio_error_is_a_failed_probe_not_unregistered_endpoints() -> None:
    got = scrape(NOT_FOUND)
    assert got["infra_vc_probe_success"] == 0
    assert not [s for s in got if s.startswith("infra_vc_registered")]


def test_an_unreachable_call_controller_is_a_failed_probe() -> None:
    got = scrape(ProbeError("http://127.0.0.1:8088/RPC: Connection refused"))
    assert got["infra_vc_probe_success"] == 0
    assert "infra_vc_probe_duration_seconds" in got


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (NOT_FOUND, "Kamailio answered an error: Method Not Found"),
        ({"jsonrpc": "2.0", "result": {"Stats": 1}, "id": 1}, "no result.Domains"),
        ([1, 2], "not a JSON-RPC object"),
        ({"result": {"Domains": [{"Domain": {"AoRs": [{"Info": {}}]}}]}}, "without Info.AoR"),
    ],
)
def test_answers_that_are_not_a_ul_dump_say_what_is_wrong(answer: Any, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        contacts_by_aor(answer)


# ---- configuration --------------------------------------------------------------------------

GOOD = {
    "call_controller": "srv-vc-1",
    "rpc_url": "http://10.94.20.16:8088/RPC",
    "endpoints": [{"endpoint": "vc-so-noi-vu", "aor": f"sip:so-noi-vu@{DOMAIN}"}],
}


def test_good_configuration_loads(tmp_path: Path) -> None:
    f = tmp_path / "sip-probe.yml"
    f.write_text(json.dumps(GOOD))
    cfg = load(f)
    assert cfg.endpoints == (Endpoint("vc-so-noi-vu", f"sip:so-noi-vu@{DOMAIN}"),)
    assert cfg.timeout_s == 5.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rpc_url": "10.94.20.16:8088"}, "rpc_url: expected http"),
        ({"colour": "blue"}, r"unknown key\(s\) \['colour'\]"),
        ({"timeout_s": 0}, "timeout_s: expected seconds"),
        ({"endpoints": [{"endpoint": "vc-a", "aor": "so-noi-vu"}]}, r"endpoints\[0\] \(vc-a\): aor"),
        ({"endpoints": [{"endpoint": "vc-a"}]}, r"endpoints\[0\]: expected exactly the keys"),
        (
            {"endpoints": [{"endpoint": "vc-a", "aor": "sip:a@d"}, {"endpoint": "vc-b", "aor": "sip:a@d"}]},
            r"endpoints\[1\] \(vc-b\): aor sip:a@d is also vc-a's",
        ),
    ],
)
def test_bad_configuration_names_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as e:
        parse(GOOD | change, "sip-probe.yml")
    assert str(e.value).startswith("sip-probe.yml")


def test_missing_key_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing key 'rpc_url'"):
        parse({k: v for k, v in GOOD.items() if k != "rpc_url"}, "x.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("call_controller: [\n")
    with pytest.raises(ConfigError, match=r"bad.yml line \d+: not valid YAML"):
        load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "absent.yml")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporters.sip.main", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_dry_run_and_bad_configuration_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text(json.dumps(GOOD))
    r = run_cli("--config.file", str(good), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "1 endpoints" in r.stdout
    bad = tmp_path / "bad.yml"
    bad.write_text(json.dumps(GOOD | {"rpc_url": "nowhere"}))
    r = run_cli("--config.file", str(bad), "--dry-run")
    assert r.returncode == 2
    assert "bad.yml: rpc_url" in r.stderr and "Traceback" not in r.stderr


# ---- HTTP: the probe's endpoints against a JSON-RPC server serving the recorded answer -------


class _Kamailio(BaseHTTPRequestHandler):
    answer: Any = UL_DUMP

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["method"] == "ul.dump"
        data = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Iterator[str]:
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kamailio_rpc() -> Iterator[str]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Kamailio))  # the kernel picks, we bind


@pytest.fixture
def probe_url(kamailio_rpc: str, tmp_path: Path) -> Iterator[str]:
    f = tmp_path / "sip-probe.yml"
    f.write_text(json.dumps(GOOD | {"rpc_url": f"{kamailio_rpc}/RPC"}))
    probe = Probe(str(f), load(f))
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), handler(probe)))


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()  # type: ignore[no-any-return]


def test_http_probe_metrics_and_reload(probe_url: str, tmp_path: Path) -> None:
    text = get(f"{probe_url}/probe")
    assert f'infra_vc_registered{{aor="sip:so-noi-vu@{DOMAIN}",endpoint="vc-so-noi-vu"}} 1.0' in text
    assert "infra_vc_probe_success 1.0" in text
    assert 'infra_sip_probe_probes_total{result="success"} 1.0' in get(f"{probe_url}/metrics")
    assert get(f"{probe_url}/-/healthy") == "Healthy\n"
    # a bad file is refused with its message, and the probe keeps working on the old one
    f = tmp_path / "sip-probe.yml"
    f.write_text(json.dumps(GOOD | {"endpoints": "none"}))
    req = urllib.request.Request(f"{probe_url}/-/reload", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 500 and b"endpoints: expected a list" in e.value.read()
    assert "vc-so-noi-vu" in get(f"{probe_url}/config")
    assert "infra_vc_probe_success 1.0" in get(f"{probe_url}/probe")
