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
