"""The journal of real backup runs becomes the metrics, and the promtool tests of the backup
alerts (tests/monitoring/rules/runs.test.yml) use exactly the names and labels written."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from infra.backup.pull import BackupOptions, back_up
from infra.inventory import load_inventory
from infra.monitoring.journal_metrics import journal_metrics
from infra.state import StatePaths
from tests.conftest import INVENTORY
from tests.deploy.fakes import FakeNetwork

RUNS_TEST = Path(__file__).resolve().parent.parent / "monitoring" / "rules" / "runs.test.yml"
SERIES = re.compile(r"^(\w+)\{(.*)\}$")


def _written(text: str) -> dict[str, set[frozenset[str]]]:
    """metric name -> the label-name sets written for it."""
    out: dict[str, set[frozenset[str]]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = SERIES.match(line.rsplit(" ", 1)[0])
        assert m, line
        labels = frozenset(kv.split("=", 1)[0] for kv in m.group(2).split(","))
        out.setdefault(m.group(1), set()).add(labels)
    return out


def backed_up(tmp_path: Path) -> tuple[str, StatePaths]:
    inv = load_inventory(INVENTORY)
    net = FakeNetwork(inv)
    paths = StatePaths.from_env(tmp_path / "state")
    hosts = inv.select("dc-core-1,dc-core-2")

    def run(comment: str) -> None:
        back_up(inv, hosts, paths, BackupOptions(command="infra backup -l dc-core-*", comment=comment),
                factory=net.factory, offsite=lambda i, r: None)  # fmt: skip

    run("all read")
    net.down.add("dc-core-2")
    run("dc-core-2 down")
    return journal_metrics(paths.journal), paths


def test_per_device_backup_metrics(tmp_path: Path) -> None:
    text, _ = backed_up(tmp_path)
    assert 'infra_backup_last_success{host="dc-core-1"} 1' in text
    assert 'infra_backup_last_success{host="dc-core-2"} 0' in text
    stamps = dict(re.findall(r'infra_backup_last_success_timestamp_seconds\{host="([^"]+)"\} (\d+)', text))
    assert set(stamps) == {"dc-core-1", "dc-core-2"}  # dc-core-2's from the first run
    assert int(stamps["dc-core-1"]) >= int(stamps["dc-core-2"]) > 1_700_000_000
    assert re.search(r'infra_run_last_success\{command="backup",run_id="[^"]+"\} 0', text)
    assert "off-site" not in text


def test_restore_runs_are_not_backup_runs(tmp_path: Path) -> None:
    from infra.journal import Journal

    journal = Journal(tmp_path / "j.sqlite")
    journal.start_run("r1", "infra backup restore dc-core-1 --at HEAD~1")
    journal.finish_run("r1", "failed", {}, None)
    assert 'command="backup"' not in journal_metrics(tmp_path / "j.sqlite")


def test_the_backup_alerts_promtool_tests_use_the_names_written(tmp_path: Path) -> None:
    text, _ = backed_up(tmp_path)
    written = _written(text)
    tests = yaml.safe_load(RUNS_TEST.read_text())["tests"]
    used = [s["series"] for t in tests for s in t["input_series"] if 'command="backup"' in s["series"]]
    assert used, "runs.test.yml has no backup series"
    for series in used:
        m = SERIES.match(series.strip("'"))
        assert m, series
        name = m.group(1)
        labels = frozenset(kv.split("=", 1)[0].strip() for kv in m.group(2).split(",")) - {"job", "instance"}
        assert name in written, f"{RUNS_TEST.name}: {name} is not a metric infra writes"
        assert labels in written[name], (
            f"{RUNS_TEST.name}: {series} has labels {sorted(labels)}, not those written"
        )
