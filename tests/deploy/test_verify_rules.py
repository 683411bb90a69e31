"""What verification demands after a push: adjacencies kept from before it, by identity, and the
intended ones whose far end this run configures (no device, no lab: the rules alone)."""

from __future__ import annotations

import pytest

from infra.deploy.verify import (
    Kept,
    Neighbour,
    PeerNames,
    intended_neighbours,
    kept_adjacencies,
    missing_neighbours,
    required_after,
)
from infra.drivers.neighbours import Adjacency
from infra.inventory import Inventory, load_inventory
from tests.conftest import INVENTORY


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def _up_as_before(inv: Inventory, host: str) -> frozenset[Adjacency]:
    """What FRR shows on `host` when every intended OSPF neighbour is Full."""
    return frozenset(
        Adjacency("ospf", n.address, n.lab_interface, n.router_id)
        for n in intended_neighbours(inv, host)
        if n.protocol == "ospf"
    )


def test_an_adjacency_up_before_is_required_after_even_when_its_far_end_is_not_deployed(
    inv: Inventory,
) -> None:
    intended = intended_neighbours(inv, "dc-fw-1")
    who = PeerNames(inv, "dc-fw-1", intended)
    before = _up_as_before(inv, "dc-fw-1")
    required = required_after(before, intended, who, configured_in_run=lambda peer: False)
    assert {r.peer_host for r in required} == {"dc-core-1", "dc-core-2"}
    assert all(isinstance(r, Kept) for r in required)


def test_a_kept_adjacency_is_matched_by_router_id_not_address(inv: Inventory) -> None:
    """After a readdressing both ends agree on, the neighbour comes back at a new address."""
    intended = intended_neighbours(inv, "dc-fw-1")
    who = PeerNames(inv, "dc-fw-1", intended)
    core1 = next(n for n in intended if n.peer_host == "dc-core-1")
    kept = Kept(Adjacency("ospf", core1.address, core1.lab_interface, core1.router_id), "dc-core-1")
    moved = frozenset({Adjacency("ospf", "10.124.0.250", core1.lab_interface, core1.router_id)})
    assert kept.seen_in(moved, who)
    elsewhere = frozenset({Adjacency("ospf", "10.124.0.250", "ge9-9-9", core1.router_id)})
    assert not kept.seen_in(elsewhere, who)  # the same router on another interface is another adjacency
    stranger = frozenset({Adjacency("ospf", core1.address, core1.lab_interface, "10.99.99.99")})
    assert not kept.seen_in(stranger, who)


def test_the_one_sided_readdressing_is_missing(inv: Inventory) -> None:
    """dc-fw-1 readdressed alone: dc-core-1 no longer answers on that link; verification must
    say so, although the intent never mentions the old address."""
    intended = intended_neighbours(inv, "dc-fw-1")
    who = PeerNames(inv, "dc-fw-1", intended)
    before = _up_as_before(inv, "dc-fw-1")
    after = frozenset(a for a in before if a.router_id != who_rid(inv, "dc-core-1"))
    required = required_after(before, intended, who, configured_in_run=lambda peer: False)
    missing = missing_neighbours(lambda: after, required, wait_s=0.1, who=who, poll_s=0.05)
    assert [m.peer_host for m in missing] == ["dc-core-1"]
    assert "dc-core-1" in str(missing[0]) and "up before the push" in str(missing[0])


def who_rid(inv: Inventory, host: str) -> str:
    h = inv.hosts[host]
    assert h.loopback is not None
    return str(h.loopback.ip)


def test_an_adjacency_the_intent_removes_is_not_required(inv: Inventory) -> None:
    intended = [n for n in intended_neighbours(inv, "dc-fw-1") if n.peer_host != "dc-core-1"]
    who = PeerNames(inv, "dc-fw-1", intended)
    kept = kept_adjacencies(_up_as_before(inv, "dc-fw-1"), intended, who)
    assert [k.peer_host for k in kept] == ["dc-core-2"]


def test_an_unknown_router_on_an_ospf_interface_is_kept(inv: Inventory) -> None:
    intended = intended_neighbours(inv, "dc-fw-1")
    who = PeerNames(inv, "dc-fw-1", intended)
    lab_if = intended[0].lab_interface
    stranger = Adjacency("ospf", "10.124.0.77", lab_if, "192.0.2.1")
    kept = kept_adjacencies(frozenset({stranger}), intended, who)
    assert kept == [Kept(stranger, "")]
    gone = Adjacency("ospf", "10.124.0.77", "ge7-7-7", "192.0.2.1")  # no OSPF intended there
    assert kept_adjacencies(frozenset({gone}), intended, who) == []


def test_an_intended_adjacency_to_a_deployed_peer_replaces_the_kept_one(inv: Inventory) -> None:
    intended = intended_neighbours(inv, "dc-fw-1")
    who = PeerNames(inv, "dc-fw-1", intended)
    before = _up_as_before(inv, "dc-fw-1")
    required = required_after(before, intended, who, configured_in_run=lambda peer: peer == "dc-core-1")
    by_peer = {r.peer_host: r for r in required}
    assert isinstance(by_peer["dc-core-1"], Neighbour)  # the stricter: at the intended address
    assert isinstance(by_peer["dc-core-2"], Kept)
    assert len(required) == 2


def test_bgp_sessions_are_known_by_the_peers_hostname(inv: Inventory) -> None:
    host = next(h for h in inv.hosts if inv.bgp_sessions[h])
    intended = intended_neighbours(inv, host)
    who = PeerNames(inv, host, intended)
    s = next(n for n in intended if n.protocol == "bgp")
    before = frozenset({Adjacency("bgp", s.address, hostname=s.peer_host)})
    (kept,) = kept_adjacencies(before, intended, who)
    assert kept.peer_host == s.peer_host
    assert kept.seen_in(frozenset({Adjacency("bgp", "10.124.9.9", hostname=s.peer_host)}), who)
