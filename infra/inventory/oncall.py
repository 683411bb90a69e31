"""Who may use the on-call board (`oncall:` in group_vars/all/oncall.yml).

Reading the board needs no login from the `read_without_login` networks; silencing and expiring
alerts need a login of role `operator`. The session key and every password hash are secrets:
references to the vault like the device credentials, never written in plain text.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from infra.inventory.errors import Problem
from infra.inventory.models import Model
from infra.inventory.secrets import SecretRef, parse_ref
from infra.inventory.source import Origin


class OncallRole(StrEnum):
    VIEWER = "viewer"  # reads the board (after logging in, when outside read_without_login)
    OPERATOR = "operator"  # also creates and expires silences


def _reference(value: Any, what: str) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    ref = parse_ref(value)
    if ref is None:
        raise ValueError(
            f"{what} is written in plain text; put it in the vault "
            '("{{ vault_NAME }}" or an inline !vault value)'
        )
    return ref


class OncallUser(Model):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]{0,39}$")]  # the login
    full_name: str = ""
    role: OncallRole
    password_hash: SecretRef  # an argon2id hash (argon2-cffi / `argon2` CLI), in the vault

    @field_validator("password_hash", mode="before")
    @classmethod
    def _hash_is_vaulted(cls, value: Any) -> SecretRef:
        return _reference(value, "the password hash")


class Oncall(Model):
    read_without_login: list[IPv4Network | IPv6Network] = []  # may read the board without a login
    session_key: SecretRef  # signs the session cookie
    session_hours: Annotated[int, Field(ge=1, le=168)] = 12
    users: list[OncallUser] = []

    @field_validator("read_without_login", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("must be a list of networks (e.g. [127.0.0.0/8, 10.127.0.0/16])")
        out = []
        for item in value:
            try:
                out.append(ip_network(str(item), strict=True))
            except ValueError:
                raise ValueError(f"{item!r} is not a network (write it as 10.127.0.0/16)") from None
        return out

    @field_validator("session_key", mode="before")
    @classmethod
    def _key_is_vaulted(cls, value: Any) -> SecretRef:
        return _reference(value, "the session key")

    def user(self, name: str) -> OncallUser | None:
        return next((u for u in self.users if u.name == name), None)

    def secrets(self, origin: Origin | None) -> dict[str, tuple[SecretRef, Origin | None]]:
        """Each secret of the board by field name (`oncall.users[truc-ban].password_hash`) and
        where it is written (ORIGIN: where `oncall:` is), for `SecretStore`."""
        out = {"oncall.session_key": (self.session_key, _line_of(origin, r"^\s*session_key\s*:"))}
        for u in self.users:
            where = _line_of(origin, _user_pattern(u.name))
            out[f"oncall.users[{u.name}].password_hash"] = (u.password_hash, where)
        return out


def _line_of(origin: Origin | None, pattern: str) -> Origin | None:
    return origin and Origin(origin.file, origin.key, origin.path, pattern=pattern)


def _user_pattern(name: str) -> str:
    return rf"^\s*(-\s*)?name:\s*['\"]?{re.escape(name)}['\"]?\s*(#.*)?$"


def typed_oncall(value: Any, origin: Origin | None, problems: list[Problem]) -> Oncall | None:
    """`oncall:` typed, or None with every problem (file, line, field) added to PROBLEMS."""
    found: list[Problem] = []

    def add(msg: str, fld: str, where: Origin | None) -> None:
        found.append(Problem(msg, where.file if where else None, where.line if where else None, None, fld))

    if not isinstance(value, dict):
        add("must be a mapping (read_without_login, session_key, users)", "oncall", origin)
        problems += found
        return None
    users = value.get("users")
    names = [u.get("name") if isinstance(u, dict) else None for u in users] if isinstance(users, list) else []
    oncall = None
    try:
        oncall = Oncall.model_validate(value)
    except ValidationError as exc:
        for err in exc.errors():
            loc = list(err["loc"])
            where, fld = origin, "oncall"
            if len(loc) >= 2 and loc[0] == "users" and isinstance(loc[1], int):
                name = names[loc[1]] if loc[1] < len(names) else None
                ident = name if isinstance(name, str) else str(loc[1])
                where = _line_of(origin, _user_pattern(name)) if isinstance(name, str) else origin
                fld, loc = f"oncall.users[{ident}]", loc[2:]
            elif loc:
                where = _line_of(origin, rf"^\s*{re.escape(str(loc[0]))}\s*:")
            rest = ".".join(str(p) for p in loc)
            msg = {"extra_forbidden": "unknown key", "missing": "is required but missing"}.get(
                err["type"], err["msg"].removeprefix("Value error, ")
            )
            add(msg, f"{fld}.{rest}" if rest else fld, where)
    seen: set[str] = set()
    for n, name in enumerate(names):
        if isinstance(name, str) and name in seen:
            line = _nth_line(origin, _user_pattern(name), names[:n].count(name))
            where = origin and Origin(origin.file, origin.key, origin.path, known_line=line)
            add(f"user {name!r} is defined twice (each login once)", f"oncall.users[{name}].name", where)
        seen.add(str(name))
    problems += found
    return None if found else oncall


def _nth_line(origin: Origin | None, pattern: str, n: int) -> int:
    """The line of the N-th (0-based) match of PATTERN in ORIGIN's file, 0 when there is none."""
    if origin is None or origin.path is None:
        return 0
    rx = re.compile(pattern)
    lines = origin.path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [i for i, text in enumerate(lines, start=1) if rx.search(text)]
    return hits[n] if n < len(hits) else 0
