"""Alerts page. (Skeleton: a flat list, newest first; grouping by root cause, runbooks inline and
"what changed" come with the full page.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.oncall.board import board_of


async def alerts_page(request: Request) -> Response:
    board = board_of(request)
    snap = await board.snapshot()
    alerts = sorted(snap.alerts, key=lambda a: a.starts_at, reverse=True)
    return board.render(request, "alerts.html.j2", snap=snap, alerts=alerts)


async def alerts_api(request: Request) -> Response:
    snap = await board_of(request).snapshot()
    return JSONResponse(
        {
            "problems": snap.problems,
            "alerts": [
                {
                    "name": a.name,
                    "labels": dict(a.labels),
                    "starts_at": a.starts_at.isoformat(),
                    "active": a.active,
                    "fingerprint": a.fingerprint,
                }
                for a in snap.alerts
            ],
        }
    )


ROUTES = [Route("/alerts", alerts_page), Route("/api/alerts", alerts_api)]
