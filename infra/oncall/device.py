"""Device page and `/api/device/{host}`: status, interfaces with traffic and error charts,
neighbours, recent journal entries, last backup, compliance score, VC readiness (codecs) and node
facts (servers).

Prometheus's queries and the blocking reads of infra's own state (journal, backup repository,
compliance engine) run concurrently; a Prometheus that does not answer is a banner, and the page
still shows what the inventory and the state know.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.inventory import Host, Inventory, Role
from infra.monitoring.labels import interface_name_on_device
from infra.monitoring.snmp_modules import snmp_modules
from infra.oncall.board import Board, board_of
from infra.oncall.charts import si
from infra.oncall.device_facts import (
    Compliance,
    ComplianceCache,
    JournalLine,
    LastBackup,
    journal_lines,
    last_backup,
)
from infra.oncall.device_metrics import RANGES, device_metrics
from infra.oncall.device_pick import CHART_AT_MOST
from infra.oncall.device_tables import interface_rows, neighbour_rows
from infra.oncall.device_view import DeviceView, device_view

COMPLIANCE = ComplianceCache()  # per process: a score is kept a minute


def host_or_404(request: Request) -> Host:
    name = request.path_params["host"]
    host = board_of(request).inventory.hosts.get(name)
    if host is None:
        raise HTTPException(404, f"no device named {name!r} in the inventory")
    return host


def range_of(request: Request) -> str:
    """`?range=1h|6h|24h` (default 1h); anything else is the caller's mistake: 400."""
    asked = request.query_params.get("range", "1h")
    if asked not in RANGES:
        raise HTTPException(400, f"range must be one of {', '.join(RANGES)}, not {asked[:40]!r}")
    return asked


def device_if_names(inv: Inventory, host: Host) -> list[str]:
    """The device's interfaces as it names them (ifName), in the inventory's order; no loopback
    (it carries no traffic worth a chart, and the table leaves it out too)."""
    return [
        interface_name_on_device(inv, i.name, i.lab_name)
        for i in inv.interfaces.get(host.name, ())
        if i.kind != "loopback"
    ]


def interface_of(request: Request, if_names: list[str]) -> str | None:
    """`?if=NAME`: one interface of the device to chart (its inventory name or its ifName), as its
    ifName; None when not asked. Anything not an interface of this device: 400."""
    asked = request.query_params.get("if")
    if asked is None:
        return None
    if asked in if_names:
        return asked
    inv = board_of(request).inventory
    for i in inv.interfaces.get(request.path_params["host"], ()):
        if i.name == asked and i.kind != "loopback":
            return interface_name_on_device(inv, i.name, i.lab_name)
    raise HTTPException(400, f"no interface named {asked[:60]!r} on this device")


def state_facts(
    inv: Inventory, journal: Path, backups: Path, host: str
) -> tuple[list[JournalLine], LastBackup | None, Compliance, list[str]]:
    """The journal, backup and compliance facts, each on its own: one failing leaves the others."""
    problems: list[str] = []
    lines: list[JournalLine] = []
    backup: LastBackup | None = None
    compliance = Compliance(None, note="not computed")
    try:
        lines = journal_lines(journal, host)
    except Exception as exc:  # a locked or damaged journal: say so, keep the page
        problems.append(f"the journal could not be read ({type(exc).__name__})")
    try:
        backup = last_backup(backups, host)
    except Exception as exc:
        problems.append(f"the backup repository could not be read ({type(exc).__name__})")
    compliance = COMPLIANCE.score(inv, backups, host)
    return lines, backup, compliance, problems


async def build(board: Board, host: Host, range_name: str, request: Request) -> DeviceView:
    inv = board.inventory
    modules = snmp_modules(inv, host)
    if_names = device_if_names(inv, host)
    chosen = interface_of(request, if_names)
    state = board.settings.state
    snap, (metrics, problems), (lines, backup, compliance, state_problems) = await asyncio.gather(
        board.snapshot(),
        device_metrics(
            board.sources,
            host.name,
            time.time(),
            RANGES[range_name],
            interfaces="if_mib" in modules,
            ospf="ospf" in modules,
            bgp="bgp4" in modules,
            vc=host.role == Role.VC_ENDPOINT,
            server=host.role == Role.SERVER,
            if_names=if_names,
            chosen=chosen,
            chart_at_most=CHART_AT_MOST,
        ),
        asyncio.to_thread(state_facts, inv, state.journal, state.backups, host.name),
    )
    return device_view(
        inv, host, snap, metrics, problems + state_problems, range_name, lines, backup, compliance, chosen
    )


async def device_page(request: Request) -> Response:
    board = board_of(request)
    host = host_or_404(request)
    view = await build(board, host, range_of(request), request)
    return board.render(
        request,
        "device.html.j2",
        host=host,
        view=view,
        ranges=list(RANGES),
        si=si,
        interface_rows=interface_rows(view),
        neighbour_rows=neighbour_rows(view),
    )


async def device_api(request: Request) -> Response:
    board = board_of(request)
    host = host_or_404(request)
    view = await build(board, host, range_of(request), request)
    return JSONResponse(view.as_json(), headers={"Cache-Control": "no-store"})


ROUTES = [Route("/device/{host}", device_page), Route("/api/device/{host}", device_api)]
