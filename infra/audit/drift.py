"""Drift: the difference between each device's intended and running configuration, and between
its running and startup configuration.

Online, the running config is read over the device's driver (Netmiko), in parallel, and so is
the startup config on platforms that keep one: a running config that differs from it has
"unsaved changes" (a reboot would silently undo them), which is drift too. Offline, the running
config is the latest backup in the backup repository (secrets masked there, so the intended
config is masked the same way before comparing). The diff and remediation are hier_config's.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.audit.report import Check
from infra.drivers.configtree import compare
from infra.drivers.targets import DriverFactory, default_factory, has_driver, prime_secrets, target_for
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.render.intent import IntentFn, default_intent
from infra.results import Progress, Result, on_each_host
from infra.state import StatePaths
from infra.state.backups import BackupRepo


def drift_of(
    inv: Inventory,
    host: Host,
    *,
    offline: bool,
    backups: BackupRepo,
    intent: IntentFn,
    factory: DriverFactory,
) -> Result:
    """changed = drift (diff and remediation in `diff`); failed/unreachable = not read."""
    mask = inv.secrets.mask
    platform = inv.stand_in_platform(host).value
    intended = intent(inv, host)
    startup: str | None = None
    if offline:
        running = backups.latest(host.name)
        if running is None:
            return Result(host.name, failed=True, message=f"no backup of {host.name} in {backups.path}")
        intended = mask(intended)
    else:
        with factory(target_for(inv, host)) as drv:
            running = drv.get_running_config()
            startup = drv.get_startup_config()
    change = compare(platform, running, intended)
    unsaved = compare(platform, startup, running) if startup is not None else None
    problems, details = [], []
    if not change.empty:
        problems.append(f"{len(change.remediation)} lines to remediate")
        details.append(mask(change.diff) + "\n\nremediation:\n" + mask("\n".join(change.remediation)))
    if unsaved is not None and not unsaved.empty:
        problems.append(
            f"unsaved changes: the startup config lacks {len(unsaved.remediation)} lines of the running "
            "config (a reboot would undo them)"
        )
        details.append("startup -> running:\n" + mask(unsaved.diff))
    if not problems:
        return Result(host.name, message="running matches intended" + (" and is saved" if startup else ""))
    return Result(host.name, changed=True, message="; ".join(problems), diff="\n\n".join(details))


def audit_drift(
    inv: Inventory,
    hosts: Sequence[Host],
    paths: StatePaths,
    *,
    offline: bool = False,
    forks: int = 25,
    intent: IntentFn = default_intent,
    factory: DriverFactory = default_factory,
    progress: Progress | None = None,
) -> list[Check]:
    """One Check per device a driver configures among `hosts` (others are left out)."""
    backups = BackupRepo(paths.backups, prime_secrets(inv))
    devices = [h for h in hosts if has_driver(inv, h)]

    def one(h: Host) -> Result:
        return drift_of(inv, h, offline=offline, backups=backups, intent=intent, factory=factory)

    def done(r: Result) -> None:
        if progress:
            progress(r.host, f"done:{Check.status_of(r)}")

    results = on_each_host(devices, one, forks=forks, name=lambda h: h.name, mask=inv.secrets.mask, done=done)
    return [Check.of("drift", r) for r in results]
