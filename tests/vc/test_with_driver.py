"""`vc check`'s codec steps through the real cisco_tp driver (Netmiko over SSH on loopback) against
the recorded RoomOS codec of tests/deploy (built from Cisco's xAPI reference and Netmiko's
cisco_tp class: see its recording). Runs once the driver is in the tree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, cast

import pytest

from infra.drivers.base import DeviceTarget, driver_for
from infra.inventory.secrets import Secret
from infra.vc.checks import Codec, Toolkit, check_endpoint
from infra.vc.model import Endpoint, Outcome, Thresholds
from tests.vc.fakes import FakeLinks, endpoint

pytest.importorskip("infra.drivers.cisco_tp", reason="the cisco_tp driver is not merged yet")
replay = pytest.importorskip("tests.deploy.codec_replay", reason="the recorded codec is not merged yet")

PASSWORD = "Lab-Codec-Pw-6m2k"


@pytest.fixture
def codec() -> Iterator[Any]:
    srv = replay.CodecReplayServer("admin", PASSWORD)
    yield srv
    srv.close()


def toolkit(srv: Any, **kw: Any) -> Toolkit:
    def open_codec(ep: Endpoint) -> AbstractContextManager[Codec]:
        target = DeviceTarget(
            host=ep.host,
            address="127.0.0.1",
            port=srv.port,
            username="admin",
            password=Secret(PASSWORD),
            platform="cisco_tp",
            timeout=10,
            hidden=(PASSWORD,),
        )
        return cast(AbstractContextManager[Codec], driver_for("cisco_tp")(target))

    return Toolkit(
        open_codec=open_codec,
        intent=lambda name: "xConfiguration Conference AutoAnswer Mode: Off\n",
        test_room_uri="sip:testroom@vc.lamvien.gov.vn",
        call_controller="srv-vc-1",
        thresholds=Thresholds(call_setup_s=0.5, sample_s=0.5),
        reach=lambda ep: None,
        wan=FakeLinks(),
        **kw,
    )


def test_drift_is_read_through_the_driver(codec: Any) -> None:
    r = check_endpoint(endpoint("vc-so-noi-vu"), toolkit(codec))  # the recording auto-answers: On
    assert [c.outcome for c in r.checks] == [Outcome.PASS, Outcome.PASS, Outcome.FAIL]
    assert r.line().startswith("configuration drift: 1 setting differs from intent -> run `infra deploy")


def test_registration_dial_and_hang_up_through_the_driver(codec: Any) -> None:
    r = check_endpoint(endpoint("vc-so-noi-vu"), toolkit(codec, skip=frozenset({"config"})))
    by_name = {c.name: c for c in r.checks}
    assert by_name["login"].outcome == Outcome.PASS and by_name["registered"].outcome == Outcome.PASS
    sent = [line for line in codec.codec.received if line.startswith("x")]
    dial = sent.index('xCommand Dial Number: "sip:testroom@vc.lamvien.gov.vn"')
    assert "xStatus Call 3 Status" in sent[dial:]  # the recording's CallId, read from its result
    assert sent[-1].startswith("xCommand Call Disconnect")  # hung up, whatever the call did
