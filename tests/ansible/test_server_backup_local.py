"""Role server_backup end to end without the lab: the real playbook through ansible-runner and real
restic on this machine (connection local), the two repositories as local directories instead of
SFTP. Backup of two servers (data, a dump, an absent path), the copy, the freshness metric, a
check run that writes nothing, a restore proven by checksums, a wrong password that changes
nothing, snapshots and paths a restore refuses; and no secret anywhere the runs wrote or printed.
The lab test (tests/backup/test_servers_lab.py) does the same over SFTP between lab servers."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import infra.ansible.run as bridge
from infra.backup.servers import METRIC, PLAYBOOK, ServerRestore, back_up_servers, restore_server
from infra.inventory import Inventory
from infra.results import Result, RunResult
from infra.state import StatePaths
from tests.conftest import LAB_SECRETS

pytestmark = pytest.mark.skipif(
    not shutil.which("restic"), reason="restic is not installed (scripts/setup.sh)"
)

HOSTS = ("srv-portal-1", "srv-onestop-1")
PASSWORD, COPY_PASSWORD = "Lab-Restic-Repo-5w3h", "Lab-Restic-Copy-9k2f"
WRONG = "Not-The-Restic-Pw-1q9z"
ROLE = PLAYBOOK.parent / "roles" / "server_backup"


class Place:
    """The scratch server: data, repositories, textfile and dump directories under one tmp dir."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.repo, self.copy = base / "repo", base / "copy"
        self.state = StatePaths.from_env(base / "state")
        self.results: list[dict[str, Any]] = []
        self.first = RunResult()

    def extravars(self, **more: object) -> dict[str, object]:
        return {
            "ansible_connection": "local",
            "server_backup_repository_url": str(self.repo),
            "server_backup_copy_url": str(self.copy),
            "server_backup_textfile_dir": str(self.base / "textfile" / "{{ inventory_hostname }}"),
            "server_backup_dump_dir": str(self.base / "dumps" / "{{ inventory_hostname }}"),
            "server_backup_common_paths": [],
            "server_backup_paths": [str(self.data / "{{ inventory_hostname }}"), str(self.base / "absent")],
            "server_backup_dumps": [
                {"name": "app.sql", "command": "printf 'CREATE TABLE t (x int);\\n'"},
                {"name": "pg.sql", "command": "false", "if_present": "/nonexistent/pg_dumpall"},
            ],
            "server_backup_repository_hosts": [],
            **more,
        }

    def metric(self, host: str) -> str:
        return (self.base / "textfile" / host / "infra_server_backup.prom").read_text()

    def backup(self, inv: Inventory, hosts: tuple[str, ...] = HOSTS, **kw: Any) -> RunResult:
        extra = kw.pop("extravars", {})
        run = back_up_servers(
            inv, [inv.hosts[h] for h in hosts], self.state, extravars=self.extravars(**extra), **kw
        )
        self.results += [r.as_dict() for r in run.results.values()]
        return run

    def restore(self, inv: Inventory, host: str, path: Path | str, snapshot: str, **kw: Any) -> Result:
        want = ServerRestore(inv.hosts[host], str(path), snapshot, **kw)
        r = restore_server(inv, want, self.state, extravars=self.extravars())
        self.results.append(r.as_dict())
        return r


def restic(repo: Path, password: str, *args: str) -> str:
    env = {**os.environ, "RESTIC_PASSWORD": password}
    return subprocess.run(
        ["restic", "--no-cache", "-r", str(repo), *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def snapshots(repo: Path, password: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(restic(repo, password, "snapshots", "--json"))
    return out


def tree(path: Path) -> dict[str, str]:
    """Every file under PATH (relative name -> sha256), and every directory (-> "dir")."""
    out = {}
    for p in sorted(path.rglob("*")):
        out[str(p.relative_to(path))] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def no_lab() -> Iterator[None]:
    # Every connection here is local: the lab need not be up (see tests/ansible/test_lab_guard.py).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bridge, "require_lab_up", lambda inv: None)
        yield


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory, example_inventory: Inventory, no_lab: None) -> Place:
    """Two servers' data, backed up once (every test starts from there)."""
    p = Place(tmp_path_factory.mktemp("server-backup"))
    for host in HOSTS:
        d = p.data / host
        (d / "docs").mkdir(parents=True)
        (d / "docs" / "hoso-001.pdf").write_bytes(os.urandom(200_000))
        (d / "config.ini").write_text(f"[app]\nname = {host}\n")
    p.first = p.backup(example_inventory)
    return p


def test_backup_copies_and_records_each_server(place: Place) -> None:
    run = place.first
    assert sorted(run.results) == sorted(HOSTS) and not run.failed, run.results
    for host in HOSTS:
        r = run.results[host]
        assert r.changed
        assert re.fullmatch(
            r"snapshot [0-9a-f]{8}: 3 new, 0 changed files, [0-9.]+ KiB added; copied to srv-log-2; "
            rf"dumps: app\.sql; not on this server: {re.escape(str(place.base / 'absent'))}",
            r.message,
        ), r.message
    # Both repositories hold one snapshot per server, named after the inventory host.
    for repo, pw in ((place.repo, PASSWORD), (place.copy, COPY_PASSWORD)):
        snaps = snapshots(repo, pw)
        assert sorted(s["hostname"] for s in snaps) == sorted(HOSTS)
        assert all(s["tags"] == ["infra"] for s in snaps)
    # The dump is in the snapshot, the failing dump whose tool is absent was not run.
    listed = restic(place.repo, PASSWORD, "ls", "latest", "--host", "srv-portal-1")
    assert str(place.base / "dumps" / "srv-portal-1" / "app.sql") in listed
    assert "pg.sql" not in listed
    # The freshness metric: both repositories fresh, run succeeded (the alert's series).
    text = place.metric("srv-portal-1")
    stamps = dict(re.findall(rf'^{METRIC}{{repository="(\w+)"}} (\d+)$', text, re.M))
    assert sorted(stamps) == ["copy", "repository"]
    assert "\ninfra_server_backup_last_run_success 1\n" in text


def test_the_metric_file_is_valid_exposition_format(place: Place) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/setup.sh)")
    p = subprocess.run(
        [promtool, "check", "metrics"], input=place.metric("srv-portal-1"), capture_output=True, text=True
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_check_backs_up_nothing_and_reports_what_would_change(
    example_inventory: Inventory, place: Place
) -> None:
    before = snapshots(place.repo, PASSWORD)
    metric = place.metric("srv-portal-1")
    (place.data / "srv-portal-1" / "config.ini").write_text("[app]\nname = changed\n")
    run = place.backup(example_inventory, ("srv-portal-1",), check=True)
    r = run.results["srv-portal-1"]
    assert r.ok and r.changed and r.message.startswith("would back up 0 new and 1 changed files; not on"), (
        r.message
    )
    assert snapshots(place.repo, PASSWORD) == before
    assert place.metric("srv-portal-1") == metric


def test_restore_brings_deleted_data_back_with_the_same_checksums(
    example_inventory: Inventory, place: Place
) -> None:
    data = place.data / "srv-onestop-1"
    original = tree(data)
    shutil.rmtree(data / "docs")
    (data / "config.ini").write_text("damaged\n")
    check = place.restore(example_inventory, "srv-onestop-1", data, "latest", check=True)
    assert (
        check.ok
        and check.changed
        and check.message.startswith(f"would restore {data} (4 entries) from snapshot ")
    )
    assert not (data / "docs").exists() and (data / "config.ini").read_text() == "damaged\n"
    r = place.restore(example_inventory, "srv-onestop-1", data, "latest")
    assert r.ok and r.changed and r.message.startswith(f"restored {data} (4 entries) from snapshot "), (
        r.message
    )
    assert tree(data) == original


def test_a_restore_names_the_snapshot_or_path_it_cannot_find(
    example_inventory: Inventory, place: Place
) -> None:
    other = next(s for s in snapshots(place.repo, PASSWORD) if s["hostname"] == "srv-onestop-1")
    data = place.data / "srv-portal-1"
    before = tree(data)
    r = place.restore(example_inventory, "srv-portal-1", data, other["short_id"])
    assert r.failed and r.message.startswith(
        f"snapshot {other['short_id']} is not a snapshot of srv-portal-1 in "
    )
    r = place.restore(example_inventory, "srv-portal-1", data, "deadbeef")
    assert r.failed and "snapshot deadbeef is not a snapshot of srv-portal-1" in r.message
    r = place.restore(example_inventory, "srv-portal-1", place.base / "nowhere", "latest")
    assert r.failed and f"{place.base / 'nowhere'} is not in snapshot " in r.message, r.message
    assert tree(data) == before


def test_a_second_backup_the_same_day_leaves_one_daily_snapshot_in_each_repository(
    example_inventory: Inventory, place: Place
) -> None:
    def mine(repo: Path, pw: str) -> list[str]:
        return [s["id"] for s in snapshots(repo, pw) if s["hostname"] == "srv-portal-1"]

    (place.data / "srv-portal-1" / "docs" / "hoso-002.pdf").write_bytes(os.urandom(50_000))
    first = mine(place.repo, PASSWORD)
    run = place.backup(example_inventory, ("srv-portal-1",))
    r = run.results["srv-portal-1"]
    assert r.ok and r.message.startswith("snapshot "), r.message
    changed = r.details["changed_tasks"]
    assert (
        "server_backup : Forget this server's snapshots beyond the retention, in both repositories" in changed
    )
    assert "server_backup : Prune the data no snapshot needs any more, in both repositories" in changed
    # keep-daily 7: the day's last snapshot stays, the earlier one of the same day goes (both repositories).
    kept = mine(place.repo, PASSWORD)
    assert len(kept) == 1 and kept != first
    assert len(mine(place.copy, COPY_PASSWORD)) == 1
    restic(place.repo, PASSWORD, "check")  # pruned and still consistent
    restic(place.copy, COPY_PASSWORD, "check")


def test_a_wrong_password_fails_clearly_and_changes_nothing(
    example_inventory: Inventory, place: Place
) -> None:
    repo_before, copy_before = tree(place.repo), tree(place.copy)
    data_before = tree(place.data)
    dumps = place.base / "dumps" / "srv-portal-1" / "app.sql"
    dumps.unlink()
    stamps_before = re.findall(rf"^{METRIC}.*$", place.metric("srv-portal-1"), re.M)
    run = place.backup(example_inventory, ("srv-portal-1",), extravars={"server_backup_password": WRONG})
    r = run.results["srv-portal-1"]
    assert (
        r.failed
        and r.task == "server_backup : Stop on a repository that refuses the password or cannot be reached"
    )
    assert r.message == (
        f"restic repository {place.repo}: wrong password (the vault's server_backup.password), "
        "nothing changed"
    ), r.message
    assert tree(place.repo) == repo_before and tree(place.copy) == copy_before
    assert tree(place.data) == data_before and not dumps.exists()  # stopped before the dumps
    # The run is recorded as failed; the last successful times stay (the stale alert keeps counting).
    metric = place.metric("srv-portal-1")
    assert "\ninfra_server_backup_last_run_success 0\n" in metric
    assert re.findall(rf"^{METRIC}.*$", metric, re.M) == stamps_before


def test_no_secret_in_results_output_or_files(
    place: Place, capfd: pytest.CaptureFixture[str], example_inventory: Inventory
) -> None:
    printed = capfd.readouterr()
    written = b"".join(p.read_bytes() for p in place.base.rglob("*") if p.is_file())
    text = json.dumps(place.results) + printed.out + printed.err
    assert len(place.results) >= 10
    for secret in LAB_SECRETS:
        assert secret not in text
        assert secret.encode() not in written
    # restic gets the passwords from its environment only, never on a command line (ps shows those).
    uses = [
        (p.name, line.strip())
        for p in ROLE.rglob("*.yml")
        for line in p.read_text().splitlines()
        if re.search(r"server_backup(_copy)?_password\b", line)
    ]
    assert uses == [
        ("main.yml", "server_backup_password: \"{{ server_backup['password'] }}\""),
        ("main.yml", "server_backup_copy_password: \"{{ server_backup['copy_password'] }}\""),
        ("main.yml", 'SERVER_BACKUP_PASSWORD: "{{ server_backup_password }}"'),
        ("main.yml", 'SERVER_BACKUP_COPY_PASSWORD: "{{ server_backup_copy_password }}"'),
    ]
