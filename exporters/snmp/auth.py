"""The `auths` of the exporter configuration: SNMP v1/v2c communities and SNMPv3 USM users.

SNMPv3 secrets can come from the environment as `${VAR}`; secrets print as `<secret>`.
Which targets an auth may be sent to is allowlist.py's business.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from . import usm
from .validate import FileContext

SECURITY_LEVELS = ("noAuthNoPriv", "authNoPriv", "authPriv")
ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Secret(str):
    """A string that never prints itself."""

    def __repr__(self) -> str:
        return "'<secret>'"

    def __str__(self) -> str:
        return "<secret>"

    def reveal(self) -> str:
        return str.__str__(self)


PUBLIC = Secret("public")
EMPTY = Secret("")


@dataclass(frozen=True)
class Auth:
    name: str
    version: int = 2
    community: Secret = PUBLIC
    security_level: str = "noAuthNoPriv"
    username: str = ""
    password: Secret = EMPTY
    auth_protocol: str = "MD5"
    priv_protocol: str = "DES"
    priv_password: Secret = EMPTY
    context_name: str = ""

    def usm_user(self) -> usm.UsmUser | None:
        if self.version != 3:
            return None
        auth = self.security_level != "noAuthNoPriv"
        priv = self.security_level == "authPriv"
        return usm.UsmUser(
            username=self.username.encode(),
            auth_protocol=self.auth_protocol if auth else None,
            auth_password=self.password.reveal().encode(),
            priv_protocol=self.priv_protocol if priv else None,
            priv_password=self.priv_password.reveal().encode(),
            context_name=self.context_name.encode(),
        )

    def redacted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version}
        if self.version < 3:
            out["community"] = "<secret>"
        else:
            out |= {"security_level": self.security_level, "username": self.username}
            if self.security_level != "noAuthNoPriv":
                out |= {"password": "<secret>", "auth_protocol": self.auth_protocol}
            if self.security_level == "authPriv":
                out |= {"priv_password": "<secret>", "priv_protocol": self.priv_protocol}
            if self.context_name:
                out["context_name"] = self.context_name
        return out


AUTH_KEYS = {
    "community",
    "security_level",
    "username",
    "password",
    "auth_protocol",
    "priv_protocol",
    "priv_password",
    "context_name",
    "version",
}


def read_secret(ctx: FileContext, value: Any, path: str) -> Secret:
    """A string with `${VAR}` replaced from the environment (an unset variable is an error)."""
    text = ctx.string(value, path)

    def expand(m: re.Match[str]) -> str:
        if m[1] not in os.environ:
            raise ctx.fail(path, f"environment variable {m[1]} is not set")
        return os.environ[m[1]]

    return Secret(ENV_RE.sub(expand, text))


def parse_auth(ctx: FileContext, name: str, raw: Any) -> Auth:
    p = f"auths.{name}"
    d = ctx.mapping(raw if raw is not None else {}, p, AUTH_KEYS)
    version = ctx.integer(d.get("version", 2), f"{p}.version", 1, 3)
    level = d.get("security_level", "noAuthNoPriv")
    if level not in SECURITY_LEVELS:
        raise ctx.fail(f"{p}.security_level", f"must be one of {', '.join(SECURITY_LEVELS)}")
    auth_proto = d.get("auth_protocol", "MD5")
    priv_proto = d.get("priv_protocol", "DES")
    auth = Auth(
        name=name,
        version=version,
        community=read_secret(ctx, d.get("community", "public"), f"{p}.community"),
        security_level=level,
        username=ctx.string(d.get("username", ""), f"{p}.username"),
        password=read_secret(ctx, d.get("password", ""), f"{p}.password"),
        auth_protocol=ctx.string(auth_proto, f"{p}.auth_protocol"),
        priv_protocol=ctx.string(priv_proto, f"{p}.priv_protocol"),
        priv_password=read_secret(ctx, d.get("priv_password", ""), f"{p}.priv_password"),
        context_name=ctx.string(d.get("context_name", ""), f"{p}.context_name"),
    )
    if version == 3:
        if not auth.username:
            raise ctx.fail(f"{p}.username", "required for version 3")
        if level != "noAuthNoPriv":
            if auth.auth_protocol not in usm.AUTH_PROTOCOLS:
                allowed = ", ".join(usm.AUTH_PROTOCOLS)
                raise ctx.fail(f"{p}.auth_protocol", f"unsupported {auth.auth_protocol!r} (one of {allowed})")
            if not auth.password.reveal():
                raise ctx.fail(f"{p}.password", f"required for security_level {level}")
        if level == "authPriv":
            if auth.priv_protocol not in usm.PRIV_PROTOCOLS:
                allowed = ", ".join(usm.PRIV_PROTOCOLS)
                raise ctx.fail(
                    f"{p}.priv_protocol",
                    f"unsupported {auth.priv_protocol!r} (one of {allowed}; DES is obsolete)",
                )
            if not auth.priv_password.reveal():
                raise ctx.fail(f"{p}.priv_password", "required for security_level authPriv")
    return auth
