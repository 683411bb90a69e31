"""`infra backup restore`: a past configuration back through deploy(), against fake FRR devices.

The fake devices (tests/deploy/fakes.py) apply lines with the real config tree and answer
adjacencies from the inventory, so diff, push, verification, rollback, journal and the backup
commits are the real deploy code; the backup repository is real git.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.backup import restore as restore_mod
from infra.backup import servers as servers_mod
from infra.backup.restore import (
    RestoreRefused,
    Unmaskable,
    configures,
    plan_restore,
    restore_config,
    restored_neighbours,
    unmask,
)
from infra.backup.servers import ServerRestore
from infra.cli import cli
from infra.deploy import DeployOptions, DeployReport, deploy
from infra.deploy.verify import intended_neighbours
from infra.drivers.configtree import same
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.inventory.secrets import MASK
from infra.journal import Journal
from infra.results import Result
from infra.state import StatePaths
from infra.state.backups import BackupRepo
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.deploy.fakes import FakeNetwork, fake_intent
from tests.safety.routes import LAB_UP, fake_routes

HOST = "dc-core-1"
ROUTE = "ip route 192.0.2.0/24 blackhole"
FAST = {"converge_wait_s": 0.2, "restore_window_s": 0.0, "settle_s": 0.0}


def with_route(inv: Inventory, host: Host) -> str:
    return fake_intent(inv, host) + ROUTE + "\n"


@pytest.fixture
def deployed(inv: Inventory, paths: StatePaths, net: FakeNetwork) -> Callable[..., DeployReport]:
    def go(intent: Any = fake_intent, limit: str = HOST) -> DeployReport:
        options = DeployOptions(command="infra deploy (test)", **FAST)  # type: ignore[arg-type]
        report = deploy(inv, inv.select(limit), options, paths, intent=intent, factory=net.factory)
        assert report.exit_code == 0, report.as_dict()
        return report

    return go


def options(**kw: Any) -> DeployOptions:
    return DeployOptions(command=f"infra backup restore {HOST} --at HEAD~1", **{**FAST, **kw})


# ---- filling secrets in -------------------------------------------------------------------------


def fake_mask(text: str) -> str:
    for secret in ("k-one", "k-two", "pw-x"):
        text = text.replace(secret, MASK)
    return text


def test_unmask_takes_the_line_of_the_same_section_and_prefers_the_running_config() -> None:
    backup = (
        "interface eth1\n ip ospf message-digest-key 1 md5 <secret>\nexit\n"
        "interface eth2\n ip ospf message-digest-key 1 md5 <secret>\nexit\n"
        "router bgp 65000\n neighbor 10.0.0.2 password <secret>\n"
    )
    running = (
        "interface eth1\n ip ospf message-digest-key 1 md5 k-one\nexit\n"
        "interface eth2\n ip ospf message-digest-key 1 md5 k-two\nexit\n"
    )
    intent = (
        "interface eth1\n ip ospf message-digest-key 1 md5 k-two\nexit\n"  # the vault has moved on
        "router bgp 65000\n neighbor 10.0.0.2 password pw-x\n"
    )
    text, filled = unmask(backup, [running, intent], fake_mask)
    assert filled == 3
    assert text == (
        "interface eth1\n ip ospf message-digest-key 1 md5 k-one\nexit\n"
        "interface eth2\n ip ospf message-digest-key 1 md5 k-two\nexit\n"
        "router bgp 65000\n neighbor 10.0.0.2 password pw-x\n"
    )
    # a line found in no section of its own: taken from anywhere only when one value fits
    moved = "interface eth9\n ip ospf message-digest-key 1 md5 <secret>\n"
    assert (
        unmask(moved, [intent], fake_mask)[0] == "interface eth9\n ip ospf message-digest-key 1 md5 k-two\n"
    )
    with pytest.raises(Unmaskable) as ambiguous:
        unmask(moved, [running], fake_mask)  # k-one or k-two: no guessing
    assert ambiguous.value.lines == [(2, "ip ospf message-digest-key 1 md5 <secret>")]


def test_unmask_names_every_line_it_cannot_fill_in() -> None:
    backup = (
        "hostname r1\nsnmp-server community <secret> RO\nrouter bgp 1\n neighbor 10.9.9.9 password <secret>\n"
    )
    with pytest.raises(Unmaskable) as exc:
        unmask(backup, ["hostname r1\n", "router bgp 1\n neighbor 10.0.0.2 password pw-x\n"], fake_mask)
    assert exc.value.lines == [
        (2, "snmp-server community <secret> RO"),
        (4, "neighbor 10.9.9.9 password <secret>"),
    ]
    assert unmask("hostname r1\n", [], fake_mask) == ("hostname r1\n", 0)  # nothing masked: as is


# ---- REV and DATE -------------------------------------------------------------------------------


def git_commit(repo: BackupRepo, host: str, text: str, when: str) -> str:
    repo.write(host, text)
    env = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    subprocess.run(["git", "-C", str(repo.path), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(repo.path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", when],
        check=True,
        env={**os.environ, **env},
    )
    return subprocess.run(
        ["git", "-C", str(repo.path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_date_restores_the_last_backup_of_that_device_at_or_before_it(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport], tmp_path: Path
) -> None:
    deployed(fake_intent)
    deployed(with_route)  # the device runs the route
    live = BackupRepo(paths.backups)
    old, new = live.at(HOST, "HEAD~1"), live.at(HOST, "HEAD")
    # the same two backups in a repository with a history over three days
    dated = StatePaths.from_env(tmp_path / "dated")
    repo = BackupRepo(dated.backups, inv.secrets.resolve_all()).init()
    first = git_commit(repo, HOST, old, "2026-12-01T09:00:00+07:00")
    git_commit(repo, "dc-core-2", "hostname dc-core-2\n", "2026-12-02T09:00:00+07:00")  # another device
    third = git_commit(repo, HOST, new, "2026-12-03T09:00:00+07:00")
    host = inv.hosts[HOST]
    plan = plan_restore(inv, host, "2026-12-02T12:00+07:00", dated, factory=net.factory, intent=fake_intent)
    assert plan.commit == first and plan.backup == old  # the device's own last change, not dc-core-2's
    later = plan_restore(inv, host, "2026-12-04", dated, factory=net.factory, intent=fake_intent)
    assert later.commit == third
    with pytest.raises(RestoreRefused, match="no backup at or before '2026-11-30'") as exc:
        plan_restore(inv, host, "2026-11-30", dated, factory=net.factory, intent=fake_intent)
    assert exc.value.exit_code == 2
    report = restore_config(inv, host, plan, options(), dated, factory=net.factory)
    assert report.exit_code == 0, report.as_dict()
    assert ROUTE not in net.config(HOST) and same("frr", net.config(HOST), plan.config)


# ---- the restore through deploy -----------------------------------------------------------------


def test_restore_puts_the_previous_revision_back_and_verifies_it(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport]
) -> None:
    deployed(fake_intent)
    deployed(with_route)
    assert ROUTE in net.config(HOST)
    host = inv.hosts[HOST]
    plan = plan_restore(inv, host, "HEAD~1", paths, factory=net.factory, intent=fake_intent)
    assert MASK in plan.backup and plan.unmasked >= 1 and ROUTE not in plan.backup
    assert "LabOspf8" in plan.config and "LabOspf8" not in repr(plan)
    pushes = len(net.pushes[HOST])
    report = restore_config(inv, host, plan, options(comment="undo the route"), paths, factory=net.factory)
    assert report.exit_code == 0, report.as_dict()
    r = report.results.results[HOST]
    assert r.changed and "applied and verified" in r.message
    assert net.pushes[HOST][pushes:] == [(f"no {ROUTE}",)]  # only the remediation went
    running = net.config(HOST)
    assert same("frr", running, plan.config) and ROUTE not in running
    repo = BackupRepo(paths.backups)
    assert (repo.latest(HOST) or "").strip() == inv.secrets.mask(running).strip()  # the restore's commit
    assert same("frr", repo.latest(HOST) or "", plan.backup)
    run = Journal(paths.journal).runs(1)[0]
    assert run.command == f"infra backup restore {HOST} --at HEAD~1" and run.status == "ok"
    assert run.comment == "undo the route" and run.backup_commit == report.backup_commit
    # the same restore again: nothing left to change
    again = restore_config(inv, host, plan, options(), paths, factory=net.factory)
    assert again.exit_code == 0 and again.results.results[HOST].message == "no changes"


def test_check_shows_the_diff_and_changes_nothing(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport]
) -> None:
    deployed(fake_intent)
    deployed(with_route)
    before, pushes, head = net.config(HOST), len(net.pushes[HOST]), BackupRepo(paths.backups).resolve("HEAD")
    plan = plan_restore(inv, inv.hosts[HOST], "HEAD~1", paths, factory=net.factory, intent=fake_intent)
    report = restore_config(inv, inv.hosts[HOST], plan, options(check=True), paths, factory=net.factory)
    assert report.exit_code == 3
    r = report.results.results[HOST]
    assert f"- {ROUTE}" in r.diff and r.details["remediation"] == [f"no {ROUTE}"]
    assert net.config(HOST) == before and len(net.pushes[HOST]) == pushes
    assert BackupRepo(paths.backups).resolve("HEAD") == head  # no commit either
    assert Journal(paths.journal).runs(1)[0].status == "check"


def test_a_restore_that_breaks_an_adjacency_is_rolled_back(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport]
) -> None:
    deployed(fake_intent)
    repo = BackupRepo(paths.backups, inv.secrets.resolve_all())
    repo.write(HOST, (repo.latest(HOST) or "") + "BREAK-OSPF\n")  # the fake drops OSPF for it
    repo.commit("a backup that breaks OSPF")
    good = net.config(HOST)
    plan = plan_restore(inv, inv.hosts[HOST], "HEAD", paths, factory=net.factory, intent=fake_intent)
    report = restore_config(inv, inv.hosts[HOST], plan, options(), paths, factory=net.factory)
    assert report.exit_code == 1
    r = report.results.results[HOST]
    assert r.rolled_back and "OSPF neighbour" in r.message and "not up" in r.message
    assert net.config(HOST) == good


def test_verification_demands_only_the_adjacencies_the_restored_config_keeps(inv: Inventory) -> None:
    host = inv.hosts[HOST]
    config = fake_intent(inv, host)
    every = intended_neighbours(inv, HOST)
    assert every and restored_neighbours(inv, HOST, config) == every
    ospf = next(n for n in every if n.protocol == "ospf")
    without = config.replace(f"interface {ospf.lab_interface}\n", "interface gone\n")
    kept = restored_neighbours(inv, HOST, without)
    assert ospf not in kept and len(kept) == len(every) - 1
    assert configures(f"interface {ospf.interface}\n ip ospf area 0\n", ospf)  # the production name
    assert not configures(f"interface {ospf.interface}\n description ospf uplink to the core\n", ospf)
    assert configures(
        f"interface {ospf.interface}\n ip address 10.0.0.1/30\nrouter ospf\n network 10.0.0.0/30 area 0\n",
        ospf,
    )
    bgp = [n for n in every if n.protocol == "bgp"]
    for n in bgp:
        assert not configures(config.replace(n.address, "192.0.2.99"), n)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no-such-rev", "--at: 'no-such-rev' is neither a revision nor a date of the backup repository"),
        ("2001-01-01", "--at: no backup at or before '2001-01-01'"),
    ],
)
def test_a_wrong_rev_or_date_is_refused_before_any_contact(
    inv: Inventory,
    paths: StatePaths,
    net: FakeNetwork,
    deployed: Callable[..., DeployReport],
    ref: str,
    message: str,
) -> None:
    deployed(fake_intent)
    net.down.add(HOST)  # nothing may be contacted: the refusal comes first
    with pytest.raises(RestoreRefused, match=message) as exc:
        plan_restore(inv, inv.hosts[HOST], ref, paths, factory=net.factory, intent=fake_intent)
    assert exc.value.exit_code == 2 and str(exc.value).startswith(f"{HOST}: ")


def test_a_secret_nobody_knows_refuses_naming_the_line(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport]
) -> None:
    deployed(fake_intent)
    repo = BackupRepo(paths.backups, inv.secrets.resolve_all())
    repo.write(HOST, (repo.latest(HOST) or "") + "router bgp 65099\n neighbor 10.9.9.9 password <secret>\n")
    repo.commit("an old peer")
    before = dict(net.pushes)
    with pytest.raises(RestoreRefused) as exc:
        plan_restore(inv, inv.hosts[HOST], "HEAD", paths, factory=net.factory, intent=fake_intent)
    assert exc.value.exit_code == 2
    assert "1 masked secret line(s) match no line" in str(exc.value)
    assert "`neighbor 10.9.9.9 password <secret>`" in str(exc.value)
    assert net.pushes == before
    net.down.add(HOST)  # and with the device unreachable: a failed read, exit 1, said so
    with pytest.raises(RestoreRefused, match="the running config could not be read") as exc:
        plan_restore(inv, inv.hosts[HOST], "HEAD", paths, factory=net.factory, intent=fake_intent)
    assert exc.value.exit_code == 1


def test_a_host_without_a_backup_then_or_without_a_driver_is_refused(
    inv: Inventory, paths: StatePaths, net: FakeNetwork, deployed: Callable[..., DeployReport]
) -> None:
    deployed(fake_intent)
    with pytest.raises(
        RestoreRefused, match=r"dc-core-2: --at 'HEAD': it had no backup at commit [0-9a-f]{12}"
    ):
        plan_restore(inv, inv.hosts["dc-core-2"], "HEAD", paths, factory=net.factory, intent=fake_intent)
    server = next(h for h in inv.hosts.values() if h.is_server)
    with pytest.raises(RestoreRefused, match=f"restore --server {server.name} --path PATH"):
        plan_restore(inv, server, "HEAD", paths, factory=net.factory, intent=fake_intent)


# ---- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_fake(
    monkeypatch: pytest.MonkeyPatch, inv: Inventory, net: FakeNetwork, tmp_path: Path
) -> FakeNetwork:
    fake_routes(monkeypatch, *LAB_UP)  # the fake network stands in for an up lab
    real_plan, real_restore = restore_mod.plan_restore, restore_mod.restore_config
    monkeypatch.setattr(
        restore_mod, "plan_restore", functools.partial(real_plan, factory=net.factory, intent=fake_intent)
    )

    def fast(
        inv: Inventory, host: Host, plan: Any, options: DeployOptions, paths: StatePaths, **kw: Any
    ) -> Any:
        return real_restore(
            inv, host, plan, dataclasses.replace(options, **FAST), paths, **{**kw, "factory": net.factory}
        )

    monkeypatch.setattr(restore_mod, "restore_config", fast)
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path / "state"))
    return net


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), *args], catch_exceptions=False)


def test_cli_check_then_restore_then_history(
    cli_fake: FakeNetwork, inv: Inventory, tmp_path: Path, deployed: Callable[..., DeployReport]
) -> None:
    state = StatePaths.from_env(tmp_path / "state")
    # the deploys write to the same state the CLI reads
    for intent in (fake_intent, with_route):
        options_ = DeployOptions(command="infra deploy (test)", **FAST)  # type: ignore[arg-type]
        deploy(inv, inv.select(HOST), options_, state, intent=intent, factory=cli_fake.factory)
    outputs = []
    r = invoke("backup", "restore", HOST, "--at", "HEAD~1", "--check", "--diff")
    outputs.append(r.output)
    assert r.exit_code == 3, r.output
    assert f"checking {HOST} to its backup at HEAD~1 (commit " in r.output
    assert f"- {ROUTE}" in r.output and f"    no {ROUTE}" in r.output
    assert ROUTE in cli_fake.config(HOST)
    r = invoke("backup", "restore", HOST, "--at", "HEAD~1", "--comment", "back", "--format", "json")
    outputs.append(r.output)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["restore"]["host"] == HOST and doc["restore"]["at"] == "HEAD~1"
    assert doc["restore"]["secret_lines"] >= 1 and doc["status"] == "ok" and doc["backup_commit"]
    assert ROUTE not in cli_fake.config(HOST)
    r = invoke("history", HOST, "--diff")
    outputs.append(r.output)
    assert "backup restore" in invoke("history").output
    # secrets: nowhere in what the commands printed, the journal, or the backup repository
    log = subprocess.run(
        ["git", "-C", str(state.backups), "log", "-p", "--all"], capture_output=True, text=True, check=True
    ).stdout
    stored = [*outputs, log, state.journal.read_bytes().decode("utf-8", "replace")]
    stored += [p.read_text() for p in state.backups.glob("*.cfg")]
    for text in stored:
        assert not any(s in text for s in LAB_SECRETS)
    assert "LabOspf8" in cli_fake.config(HOST)  # while the device got its real key back


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([HOST, "--at", "no-such-rev"], "--at: 'no-such-rev' is neither a revision nor a date"),
        ([HOST, "--at", "2001-01-01"], "--at: no backup at or before '2001-01-01'"),
        ([HOST, "--at", "2026-02-31"], "--at: '2026-02-31' is not a date"),
        (["no-such-host", "--at", "HEAD"], "HOST 'no-such-host': no such host in the inventory"),
        (["--at", "HEAD"], "which device? infra backup restore HOST --at REV|DATE"),
        ([HOST, "--at", "HEAD", "--confirm-timeout", "soon"], "--confirm-timeout: 'soon' is not a duration"),
        ([HOST, "--server", "srv-portal-1", "--path", "/srv", "--at", "latest"], "either HOST"),
        (["--server", "srv-portal-1", "--at", "latest"], "--server HOST and --path PATH go together"),
        (["--server", HOST, "--path", "/srv", "--at", "latest"], f"--server {HOST}: not a server"),
    ],
)
def test_cli_bad_input_exits_2_naming_it(
    cli_fake: FakeNetwork,
    deployed: Callable[..., DeployReport],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    state = StatePaths.from_env(tmp_path / "state")
    inv = cli_fake.inv
    deploy(
        inv,
        inv.select(HOST),
        DeployOptions(command="t", **FAST),
        state,
        intent=fake_intent,
        factory=cli_fake.factory,
    )  # type: ignore[arg-type]
    pushes = dict(cli_fake.pushes)
    r = invoke("backup", "restore", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) <= 3  # click's usage line at most, then the one message
    assert cli_fake.pushes == pushes


def test_cli_server_restore_calls_restore_server_and_journals_it(
    cli_fake: FakeNetwork, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Any, ...]] = []

    def restore_server(inv: Inventory, want: ServerRestore, paths: StatePaths) -> Result:
        calls.append((want.host.name, want.path, want.snapshot, paths.root, want.check))
        return Result(
            want.host.name, changed=True, message=f"restored {want.path} from snapshot {want.snapshot}"
        )

    monkeypatch.setattr(servers_mod, "restore_server", restore_server)
    r = invoke("backup", "restore", "--server", "srv-portal-1", "--path", "/srv/portal", "--at", "3f2a9c1d")
    assert r.exit_code == 0, r.output
    assert "changed" in r.output and "restored /srv/portal from snapshot 3f2a9c1d" in r.output
    assert calls == [("srv-portal-1", "/srv/portal", "3f2a9c1d", (tmp_path / "state").resolve(), False)]
    r = invoke(
        "backup", "restore", "--server", "srv-portal-1", "--path", "/srv/portal", "--at", "latest", "--check"
    )
    assert r.exit_code == 3 and calls[-1][-1] is True
    runs = Journal(StatePaths.from_env(tmp_path / "state").journal).runs(2)
    assert [x.command for x in runs] == [
        "infra backup restore --server srv-portal-1 --path /srv/portal --at latest (check)",
        "infra backup restore --server srv-portal-1 --path /srv/portal --at 3f2a9c1d",
    ]
    assert [x.status for x in runs] == ["check", "ok"]

    def broken(*args: Any, **kwargs: Any) -> Result:
        raise RuntimeError("restic: wrong password for repository sftp:srv-log-1:/x (key Lab-Dev1ce-Pw-7f3k)")

    monkeypatch.setattr(servers_mod, "restore_server", broken)
    r = invoke("backup", "restore", "--server", "srv-portal-1", "--path", "/srv/portal", "--at", "latest")
    assert r.exit_code == 1 and "wrong password" in r.output
    assert not any(s in r.output for s in LAB_SECRETS)
    assert Journal(StatePaths.from_env(tmp_path / "state").journal).runs(1)[0].status == "failed"


def test_cli_server_restore_bad_input_from_restore_server_exits_2(
    cli_fake: FakeNetwork, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class ServerBackupError(ValueError):  # servers.py's bad-input error (H4)
        pass

    def restore_server(*args: Any, **kwargs: Any) -> Result:
        raise ServerBackupError("--path: 'srv/portal' is not an absolute path")

    monkeypatch.setattr(servers_mod, "ServerBackupError", ServerBackupError, raising=False)
    monkeypatch.setattr(servers_mod, "restore_server", restore_server)
    r = invoke("backup", "restore", "--server", "srv-portal-1", "--path", "srv/portal", "--at", "latest")
    assert r.exit_code == 2, r.output
    assert "--server srv-portal-1: --path: 'srv/portal' is not an absolute path" in r.output
    assert "Traceback" not in r.output
    run = Journal(StatePaths.from_env(tmp_path / "state").journal).runs(1)[0]
    assert run.status == "failed"
