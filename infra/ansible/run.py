"""Run a playbook of `playbooks/` over servers of the inventory, through ansible-runner."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ansible_runner

from infra.ansible.datadir import (
    BridgeError,
    RunSettings,
    cmdline,
    envvars,
    lab_extravars,
    private_data_dir,
    require_lab_up,
    ssh_key_file,
    vault_password_file,
)
from infra.ansible.events import EventCollector
from infra.ansible.monitoring import render_for_run
from infra.inventory import Host, Inventory, InventoryError
from infra.results import RunResult, failure

PLAYBOOK_DIR = Path(__file__).resolve().parents[2] / "playbooks"
SITE_PLAYBOOK = PLAYBOOK_DIR / "site.yml"
SERVER_GROUP = "servers"

__all__ = ["BridgeError", "PlaybookRun", "audit_servers", "converge_servers", "results_of", "run_playbook"]


@dataclass(frozen=True)
class PlaybookRun:
    """What ansible-runner reported about the run as a whole."""

    status: str
    rc: int
    duration_s: float


def _reveal_all_secrets(inv: Inventory) -> None:
    """Resolve every credential so `inv.secrets.mask` knows each value before Ansible prints."""
    try:
        inv.secrets.resolve_all()
    except InventoryError as exc:  # SecretUnavailable: an unset environment variable, no vault password
        raise BridgeError(str(exc)) from None


def _masker(inv: Inventory, vault_file: Path | None) -> tuple[set[str], EventCollector]:
    _reveal_all_secrets(inv)
    extra: set[str] = set()
    if vault_file is not None:
        password = vault_file.read_text(encoding="utf-8").strip()
        if password:
            extra.add(password)

    def mask(text: str) -> str:
        text = inv.secrets.mask(text)
        for value in extra:
            text = text.replace(value, "<secret>")
        return text

    return extra, EventCollector(mask)


def _chain(
    observe: Callable[[dict[str, Any]], None] | None, collector: EventCollector
) -> Callable[[dict[str, Any]], bool]:
    if observe is None:
        return collector

    def handler(event: dict[str, Any]) -> bool:
        observe(event)
        return collector(event)

    return handler


def ansible_path() -> str:
    """PATH for ansible-playbook: this Python environment's bin first (a venv need not be active)."""
    here = Path(sys.executable).parent
    path = os.environ.get("PATH", "/usr/bin:/bin")
    if (here / "ansible-playbook").is_file():
        return f"{here}{os.pathsep}{path}"
    if shutil.which("ansible-playbook") is None:
        raise BridgeError("ansible-playbook is not installed (pip install ansible-core)")
    return path


def server_hosts(hosts: list[Host]) -> list[Host]:
    return [h for h in hosts if h.is_server]


def run_playbook(inv: Inventory, settings: RunSettings) -> tuple[RunResult, PlaybookRun]:
    """Run `settings.playbook` limited to `settings.limit`; one Result per limited host."""
    if not settings.limit:
        return RunResult(), PlaybookRun("skipped", 0, 0.0)
    if not settings.playbook.is_file():
        raise BridgeError(f"playbook {settings.playbook} does not exist")
    require_lab_up(inv)
    vault_file = vault_password_file()
    key = ssh_key_file(settings.ssh_key)
    _, collector = _masker(inv, vault_file)
    started = time.monotonic()
    with private_data_dir(inv) as pdd:
        extravars = {**lab_extravars(inv), **settings.extravars}
        extravars.update(render_for_run(inv, settings.limit, pdd / "monitoring", extravars))
        handler = _chain(settings.on_event, collector)
        runner = ansible_runner.run(
            private_data_dir=str(pdd),
            playbook=str(settings.playbook.resolve()),
            inventory=str(inv.path.resolve()),
            limit=",".join(settings.limit),
            tags=",".join(settings.tags) or None,
            forks=settings.forks,
            cmdline=cmdline(settings, vault_file) or None,
            envvars={**envvars(inv, key), "PATH": ansible_path()},
            extravars=extravars or None,
            event_handler=handler,
            quiet=True,
            suppress_output_file=True,
            suppress_env_files=True,
            rotate_artifacts=1,
        )
        status, rc = str(runner.status), int(runner.rc if runner.rc is not None else -1)
    elapsed = time.monotonic() - started
    result = collector.run_result(settings.limit, settings.check, rc, status)
    for r in result.results.values():
        r.duration_s = elapsed
    return result, PlaybookRun(status, rc, elapsed)


def converge_servers(
    inv: Inventory,
    hosts: list[Host],
    check: bool = False,
    diff: bool = False,
    *,
    tags: tuple[str, ...] | list[str] | None = None,
    forks: int = 5,
    playbook: Path = SITE_PLAYBOOK,
    ssh_key: Path | None = None,
    extravars: dict[str, object] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Converge the servers among `hosts` with the site playbook (`--check`/`--diff` as asked)."""
    servers = [h.name for h in server_hosts(hosts)]
    settings = RunSettings(
        playbook=playbook,
        limit=servers,
        check=check,
        diff=diff,
        tags=tuple(tags or ()),
        forks=forks,
        extravars=dict(extravars or {}),
        ssh_key=ssh_key,
        on_event=on_event,
    )
    return results_of(inv, settings, servers)


def results_of(inv: Inventory, settings: RunSettings, hosts: Sequence[str]) -> RunResult:
    """The run's results; when it could not start at all, every host gets that failure."""
    try:
        result, _ = run_playbook(inv, settings)
    except BridgeError as exc:
        result = RunResult()
        for name in hosts:
            result.add(failure(name, exc, inv.secrets.mask))
    return result


def audit_servers(
    inv: Inventory,
    hosts: list[Host],
    *,
    tags: tuple[str, ...] | list[str] | None = None,
    forks: int = 5,
    playbook: Path = SITE_PLAYBOOK,
    ssh_key: Path | None = None,
    extravars: dict[str, object] | None = None,
) -> RunResult:
    """Drift of the servers: the site playbook in check mode with diffs. A changed task is drift."""
    return converge_servers(
        inv,
        hosts,
        check=True,
        diff=True,
        tags=tags,
        forks=forks,
        playbook=playbook,
        ssh_key=ssh_key,
        extravars=extravars,
    )
