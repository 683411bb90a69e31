"""From inventory hosts to driver targets, and the secrets that must never be shown."""

from __future__ import annotations

from pathlib import Path

from infra.drivers.base import DeviceTarget
from infra.inventory import Inventory
from infra.inventory.models import Host


def prime_secrets(inv: Inventory) -> tuple[str, ...]:
    """Every secret's value, resolved so `inv.secrets.mask` knows all of them (the inventory's
    `secrets.resolve_all()`: raises SecretUnavailable naming a secret that cannot be had)."""
    return inv.secrets.resolve_all()


def target_for(
    inv: Inventory, host: Host, session_log: Path | None = None, timeout: float = 20.0
) -> DeviceTarget:
    creds = inv.credentials
    return DeviceTarget(
        host=host.name,
        address=str(host.mgmt_address),
        username=str(host.ansible_vars.get("ansible_user", creds.device_username)),
        password=inv.secret(creds.device_password),
        platform=inv.stand_in_platform(host).value,
        port=int(host.ansible_vars.get("ansible_port", 22)),
        timeout=timeout,
        mask=inv.secrets.mask,
        session_log=session_log,
        hidden=prime_secrets(inv),
        lab_space=str(inv.pools.lab_space) if inv.province.lab else None,
    )
