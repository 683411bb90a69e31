"""Drivers: one small interface per network platform (see `base.py`)."""

from infra.drivers.base import (
    CommandRejected,
    ConnectionFailed,
    DeviceTarget,
    Driver,
    DriverError,
    RevertExpired,
    UnknownPlatform,
    driver_for,
    platforms,
)
from infra.drivers.configtree import Change, compare

__all__ = [
    "Change",
    "CommandRejected",
    "ConnectionFailed",
    "DeviceTarget",
    "Driver",
    "DriverError",
    "RevertExpired",
    "UnknownPlatform",
    "compare",
    "driver_for",
    "platforms",
]
