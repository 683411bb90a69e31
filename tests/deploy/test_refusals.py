"""Every text a device prints for a refused line fails the push; success notices do not.

IOS and VRP answers are replayed from tests/deploy/recordings/ (`answers:`); FRR 8.4's texts
below were read from a real vtysh (the push through the real FRR driver is in
test_frr_refusals.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from infra.drivers import CommandRejected, DeviceTarget, Driver, driver_for
from infra.drivers.configtree import Change
from infra.drivers.refusals import BY_PLATFORM
from infra.inventory.secrets import Secret
from tests.deploy.replay import RECORDINGS, ReplayServer

PASSWORD = "Lab-Dev1ce-Pw-7f3k"

# (what FRR 8.4 vtysh printed, for which line); each read on a scratch FRR
FRR_REFUSED = [
    ("% Unknown command: no exec-timeout 9 0", "line vty / no exec-timeout 9 0"),
    ("Must remove previous area config before changing ospf area ", "ip ospf area 1 over area 0"),
    ("% Command incomplete: ip ospf", "ip ospf"),
    ("% Command incomplete: ip o", "ip o (an abbreviation of several)"),
    ("Can't find specified interface area configuration.", "no ip ospf area"),
    ("Please remove all ip ospf area x.x.x.x commands first.", "network ... area 0"),
    ("% Can't find address", "no ip address 9.9.9.9/24"),
    ("% Specify remote-as or peer-group commands first", "no neighbor X password"),
    ("BGP is already running; AS is 65000", "router bgp 65001"),
    ("% OSPF router-id doesn't match", "no ospf router-id 2.2.2.2"),
    ("Access-class is not currently applied to vty", "no access-class x"),
    ("OSPF: Key 3 does not exist", "no ip ospf message-digest-key 3 md5 abc"),
    ("% Refusing to remove a non-existent route", "no ip route 10.9.0.0/16 10.0.0.8"),
    ("% hold time value must be either 0 or greater than 3", "timers bgp 10 2"),
    ("% OSPF is not running in instance mode", "no router ospf 5"),
    (
        "% Configuration failed.\n\nError type: validation\n"
        "Error description: only inactive interfaces can be deleted",
        "no interface eth2",
    ),
]


def _echoed(answer: str, line: str = "ip ospf area 1") -> str:
    """The answer as Netmiko reads it: the echo after the prompt, the answer, the next prompt."""
    return f"r1(config-if)# {line}\n{answer}\nr1(config-if)# "


@pytest.mark.parametrize("answer", [a for a, _ in FRR_REFUSED], ids=[w for _, w in FRR_REFUSED])
def test_every_frr_refusal_is_recognised(answer: str) -> None:
    assert BY_PLATFORM["frr"].first(_echoed(answer)) == answer.strip().splitlines()[0].strip()


@pytest.mark.parametrize(
    "answer",
    [
        "% OSPF: Reference bandwidth is changed.\n        Please ensure reference bandwidth is consistent",
        'For this router-id change to take effect, use "clear ip ospf process" command',
        "",
    ],
)
def test_frr_success_answers_are_not_refusals(answer: str) -> None:
    assert BY_PLATFORM["frr"].first(_echoed(answer)) is None


@pytest.mark.parametrize("platform", sorted(BY_PLATFORM))
def test_a_refusal_word_inside_a_sent_line_is_not_an_answer(platform: str) -> None:
    """The echo of `description Can't find % Error: x` follows the prompt: not a refusal."""
    echo = "r1(config-if)# description Can't find % Error: Wrong parameter\nr1(config-if)# "
    assert BY_PLATFORM[platform].first(echo) is None


def _answers(platform: str) -> list[dict[str, Any]]:
    rec = yaml.safe_load((RECORDINGS / f"{platform}.yml").read_text(encoding="utf-8"))
    return list(rec["answers"])


def _sample(pattern: str) -> str:
    """A line the recording's regex matches (the regexes are literal prefixes)."""
    return pattern.removeprefix("^").removesuffix("$").replace("\\.", ".")


CASES = [(platform, a) for platform in ("cisco_ios", "huawei_vrp") for a in _answers(platform)]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ReplayServer]]:
    made = {p: ReplayServer(p, "admin", PASSWORD) for p in ("cisco_ios", "huawei_vrp")}
    yield made
    for s in made.values():
        s.close()


def _driver(platform: str, server: ReplayServer) -> Driver:
    target = DeviceTarget(
        host="r1",
        address="127.0.0.1",
        port=server.port,
        username="admin",
        password=Secret(PASSWORD),
        platform=platform,
        timeout=10,
    )
    return driver_for(platform)(target)


@pytest.mark.parametrize(
    ("platform", "answer"), CASES, ids=[f"{p}-{a['text'].strip().splitlines()[-1][:40]}" for p, a in CASES]
)
def test_recorded_answers_fail_the_push_exactly_when_refused(
    servers: dict[str, ReplayServer], platform: str, answer: dict[str, Any]
) -> None:
    line = _sample(answer["line"])
    change = Change(remediation=("interface GigabitEthernet0/0/1", f" {line}"), diff="")
    with _driver(platform, servers[platform]) as dev:
        if answer.get("refused"):
            with pytest.raises(CommandRejected) as err:
                dev.commit(change)
            refused = answer["text"].strip().splitlines()[-1].strip()
            assert refused in str(err.value)
        else:
            dev.commit(change)  # a notice: the push goes on
