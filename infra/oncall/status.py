"""`/api/status`: whether the board's sources answer (what the banners say)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.oncall.board import board_of


async def status_api(request: Request) -> Response:
    snap = await board_of(request).snapshot()
    return JSONResponse(
        {"problems": snap.problems, "alerts_known": snap.alerts_known, "taken": snap.taken.isoformat()}
    )


ROUTES = [Route("/api/status", status_api)]
