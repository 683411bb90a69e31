"""Conformance: Debian's Go snmp_exporter (official v0.21 if_mib module) and ours scrape the
same real agent; the sets of series (names, labels, values) must be identical."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from snmp_testlib import Agents, Exporter, parse_series


def go_scrape(url: str, target: str) -> str:
    with urllib.request.urlopen(f"{url}/snmp?target={target}&module=if_mib", timeout=30) as r:
        return str(r.read().decode())


@pytest.mark.parametrize(
    "recording",
    [
        "switch48",
        "cisco-ios-catalyst3550.snmprec",
        "huawei-vrp-s5720-36c-ei.snmprec",
        "linux-net-snmp-slackware.snmprec",
        "akcp-sensorprobe8-temp-humidity.snmprec",
        "apc-smart-ups-rt3000xl.snmprec",
    ],
)
def test_if_mib_series_identical_to_go_exporter(
    agents: Agents, exporter: Exporter, go_exporter: str, switch48: Path, recording: str
) -> None:
    agent = agents(switch48 if recording == "switch48" else recording)
    theirs = parse_series(go_scrape(go_exporter, agent.target))
    status, body = exporter.get(f"/snmp?target={agent.target}&module=if_mib&auth=public_v2")
    assert status == 200
    ours = parse_series(body)
    assert theirs, "the Go exporter returned no series"
    only_go = sorted(set(theirs) - set(ours))[:5]
    only_ours = sorted(set(ours) - set(theirs))[:5]
    assert not only_go and not only_ours, f"only Go: {only_go}; only ours: {only_ours}"
    diffs = [(k, theirs[k], ours[k]) for k in theirs if theirs[k] != ours[k]][:5]
    assert not diffs
    # and the parse really saw the interesting kinds of series
    names = {n for n, _ in ours}
    assert {"ifOperStatus", "ifPhysAddress", "ifType_info", "ifInOctets"} <= names
