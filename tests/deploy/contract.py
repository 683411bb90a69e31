"""The driver contract, one suite for every platform: recorded IOS/VRP sessions and lab FRR."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.drivers import CommandRejected, Driver
from infra.drivers.configtree import same


def run_contract(make: Callable[[], Driver], intended: str, bad_line: str) -> None:
    with make() as drv:
        before = drv.get_running_config()
        assert before.strip()
        drv.load_candidate(intended)
        change = drv.compare()
        assert change.remediation and change.diff
        assert drv.before == before

        # commit with a revert timer, then roll back: the device is as before
        drv.commit(change, revert_in=120)
        assert same(drv.platform, drv.get_running_config(), intended)
        drv.rollback()
        assert same(drv.platform, drv.get_running_config(), before)

        # commit, confirm, save: intended stays, nothing left to do
        change = drv.compare()
        drv.commit(change, revert_in=120)
        drv.confirm()
        drv.save()
        assert same(drv.platform, drv.get_running_config(), intended)
        assert drv.compare().empty

        # a rejected line fails the push
        with pytest.raises(CommandRejected):
            drv._push((bad_line,), None)

        # and rollback to the start works without a timer too
        drv._before = before
        drv.rollback()
        assert same(drv.platform, drv.get_running_config(), before)


# A video codec (cisco_tp): settings that exist on every RoomOS codec and that the lab's codec
# stand-in models too, none of which takes the codec off its registrar while the suite runs.
CODEC_INTENDED = """xConfiguration Conference AutoAnswer Mode: Off
xConfiguration Conference FarEndControl Mode: Off
xConfiguration Security Session InactivityTimeout: 15
"""
CODEC_BAD_LINE = "xConfiguration Bogus Setting: On"  # a path in no codec's schema


def run_codec_contract(make: Callable[[], Driver], intended: str = CODEC_INTENDED) -> None:
    """The contract for a codec (recorded RoomOS session or the lab's codec stand-in), then what
    only codecs promise: no startup config, save is a no-op, no adjacencies, xStatus readable."""
    with make() as drv:
        assert drv.platform == "cisco_tp"
        start = drv.get_running_config()
    run_contract(make, intended, CODEC_BAD_LINE)
    with make() as drv:
        assert drv.get_startup_config() is None  # settings persist at once: nothing separate
        assert drv.neighbours_up() == frozenset()
        assert drv.status("SIP Registration 1 Status")  # type: ignore[attr-defined]
        drv.save()
        assert same(drv.platform, drv.get_running_config(), start)  # the suite left it as it was
