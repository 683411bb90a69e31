"""The Device page of a device with more interfaces than it charts, through a real Prometheus:
only the interfaces that matter are charted (a down one, an erroring one, the busiest, picked
by Prometheus's topk), every interface is a row of the table, `?if=` charts one on demand and a
bad one is 400; a router with few interfaces is charted whole, as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.inventory import Inventory
from infra.oncall import device
from infra.oncall.device_pick import BUSIEST, DOWN, ERRORS, chart_note, ifname_regex, pick, re2_literal
from tests.oncall.conftest import Exposition, board_client, wait_for
from tests.oncall.test_device_page import dead_url, prometheus_value, svgs

MANY = "tslcd-pe-1"  # 22 interfaces (mgmt0, eth1..eth21), ifName = the inventory name
FEW = "dc-core-1"  # 7 interfaces, its GigabitEthernet0/0/N reports ifName ge0-0-N
DOWN_IF, ERRORING_IF, BUSIEST_IF = "eth3", "eth7", "eth12"
QUIETER = ("eth1", "eth2", "eth5", "eth9")  # traffic, less than the busiest's
AT_MOST = 3


def series(step: int) -> str:
    """MANY's and FEW's counters at scrape round `step` (1 or 2): they grow between the two."""
    lines = []
    many = f'host="{MANY}"'
    for n, name in enumerate((*QUIETER, BUSIEST_IF, DOWN_IF, ERRORING_IF)):
        octets = step * 1_000_000 * (n + 1) if name in (*QUIETER, BUSIEST_IF) else 5_000
        lines += [
            f'ifHCInOctets{{{many},ifName="{name}"}} {octets}',
            f'ifHCOutOctets{{{many},ifName="{name}"}} {octets // 4}',
            f'ifInErrors{{{many},ifName="{name}"}} {step * 40 if name == ERRORING_IF else 0}',
            f'ifOutErrors{{{many},ifName="{name}"}} 0',
            f'ifOperStatus{{{many},ifName="{name}"}} {2 if name == DOWN_IF else 1}',
        ]
    few = f'host="{FEW}"'
    for name in ("ge0-0-1", "ge0-0-2"):
        lines += [
            f'ifHCInOctets{{{few},ifName="{name}"}} {step * 3_000_000}',
            f'ifHCOutOctets{{{few},ifName="{name}"}} {step * 1_000_000}',
            f'ifInErrors{{{few},ifName="{name}"}} 0',
            f'ifOutErrors{{{few},ifName="{name}"}} 0',
            f'ifOperStatus{{{few},ifName="{name}"}} 1',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def grown(exposition: tuple[Exposition, str], prometheus: str) -> Iterator[str]:
    """Prometheus has scraped MANY's and FEW's counters at two values (others' series stay)."""
    metrics, _ = exposition
    base = metrics.text
    metrics.set(base + series(1))
    query = f'ifInErrors{{host="{MANY}",ifName="{ERRORING_IF}"}}'
    wait_for("the first counters", lambda: prometheus_value(prometheus, query) == 40)
    metrics.set(base + series(2))
    wait_for("the grown counters", lambda: prometheus_value(prometheus, query) == 80)
    yield prometheus


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chart at most 3 interfaces, so 22 are many and the picking is exact."""
    monkeypatch.setattr(device, "CHART_AT_MOST", AT_MOST)


def charted(view: dict[str, Any]) -> dict[str, str]:
    return {i["if_name"]: i["charted"] for i in view["interfaces"] if i["charted"]}


def drawn(view: dict[str, Any]) -> set[str]:
    """The interfaces whose lines the JSON carries (what the page draws)."""
    return {i["if_name"] for i in view["interfaces"] if i["traffic"] or i["errors"]}


def test_many_interfaces_chart_the_down_the_erroring_and_the_busiest(
    example_inventory: Inventory, grown: str, three: None, tmp_path: Path
) -> None:
    with board_client(example_inventory, grown, dead_url(), tmp_path) as client:
        view = wait_for(
            "rates for every interface with traffic",
            lambda: (
                (v := client.get(f"/api/device/{MANY}").json())
                and charted(v).get(BUSIEST_IF) == BUSIEST
                and v
            ),
            timeout=60,
        )
        page = client.get(f"/device/{MANY}").text
    assert charted(view) == {DOWN_IF: DOWN, ERRORING_IF: ERRORS, BUSIEST_IF: BUSIEST}
    assert drawn(view) == {DOWN_IF, ERRORING_IF, BUSIEST_IF}  # nobody else's lines fetched
    assert len(view["interfaces"]) == 22  # every interface is a row
    rows = {i["if_name"]: i for i in view["interfaces"]}
    assert rows[DOWN_IF]["oper"] == "down" and rows["eth20"]["oper"] == "unknown"
    # the table's current rates come from one instant query, charted or not
    assert rows["eth1"]["in_bps"] > 0 and not rows["eth1"]["traffic"]
    assert rows[BUSIEST_IF]["in_bps"] > rows["eth9"]["in_bps"] > rows["eth1"]["in_bps"]
    assert view["chart_note"].startswith("Charted 3 of 22 interfaces: 1 down, 1 with errors, 1 busiest;")

    labels = {svg.attrib["aria-label"] for svg in svgs(page)}
    assert labels == {f"{n} {k}" for n in (DOWN_IF, ERRORING_IF, BUSIEST_IF) for k in ("traffic", "errors")}
    assert "1 busiest; every interface is in the table below" in page
    assert len(re.findall(r'<tr class="[a-z]+" data-ifname="', page)) == 22
    assert 'href="?if=eth1"' in page  # each row charts its interface on demand


def test_if_charts_one_interface_and_a_bad_one_is_400(
    example_inventory: Inventory, grown: str, three: None, tmp_path: Path
) -> None:
    with board_client(example_inventory, grown, dead_url(), tmp_path) as client:
        view = client.get(f"/api/device/{MANY}", params={"if": "eth9", "range": "6h"}).json()
        page = client.get(f"/device/{MANY}", params={"if": "eth9"}).text
        # the inventory's name of an interface the device calls otherwise
        by_name = client.get(f"/api/device/{FEW}", params={"if": "GigabitEthernet0/0/2"}).json()
        for host, bad in ((MANY, "eth99"), (MANY, "lo"), (FEW, "eth1"), (MANY, 'e.*"}')):
            for path in (f"/device/{host}", f"/api/device/{host}"):
                answer = client.get(path, params={"if": bad})
                assert answer.status_code == 400, (path, bad)
                assert "no interface named" in answer.text and "Traceback" not in answer.text
    assert charted(view) == {"eth9": "asked"} and drawn(view) == {"eth9"} and view["range"] == "6h"
    assert view["asked_interface"] == "eth9" and len(view["interfaces"]) == 22
    assert {svg.attrib["aria-label"] for svg in svgs(page)} == {"eth9 traffic", "eth9 errors"}
    assert "Charted: eth9 only, as asked" in page and 'href="?range=6h&amp;if=eth9"' in page
    assert charted(by_name) == {"ge0-0-2": "asked"} and drawn(by_name) == {"ge0-0-2"}


def test_a_router_with_few_interfaces_charts_them_all(
    example_inventory: Inventory, grown: str, tmp_path: Path
) -> None:
    with board_client(example_inventory, grown, dead_url(), tmp_path) as client:
        view = wait_for(
            "two charted interfaces",
            lambda: (v := client.get(f"/api/device/{FEW}").json()) and len(drawn(v)) == 2 and v,
        )
        page = client.get(f"/device/{FEW}").text
    assert len(view["interfaces"]) == 7 and set(charted(view).values()) == {"all"}
    assert drawn(view) == {"ge0-0-1", "ge0-0-2"} and view["chart_note"] == ""
    labels = {svg.attrib["aria-label"] for svg in svgs(page)}
    assert labels == {f"GigabitEthernet0/0/{n} {k}" for n in (1, 2) for k in ("traffic", "errors")}
    assert "?if=" not in page and "Charted:" not in page  # the page as it was


def test_ifname_regex_matches_exactly_the_names() -> None:
    names = ["GigabitEthernet0/0/1.100", "Tunnel(1)", "a|b", "x+y*z?", "[v]", "^$\\"]
    pattern = re.compile(ifname_regex(names))
    assert all(pattern.fullmatch(n) for n in names)
    assert not any(pattern.fullmatch(n) for n in ("GigabitEthernet0/0/1x100", "Tunnel1", "a", "b", "v"))
    assert re2_literal("ge0-0-1") == "ge0-0-1"


def test_pick_orders_down_errors_busiest_and_keeps_to_the_inventory() -> None:
    known = [f"t{n}" for n in range(10)]
    oper = {"t1": 2, "t2": 1, "t3": 7, "stray": 2}
    got = pick(known, oper, {"t4": 5, "t5": 9, "stray": 99}, {"t6": 1e9, "t5": 1e10, "t7": 3}, n=4)
    # three places for down and erroring, one kept for the busiest (t5 is already in, for errors)
    assert list(got.why.items()) == [("t1", DOWN), ("t3", DOWN), ("t5", ERRORS), ("t6", BUSIEST)]
    assert got.down == 2 and got.erroring == 2
    assert pick(known, {}, {}, {"t6": 1.0}, n=4).why == {"t6": BUSIEST}
    # no busiest at all: the kept place goes to the next erroring one
    assert list(pick(known, oper, {"t4": 5, "t5": 9}, {}, n=4).why) == ["t1", "t3", "t5", "t4"]


def test_many_down_leave_places_for_the_busiest() -> None:
    known = [f"Tunnel{n}" for n in range(100)]
    got = pick(known, dict.fromkeys(known[:50], 2.0), {}, {"Tunnel90": 5.0, "Tunnel91": 9.0}, n=12)
    assert sum(w == DOWN for w in got.why.values()) == 10 and got.down == 50
    assert got.why["Tunnel90"] == got.why["Tunnel91"] == BUSIEST
    assert chart_note(got, 2400) == (
        "Charted 12 of 2,400 interfaces: 10 down (of 50), 2 busiest; every interface is in the table "
        "below (its name charts it)."
    )
