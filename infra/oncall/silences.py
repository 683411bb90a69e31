"""Silences page and API: list the active and pending silences, create one (scoped from an alert
in one click: /silences?alert=FINGERPRINT&matchers=LINES), expire one.

Creating and expiring need a logged-in operator and the session's CSRF token (form field or
X-CSRF-Token header). The author Alertmanager records is always the logged-in user: a name in the
request is ignored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from infra.oncall.auth import CSRF_FIELD, CSRF_HEADER, Refused, User, access_of, api_error, require_operator
from infra.oncall.board import board_of
from infra.oncall.silence_rules import (
    MAX_MATCHERS,
    MAX_VALUE,
    BadSilence,
    Draft,
    check_silence,
    ends_at_from_json,
    matcher_lines,
    parse_duration,
    parse_matcher_json,
    parse_matcher_lines,
    scope_of,
)
from infra.oncall.sources import Alert, Silence, SourceDown

FINGERPRINT = re.compile(r"^[0-9a-f]{1,32}$")
SILENCE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
DEFAULT_DURATION = "2h"
MAX_BODY = 64 * 1024


def _api(silence: Silence) -> dict[str, Any]:
    return {
        "id": silence.id,
        "created_by": silence.created_by,
        "comment": silence.comment,
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "state": silence.state,
        "matchers": [m.as_api() for m in silence.matchers],
    }


async def _silences(request: Request) -> tuple[list[Silence], list[str]]:
    try:
        found = await board_of(request).sources.silences()
    except SourceDown as exc:
        return [], [f"Alertmanager is not answering ({exc})"]
    current = [s for s in found if s.state in ("active", "pending")]
    return sorted(current, key=lambda s: (s.state != "active", s.ends_at)), []


async def _alert(request: Request, fingerprint: str) -> Alert | None:
    snapshot = await board_of(request).snapshot()
    return next((a for a in snapshot.alerts if a.fingerprint == fingerprint), None)


class _BadLink(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def _scope_from_link(request: Request, fingerprint: str) -> tuple[Alert | None, str]:
    """The alert an Alerts page's Silence link names, and the matchers that silence it.

    The link also carries the matchers the alert had when the page was drawn, as Alertmanager's own
    Silence button does: an alert that resolved (or flapped) since, or an Alertmanager too slow to
    answer this once, still gives the operator the form filled in, not a dead end."""
    if not FINGERPRINT.match(fingerprint):
        raise _BadLink(400, "alert= is not a fingerprint")
    alert = await _alert(request, fingerprint)
    if alert is not None:
        return alert, matcher_lines(scope_of(alert.labels))
    drawn = request.query_params.get("matchers", "")
    if not drawn.strip():
        raise _BadLink(404, f"no alert {fingerprint} at Alertmanager (it may have resolved)")
    if len(drawn) > MAX_MATCHERS * (MAX_VALUE + 100):
        raise _BadLink(400, "matchers=: too long")
    try:
        matchers = parse_matcher_lines(drawn)
    except BadSilence as exc:
        raise _BadLink(400, f"matchers=: {exc}") from None
    if not matchers or len(matchers) > MAX_MATCHERS:
        raise _BadLink(400, f"matchers=: between 1 and {MAX_MATCHERS} matchers")
    return None, matcher_lines(matchers)


async def _page(
    request: Request, status: int = 200, error: str = "", form: dict[str, str] | None = None
) -> Response:
    board = board_of(request)
    alert: Alert | None = None
    gone = ""  # the alert the link named, no longer at Alertmanager
    fingerprint = request.query_params.get("alert")
    if form is None:
        form = {"matchers": "", "comment": "", "duration": DEFAULT_DURATION}
        if fingerprint is not None and request.query_params.get("part") != "live":  # the form is not live
            try:
                alert, form["matchers"] = await _scope_from_link(request, fingerprint)
            except _BadLink as exc:
                return board.render(
                    request, "error.html.j2", status_code=exc.status, status=exc.status, detail=str(exc)
                )
            gone = "" if alert is not None else fingerprint
    created = request.query_params.get("created", "")
    silences, problems = await _silences(request)
    return board.render(
        request,
        "silences.html.j2",
        status_code=status,
        silences=silences,
        problems=problems,
        error=error,
        form=form,
        alert=alert,
        gone=gone,
        created=created if SILENCE_ID.match(created) else "",
    )


async def silences_page(request: Request) -> Response:
    return await _page(request)


async def silences_api(request: Request) -> Response:
    silences, problems = await _silences(request)
    return JSONResponse({"problems": problems, "silences": [_api(s) for s in silences]})


async def _create(request: Request, user: User, draft: Draft) -> str:
    """The new silence's id; ValueError is Alertmanager's refusal, SourceDown its silence."""
    return await board_of(request).sources.create_silence(
        list(draft.matchers), datetime.now(UTC), draft.ends_at, created_by=user.name, comment=draft.comment
    )


async def create_from_form(request: Request) -> Response:
    form = await request.form()
    fields = {k: str(form.get(k) or "") for k in ("matchers", "comment", "duration")}
    try:
        user = require_operator(request, access_of(request), str(form.get(CSRF_FIELD) or ""))
    except Refused as exc:
        return await _page(request, exc.status, exc.message, fields)
    now = datetime.now(UTC)
    try:
        draft = check_silence(
            parse_matcher_lines(fields["matchers"]),
            fields["comment"],
            now + parse_duration(fields["duration"]),
            now,
        )
        silence_id = await _create(request, user, draft)
    except BadSilence as exc:
        return await _page(request, 400, str(exc), fields)
    except SourceDown as exc:
        return await _page(request, 502, f"Alertmanager is not answering ({exc})", fields)
    except ValueError as exc:  # Alertmanager refused it
        return await _page(request, 400, f"Alertmanager refused the silence: {exc}", fields)
    return RedirectResponse(f"/silences?created={silence_id}", status_code=303)


async def create_from_api(request: Request) -> Response:
    try:
        user = require_operator(request, access_of(request), request.headers.get(CSRF_HEADER))
    except Refused as exc:
        return api_error(exc.status, exc.message)
    raw = await request.body()
    try:
        body = json.loads(raw) if len(raw) <= MAX_BODY else None
        if not isinstance(body, dict):
            raise BadSilence("the body must be a JSON object {matchers, comment, hours|ends_at}")
        now = datetime.now(UTC)
        comment = body.get("comment")
        if not isinstance(comment, str):
            raise BadSilence("comment must be text")
        draft = check_silence(
            parse_matcher_json(body.get("matchers")), comment, ends_at_from_json(body, now), now
        )
        silence_id = await _create(request, user, draft)
    except json.JSONDecodeError:
        return api_error(400, "the body is not JSON")
    except BadSilence as exc:
        return api_error(400, str(exc))
    except SourceDown as exc:
        return api_error(502, f"Alertmanager is not answering ({exc})")
    except ValueError as exc:
        return api_error(400, f"Alertmanager refused the silence: {exc}")
    return JSONResponse({"id": silence_id, "created_by": user.name}, status_code=201)


async def _expire(request: Request, silence_id: str) -> tuple[int, str]:
    """(status, message) of expiring SILENCE_ID: only a silence that is active or pending."""
    silences, problems = await _silences(request)
    if problems:
        return 502, problems[0]
    if not SILENCE_ID.match(silence_id) or silence_id not in {s.id for s in silences}:
        return 404, f"no active or pending silence {silence_id[:64]}"
    try:
        await board_of(request).sources.expire_silence(silence_id)
    except SourceDown as exc:
        return 502, f"Alertmanager is not answering ({exc})"
    except ValueError as exc:
        return 400, f"Alertmanager refused: {exc}"
    return 200, "expired"


async def expire_from_form(request: Request) -> Response:
    form = await request.form()
    try:
        require_operator(request, access_of(request), str(form.get(CSRF_FIELD) or ""))
    except Refused as exc:
        return await _page(request, exc.status, exc.message)
    status, message = await _expire(request, request.path_params["silence_id"])
    if status != 200:
        return await _page(request, status, message)
    return RedirectResponse("/silences", status_code=303)


async def expire_from_api(request: Request) -> Response:
    try:
        require_operator(request, access_of(request), request.headers.get(CSRF_HEADER))
    except Refused as exc:
        return api_error(exc.status, exc.message)
    silence_id = request.path_params["silence_id"]
    status, message = await _expire(request, silence_id)
    if status != 200:
        return api_error(status, message)
    return JSONResponse({"id": silence_id, "state": "expired"})


ROUTES = [
    Route("/silences", silences_page, methods=["GET"]),
    Route("/silences", create_from_form, methods=["POST"]),
    Route("/silences/{silence_id}/expire", expire_from_form, methods=["POST"]),
    Route("/api/silences", silences_api, methods=["GET"]),
    Route("/api/silences", create_from_api, methods=["POST"]),
    Route("/api/silences/{silence_id}", expire_from_api, methods=["DELETE"]),
]
