"""What the bridge adds to a run by itself: the monitoring server's configuration rendered from
the inventory, the lab's exporter, and Ansible's strategy (Mitogen when installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.ansible.datadir import STRATEGY_ENV, BridgeError, envvars, lab_extravars, strategy_env
from infra.ansible.monitoring import CONFIG_BASE_VAR, render_for_run

REQUIRED = ["prometheus.yml", "alertmanager.yml", "blackbox.yml", "snmp-exporter.yml", "rules", "targets"]


def test_a_run_with_the_monitoring_server_renders_its_configuration(
    example_inventory: Any, tmp_path: Path
) -> None:
    extra = render_for_run(example_inventory, ["srv-log-1", "srv-monitor-1"], tmp_path / "mon", {})
    assert extra == {CONFIG_BASE_VAR: str(tmp_path / "mon")}
    assert sorted(p.name for p in (tmp_path / "mon").iterdir()) == ["srv-monitor-1"]
    made = tmp_path / "mon" / "srv-monitor-1"
    assert all((made / name).exists() for name in REQUIRED)
    # It points at the daemons of that monitoring server, not at loopback.
    monitor = str(example_inventory.hosts["srv-monitor-1"].mgmt_address)
    prometheus = yaml.safe_load((made / "prometheus.yml").read_text())
    targets = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == [f"{monitor}:9093"]
    assert f"{monitor}:9116" in (made / "prometheus.yml").read_text()


def test_nothing_is_rendered_without_a_monitoring_server_or_when_the_caller_chose_a_directory(
    example_inventory: Any, tmp_path: Path
) -> None:
    assert render_for_run(example_inventory, ["srv-log-1"], tmp_path / "a", {}) == {}
    given = {"monitoring_server_config_dir": "/somewhere"}
    assert render_for_run(example_inventory, ["srv-monitor-1"], tmp_path / "b", given) == {}
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_lab_province_runs_this_environments_exporter(example_inventory: Any) -> None:
    assert example_inventory.province.lab
    extra = lab_extravars(example_inventory)
    assert Path(str(extra["monitoring_server_snmp_exporter_command"])).name == "infra-snmp-exporter"
    assert Path(str(extra["monitoring_server_snmp_exporter_command"])).is_file()
    # The on-call board too: this environment's `infra`, as root.
    assert Path(str(extra["monitoring_server_oncall_command"])).name == "infra"
    assert Path(str(extra["monitoring_server_oncall_command"])).is_file()
    assert extra["monitoring_server_oncall_user"] == "root"


def test_mitogen_is_the_default_strategy_and_can_be_turned_off(
    example_inventory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STRATEGY_ENV, raising=False)
    env = envvars(example_inventory, None)
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(env["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
    monkeypatch.setenv(STRATEGY_ENV, "linear")
    assert strategy_env() == {"ANSIBLE_STRATEGY": "linear"}
    monkeypatch.setenv(STRATEGY_ENV, "turbo")
    with pytest.raises(BridgeError, match="INFRA_ANSIBLE_STRATEGY=turbo: not one of"):
        strategy_env()
