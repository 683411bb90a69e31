"""A past configuration back onto a device, through the deploy machinery.

    plan = plan_restore(inv, host, "HEAD~1", paths)       # or a DATE: "2026-12-01 18:00"
    report = restore_config(inv, host, plan, options, paths)

`plan_restore` reads the device's backup at REV/DATE (`BackupRepo.at`) and fills its masked
secrets back in; `restore_config` hands that text to `infra.deploy.run.deploy()` as the device's
intent, so a restore is a deploy: the device's lock, the diff first (`--check` stops there, exit 3
when something would change), only the remediation pushed under a revert timer, verification,
the automatic rollback when verification fails, the journal and the two backup commits.

**Secrets.** A backup holds `<secret>` where a secret was. Each such line is filled in from a
line of the device's current running config, else of the inventory's rendered intent, whose
masked form equals it, matched within the same section first (`interface eth1` / its key line),
then anywhere when only one value fits. The running config comes first: a restore should not
change a secret the device and its neighbours agree on. A line that neither has (the secret
was removed from the vault, the section is gone) makes the restore refuse, naming the line,
before anything is touched. The filled-in text is never printed: only the backup's masked lines
appear in messages, and deploy masks every diff it reports.

**Verification.** The intent here is the backup, not the inventory: verification demands the
adjacencies the inventory implies only while the restored config still configures them (the
interface's OSPF, the BGP neighbour's address); an adjacency the restored config removes on
purpose is not demanded back. Every adjacency up before the push that the restored config keeps
must come back, and the config read back must equal the restored one (no drift).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infra.deploy.options import DeployOptions
from infra.deploy.run import deploy, new_run_id
from infra.deploy.runstate import DeployReport, DeployRun
from infra.deploy.verify import Neighbour, intended_neighbours
from infra.drivers.targets import DriverFactory, default_factory, has_driver, prime_secrets, target_for
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.inventory.secrets import MASK
from infra.journal import Journal
from infra.render.intent import IntentFn, default_intent
from infra.results import Progress, Result, RunResult, failure
from infra.state import StatePaths
from infra.state.backups import BackupError, BackupRepo

if TYPE_CHECKING:  # infra.backup.servers (restic through Ansible) is imported when a restore runs
    from infra.backup.servers import ServerRestore

Mask = Callable[[str], str]


class RestoreRefused(Exception):
    """The restore cannot start; nothing was touched. `exit_code`: 2 bad input, 1 a failed read."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class RestorePlan:
    host: str
    ref: str  # what the operator asked for (REV or DATE)
    commit: str  # the backup commit it resolved to
    backup: str  # the stored, masked configuration
    config: str = field(repr=False)  # the same with its secrets filled in: never print it
    unmasked: int = 0  # lines whose secrets were filled in


# ---- secrets ---------------------------------------------------------------------------------


def _lines_in_sections(text: str, mask: Mask) -> list[tuple[tuple[str, ...], str, str]]:
    """(masked section path, masked line, line) for every non-blank line; the path is the lines
    above it with less indentation (`interface eth1` for ` ip ospf message-digest-key ...`)."""
    stack: list[tuple[int, str]] = []
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        masked = mask(line).rstrip()
        out.append((tuple(p for _, p in stack), masked, line.rstrip()))
        stack.append((indent, masked.strip()))
    return out


class Unmaskable(ValueError):
    def __init__(self, lines: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(lines)} masked lines cannot be filled in")
        self.lines = lines  # (line number in the backup, the masked line)


def unmask(backup: str, sources: Sequence[str], mask: Mask) -> tuple[str, int]:
    """The backup with every `<secret>` line replaced by the line of `sources` (in order of
    preference) whose masked form equals it: (text, how many lines were filled in). Raises
    Unmaskable naming the lines no source fills in unambiguously."""
    in_section: list[dict[tuple[tuple[str, ...], str], set[str]]] = []
    anywhere: dict[str, set[str]] = {}
    for text in sources:
        table: dict[tuple[tuple[str, ...], str], set[str]] = {}
        for path, masked, line in _lines_in_sections(text, mask):
            if masked != line:  # only lines that hold a secret
                table.setdefault((path, masked), set()).add(line)
                anywhere.setdefault(masked, set()).add(line)
        in_section.append(table)
    by_line = iter(_lines_in_sections(backup, lambda s: s))
    out: list[str] = []
    missing: list[tuple[int, str]] = []
    filled = 0
    for number, line in enumerate(backup.splitlines(), 1):
        if not line.strip():
            out.append(line)
            continue
        path, masked, _ = next(by_line)
        if MASK not in line:
            out.append(line)
            continue
        value = next(
            (next(iter(t[path, masked])) for t in in_section if len(t.get((path, masked), ())) == 1), None
        )
        if value is None and len(anywhere.get(masked, ())) == 1:
            value = next(iter(anywhere[masked]))
        if value is None:
            missing.append((number, masked.strip()))
            out.append(line)
            continue
        out.append(value)
        filled += 1
    if missing:
        raise Unmaskable(missing)
    text = "\n".join(out) + ("\n" if backup.endswith("\n") else "")
    # the invariant the matching rests on: masked again, it is the backup
    assert [mask(x).rstrip() for x in text.splitlines()] == [x.rstrip() for x in backup.splitlines()]
    return text, filled


# ---- the plan --------------------------------------------------------------------------------


def _read_running(inv: Inventory, host: Host, factory: DriverFactory) -> str:
    drv = factory(target_for(inv, host))
    drv.open()
    try:
        return drv.get_running_config()
    finally:
        drv.close()


def plan_restore(
    inv: Inventory,
    host: Host,
    ref: str,
    paths: StatePaths,
    *,
    factory: DriverFactory = default_factory,
    intent: IntentFn = default_intent,
) -> RestorePlan:
    """Read `host`'s backup at REF and fill its secrets in; RestoreRefused when it cannot be
    restored (no such REV/DATE, no backup of the host then, a secret nobody knows)."""
    if not has_driver(inv, host):
        raise RestoreRefused(
            f"{host.name}: no driver configures a {host.platform} host; a server's data is restored "
            f"with `infra backup restore --server {host.name} --path PATH --at SNAPSHOT`"
        )
    hidden = prime_secrets(inv)  # the mask knows every secret from here on
    mask = inv.secrets.mask
    repo = BackupRepo(paths.backups, hidden)
    try:  # a DATE: the last commit that changed this device at or before it
        commit = repo.resolve(ref, host.name)
    except BackupError as exc:
        raise RestoreRefused(f"{host.name}: --at: {mask(str(exc))}") from None
    try:
        backup = repo.at(host.name, commit)
    except BackupError:
        raise RestoreRefused(f"{host.name}: --at {ref!r}: it had no backup at commit {commit[:12]}") from None
    if not backup.strip():
        raise RestoreRefused(f"{host.name}: the backup at {ref!r} ({commit[:12]}) is empty")
    if MASK not in backup:
        return RestorePlan(host.name, ref, commit, backup, backup)
    sources: list[str] = []
    unread: list[str] = []
    try:
        sources.append(_read_running(inv, host, factory))
    except Exception as exc:
        unread.append(f"the running config could not be read ({mask(str(exc)) or type(exc).__name__})")
    try:
        sources.append(intent(inv, host))
    except Exception as exc:
        unread.append(f"the intended config could not be rendered ({mask(str(exc)) or type(exc).__name__})")
    try:
        config, filled = unmask(backup, sources, mask)
    except Unmaskable as exc:
        shown = "; ".join(f"line {n}: `{text}`" for n, text in exc.lines[:3])
        more = f" and {len(exc.lines) - 3} more" if len(exc.lines) > 3 else ""
        why = f" ({'; '.join(unread)})" if unread else ""
        raise RestoreRefused(
            f"{host.name}: cannot restore {ref!r} ({commit[:12]}): {len(exc.lines)} masked secret "
            f"line(s) match no line of the device's running config or the inventory's intended "
            f"config{why}: {shown}{more}",
            exit_code=1 if unread else 2,
        ) from None
    return RestorePlan(host.name, ref, commit, backup, config, filled)


# ---- the run ---------------------------------------------------------------------------------


def configures(config: str, n: Neighbour) -> bool:
    """Whether `config` still configures the adjacency `n` the inventory implies: a BGP
    neighbour's address appears in it; an OSPF neighbour's interface (by its production or lab
    name) has a section in it, with OSPF on it or an OSPF process with `network` statements."""
    if n.protocol == "bgp":
        return re.search(rf"(?<![\w.:]){re.escape(n.address)}(?![\w.:])", config) is not None
    names = {x for x in (n.interface, n.lab_interface) if x}
    sections = _sections(config)
    process = any(
        head.split()[:2] in (["router", "ospf"], ["ospf"]) or head.startswith("ospf ")
        for head in sections
        if any(line.strip().startswith("network ") for line in sections[head])
    )
    for head, body in sections.items():
        words = head.split()
        if len(words) >= 2 and words[0] == "interface" and words[1] in names:
            return process or any(_OSPF_ON.match(line) for line in body)
    return False


# an interface's own OSPF line: FRR/IOS `ip ospf ...`, `ipv6 ospf ...`, VRP `ospf enable ...`
_OSPF_ON = re.compile(r"\s*(?:ip |ipv6 )?ospf\b")


def _sections(config: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in config.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace():
            if current is not None:
                current.append(line)
        else:
            current = out.setdefault(line.strip(), [])
    return out


def restored_neighbours(inv: Inventory, host: str, config: str) -> list[Neighbour]:
    """The inventory's adjacencies of `host` that the restored `config` still configures."""
    return [n for n in intended_neighbours(inv, host) if configures(config, n)]


def restore_config(
    inv: Inventory,
    host: Host,
    plan: RestorePlan,
    options: DeployOptions,
    paths: StatePaths,
    *,
    factory: DriverFactory = default_factory,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    on_start: Callable[[DeployRun], None] | None = None,
) -> DeployReport:
    """Push `plan`'s configuration to `host` through deploy() (see the module's docstring)."""

    def intent(_inv: Inventory, h: Host) -> str:
        if h.name != plan.host:
            raise ValueError(f"the restore plan is for {plan.host}, not {h.name}")
        return plan.config

    return deploy(
        inv,
        [host],
        options,
        paths,
        intent=intent,
        factory=factory,
        progress=progress,
        stop=stop,
        on_start=on_start,
        neighbours=restored_neighbours,
    )


# ---- a server's data ---------------------------------------------------------------------------


def restore_server_data(
    inv: Inventory, want: ServerRestore, paths: StatePaths, *, comment: str = ""
) -> tuple[str, Result]:
    """`infra.backup.servers.restore_server` (restic), journaled as a run of its own:
    (run id, the server's Result). Its exceptions become a failed, masked Result; its bad-input
    error (`ServerBackupError`: a relative path, a malformed snapshot id) is RestoreRefused
    (exit 2), the journal's run closed as failed with the reason."""
    from infra.backup import servers  # looked up at call time: the restic side is its own module

    host, check = want.host, want.check
    hidden = prime_secrets(inv)
    mask = inv.secrets.mask
    journal = Journal(paths.journal, hidden)
    run_id = new_run_id()
    command = mask(f"infra backup restore --server {host.name} --path {want.path} --at {want.snapshot}")
    journal.start_run(run_id, command + (" (check)" if check else ""), mask(comment))
    t0 = time.monotonic()
    bad_input: type[Exception] | tuple[()] = getattr(servers, "ServerBackupError", ())
    refused: RestoreRefused | None = None
    try:
        result = servers.restore_server(inv, want, paths)
    except bad_input as exc:  # refused before anything ran: exit 2, the run says why
        refused = RestoreRefused(mask(str(exc)))
        result = Result(host.name, failed=True, message=f"refused: {refused}")
    except Exception as exc:
        result = failure(host.name, exc, mask)
    result.duration_s = result.duration_s or time.monotonic() - t0
    result.diff, result.message = mask(result.diff), mask(result.message)
    journal.record_device(run_id, result)
    status = "failed" if not result.ok else ("check" if check else "ok")
    counts = RunResult()
    counts.add(result)
    journal.finish_run(run_id, status, counts.counts(), None)
    if refused is not None:
        raise refused
    return run_id, result
