"""Silences page. (Skeleton: read-only list; creating and expiring, behind a login, come with the
full page.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.oncall.board import board_of
from infra.oncall.sources import Silence, SourceDown


async def _silences(request: Request) -> tuple[list[Silence], list[str]]:
    try:
        found = await board_of(request).sources.silences()
    except SourceDown as exc:
        return [], [f"Alertmanager is not answering ({exc})"]
    return [s for s in found if s.state != "expired"], []


async def silences_page(request: Request) -> Response:
    silences, problems = await _silences(request)
    return board_of(request).render(request, "silences.html.j2", silences=silences, problems=problems)


async def silences_api(request: Request) -> Response:
    silences, problems = await _silences(request)
    return JSONResponse(
        {
            "problems": problems,
            "silences": [
                {
                    "id": s.id,
                    "created_by": s.created_by,
                    "comment": s.comment,
                    "ends_at": s.ends_at.isoformat(),
                    "state": s.state,
                    "matchers": [m.as_api() for m in s.matchers],
                }
                for s in silences
            ],
        }
    )


ROUTES = [Route("/silences", silences_page), Route("/api/silences", silences_api)]
