"""snmp_exporter's HTTP contract and scrape semantics, on the deployed exporter (2 workers)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fake_agent import FakeAgent
from snmp_testlib import Agents, Exporter, parse_series, series_value


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAgent]:
    agent = FakeAgent()
    try:
        yield agent
    finally:
        agent.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/snmp?module=if_mib", "'target' parameter must be specified once"),
        ("/snmp?target=127.0.0.1&target=127.0.0.2", "'target' parameter must be specified once"),
        ("/snmp?target=127.0.0.1&module=nope", "Unknown module 'nope'"),
        ("/snmp?target=127.0.0.1&module=if_mib,nope", "Unknown module 'nope'"),
        ("/snmp?target=127.0.0.1&auth=nope", "Unknown auth 'nope'"),
        ("/snmp?target=127.0.0.1:99999", "bad port"),
    ],
)
def test_bad_query_is_400_with_a_clear_message(exporter: Exporter, query: str, message: str) -> None:
    status, body = exporter.get(query)
    assert status == 400
    assert message in body


def test_endpoints(exporter: Exporter) -> None:
    assert exporter.get("/-/healthy") == (200, "Healthy\n")
    assert exporter.get("/-/reload")[0] == 405
    status, body = exporter.get("/")
    assert status == 200 and 'action="snmp"' in body
    assert exporter.get("/nothing-here")[0] == 404


def test_config_page_never_shows_secrets(exporter: Exporter) -> None:
    status, body = exporter.get("/config")
    assert status == 200
    assert "bench_v3" in body and "<secret>" in body and "if_mib" in body
    for secret in ("authpass123", "privpass123", "not-public", "not-the-password"):
        assert secret not in body


def test_several_modules_in_one_scrape(agents: Agents, scrape: Callable[..., str]) -> None:
    agent = agents("linux-net-snmp-slackware.snmprec")
    series = parse_series(scrape(agent.target, "if_mib,system,host_resources"), skip_prefix="")
    for module in ("if_mib", "system", "host_resources"):
        assert series_value(series, "snmp_scrape_error", module=module) == 0
        assert series_value(series, "snmp_scrape_pdus_returned", module=module) > 0
        assert series_value(series, "snmp_scrape_duration_seconds", module=module) > 0
        assert series_value(series, "snmp_scrape_walk_duration_seconds", module=module) > 0
    # sysUpTime is in both if_mib and system: one series
    assert series_value(series, "sysUpTime") == 233425120
    assert series_value(series, "hrSystemProcesses") == 165


def test_v3_authpriv_same_series_as_v2c(agents: Agents, scrape: Callable[..., str], switch48: Path) -> None:
    agent = agents(switch48)
    v2 = parse_series(scrape(agent.target, "if_mib", "public_v2"))
    v3 = parse_series(scrape(agent.target, "if_mib", "bench_v3"))
    assert len(v2) > 1700
    assert v2 == v3


def test_wrong_v3_password_is_an_error_metric(
    agents: Agents, scrape: Callable[..., str], switch48: Path
) -> None:
    text = scrape(agents(switch48).target, "system", "wrong_v3")
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="system") == 1
    assert re.search(r'snmp_scrape_error_info\{error="SNMPv3: wrong digest', text), text


def test_one_failing_module_does_not_fail_the_scrape(exporter: Exporter, fake: FakeAgent) -> None:
    """system (GET) works, if_mib (GETBULK) gets a truncated and a corrupt reply."""
    status, text = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=system,if_mib&auth=broken_v2")
    assert status == 200
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="system") == 0
    assert series_value(series, "sysUpTime") == 4242
    assert series_value(series, "snmp_scrape_error", module="if_mib") == 1
    assert 'snmp_scrape_error_info{error="malformed reply: unknown value tag 0x99",module="if_mib"} 1' in text


def test_garbage_and_truncated_replies_are_counted_and_survived(exporter: Exporter, fake: FakeAgent) -> None:
    before = own_metric(exporter, "snmp_exporter_malformed_replies_total")
    status, text = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=if_mib&auth=fuzz_v2")
    assert status == 200
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="if_mib") == 0
    assert series_value(series, "ifHCInOctets", ifName="e0", ifDescr="eth0") == 12345678901234
    assert series_value(series, "ifOperStatus", ifIndex="2") == 2
    after = own_metric(exporter, "snmp_exporter_malformed_replies_total")
    assert after - before >= 100  # every truncation of every reply, plus garbage that did not parse
    assert exporter.get("/-/healthy")[0] == 200


def own_metric(exporter: Exporter, name: str) -> float:
    status, body = exporter.get("/metrics")
    assert status == 200
    m = re.search(rf"^{name} (\S+)$", body, re.M)
    assert m, body
    return float(m[1])


def test_own_metrics_are_summed_over_workers(exporter: Exporter) -> None:
    values = {own_metric(exporter, "snmp_request_errors_total") for _ in range(8)}
    assert len(values) == 1  # whichever worker answers, the same total
    _, body = exporter.get("/metrics")
    assert "snmp_collection_duration_seconds_count" in body
    assert 'snmp_exporter_scrapes_total{module="if_mib",result="success"}' in body


def silent_port() -> tuple[socket.socket, int]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s, int(s.getsockname()[1])


def test_silent_target_answers_within_the_scrape_timeout(exporter: Exporter) -> None:
    sock, port = silent_port()
    with sock:
        start = time.monotonic()
        status, text = exporter.get(
            f"/snmp?target=127.0.0.1:{port}&module=if_mib,system",
            {"X-Prometheus-Scrape-Timeout-Seconds": "2"},
        )
        took = time.monotonic() - start
    assert status == 200
    assert took < 2.0, took
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="if_mib") == 1
    assert series_value(series, "snmp_scrape_error", module="system") == 1
    assert series_value(series, "snmp_scrape_packets_sent", module="if_mib") >= 1  # unanswered, still sent
    assert "no reply from 127.0.0.1" in text


def test_bad_timeout_header_is_400(exporter: Exporter) -> None:
    status, body = exporter.get("/snmp?target=127.0.0.1", {"X-Prometheus-Scrape-Timeout-Seconds": "soon"})
    assert status == 400 and "timeout" in body


def test_many_targets_at_once_never_stall_each_other(
    agents: Agents, exporter: Exporter, switch48: Path
) -> None:
    """60 switches (one snmpd on 60 ports) and 5 silent targets, all scraped at the same time."""
    agent = agents(switch48, nports=60)
    silent = [silent_port() for _ in range(5)]
    targets = [f"127.0.0.1:{p}" for p in agent.ports] + [f"127.0.0.1:{p}" for _, p in silent]

    def one(target: str) -> tuple[str, float, str]:
        start = time.monotonic()
        timeout = "20" if int(target.rsplit(":", 1)[1]) in agent.ports else "2"
        status, text = exporter.get(
            f"/snmp?target={target}&module=if_mib", {"X-Prometheus-Scrape-Timeout-Seconds": timeout}
        )
        assert status == 200
        return target, time.monotonic() - start, text

    try:
        with ThreadPoolExecutor(len(targets)) as pool:
            results = list(pool.map(one, targets))
    finally:
        for s, _ in silent:
            s.close()
    for target, took, text in results:
        series = parse_series(text, skip_prefix="")
        if int(target.rsplit(":", 1)[1]) in agent.ports:
            assert series_value(series, "snmp_scrape_error", module="if_mib") == 0, target
            assert series_value(series, "snmp_scrape_pdus_returned", module="if_mib") == 1874
            assert series_value(series, "snmp_scrape_packets_sent", module="if_mib") == 77  # no retries
        else:
            assert series_value(series, "snmp_scrape_error", module="if_mib") == 1
            assert series_value(series, "snmp_scrape_packets_sent", module="if_mib") >= 1
            assert took < 2
