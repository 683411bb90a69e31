"""Every FRR refusal text of infra/drivers/refusals.py, provoked on a real FRR 8.4 through the
real FRR driver: the push fails with CommandRejected naming the line and FRR's answer, and the
refused line changed nothing (the running config is still the intent)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.drivers import Change, CommandRejected, Driver, driver_for
from infra.drivers.configtree import compare, parse
from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY
from tests.deploy.frr_ssh_scratch import available, scratch_router

pytestmark = pytest.mark.lab

HOST = "cpe-so-noi-vu"  # BGP to the carrier, OSPF over the tunnel


class Router:
    def __init__(self, dev: Driver, intended: str) -> None:
        self.dev, self.intended = dev, intended
        tree = parse("frr", intended)
        bgp = tree.get_children(startswith="router bgp ")
        self.asn = next(iter(bgp)).text.split()[2]
        self.ospf_if = next(
            s.text.split()[1]
            for s in tree.get_children(startswith="interface ")
            if any(c.text.startswith("ip ospf area ") for c in s.children)
        )
        self.stub_if = next(
            s.text.split()[1]
            for s in tree.get_children(startswith="interface ")
            if s.text.split()[1] not in ("lo", "mgmt0", self.ospf_if)
        )


@pytest.fixture(scope="module")
def router() -> Iterator[Router]:
    why = available()
    if why:
        pytest.skip(why)
    inv: Inventory = load_inventory(INVENTORY)
    intended = render_host(inv, HOST, Platform.FRR)
    interfaces = sorted({i.lab_name for i in inv.interfaces[HOST]})
    with scratch_router(HOST, interfaces, "refusals") as target, driver_for("frr")(target) as dev:
        dev.load_candidate(intended)
        dev.commit()
        assert dev.compare().empty
        yield Router(dev, intended)


# (lines, FRR's answer); `{asn}`, `{ospf_if}`, `{stub_if}` come from the rendered intent
CASES = [
    (("line vty", " no exec-timeout 9 0"), "% Unknown command: +no exec-timeout 9 0"),
    (
        ("interface {ospf_if}", " ip ospf area 7"),
        "Must remove previous area config before changing ospf area",
    ),
    (("interface {ospf_if}", " ip ospf"), "% Command incomplete: +ip ospf"),
    (("interface mgmt0", " no ip ospf area"), "Can't find specified interface area configuration"),
    (("interface mgmt0", " no ip address 10.9.9.9/24"), "% Can't find address"),
    (
        ("router bgp {asn}", " no neighbor 10.9.9.9 password x"),
        "% Specify remote-as or peer-group commands first",
    ),
    (("router bgp 1",), "BGP is already running; AS is {asn}"),
    (("router bgp {asn}", " timers bgp 10 2"), "% hold time value must be either 0 or greater than 3"),
    (("router ospf", " no ospf router-id 10.9.9.9"), "% OSPF router-id doesn't match"),
    (("router ospf", " network 10.9.0.0/16 area 0"), "Please remove all ip ospf area x.x.x.x commands first"),
    (("no router ospf 5",), "% OSPF is not running in instance mode"),
    (("line vty", " no access-class nosuch"), "Access-class is not currently applied to vty"),
    (("interface {ospf_if}", " no ip ospf message-digest-key 3 md5 abc"), "OSPF: Key 3 does not exist"),
    (("no ip route 10.9.0.0/16 10.9.9.9",), "% Refusing to remove a non-existent route"),
    (("no interface {stub_if}",), "% Configuration failed"),
]


@pytest.mark.parametrize(("lines", "answer"), CASES, ids=[a.split(":")[0][:40] for _, a in CASES])
def test_frr_refusal_fails_the_push(router: Router, lines: tuple[str, ...], answer: str) -> None:
    names = {"asn": router.asn, "ospf_if": router.ospf_if, "stub_if": router.stub_if}
    sent = tuple(line.format(**names) for line in lines)
    with pytest.raises(CommandRejected, match=answer.format(**names)) as err:
        router.dev.commit(Change(sent, ""))
    assert router.dev.target.host in str(err.value)
    assert compare("frr", router.dev.get_running_config(), router.intended).empty
