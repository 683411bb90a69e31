"""The codec driver contract against the lab's codec stand-in (an SSH login whose shell speaks
the RoomOS xAPI subset: xConfiguration, xStatus, xCommand, answers ending in OK/ERROR)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.drivers import driver_for
from infra.drivers.targets import target_for
from tests.deploy.contract import run_codec_contract

pytestmark = pytest.mark.lab


def test_contract_against_a_lab_codec(lab: Any) -> None:
    host = lab.inv.vc_endpoints[0]
    target = target_for(lab.inv, host)
    assert target.platform == "cisco_tp"
    run_codec_contract(lambda: driver_for("cisco_tp")(target))
