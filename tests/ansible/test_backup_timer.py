"""The monitoring_server role's scheduled backup, rendered by a real ansible-playbook from the
role's own defaults and the example province's `backup:`: the systemd service and timer (the
inventory's schedule, metrics after a failed run too), the run script that does the same where
systemd is absent, and the scheduler that replaces the timer there. The scripts are run for real."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from infra.journal.db import Journal
from tests.ansible.role_templates import BIN, directives, render_templates
from tests.conftest import ROOT

TEMPLATES = {
    "infra-backup.service.j2": "infra-backup.service",
    "infra-backup.timer.j2": "infra-backup.timer",
    "infra-backup.env.j2": "environment",
    "infra-backup-run.sh.j2": "infra-backup-run",
    "infra-backup-scheduler.sh.j2": "infra-backup-scheduler",
}


def province_backup() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "inventory" / "group_vars" / "all" / "backup.yml").read_text())
    backup: dict[str, object] = data["backup"]
    return backup


def render(tmp: Path, **extra: object) -> Path:
    return render_templates(tmp, TEMPLATES, {"backup": province_backup(), **extra}, mode="0755")


def infra_accepts(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """`infra` parses that command line: --help after every option exits 0 only if click knew each."""
    args = [a if a != "/etc/infra-backup/inventory" else str(ROOT / "inventory") for a in argv[1:]]
    return subprocess.run([str(BIN / "infra"), *args, "--help"], capture_output=True, text=True, timeout=60)


def test_the_timer_runs_the_service_on_the_inventorys_schedule(tmp_path: Path) -> None:
    out = render(tmp_path)
    timer = directives((out / "infra-backup.timer").read_text())
    assert timer["OnCalendar"] == province_backup()["schedule"] == "*-*-* 02,14:00:00"
    assert timer["Unit"] == "infra-backup.service" and timer["Persistent"] == "true"
    assert "WantedBy=timers.target" in (out / "infra-backup.timer").read_text().splitlines()


def test_every_run_writes_the_metrics_even_a_failed_one(tmp_path: Path) -> None:
    out = render(tmp_path)
    unit = (out / "infra-backup.service").read_text()
    d = directives(unit)
    assert d["Type"] == "oneshot"  # ExecStopPost runs after a failed ExecStart too
    run = shlex.split(d["ExecStart"])
    assert run[0] == "/opt/infra-snmp-exporter/bin/infra"
    assert run[run.index("--inventory") + 1] == "/etc/infra-backup/inventory" and "backup" in run
    post = shlex.split(d["ExecStopPost"])
    assert post[1:3] == ["monitoring", "journal-metrics"]
    assert post[post.index("--journal") + 1] == "/var/lib/infra/journal.sqlite"
    assert post[post.index("--out") + 1] == "/var/lib/prometheus/node-exporter/infra-runs.prom"
    assert d["ReadWritePaths"].split() == ["/var/lib/infra", "/var/lib/prometheus/node-exporter"]
    assert d["EnvironmentFile"] == "/etc/infra-backup/environment"
    env = dict(line.split("=", 1) for line in (out / "environment").read_text().splitlines() if "=" in line)
    assert env["INFRA_STATE_DIR"] == "/var/lib/infra"
    assert env["ANSIBLE_VAULT_PASSWORD_FILE"] == "/etc/infra-backup/vault-password"
    for hardening in ("NoNewPrivileges=true", "ProtectSystem=strict", "PrivateTmp=true"):
        assert hardening in unit.splitlines()
    p = infra_accepts(post)
    assert p.returncode == 0 and "journal" in p.stdout, p.stdout + p.stderr


def test_infra_accepts_the_backup_command_line(tmp_path: Path) -> None:
    run = shlex.split(directives((render(tmp_path) / "infra-backup.service").read_text())["ExecStart"])
    p = infra_accepts(run)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    out = render(tmp_path, monitoring_server_backup_command=str(BIN / "infra"))
    units = tmp_path / "units"
    units.mkdir()
    for name in ("infra-backup.service", "infra-backup.timer"):
        shutil.copy(out / name, units / name)
        (units / name).chmod(0o644)
    p = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(units / "infra-backup.timer"),
            str(units / "infra-backup.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # only problems of our units count (a machine without systemd as init may warn about others)
    ours = [ln for ln in (p.stdout + p.stderr).splitlines() if "infra-backup" in ln]
    assert not ours, "\n".join(ours)


def scripts_for(tmp_path: Path, inventory: Path, state: Path, textfile: Path, **extra: object) -> Path:
    config = tmp_path / "etc"
    config.mkdir(exist_ok=True)
    (config / "inventory").symlink_to(inventory)
    out = render(
        tmp_path,
        monitoring_server_backup_command=str(BIN / "infra"),
        monitoring_server_backup_config_dir=str(config),
        monitoring_server_backup_state_dir=str(state),
        monitoring_server_backup_textfile_dir=str(textfile),
        **extra,
    )
    shutil.copy(out / "environment", config / "environment")
    return out


def test_the_run_script_fails_with_the_run_and_still_writes_the_metrics(tmp_path: Path) -> None:
    state, textfile = tmp_path / "state", tmp_path / "textfile"
    state.mkdir()
    journal = Journal(state / "journal.sqlite")
    journal.start_run("20240101-0200-aaaa", "infra backup --comment scheduled")
    journal.finish_run("20240101-0200-aaaa", "failed", {"failed": 1}, None)
    # an inventory that is not there: `infra backup` fails (exit 2) before contacting anything
    out = scripts_for(tmp_path, tmp_path / "no-inventory", state, textfile)
    p = subprocess.run([str(out / "infra-backup-run")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stdout + p.stderr
    metrics = (textfile / "infra-runs.prom").read_text()
    assert 'infra_run_last_success{command="backup",run_id="20240101-0200-aaaa"} 0' in metrics


def test_the_run_script_exits_0_after_a_good_run(tmp_path: Path) -> None:
    state, textfile = tmp_path / "state", tmp_path / "textfile"
    state.mkdir()
    out = scripts_for(
        tmp_path, ROOT / "inventory", state, textfile, monitoring_server_backup_argv="/bin/true"
    )
    p = subprocess.run([str(out / "infra-backup-run")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "# TYPE infra_run_last_success gauge" in (textfile / "infra-runs.prom").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_scheduler_waits_for_the_next_time_the_calendar_names(tmp_path: Path) -> None:
    out = render(tmp_path)
    p = subprocess.run(
        [str(out / "infra-backup-scheduler"), "--next"], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    wait = int(p.stdout) - time.time()
    assert 0 < wait <= 12 * 3600 + 60  # twice a day: never more than 12 hours ahead


def test_the_scheduler_stops_on_a_schedule_it_cannot_read(tmp_path: Path) -> None:
    out = render(tmp_path, backup={"schedule": "sometime"})
    p = subprocess.run([str(out / "infra-backup-scheduler")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "no next time for the schedule 'sometime'" in p.stderr, p.stdout + p.stderr
