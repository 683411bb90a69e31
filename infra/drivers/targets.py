"""Opening a device: from inventory hosts to driver targets (and the secrets that must never be
shown), and the factory that turns a target into its platform's driver. Deploy, the audits, the
backups and the video-conference checks all open devices through here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.drivers.base import DeviceTarget, Driver, driver_for, platforms
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.inventory.secrets import Secret

CODEC = "cisco_tp"  # video codecs log in with the codec credentials, not the network device ones

# How a run opens a device (the platform's driver, or a fake in tests).
DriverFactory = Callable[[DeviceTarget], Driver]


def default_factory(target: DeviceTarget) -> Driver:
    return driver_for(target.platform)(target)


class NoCodecPassword(ValueError):
    """A codec in the inventory while the credentials name no codec password."""


def prime_secrets(inv: Inventory) -> tuple[str, ...]:
    """Every secret's value, resolved so `inv.secrets.mask` knows all of them (the inventory's
    `secrets.resolve_all()`: raises SecretUnavailable naming a secret that cannot be had)."""
    return inv.secrets.resolve_all()


def has_driver(inv: Inventory, host: Host) -> bool:
    """Whether a driver configures this host (routers, switches, firewalls, video codecs):
    what `infra deploy` pushes to and the drift audit reads."""
    return inv.stand_in_platform(host).value in platforms()


def login_of(inv: Inventory, host: Host, platform: str) -> tuple[str, Secret]:
    """Who to log in as: `ansible_user` if the host sets one, else the platform's account
    (codecs: credentials.codec_username / codec_password; the rest: device_username/password)."""
    creds = inv.credentials
    if platform == CODEC:
        username, ref = creds.codec_username, creds.codec_password
        if ref is None:  # `infra inventory check` says so too
            raise NoCodecPassword(
                f"{host.name}: a cisco_tp codec needs credentials.codec_password in the inventory"
            )
        return str(host.ansible_vars.get("ansible_user", username)), inv.secret(ref)
    username = str(host.ansible_vars.get("ansible_user", creds.device_username))
    return username, inv.secret(creds.device_password)


def target_for(
    inv: Inventory, host: Host, session_log: Path | None = None, timeout: float = 20.0
) -> DeviceTarget:
    platform = inv.stand_in_platform(host).value
    username, password = login_of(inv, host, platform)
    return DeviceTarget(
        host=host.name,
        address=str(host.mgmt_address),
        username=username,
        password=password,
        platform=platform,
        port=int(host.ansible_vars.get("ansible_port", 22)),
        timeout=timeout,
        mask=inv.secrets.mask,
        session_log=session_log,
        hidden=prime_secrets(inv),
        lab_space=str(inv.pools.lab_space) if inv.province.lab else None,
    )
