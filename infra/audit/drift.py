"""Drift: the difference between each device's intended and running configuration.

Online, the running config is read over the device's driver (Netmiko), in parallel; offline,
it is the latest backup in the backup repository (secrets masked there, so the intended config
is masked the same way before comparing). The diff and remediation are hier_config's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from infra.audit.report import Check
from infra.backup import BackupRepo
from infra.deploy.device import DriverFactory, default_factory
from infra.deploy.options import IntentFn, Progress
from infra.deploy.run import default_intent
from infra.deploy.targets import prime_secrets, target_for
from infra.drivers.configtree import compare
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.state import StatePaths


def drift_of(
    inv: Inventory,
    host: Host,
    *,
    offline: bool,
    backups: BackupRepo,
    intent: IntentFn,
    factory: DriverFactory,
) -> Check:
    mask = inv.secrets.mask
    t0 = time.monotonic()
    platform = inv.stand_in_platform(host).value
    try:
        intended = intent(inv, host)
        if offline:
            running = backups.latest(host.name)
            if running is None:
                return Check("drift", host.name, "error", f"no backup of {host.name} in {backups.path}")
            intended = mask(intended)
        else:
            with factory(target_for(inv, host)) as drv:
                running = drv.get_running_config()
        change = compare(platform, running, intended)
    except Exception as exc:
        return Check(
            "drift", host.name, "error", mask(f"{type(exc).__name__}: {exc}"), "", time.monotonic() - t0
        )
    took = time.monotonic() - t0
    if change.empty:
        return Check("drift", host.name, "pass", "running matches intended", "", took)
    detail = mask(change.diff) + "\n\nremediation:\n" + mask("\n".join(change.remediation))
    summary = f"{len(change.remediation)} lines to remediate"
    return Check("drift", host.name, "fail", summary, detail, took)


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
    """One Check per network device among `hosts` (others are left out)."""
    backups = BackupRepo(paths.backups, prime_secrets(inv))
    devices = [h for h in hosts if h.is_network_device]

    def one(h: Host) -> Check:
        c = drift_of(inv, h, offline=offline, backups=backups, intent=intent, factory=factory)
        if progress:
            progress(h.name, f"done:{c.status}")
        return c

    with ThreadPoolExecutor(max_workers=max(1, min(forks, len(devices) or 1))) as pool:
        return list(pool.map(one, devices))
