"""How long verification waits for adjacencies, and whose fault a missing one is."""

from __future__ import annotations

import time

from infra.deploy.verify import Neighbour, missing_neighbours
from infra.drivers.neighbours import Adjacencies, Adjacency

SPOKE = Neighbour("ospf", "cpe-late", "10.96.0.1", "Tunnel20")
CORE = Neighbour("ospf", "dc-core-2", "10.124.0.1", "GigabitEthernet0/0/1")


def never_up() -> Adjacencies:
    return frozenset()


def test_a_missing_neighbour_that_is_deployed_fails() -> None:
    assert missing_neighbours(never_up, [CORE], wait_s=0.2, poll_s=0.05) == [CORE]


def test_a_neighbour_that_comes_up_is_not_missing() -> None:
    start = time.monotonic()

    def comes_up() -> Adjacencies:
        up = time.monotonic() - start > 0.1
        return frozenset({Adjacency("ospf", CORE.address, "ge0-0-1", "10.126.0.2")} if up else ())

    assert missing_neighbours(comes_up, [CORE], wait_s=2, poll_s=0.05) == []


def test_a_failed_far_end_is_excused() -> None:
    assert missing_neighbours(never_up, [CORE], 0.2, poll_s=0.05, excused=lambda n: n is CORE) == []


def test_a_far_end_still_deploying_is_waited_for_then_left_to_its_own_verification() -> None:
    start = time.monotonic()
    missing = missing_neighbours(
        never_up, [SPOKE, CORE], wait_s=0.2, poll_s=0.05, pending=lambda n: n is SPOKE
    )
    waited = time.monotonic() - start
    assert missing == [CORE]  # the spoke will verify the tunnel itself: it expects this hub
    assert waited >= 0.4  # twice the wait, for the spoke still deploying


def test_the_revert_deadline_ends_waiting() -> None:
    start = time.monotonic()
    missing = missing_neighbours(
        never_up, [SPOKE], wait_s=30, poll_s=0.05, pending=lambda n: True, deadline=start + 0.3
    )
    assert missing == [] and time.monotonic() - start < 5
