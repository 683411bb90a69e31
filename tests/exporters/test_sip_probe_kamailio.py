"""infra-sip-probe against a live Kamailio 5.6 (Debian's package) on 127.0.0.1 (tests/kamailio.py):
endpoints that SIPp registers read 1, one that unregisters (Expires: 0) and one never seen read 0,
and the probe fails cleanly when Kamailio is gone."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from exporters.sip.collector import RegistrationCollector
from exporters.sip.config import Config, Endpoint
from tests.kamailio import kamailio

DOMAIN = "vc.lamvien.gov.vn"


def probe(cfg: Config) -> str:
    reg = CollectorRegistry()
    reg.register(RegistrationCollector(cfg))
    return generate_latest(reg).decode()


def line(endpoint: str, user: str, value: int) -> str:
    return f'infra_vc_registered{{aor="sip:{user}@{DOMAIN}",endpoint="{endpoint}"}} {value}.0'


def test_live_registrations(tmp_path: Path) -> None:
    with kamailio(tmp_path) as k:
        cfg = Config(
            "srv-vc-1",
            k.rpc_url,
            5.0,
            (
                Endpoint("vc-so-noi-vu", f"sip:so-noi-vu@{DOMAIN}"),
                Endpoint("vc-xa-da-huoai", f"sip:xa-da-huoai@{DOMAIN}"),
                Endpoint("vc-so-y-te", f"sip:so-y-te@{DOMAIN}"),
            ),
        )
        k.register("so-noi-vu", 600)
        k.register("xa-da-huoai", 600)
        text = probe(cfg)
        assert "infra_vc_probe_success 1.0" in text
        assert line("vc-so-noi-vu", "so-noi-vu", 1) in text
        assert line("vc-xa-da-huoai", "xa-da-huoai", 1) in text
        assert line("vc-so-y-te", "so-y-te", 0) in text
        k.register("xa-da-huoai", 0)  # the codec unregisters
        assert line("vc-xa-da-huoai", "xa-da-huoai", 0) in probe(cfg)
        k.stop()
        text = probe(cfg)
        assert "infra_vc_probe_success 0.0" in text and "infra_vc_registered{" not in text
