"""Server data, 3-2-1: the inventory model (`server_backup:` and the per-group paths and dumps),
bad input to a restore, the run lock, and the freshness alert's metric name. No Ansible here:
tests/ansible/test_server_backup_local.py runs the role, tests/backup/test_servers_lab.py the lab."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.ansible import run as ansible_run
from infra.backup import servers
from infra.backup.servers import ServerBackupError, ServerRestore, back_up_servers, restore_server
from infra.inventory import Inventory, load_inventory
from infra.monitoring.alerts import ALERTS
from infra.state import StatePaths
from tests.conftest import LAB_SECRETS
from tests.inventory.helpers import copy_inventory, edit_yaml
from tests.inventory.test_errors import broken


def edit_backup(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda inv: edit_yaml(
        inv / "group_vars" / "all" / "server_backup.yml", lambda d: change(d["server_backup"])
    )


def edit_group(group: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda inv: edit_yaml(inv / "group_vars" / f"{group}.yml", change)


def test_the_lab_province_backs_up_to_srv_log_1_and_copies_to_srv_log_2(example_inventory: Inventory) -> None:
    cfg = example_inventory.server_backup
    assert cfg is not None
    assert cfg.repository.host == "srv-log-1" and cfg.copy_.host == "srv-log-2"
    assert cfg.repository_hosts == ("srv-log-1", "srv-log-2")
    assert (cfg.retention.daily, cfg.retention.weekly, cfg.retention.monthly) == (7, 4, 6)
    portal = example_inventory.hosts["srv-portal-1"].ansible_vars
    assert portal["server_backup_common_paths"] == ["/etc"]
    assert "/srv/portal" in portal["server_backup_paths"]
    assert [d["name"] for d in portal["server_backup_dumps"]] == ["postgresql.sql"]
    # Group vars replace: the mail server has its own paths, not the web servers'.
    assert example_inventory.hosts["srv-mail-1"].ansible_vars["server_backup_paths"] == [
        "/var/mail",
        "/var/spool/postfix",
    ]


def test_the_repository_passwords_are_vaulted_secrets(example_inventory: Inventory) -> None:
    values = example_inventory.secrets.resolve_all()
    assert "Lab-Restic-Repo-5w3h" in values and "Lab-Restic-Copy-9k2f" in values
    assert {"Lab-Restic-Repo-5w3h", "Lab-Restic-Copy-9k2f"} <= set(LAB_SECRETS)
    masked = example_inventory.secrets.mask("restic -r x: Lab-Restic-Repo-5w3h / Lab-Restic-Copy-9k2f")
    assert "Lab-Restic" not in masked and masked.count("<secret>") == 2


def test_no_server_backup_is_none_and_a_run_says_so(tmp_path: Path) -> None:
    inv_dir = copy_inventory(tmp_path)
    (inv_dir / "group_vars" / "all" / "server_backup.yml").unlink()
    inv = load_inventory(inv_dir)
    assert inv.server_backup is None
    with pytest.raises(ServerBackupError, match=r"group_vars/all: no server_backup: configured"):
        back_up_servers(inv, [inv.hosts["srv-portal-1"]], StatePaths.from_env(tmp_path / "state"))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            edit_backup(lambda d: d.__setitem__("password", "plain-text-pw")),
            "server_backup.yml:11, field server_backup.password: the repository password is written in plain",
        ),
        (
            edit_backup(lambda d: d["copy"].__setitem__("host", "srv-log-1")),
            "repository and copy are both on srv-log-1: the copy must be on another server",
        ),
        (
            edit_backup(lambda d: d["repository"].__setitem__("host", "dc-core-1")),
            "field server_backup.repository.host: 'dc-core-1' is not a server of the inventory",
        ),
        (
            edit_backup(lambda d: d["repository"].__setitem__("path", "srv/restic")),
            "the repository path 'srv/restic' must be an absolute, normalised path",
        ),
        (
            edit_backup(lambda d: d.__setitem__("retention", {"daily": 0, "weekly": 0, "monthly": 0})),
            "keeps no snapshot at all",
        ),
        (
            edit_backup(lambda d: d.__setitem__("keep_forever", True)),
            "field server_backup.keep_forever: unknown key",
        ),
        (
            edit_group("servers_mail", lambda d: d.__setitem__("server_backup_paths", ["var/mail"])),
            "host srv-mail-1, field server_backup_paths: the path 'var/mail' must be an absolute",
        ),
        (
            edit_group("servers_web", lambda d: d["server_backup_dumps"][0].pop("command")),
            "field server_backup_dumps[0].command: is required but missing",
        ),
    ],
)
def test_bad_server_backup_is_exit_2_naming_file_and_field(
    tmp_path: Path, edit: Callable[[Path], None], expected: str
) -> None:
    code, out = broken(tmp_path, edit)
    assert code == 2, out
    assert expected in out, out


@pytest.mark.parametrize(
    ("host", "path", "snapshot", "expected"),
    [
        ("dc-core-1", "/etc", "latest", "--server dc-core-1: not a server of the inventory"),
        (
            "srv-portal-1",
            "srv/portal",
            "latest",
            "--path 'srv/portal' (srv-portal-1:srv/portal): give an absolute",
        ),
        ("srv-portal-1", "/srv/../etc", "latest", "give an absolute, normalised path"),
        ("srv-portal-1", "/", "latest", "give an absolute, normalised path below /"),
        ("srv-portal-1", "/srv/*", "latest", "no wildcards"),
        ("srv-portal-1", "/srv/portal", "yesterday", "--at 'yesterday': a restic snapshot id"),
    ],
)
def test_bad_restore_input_is_refused_before_anything_runs(
    example_inventory: Inventory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    path: str,
    snapshot: str,
    expected: str,
) -> None:
    monkeypatch.setattr(ansible_run, "run_playbook", lambda *a, **k: pytest.fail("ran a playbook"))
    with pytest.raises(ServerBackupError) as err:
        want = ServerRestore(example_inventory.hosts[host], path, snapshot)
        restore_server(example_inventory, want, StatePaths.from_env(tmp_path))
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_a_second_run_while_one_holds_the_lock_fails_each_server_and_runs_nothing(
    example_inventory: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ansible_run, "run_playbook", lambda *a, **k: pytest.fail("ran a playbook"))
    paths = StatePaths.from_env(tmp_path)
    paths.locks.mkdir(parents=True)
    fd = os.open(paths.locks / "server-backup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        hosts = [example_inventory.hosts[h] for h in ("srv-portal-1", "srv-mail-1", "dc-core-1")]
        result = back_up_servers(example_inventory, hosts, paths)
        assert sorted(result.results) == ["srv-mail-1", "srv-portal-1"]  # a router is not a server
        assert all(
            "another server backup or restore is running" in r.message for r in result.results.values()
        )
        assert result.failed_hosts == ["srv-portal-1", "srv-mail-1"]
        r = restore_server(example_inventory, ServerRestore(hosts[0], "/srv/portal", "latest"), paths)
        assert r.failed and "another server backup or restore is running" in r.message
    finally:
        os.close(fd)


def test_no_server_in_the_selection_runs_nothing(
    example_inventory: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ansible_run, "run_playbook", lambda *a, **k: pytest.fail("ran a playbook"))
    result = back_up_servers(
        example_inventory, [example_inventory.hosts["dc-core-1"]], StatePaths.from_env(tmp_path)
    )
    assert result.results == {}


def test_the_freshness_alert_reads_the_metric_the_role_writes() -> None:
    template = Path(servers.PLAYBOOK).parent / "roles" / "server_backup" / "templates" / "metric.prom.j2"
    assert f'{servers.METRIC}{{repository="{{{{ name }}}}"}}' in template.read_text()
    stale = next(a for a in ALERTS if a.name == "InfraServerBackupStale")
    assert servers.METRIC in stale.expr
    failed = next(a for a in ALERTS if a.name == "InfraServerBackupFailed")
    assert "infra_server_backup_last_run_success" in failed.expr


def test_backup_message_reads_the_role_report() -> None:
    report = {
        "snapshot": "1a2b3c4d",
        "files_new": "3",
        "files_changed": 2,
        "bytes_added": 3 * 1024 * 1024,
        "copied": "True",
        "dumps": ["journal.sql"],
        "absent": ["/srv/onestop"],
        "check": False,
    }
    text = servers._backup_message(report, "srv-log-2")
    assert text == (
        "snapshot 1a2b3c4d: 3 new, 2 changed files, 3.0 MiB added; copied to srv-log-2; "
        "dumps: journal.sql; not on this server: /srv/onestop"
    )
    assert servers._backup_message({**report, "check": True, "dumps": [], "absent": []}, "x") == (
        "would back up 3 new and 2 changed files"
    )
    first = {**report, "check": True, "new_repository": "True", "paths": ["/etc", "/srv/portal"], "dumps": []}
    assert servers._backup_message({**first, "absent": []}, "x") == (
        "would create the repositories and back up /etc, /srv/portal"
    )
