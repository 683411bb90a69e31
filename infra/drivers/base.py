"""The driver contract (napalm-shaped, small): one session to one network device.

    open / close                   connect and disconnect (also a context manager)
    get_running_config()           the running configuration, as the device prints it
    get_startup_config()           the configuration it boots with (unsaved changes = drift)
    load_candidate(text)           the intended configuration to compare against
    compare() -> Change            remediation (running -> intended), rollback, unified diff
    commit(revert_in=seconds)      push only the remediation; the device returns to its
                                   pre-commit configuration unless `confirm()` comes in time
    confirm()                      keep the committed configuration
    rollback()                     return to the configuration read by `compare()`
    save()                         make the running configuration the startup configuration
    show(command)                  an operational command (verification)
    neighbours_up()                OSPF/BGP adjacencies that are up (per platform; default none)
    verify_applied(lines, wait_s)  platform checks after a push beyond the read-back (a codec:
                                   SIP registration after a SIP change); default none

Platforms are a name table (`DRIVERS`: platform -> "module:Class", like napalm's
`get_network_driver`): `driver_for("frr")` imports only the FRR module, on first use, and
`driver_for("junos")` is a clear `UnknownPlatform` listing the known platforms. This module
imports no platform module. Every text a driver hands out or logs passes through `target.mask`
first.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from infra.drivers.configtree import Change, compare
from infra.drivers.neighbours import Adjacencies
from infra.inventory.secrets import Secret
from infra.results import HostUnreachable


class DriverError(Exception):
    """A device refused or failed an operation; the message is already masked."""


class ConnectionFailed(DriverError, HostUnreachable):
    """The device could not be reached or logged into."""


class CommandRejected(DriverError):
    """The device answered a configuration line with an error."""


class RevertExpired(DriverError):
    """The revert timer ran out before `confirm()`: the device went back to its previous config."""


class UnknownPlatform(ValueError):
    pass


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class DeviceTarget:
    """Where and how to log in to one device."""

    host: str
    address: str
    username: str
    password: Secret
    platform: str
    port: int = 22
    timeout: float = 20.0
    mask: Callable[[str], str] = field(default=_identity, repr=False)
    session_log: Path | None = None  # written with every value of `hidden` replaced
    hidden: tuple[str, ...] = field(default=(), repr=False)  # secret values to keep out of logs
    lab_space: str | None = None  # a lab province's addresses: contacted only while blackholed


class Driver(ABC):
    platform: ClassVar[str]

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target
        self._lock = threading.RLock()
        self._candidate: str | None = None
        self._before: str | None = None  # running config read by compare(): what rollback restores
        self._timer: threading.Timer | None = None
        self._expired = False
        self.revert_error: str | None = None

    # ---- session ---------------------------------------------------------------------------
    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Driver:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cancel_timer()
        self.close()

    def probe(self, login: bool = True) -> None:
        """Log in afresh and leave (ConnectionFailed if that fails): verification's proof that
        the device still takes new management logins. A driver may skip what a working session
        needs beyond the login (reading the prompt's name, disabling paging), and without
        `login` (the change cannot affect it) check only that the SSH server answers."""
        self.open()
        self.close()

    # ---- configuration ---------------------------------------------------------------------
    @abstractmethod
    def get_running_config(self) -> str: ...

    @abstractmethod
    def show(self, command: str) -> str: ...

    def get_startup_config(self) -> str | None:
        """The configuration the device boots with (None: the platform keeps no separate one).
        A deploy and the drift audit report a running config that differs from it as unsaved."""
        return None

    def neighbours_up(self) -> Adjacencies:
        """The OSPF (Full) and BGP (Established) adjacencies, as the device shows them. Per
        platform: the default is none (a video codec has no routing adjacencies)."""
        return frozenset()

    def verify_applied(self, remediation: tuple[str, ...], wait_s: float) -> list[str]:
        """What is wrong on the device once `remediation` is pushed, beyond the configuration
        read back and the adjacencies (a deploy checks those for every platform): e.g. a codec
        whose SIP settings changed must register again within `wait_s`. Default: nothing."""
        return []

    @abstractmethod
    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        """Send configuration lines; arm the device's own revert timer when it has one."""

    @abstractmethod
    def save(self) -> None: ...

    @property
    def expired(self) -> bool:
        """True once the revert timer ran out unconfirmed (the device went back)."""
        return self._expired

    @property
    def before(self) -> str | None:
        """The running config read by the last `compare()` (what `rollback()` restores)."""
        return self._before

    def load_candidate(self, intended: str) -> None:
        self._candidate = intended

    def compare(self) -> Change:
        if self._candidate is None:
            raise DriverError("compare() needs a candidate: call load_candidate() first")
        with self._lock:
            running = self.get_running_config()
            self._before = running
            return compare(self.platform, running, self._candidate)

    def commit(self, change: Change | None = None, revert_in: float | None = None) -> Change:
        """Push the remediation; unless confirmed within `revert_in` seconds, roll back."""
        change = change or self.compare()
        if change.empty:
            return change
        with self._lock:
            self._expired = False
            if revert_in is not None and not self.native_revert_timer:
                self._arm_timer(revert_in)
            self._push(change.remediation, revert_in)
        return change

    def confirm(self) -> None:
        with self._lock:
            self._cancel_timer()
            if self._expired:
                raise RevertExpired(
                    f"{self.target.host}: the revert timer expired before confirm; "
                    f"the previous configuration was restored{self._revert_suffix()}"
                )
            self._confirm_native()

    def rollback(self) -> Change:
        """Return the device to the configuration read by the last `compare()`."""
        if self._before is None:
            raise DriverError("nothing to roll back to: no running config was read in this session")
        with self._lock:
            self._cancel_timer()
            return self._restore(self._before)

    def _restore(self, config: str) -> Change:
        current = self.get_running_config()
        change = compare(self.platform, current, config)
        if not change.empty:
            self._push(change.remediation, None)
        return change

    # ---- revert timer ----------------------------------------------------------------------
    native_revert_timer: ClassVar[bool] = False  # True when the device itself reverts (IOS, VRP)

    def _confirm_native(self) -> None:
        """Confirm on the device (IOS `configure confirm`, VRP `commit`); nothing when emulated."""
        return None

    def _arm_timer(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        with self._lock:
            if self._timer is None:  # confirmed or cancelled meanwhile
                return
            self._timer = None
            self._expired = True
            try:
                if self._before is not None:
                    self.reconnect()
                    self._restore(self._before)
            except Exception as exc:  # reported at confirm(); the run marks the host for attention
                self.revert_error = self.target.mask(f"{type(exc).__name__}: {exc}")

    def _revert_suffix(self) -> str:
        return f" (restore failed: {self.revert_error})" if self.revert_error else ""

    def reconnect(self) -> None:
        """Open a fresh session if the current one is gone."""
        if not self.is_alive():
            self.close()
            self.open()

    @abstractmethod
    def is_alive(self) -> bool: ...


# platform -> "module:Class": imported on first use, so adding a platform imports nothing more
DRIVERS: dict[str, str] = {
    "frr": "infra.drivers.frr:FrrDriver",
    "cisco_ios": "infra.drivers.cisco_ios:CiscoIosDriver",
    "huawei_vrp": "infra.drivers.huawei_vrp:HuaweiVrpDriver",
    "cisco_tp": "infra.drivers.cisco_tp:CiscoTpDriver",
}
_LOADED: dict[str, type[Driver]] = {}


def driver_for(platform: str) -> type[Driver]:
    """The driver class of `platform`, its module imported on first use."""
    if platform in _LOADED:
        return _LOADED[platform]
    try:
        where = DRIVERS[platform]
    except KeyError:
        known = ", ".join(platforms())
        raise UnknownPlatform(f"no driver for platform {platform!r} (known: {known})") from None
    module, _, name = where.partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, Driver)) or cls.platform != platform:
        raise TypeError(f"DRIVERS[{platform!r}] = {where!r} is not the {platform} Driver class")
    _LOADED[platform] = cls
    return cls


def platforms() -> list[str]:
    """The platforms that have a driver (read from the table: imports nothing)."""
    return sorted(DRIVERS)


def kwargs_of(target: DeviceTarget) -> dict[str, Any]:
    return {
        "host": target.address,
        "port": target.port,
        "username": target.username,
        "password": target.password.reveal(),
        "timeout": target.timeout,
        "conn_timeout": target.timeout,
        "banner_timeout": target.timeout,
        "auth_timeout": target.timeout,
        "fast_cli": True,
        "allow_agent": False,
        "use_keys": False,
        "ssh_config_file": None,
    }
