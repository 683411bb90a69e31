"""Who may do what on the on-call board.

- Reading needs no login from the inventory's `read_without_login` networks (the management
  network); from anywhere else a page redirects to /login and the JSON API answers 401.
- Silencing and expiring need a login of role `operator`; a `viewer` gets 403.
- Passwords are checked against argon2id hashes from the vault; sessions are Starlette's signed
  cookie (itsdangerous), holding only the user name, the login time and the CSRF token.
- Every state-changing request carries the session's CSRF token: a hidden `csrf_token` field in
  forms, the `X-CSRF-Token` header in the JSON API.
- Login failures are counted per client address and per user name; after `max_failures` within
  `window_s` the login answers 429 with Retry-After, even for the right password.

Nothing here returns or logs a password, a hash or the session key.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.inventory import Inventory
from infra.inventory.oncall import OncallRole as Role

SESSION_COOKIE = "oncall_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A login of the board. The hash stays out of repr, so a logged user never shows it."""

    name: str
    role: Role
    full_name: str = ""
    password_hash: str = field(default="", repr=False, compare=False)

    @property
    def may_silence(self) -> bool:
        return self.role == Role.OPERATOR


class Users:
    """The board's users by login name, and the password check."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self._by_name = {u.name: u for u in users}
        self._dummy: str | None = None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str | None) -> User | None:
        return self._by_name.get(name) if name else None

    def check(self, name: str, password: str) -> User | None:
        """The user if PASSWORD is theirs. An unknown name costs one hash check too, so the
        answer's timing does not tell which names exist."""
        user = self._by_name.get(name)
        if user is None or not user.password_hash:
            if self._dummy is None:
                self._dummy = _HASHER.hash(secrets.token_urlsafe(16))
            _verify(self._dummy, password)
            return None
        return user if _verify(user.password_hash, password) else None

    async def check_async(self, name: str, password: str) -> User | None:
        """`check` in a worker thread: a hash check takes tens of milliseconds of CPU."""
        return await run_in_threadpool(self.check, name, password)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginLimiter:
    """Failed logins per client address and per user name in a sliding window.

    While either key has `max_failures` failures younger than `window_s`, `retry_after` gives
    the seconds until the oldest of them ages out. A success forgets the user name's failures,
    not the address's (so one's own account cannot be used to reset guessing at others).
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    @staticmethod
    def _keys(address: str, username: str) -> tuple[str, str]:
        return f"addr:{address}", f"user:{username.strip().lower()}"

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, address: str, username: str) -> int | None:
        """Whole seconds until a login may be tried again, or None if it may be tried now."""
        now = self.clock()
        waits = []
        for key in self._keys(address, username):
            times = self._recent(key, now)
            if len(times) >= self.max_failures:
                waits.append(times[-self.max_failures] + self.window_s - now)
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, address: str, username: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys:  # bounded memory under a flood of names
            for key in list(self._failures):
                self._recent(key, now)
            while len(self._failures) >= self.max_keys:
                self._failures.pop(next(iter(self._failures)))
        for key in self._keys(address, username):
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeeded(self, address: str, username: str) -> None:
        self._failures.pop(self._keys(address, username)[1], None)


def may_read_without_login(client: str | None, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    """Whether a request from CLIENT (an address; anything else is "not on the network") may read."""
    try:
        addr = ip_address(client or "")
    except ValueError:
        return False
    if addr.version == 6 and addr.ipv4_mapped is not None:  # ::ffff:10.127.0.5 from a dual-stack socket
        addr = addr.ipv4_mapped
    return any(addr.version == n.version and addr in n for n in networks)


# ---- sessions ---------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login form makes it before any login)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, given: str | None) -> bool:
    token = request.session.get("csrf")
    return isinstance(token, str) and bool(given) and hmac.compare_digest(token, str(given))


def start_session(request: Request, user: User) -> None:
    """A fresh session for USER: nothing of the anonymous one survives but a new CSRF token."""
    request.session.clear()
    request.session.update({"user": user.name, "since": int(time.time()), "csrf": secrets.token_urlsafe(32)})


def end_session(request: Request) -> None:
    request.session.clear()


@dataclass(frozen=True)
class Access:
    """The rules, as the app applies them (built from the inventory's `oncall:` by the settings)."""

    users: Users
    read_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    session_hours: int = 12
    limiter: LoginLimiter = field(default_factory=LoginLimiter)

    def user(self, request: Request) -> User | None:
        """The logged-in user, if the session is one of a user the inventory still has and is not
        older than `session_hours` (the cookie's own max-age is only the browser's word)."""
        session: dict[str, Any] = request.session
        since = session.get("since")
        if not isinstance(since, int) or time.time() - since > self.session_hours * 3600:
            return None
        return self.users.get(session.get("user"))

    def may_read(self, request: Request) -> bool:
        return self.user(request) is not None or may_read_without_login(
            request.client.host if request.client else None, self.read_networks
        )


def access_of(request: Request) -> Access:
    access = request.app.state.access
    assert isinstance(access, Access)
    return access


def access_settings(inv: Inventory) -> dict[str, Any]:
    """BoardSettings' access fields from the inventory's `oncall:`, the vaulted values resolved
    (SecretUnavailable names the field that cannot be). Empty without `oncall:`: nobody can log
    in, and only the default networks read."""
    oncall = inv.oncall
    if oncall is None:
        return {}
    return {
        "read_networks": tuple(oncall.read_without_login),
        "session_key": inv.secret(oncall.session_key).reveal(),
        "session_hours": oncall.session_hours,
        "users": tuple(
            User(u.name, u.role, u.full_name, inv.secret(u.password_hash).reveal()) for u in oncall.users
        ),
    }


class SessionUser:
    """Puts the logged-in user (or None) and the session's CSRF token in the request scope, for
    the read check (app.ReadAccess) and the templates. Runs inside Starlette's SessionMiddleware."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            user = self.access.user(request)
            scope["board_user"] = user
            token = request.session.get("csrf") if user else None
            scope["board_csrf"] = token if isinstance(token, str) else ""
        await self.app(scope, receive, send)


def api_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as the JSON API gives it ({"error": ...}); pages render their own."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Refused(Exception):
    """A change the request may not make: 401 (no login), 403 (CSRF, role)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require_operator(request: Request, access: Access, given_csrf: str | None) -> User:
    """The logged-in operator making this change; `Refused` says why not."""
    user = access.user(request)
    if user is None:
        raise Refused(401, "log in to silence or expire alerts")
    if not csrf_ok(request, given_csrf):
        raise Refused(403, "missing or wrong CSRF token (reload the page and try again)")
    if not user.may_silence:
        raise Refused(403, f"{user.name} is a {user.role.value}: silencing needs an operator")
    return user


def login_target(scope: Scope) -> str:
    """/login, coming back to the page asked for (its query kept, the live-part marker dropped)."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != "part"]
    target = str(scope.get("path", "/")) + (f"?{urlencode(query)}" if query else "")
    return f"/login?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Where to go after login: a path of this board only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
