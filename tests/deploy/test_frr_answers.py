"""vtysh answers without a daemon's part when it cannot reach the daemon: never a config."""

from __future__ import annotations

import pytest

from infra.drivers.base import ConnectionFailed
from infra.drivers.frr import _whole
from infra.drivers.netmiko_session import without_echo

WHOLE = "Building configuration...\nhostname cpe-1\nrouter ospf\n ospf router-id 10.126.0.14\nexit\nend\n"
CUT = (
    "Warning: connecting to ospfd...failed!\nWarning: connecting to bgpd...failed!\n"
    "Building configuration...\nhostname cpe-1\nend\n"
)


def test_a_whole_answer_passes_through() -> None:
    assert _whole(WHOLE, "show running-config") == WHOLE


def test_an_answer_missing_daemons_is_a_connection_failure_naming_them() -> None:
    with pytest.raises(ConnectionFailed, match=r"could not reach ospfd, bgpd for `show running-config`"):
        _whole(CUT, "show running-config")


@pytest.mark.parametrize(
    "answer",
    [
        "cpe-xa-lam-ha# show running-config\n" + WHOLE,  # the echo behind a late prompt (seen in CI)
        "\n" + WHOLE,  # a stray newline left by the session's set-up
        "\nshow running-config\n" + WHOLE,
    ],
)
def test_an_echo_behind_a_late_prompt_is_not_read_as_configuration(answer: str) -> None:
    assert without_echo(answer, "show running-config") == WHOLE


def test_an_answer_that_starts_with_configuration_is_kept_whole() -> None:
    assert without_echo(WHOLE, "show running-config") == WHOLE
