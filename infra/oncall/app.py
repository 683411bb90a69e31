"""The board's web application: routes, security headers, static files.

`create_app(settings)` is what `infra oncall serve` runs under uvicorn and what tests drive with
Starlette's TestClient. Each page lives in its own module; this file only wires them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.oncall import pages
from infra.oncall.auth import SESSION_COOKIE, Access, SessionUser, Users, login_target
from infra.oncall.board import Board, board_of
from infra.oncall.settings import BoardSettings
from infra.oncall.sources import Sources

STATIC = Path(__file__).with_name("static")

# No inline script or style anywhere: a page that needs one is a bug the browser tests catch.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


MAX_BODY = 64 * 1024  # a login or a silence is a few hundred bytes


class BodyLimit:
    """Refuse a request body over MAX_BODY (413) before any handler reads it: declared by
    Content-Length or found while streaming a chunked body."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"error": f"request body over {self.limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class ReadAccess:
    """Reading needs no login from the management network (`read_networks`); elsewhere it does."""

    def __init__(self, app: ASGIApp, settings: BoardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        open_paths = path.startswith(("/static/", "/login", "/-/"))
        if scope["type"] != "http" or open_paths or scope.get("board_user") is not None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if self.settings.reads_without_login(client[0] if client else None):
            await self.app(scope, receive, send)
            return
        if path.startswith("/api/"):
            response: Response = JSONResponse({"error": "log in to read the board"}, status_code=401)
        else:
            response = RedirectResponse(login_target(scope), status_code=303)
        await response(scope, receive, send)


async def healthy(request: Request) -> Response:
    return PlainTextResponse("ok\n")


async def home(request: Request) -> Response:
    return RedirectResponse("/province", status_code=307)


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "the board failed on this request"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=status)
    return board_of(request).render(
        request, "error.html.j2", status_code=status, status=status, detail=detail
    )


def routes() -> list[Route | Mount]:
    return [
        Route("/", home),
        Route("/-/healthy", healthy),
        *pages.routes(),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: BoardSettings, sources: Sources | None = None) -> Starlette:
    board = Board(settings, sources)
    access = Access(Users(settings.users), settings.read_networks, settings.session_hours)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await board.sources.close()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(GZipMiddleware, minimum_size=1024),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit),
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_key or secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                max_age=settings.session_hours * 3600,
                same_site="strict",
            ),
            Middleware(SessionUser, access=access),
            Middleware(ReadAccess, settings=settings),
        ],
        exception_handlers={HTTPException: not_found},
        lifespan=lifespan,
    )
    app.state.board = board
    app.state.access = access
    return app
