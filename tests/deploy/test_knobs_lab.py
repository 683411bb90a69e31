"""Every knob FRR renders, deployed A -> B -> A on a real FRR 8.4 through the real FRR driver
(Netmiko over SSH into vtysh): FRR accepts every remediation line, and after each push the
running configuration equals the intent as a tree (no drift).

One scratch router per device the knobs touch (tests/deploy/frr_ssh_scratch.py, its own
namespaces; the lab is not used). The same knobs are the IOS/VRP golden cases
(test_knobs_golden.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.drivers import Change, CommandRejected, Driver, driver_for
from infra.drivers.configtree import compare, parse
from infra.inventory import Inventory, Platform, load_inventory
from infra.render import render_host
from tests.conftest import INVENTORY
from tests.deploy.frr_ssh_scratch import available, scratch_router
from tests.deploy.knobs import KNOB_SECRETS, KNOBS, Knob

pytestmark = pytest.mark.lab

FRR_KNOBS = [k for k in KNOBS if k.frr]
HOSTS = sorted({k.frr for k in FRR_KNOBS if k.frr})


@pytest.fixture(scope="module")
def example() -> Iterator[Inventory]:
    why = available()
    if why:
        pytest.skip(why)
    saved = {k: os.environ.get(k) for k in KNOB_SECRETS}
    os.environ.update(KNOB_SECRETS)
    yield load_inventory(INVENTORY)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _interfaces(inv: Inventory, host: str) -> list[str]:
    return sorted({i.lab_name for i in inv.interfaces[host]})


def _deploy(dev: Driver, inv: Inventory, intended: str, what: str) -> Change:
    """Push the remediation to `intended`; FRR must take every line and then show no drift."""
    dev.load_candidate(intended)
    try:
        change = dev.commit()
    except CommandRejected as exc:
        pytest.fail(f"{what}: FRR refused the remediation: {inv.secrets.mask(str(exc))}")
    drift = dev.compare()
    assert drift.empty, (
        f"{what}: running differs from the intent after the push:\n{inv.secrets.mask(drift.diff)}"
    )
    return change


@pytest.fixture(scope="module")
def routers(example: Inventory) -> Iterator[dict[str, Driver]]:
    """One scratch router per device, each deployed to A (the example province's intent)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        made: dict[str, Driver] = {}
        for n, host in enumerate(HOSTS):
            target = stack.enter_context(scratch_router(host, _interfaces(example, host), f"k{n}"))
            dev = driver_for("frr")(target)
            stack.enter_context(dev)
            _deploy(dev, example, render_host(example, host, Platform.FRR), f"{host} day-0 -> A")
            made[host] = dev
        yield made


@pytest.mark.parametrize("knob", FRR_KNOBS, ids=[k.name for k in FRR_KNOBS])
def test_knob_deployed_and_back_on_frr(
    example: Inventory, routers: dict[str, Driver], knob: Knob, tmp_path: Path
) -> None:
    assert knob.frr
    dev = routers[knob.frr]
    variant = knob.variant(tmp_path)
    a = render_host(example, knob.frr, Platform.FRR)
    b = render_host(variant, knob.frr, Platform.FRR)
    assert dev.compare().empty, f"{knob.frr} is not at A before {knob.name}"
    there = _deploy(dev, variant, b, f"{knob.name} A -> B")
    assert there.remediation, f"{knob.name}: nothing pushed"
    back = _deploy(dev, example, a, f"{knob.name} B -> A")
    assert back.remediation


def test_frr_refusal_of_an_area_change_fails_the_push_before_read_back(
    example: Inventory, routers: dict[str, Driver]
) -> None:
    """The raw area change (no negation first) is refused by FRR, and the driver says so."""
    host = "dc-core-1"
    dev = routers[host]
    a = render_host(example, host, Platform.FRR)
    iface = next(
        section.text.split()[1]
        for section in parse("frr", a).get_children(startswith="interface ")
        if section.get_child(equals="ip ospf area 0")
    )
    raw = Change((f"interface {iface}", " ip ospf area 7", "exit"), "")
    with pytest.raises(CommandRejected, match="Must remove previous area config"):
        dev.commit(raw)
    assert compare("frr", dev.get_running_config(), a).empty  # nothing changed, session usable


def test_frr_refusal_of_a_wrong_negation_fails_the_push(
    example: Inventory, routers: dict[str, Driver]
) -> None:
    dev = routers["cpe-so-noi-vu"]
    with pytest.raises(CommandRejected, match=r"Unknown command: +no exec-timeout 9 0"):
        dev.commit(Change(("line vty", " no exec-timeout 9 0", "exit"), ""))


def test_every_device_deploys_from_day0_and_back_without_a_refusal(example: Inventory) -> None:
    """Each network device's whole intent pushed through the driver onto a day-0 router and
    taken back to day-0: no line refused (no refusal pattern fires on a success answer), no
    drift either way."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.deploy.frr_ssh_scratch import day0

    hosts = [h.name for h in example.hosts.values() if h.is_network_device]
    intents = {h: render_host(example, h, Platform.FRR) for h in hosts}  # secrets before threads

    def one(n: int, host: str) -> str:
        with (
            scratch_router(host, _interfaces(example, host), f"d{n}") as target,
            driver_for("frr")(target) as dev,
        ):
            _deploy(dev, example, intents[host], f"{host} day-0 -> A")
            _deploy(dev, example, day0(host), f"{host} A -> day-0")
        return host

    with ThreadPoolExecutor(4) as pool:  # scratch routers at once; the machine has 2 cores
        done = list(pool.map(one, range(len(hosts)), hosts))
    assert done == hosts
