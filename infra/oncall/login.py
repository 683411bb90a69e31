"""/login and /logout: the form, the password check behind the rate limit, the session.

The login form carries a CSRF token too (made when the form is shown), so another site cannot log
a browser into the board under an account of its choosing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from infra.oncall.auth import (
    CSRF_FIELD,
    access_of,
    csrf_ok,
    csrf_token,
    end_session,
    safe_next,
    start_session,
)
from infra.oncall.board import board_of

MAX_NAME = 64
MAX_PASSWORD = 1024


def _form_page(request: Request, status: int, next_url: str, error: str = "", username: str = "") -> Response:
    request.scope["board_csrf"] = csrf_token(request)  # the form's hidden field (base.html.j2 reads it)
    return board_of(request).render(
        request,
        "login.html.j2",
        status_code=status,
        next_url=next_url,
        error=error,
        username=username,
        problems=[],
    )


async def login_form(request: Request) -> Response:
    return _form_page(request, 200, safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    access = access_of(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()[:MAX_NAME]
    password = str(form.get("password") or "")[:MAX_PASSWORD]
    next_url = safe_next(str(form.get("next") or ""))
    if not csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
        return _form_page(request, 403, next_url, "The form had expired. Please log in again.", username)
    address = request.client.host if request.client else "-"
    wait = access.limiter.retry_after(address, username)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        page = _form_page(
            request, 429, next_url, f"Too many failed logins. Try again in about {minutes} min.", username
        )
        page.headers["Retry-After"] = str(wait)
        return page
    user = await access.users.check_async(username, password)
    if user is None:
        access.limiter.failed(address, username)
        return _form_page(request, 401, next_url, "Wrong user name or password.", username)
    access.limiter.succeeded(address, username)
    start_session(request, user)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
        return board_of(request).render(
            request, "error.html.j2", status_code=403, status=403, detail="missing or wrong CSRF token"
        )
    end_session(request)
    return RedirectResponse("/province", status_code=303)


async def session_api(request: Request) -> Response:
    """Who this session is, and the CSRF token its JSON requests send as X-CSRF-Token."""
    user = access_of(request).user(request)
    if user is None:
        return JSONResponse({"user": None})
    return JSONResponse(
        {
            "user": user.name,
            "full_name": user.full_name,
            "role": user.role.value,
            "csrf_token": csrf_token(request),
        }
    )


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/api/session", session_api),
]
