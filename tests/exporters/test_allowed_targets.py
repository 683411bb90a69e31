"""The exporter is not an open SNMP proxy: each auth is sent only to its allowed_targets (403 for
any other target, before any packet), the allowlist is validated at load, and IPv6 targets and
the packet count of a silent target work as docs/exporter.md says."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_agent import FakeAgent
from snmp_testlib import Exporter, parse_series, series_value

from exporters.snmp import config
from exporters.snmp.main import main
from exporters.snmp.validate import ConfigError

SECRETS = ("authpass123", "privpass123", "unlisted-secret")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAgent]:
    agent = FakeAgent()
    try:
        yield agent
    finally:
        agent.close()


@pytest.fixture(scope="module")
def fake6() -> Iterator[FakeAgent]:
    try:
        agent = FakeAgent("::1")
    except OSError:
        pytest.fail("no IPv6 loopback (::1) on this machine")
    try:
        yield agent
    finally:
        agent.close()


# ---- HTTP ---------------------------------------------------------------------------------------


def assert_nothing_sent_since(exporter: Exporter, fake: FakeAgent, before: int) -> None:
    """No packet reached FAKE since BEFORE. Without a sleep: an allowed scrape follows, and the
    agent reads its socket in order, so once that scrape is answered every earlier packet has
    been counted; the agent must then have seen exactly the allowed scrape's packets."""
    status, text = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=system&auth=public_v2")
    assert status == 200
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="system") == 0
    assert fake.received - before == series_value(series, "snmp_scrape_packets_sent", module="system")


def test_target_outside_the_allowlist_is_403_and_nothing_is_sent(exporter: Exporter, fake: FakeAgent) -> None:
    before = fake.received
    status, body = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=system&auth=elsewhere_v3")
    assert status == 403
    assert f"target 127.0.0.1:{fake.port}" not in body  # the address is named without the port
    assert "target 127.0.0.1 is not in the allowed_targets of auth 'elsewhere_v3'" in body
    for secret in SECRETS:
        assert secret not in body
    assert_nothing_sent_since(exporter, fake, before)


def test_auth_without_allowlist_is_refused_for_every_target(exporter: Exporter, fake: FakeAgent) -> None:
    before = fake.received
    status, body = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=system&auth=unlisted_v2")
    assert status == 403
    assert "auth 'unlisted_v2' has no allowed_targets" in body and "127.0.0.1" in body
    assert "unlisted-secret" not in body
    assert_nothing_sent_since(exporter, fake, before)


def test_a_name_is_checked_by_the_address_it_resolves_to(exporter: Exporter, fake: FakeAgent) -> None:
    status, body = exporter.get(f"/snmp?target=localhost:{fake.port}&module=system&auth=elsewhere_v3")
    assert status == 403
    assert "target localhost (127.0.0.1) is not in the allowed_targets" in body


def test_refusals_are_counted_per_auth(exporter: Exporter) -> None:
    def refused() -> float:
        _, body = exporter.get("/metrics")
        for line in body.splitlines():
            if line.startswith('snmp_exporter_refused_targets_total{auth="elsewhere_v3"}'):
                return float(line.split()[-1])
        return 0.0

    before = refused()
    assert exporter.get("/snmp?target=10.9.9.9&auth=elsewhere_v3")[0] == 403
    assert refused() == before + 1


def test_allowed_target_is_scraped(exporter: Exporter, fake: FakeAgent) -> None:
    before = fake.received
    status, text = exporter.get(f"/snmp?target=127.0.0.1:{fake.port}&module=system&auth=public_v2")
    assert status == 200, text
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="system") == 0
    assert fake.received > before


def test_ipv6_target_is_scraped(exporter: Exporter, fake6: FakeAgent) -> None:
    status, text = exporter.get(f"/snmp?target={fake6.target}&module=if_mib,system&auth=public_v2")
    assert status == 200, text
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="if_mib") == 0, text
    assert series_value(series, "ifHCInOctets", ifName="e0", ifDescr="eth0") == 12345678901234
    assert series_value(series, "snmp_scrape_packets_sent", module="system") >= 1


def test_silent_target_counts_the_packets_sent(exporter: Exporter, fake: FakeAgent) -> None:
    """The fake agent never answers community `private_v2`'s `not-public`: a silent target."""
    before = fake.received
    status, text = exporter.get(
        f"/snmp?target=127.0.0.1:{fake.port}&module=system&auth=private_v2",
        {"X-Prometheus-Scrape-Timeout-Seconds": "2"},
    )
    assert status == 200
    series = parse_series(text, skip_prefix="")
    assert series_value(series, "snmp_scrape_error", module="system") == 1
    sent = series_value(series, "snmp_scrape_packets_sent", module="system")
    assert sent >= 1
    deadline = time.monotonic() + 10  # the agent's thread may lag on a busy machine: wait, then compare
    while fake.received - before < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.received - before == sent


# ---- configuration ------------------------------------------------------------------------------

BASE = "auths:\n  v2: {community: c}\n"


def write(tmp_path: Path, text: str, name: str = "snmp.yml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("allowed_targets: {v2: {cidrs: [10.0.0.300]}}", "allowed_targets.v2.cidrs[0]: '10.0.0.300' is not"),
        ("allowed_targets: {v2: {cidrs: [10.0.0.1/8]}}", "allowed_targets.v2.cidrs[0]: '10.0.0.1/8'"),
        ("allowed_targets: {v2: {cidrs: 10.0.0.0/8}}", "allowed_targets.v2.cidrs: expected a list"),
        ("allowed_targets: {v2: {cidr: [10.0.0.0/8]}}", "allowed_targets.v2.cidr: unknown key"),
        ("allowed_targets: {v2: {}}", "allowed_targets.v2: needs cidrs or files"),
        ("allowed_targets: {v2: [10.0.0.0/8]}", "allowed_targets.v2: expected a mapping"),
        ("allowed_targets: {v2: {files: [nowhere.json]}}", "allowed_targets.v2.files[0]: cannot read"),
        ("allowed_targets: {v2: {files: [t.json]}}", "allowed_targets.v2.files[0]: "),
    ],
)
def test_bad_allowlist_is_a_load_error_naming_file_and_key(
    tmp_path: Path, section: str, expected: str
) -> None:
    write(tmp_path, '[{"targets": ["10.0.0.1", "not-an-address"]}]', "t.json")
    f = write(tmp_path, BASE + section + "\n")
    with pytest.raises(ConfigError) as err:
        config.load([str(f)])
    assert str(err.value).startswith(f"{f}: ")
    assert expected in str(err.value)


def test_allowlist_for_an_unknown_auth_is_a_load_error(tmp_path: Path) -> None:
    f = write(tmp_path, BASE + "allowed_targets: {v3: {cidrs: [10.0.0.0/8]}}\n")
    with pytest.raises(ConfigError, match=r"allowed_targets.v3: no auth named 'v3' \(auths: v2\)"):
        config.load([str(f)])


def test_dry_run_reports_the_allowlist_and_refuses_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, BASE + "allowed_targets: {v2: {cidrs: [10.0.0.0/8, 192.0.2.1]}}\n")
    assert main(["--config.file", str(good), "--dry-run"]) == 0
    assert (
        "v2: version=2, community=<secret>; allowed targets: 1 addresses, 1 networks"
        in capsys.readouterr().out
    )
    bad = write(tmp_path, BASE + "allowed_targets: {v2: {cidrs: [nowhere]}}\n", "bad.yml")
    assert main(["--config.file", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: allowed_targets.v2.cidrs[0]: 'nowhere' is not an IP address or network" in err
    assert "Traceback" not in err


def test_files_of_targets_and_file_sd_groups_filtered_by_auth(tmp_path: Path) -> None:
    groups = [
        {"targets": ["10.1.0.1"], "labels": {"__param_auth": "v2"}},
        {"targets": ["10.2.0.1:1161"], "labels": {"__param_auth": "other"}},
        {"targets": ["[2001:db8::7]:161"]},
    ]
    (tmp_path / "targets").mkdir()
    write(tmp_path, json.dumps(groups), "targets/snmp-router.json")
    write(tmp_path, "- 10.3.0.0/16\n- 10.4.0.1:161\n", "more.yml")
    section = "allowed_targets:\n  v2: {cidrs: ['::1'], files: [targets/snmp-router.json, more.yml]}\n"
    cfg = config.load([str(write(tmp_path, BASE + section))])  # files relative to the config file
    allowed = cfg.allowed_targets["v2"]
    for address in ("10.1.0.1", "2001:db8::7", "10.3.255.1", "10.4.0.1", "::1"):
        assert allowed.allows(address), address
    for address in ("10.2.0.1", "10.1.0.2", "10.4.0.2", "2001:db8::8", "127.0.0.1", "not an address"):
        assert not allowed.allows(address), address
        assert not allowed.allows(address), address  # and the cached answer is the same


def test_allowlists_merge_across_files(tmp_path: Path) -> None:
    """Your own file may allow more targets for a bundled auth (public_v2: loopback only)."""
    cfg = config.load([*map(str, config.bundled_files())])
    assert not cfg.allowed_targets["public_v2"].allows("10.0.0.1")
    extra = write(tmp_path, "allowed_targets: {public_v2: {cidrs: [10.0.0.0/8]}}\n")
    cfg = config.load([*map(str, config.bundled_files()), str(extra)])
    assert cfg.allowed_targets["public_v2"].allows("10.0.0.1")
    assert cfg.allowed_targets["public_v2"].allows("127.0.0.1")
