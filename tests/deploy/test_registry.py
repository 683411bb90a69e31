"""The driver registry is a name table: platform -> "module:Class", imported on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.drivers import UnknownPlatform, driver_for, platforms
from infra.drivers.base import DRIVERS, Driver

PLATFORM_MODULES = (
    "infra.drivers.frr",
    "infra.drivers.cisco_ios",
    "infra.drivers.huawei_vrp",
    "infra.drivers.cisco_tp",
)


@pytest.mark.parametrize("platform", ["frr", "cisco_ios", "huawei_vrp", "cisco_tp"])
def test_the_table_resolves_each_platform_to_its_driver_class(platform: str) -> None:
    cls = driver_for(platform)
    assert issubclass(cls, Driver) and cls.platform == platform
    module, _, name = DRIVERS[platform].partition(":")
    assert (cls.__module__, cls.__name__) == (module, name)
    assert driver_for(platform) is cls  # imported once


def test_platforms_reads_the_table() -> None:
    assert platforms() == ["cisco_ios", "cisco_tp", "frr", "huawei_vrp"]


def test_unknown_platform_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownPlatform,
        match=r"no driver for platform 'junos' \(known: cisco_ios, cisco_tp, frr, huawei_vrp\)",
    ):
        driver_for("junos")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def test_importing_the_base_imports_no_platform_module() -> None:
    loaded = _modules_after(
        "import infra.drivers.base, infra.drivers\nfrom infra.drivers import platforms\nplatforms()"
    )
    assert "infra.drivers.base" in loaded
    assert not loaded.intersection(PLATFORM_MODULES), loaded.intersection(PLATFORM_MODULES)


def test_a_platform_is_imported_on_first_use_and_alone() -> None:
    loaded = _modules_after("from infra.drivers import driver_for\ndriver_for('cisco_tp')")
    assert "infra.drivers.cisco_tp" in loaded
    assert not loaded.intersection(set(PLATFORM_MODULES) - {"infra.drivers.cisco_tp"})


def test_adjacencies_are_per_platform() -> None:
    """A codec has none (the base default); the routing platforms read their own show commands."""
    base_default = Driver.neighbours_up
    assert driver_for("cisco_tp").neighbours_up is base_default
    for platform in ("frr", "cisco_ios", "huawei_vrp"):
        assert driver_for(platform).neighbours_up is not base_default, platform
