"""The rendered Prometheus configuration and rules, checked and unit-tested by the real promtool."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from infra.inventory import Inventory
from infra.monitoring import RenderOptions, render_monitoring, write_monitoring
from infra.monitoring.alerts import ALERTS
from tests.monitoring.conftest import need

RULE_TESTS = sorted((Path(__file__).parent / "rules").glob("*.test.yml"))
BY_NAME = {a.name: a for a in ALERTS}


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_check_config_single(rendered_dir: Path) -> None:
    r = promtool("check", "config", "prometheus.yml", cwd=rendered_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 rule files found" in r.stdout


def test_check_config_shards_and_global(example_inventory: Inventory, tmp_path: Path) -> None:
    write_monitoring(render_monitoring(example_inventory, RenderOptions(shards=3)), tmp_path)
    names = sorted(p.name for p in tmp_path.glob("prometheus*.yml"))
    assert names == [
        "prometheus-global.yml",
        "prometheus-shard-0.yml",
        "prometheus-shard-1.yml",
        "prometheus-shard-2.yml",
    ]
    for name in names:
        r = promtool("check", "config", name, cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr


def test_check_rules(rendered_dir: Path) -> None:
    files = sorted(str(p.relative_to(rendered_dir)) for p in (rendered_dir / "rules").glob("*.yml"))
    r = promtool("check", "rules", *files, cwd=rendered_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in r.stdout


def _with_static_annotations(test_file: Path) -> dict:  # type: ignore[type-arg]
    """Each expected alert gets its static summary and runbook_url; the test file holds the labels
    and the templated description, which is what a rule change can break."""
    data = yaml.safe_load(test_file.read_text())
    for case in data["tests"]:
        for check in case.get("alert_rule_test", []):
            alert = BY_NAME[check["alertname"]]
            for exp in check.get("exp_alerts") or []:
                ann = exp.setdefault("exp_annotations", {})
                ann.setdefault("summary", alert.summary)
                ann.setdefault("runbook_url", f"docs/runbooks/{alert.name}.md")
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=[p.stem for p in RULE_TESTS])
def test_promtool_unit_tests(test_file: Path, rendered_dir: Path) -> None:
    target = rendered_dir / test_file.name
    target.write_text(yaml.safe_dump(_with_static_annotations(test_file), allow_unicode=True))
    r = promtool("test", "rules", target.name, cwd=rendered_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    fires: set[str] = set()
    silent: set[str] = set()
    for f in RULE_TESTS:
        for case in yaml.safe_load(f.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    names = set(BY_NAME)
    assert names - fires == set(), "alerts without a test where they fire"
    assert names - silent == set(), "alerts without a test where they stay silent"


# a label the text prints unconditionally (not inside `{{ if }}` or `{{ or }}`)
PRINTED_LABEL = re.compile(r"\{\{\s*\$labels\.(\w+)\s*\}\}")
CONDITIONAL = re.compile(r"\{\{\s*if .*?\{\{\s*end\s*\}\}")


def test_every_label_a_description_prints_is_on_the_alert() -> None:
    """promtool renders a missing label as an empty string, so a description that prints a label
    the rule no longer carries ("site ") would pass unnoticed: the firing cases must carry it."""
    missing: list[str] = []
    for f in RULE_TESTS:
        for case in yaml.safe_load(f.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                alert = BY_NAME[check["alertname"]]
                printed = set(PRINTED_LABEL.findall(CONDITIONAL.sub("", alert.description)))
                for exp in check.get("exp_alerts") or []:
                    for label in sorted(printed - set(exp["exp_labels"])):
                        missing.append(f"{f.name}: {alert.name} prints $labels.{label}, which it lacks")
    assert missing == []
