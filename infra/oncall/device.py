"""Device page. (Skeleton: the device's inventory facts and its alerts; interfaces, charts,
neighbours, journal, backup, compliance and VC readiness come with the full page.)"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.inventory import Host
from infra.oncall.board import board_of


def host_or_404(request: Request) -> Host:
    name = request.path_params["host"]
    host = board_of(request).inventory.hosts.get(name)
    if host is None:
        raise HTTPException(404, f"no device named {name!r} in the inventory")
    return host


async def device_page(request: Request) -> Response:
    board = board_of(request)
    host = host_or_404(request)
    snap = await board.snapshot()
    alerts = [a for a in snap.alerts if a.host == host.name]
    return board.render(request, "device.html.j2", snap=snap, host=host, alerts=alerts)


async def device_api(request: Request) -> Response:
    host = host_or_404(request)
    snap = await board_of(request).snapshot()
    return JSONResponse(
        {
            "problems": snap.problems,
            "host": host.name,
            "site": host.site,
            "role": str(host.role),
            "alerts": [a.name for a in snap.alerts if a.host == host.name],
        }
    )


ROUTES = [Route("/device/{host}", device_page), Route("/api/device/{host}", device_api)]
