"""`infra monitoring up/down` on loopback without the lab: every process starts with the rendered
configuration, answers, and `down` ends exactly those processes. Target files are emptied
(`with_targets=False`): a unit test sends no packet to any device address."""

from __future__ import annotations

import json
import os
import socket
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from infra.inventory import Inventory
from infra.monitoring.stack import Ports, StackError, start_stack, stop_stack
from tests.conftest import LAB_SECRETS
from tests.ports import port_in_use, with_fresh_ports

PROCESSES = ["alertmanager", "blackbox", "board", "prometheus", "sip-probe", "snmp-exporter"]


def test_up_serves_the_rendered_config_and_down_stops_it(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    stack = with_fresh_ports(
        6,
        lambda p: start_stack(
            example_inventory, tmp_path, Ports(*p), fast_alerts=True, lab_stand_ins=False, with_targets=False
        ),
        lambda e: isinstance(e, StackError) and port_in_use(str(e)),
    )
    ports = stack.ports
    try:
        assert set(stack.pids) == set(PROCESSES)
        # the board reads this stack's Prometheus and Alertmanager
        with urllib.request.urlopen(f"{stack.urls['board']}/api/status", timeout=10) as r:
            assert json.load(r)["problems"] == []  # Alertmanager answered the board
        # infra-sip-probe runs on the rendered sip-probe.yml: every endpoint's AOR
        with urllib.request.urlopen(f"{stack.urls['sip-probe']}/config", timeout=10) as r:
            probe_config = r.read().decode()
        assert probe_config.count("aor: sip:") == len(example_inventory.vc_endpoints) == 20
        with urllib.request.urlopen(f"{stack.urls['prometheus']}/api/v1/rules", timeout=10) as r:
            groups = json.load(r)["data"]["groups"]
        names = {g["name"] for g in groups}
        assert {"infra-inventory", "infra-recording", "infra-wan", "infra-facilities"} <= names
        with urllib.request.urlopen(f"{stack.urls['alertmanager']}/api/v2/status", timeout=10) as r:
            assert "oncall-wan" in json.load(r)["config"]["original"]
        # every dashboard query is valid PromQL for this Prometheus ($host filled in)
        for board in (tmp_path / "dashboards").glob("*.json"):
            for panel in json.loads(board.read_text())["panels"]:
                for target in panel.get("targets", []):
                    q = urllib.parse.quote(target["expr"].replace("$host", "wan-hub-1"))
                    with urllib.request.urlopen(
                        f"{stack.urls['prometheus']}/api/v1/query?query={q}", timeout=10
                    ) as r:
                        assert json.load(r)["status"] == "success", (board.name, panel["title"])
        with pytest.raises(StackError, match="ports already in use"):
            start_stack(example_inventory, tmp_path / "again", ports, lab_stand_ins=False, with_targets=False)
    finally:
        stopped = stop_stack(tmp_path)
    assert sorted(stopped) == PROCESSES
    for pid in stack.pids.values():
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".json", ".log"):
            for secret in LAB_SECRETS:
                assert secret not in path.read_text(errors="replace"), path
    assert os.listdir(tmp_path / "run") == []


def test_cli_up_with_a_busy_port_is_a_usage_error_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from infra.cli import cli
    from tests.safety.routes import LAB_UP, fake_routes

    fake_routes(monkeypatch, *LAB_UP)  # the lab may be down: the port check comes first anyway

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(
            cli, ["monitoring", "up", "--out", str(tmp_path), "--prometheus-port", str(port)]
        )
    assert r.exit_code == 2 and "ports already in use" in r.output
    assert not (tmp_path / "run").exists()
    r = CliRunner().invoke(cli, ["monitoring", "down", "--out", str(tmp_path)])
    assert r.exit_code == 0 and "nothing was running" in r.output
