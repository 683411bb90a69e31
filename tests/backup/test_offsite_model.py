"""`backup:` in the inventory (group_vars/all/backup.yml): the off-site remote and the schedule,
and the one-line errors (file:line, field, exit 2) a wrong value gets."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.backup.offsite import offsite_url, ssh_command
from infra.inventory import Inventory, load_inventory
from infra.inventory.backup import DEFAULT_SCHEDULE
from tests.inventory.helpers import copy_inventory, edit_yaml
from tests.inventory.test_errors import broken


def edit_backup(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda inv: edit_yaml(inv / "group_vars" / "all" / "backup.yml", lambda d: change(d["backup"]))


def line_of_error(tmp_path: Path, out: str) -> str:
    """The text of the backup.yml line the error points at."""
    line = int(out.split("backup.yml:")[1].split(",")[0])
    return (tmp_path / "inventory" / "group_vars" / "all" / "backup.yml").read_text().splitlines()[line - 1]


def test_the_lab_province_copies_its_backups_to_the_log_server(example_inventory: Inventory) -> None:
    backup = example_inventory.backup
    assert backup is not None and backup.offsite is not None
    assert backup.offsite.host == "srv-log-1" and backup.offsite.user == "infra-backup"
    assert offsite_url(example_inventory) == "ssh://infra-backup@10.127.0.39:22/srv/backup/infra-configs.git"
    assert str(example_inventory.hosts["srv-log-1"].mgmt_address) == "10.127.0.39"
    assert backup.schedule == DEFAULT_SCHEDULE


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_schedules_are_calendar_events_systemd_accepts(example_inventory: Inventory) -> None:
    assert example_inventory.backup is not None
    for spec in (example_inventory.backup.schedule, DEFAULT_SCHEDULE, "daily", "Mon..Fri *-*-* 06:30"):
        p = subprocess.run(["systemd-analyze", "calendar", spec], capture_output=True, text=True, check=False)
        assert p.returncode == 0 and "Next elapse" in p.stdout, p.stdout + p.stderr


def test_without_backup_yml_there_is_no_offsite_copy(tmp_path: Path) -> None:
    inv_dir = copy_inventory(tmp_path)
    (inv_dir / "group_vars" / "all" / "backup.yml").unlink()
    inv = load_inventory(inv_dir)
    assert inv.backup is None and offsite_url(inv) is None


def test_a_url_replaces_host_and_path(tmp_path: Path) -> None:
    inv_dir = copy_inventory(tmp_path)

    def to_url(d: dict[str, Any]) -> None:
        d["offsite"] = {"url": "backup@dr.example.org:configs.git", "timeout": 30}

    edit_backup(to_url)(inv_dir)
    inv = load_inventory(inv_dir)
    assert offsite_url(inv) == "backup@dr.example.org:configs.git"


@pytest.mark.parametrize(
    ("change", "field", "says", "line_has"),
    [
        (lambda d: d["offsite"].__setitem__("host", "srv-nope-9"), "backup.offsite.host",
         "'srv-nope-9' is not a host of the inventory", "host:"),
        (lambda d: d["offsite"].__setitem__("path", "srv/backup.git"), "backup.offsite.path",
         "must be an absolute path", "path:"),
        (lambda d: d["offsite"].__setitem__("url", "/srv/x.git"), "backup.offsite",
         "either url or host and path, not both", "offsite:"),
        (lambda d: d["offsite"].pop("path"), "backup.offsite", "needs host and path", "offsite:"),
        (lambda d: d.__setitem__("schedule", "every day at two"), "backup.schedule",
         "is not a systemd calendar event", "schedule:"),
        (lambda d: d["offsite"].__setitem__("timeout", 0), "backup.offsite.timeout",
         "greater than or equal to 5", "timeout:"),
        (lambda d: d["offsite"].__setitem__("hostname", "x"), "backup.offsite.hostname",
         "unknown key", "hostname:"),
        (lambda d: d["offsite"].__setitem__("user", "Root User"), "backup.offsite.user",
         "should match pattern", "user:"),
    ],
)  # fmt: skip
def test_a_wrong_value_names_its_field_and_line(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str, says: str, line_has: str
) -> None:
    code, out = broken(tmp_path, edit_backup(change))
    assert code == 2, out
    assert f"field {field}" in out and says in out, out
    assert line_has in line_of_error(tmp_path, out), out


def test_a_password_in_the_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    def with_password(d: dict[str, Any]) -> None:
        d["offsite"] = {"url": "ssh://backup:Hunter2-Secret@dr.example.org/configs.git"}

    code, out = broken(tmp_path, edit_backup(with_password))
    assert code == 2 and "holds a password" in out and "field backup.offsite.url" in out, out
    assert "Hunter2-Secret" not in out


def test_backup_belongs_in_group_all(tmp_path: Path) -> None:
    def move(inv: Path) -> None:
        edit_yaml(
            inv / "group_vars" / "servers.yml", lambda d: d.__setitem__("backup", {"schedule": "daily"})
        )

    code, out = broken(tmp_path, move)
    assert code == 2 and "field backup" in out and "belongs in group_vars/all" in out, out


def test_ssh_never_prompts_and_uses_only_the_inventory_key(example_inventory: Inventory) -> None:
    assert example_inventory.backup is not None and example_inventory.backup.offsite is not None
    remote = example_inventory.backup.offsite
    lab = ssh_command(remote, lab=True)
    assert "BatchMode=yes" in lab and "ConnectTimeout=" in lab and "IdentitiesOnly=yes" in lab
    assert f"-i {remote.identity_file}" in lab and "UserKnownHostsFile=/dev/null" in lab
    pinned = ssh_command(remote.model_copy(update={"known_hosts": "/etc/ssh/ssh_known_hosts"}), lab=False)
    assert "UserKnownHostsFile=/etc/ssh/ssh_known_hosts" in pinned and "StrictHostKeyChecking=yes" in pinned
    production = ssh_command(remote, lab=False)
    assert "StrictHostKeyChecking=yes" in production and "/dev/null" not in production
