"""Server data, 3-2-1 (`server_backup:` in group_vars/all/server_backup.yml).

Each server's data goes with restic to a repository on the backup server (`repository`), and
is copied to a second repository on another machine that stands for the off-site copy (`copy`):
three copies (the server's own, the repository, the copy), two machines besides the server, one
away from it. The two repository passwords are secrets (vault references, never plain text).
What each server backs up is per server group, in the `servers_*` group_vars:
`server_backup_paths` (directories and files) and `server_backup_dumps` (database dump commands
whose output is backed up with the paths); `server_backup_common_paths` in servers.yml are
backed up on every server.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from infra.inventory.errors import Problem
from infra.inventory.models import Host, Model
from infra.inventory.secrets import SecretRef, parse_ref
from infra.inventory.source import Origin

PATH_VARS = ("server_backup_common_paths", "server_backup_paths")
DUMPS_VAR = "server_backup_dumps"


def _absolute(value: Any, what: str) -> str:
    text = str(value)
    path = PurePosixPath(text)
    if not path.is_absolute() or ".." in path.parts or text != str(path):
        raise ValueError(f"{what} {text!r} must be an absolute, normalised path (like /srv/portal)")
    return text


class Repository(Model):
    """A restic repository on an inventory server, reached over SFTP by each backed-up server."""

    host: str  # an inventory server (its management address is used)
    path: str  # the repository's directory on that server
    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "restic"  # the SFTP login

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _absolute(value, "the repository path")


class Retention(Model):
    """restic forget --keep-daily/--keep-weekly/--keep-monthly, per server."""

    daily: Annotated[int, Field(ge=0, le=3650)] = 7
    weekly: Annotated[int, Field(ge=0, le=520)] = 4
    monthly: Annotated[int, Field(ge=0, le=240)] = 6

    @model_validator(mode="after")
    def _keeps_something(self) -> Retention:
        if not (self.daily or self.weekly or self.monthly):
            raise ValueError("keeps no snapshot at all: set daily, weekly or monthly above 0")
        return self


class Dump(Model):
    """A database dump run before the backup; its standard output is backed up as
    <dump_dir>/<name>. `if_present`: run only where this file exists (the database's dump tool),
    so a group can list a database that only some of its servers run."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    command: Annotated[str, Field(min_length=1)]
    if_present: str | None = None

    @field_validator("if_present")
    @classmethod
    def _present(cls, value: str | None) -> str | None:
        return None if value is None else _absolute(value, "if_present")


class ServerBackup(Model):
    repository: Repository
    copy_: Repository = Field(alias="copy")
    password: SecretRef  # of `repository`
    copy_password: SecretRef  # of `copy`
    retention: Retention = Retention()
    stale_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 26  # documented; the alert says 26

    @field_validator("password", "copy_password", mode="before")
    @classmethod
    def _vaulted(cls, value: Any) -> SecretRef:
        if isinstance(value, SecretRef):
            return value
        ref = parse_ref(value)
        if ref is None:
            raise ValueError(
                'the repository password is written in plain text; put it in the vault ("{{ vault_NAME }}")'
            )
        return ref

    @model_validator(mode="after")
    def _two_places(self) -> ServerBackup:
        if self.repository.host == self.copy_.host:
            raise ValueError(
                f"repository and copy are both on {self.repository.host}: the copy must be on another "
                "server (3-2-1: one copy away from the first)"
            )
        return self

    @property
    def repository_hosts(self) -> tuple[str, str]:
        return (self.repository.host, self.copy_.host)

    def secrets(self, origin: Origin | None) -> dict[str, tuple[SecretRef, Origin | None]]:
        """The two repository passwords by field name and where they are written, for SecretStore."""

        def at(key: str) -> Origin | None:
            return origin and Origin(origin.file, origin.key, origin.path, pattern=rf"^\s*{key}\s*:")

        return {
            "server_backup.password": (self.password, at("password")),
            "server_backup.copy_password": (self.copy_password, at("copy_password")),
        }


def _problem(msg: str, fld: str, where: Origin | None, host: str | None = None) -> Problem:
    return Problem(msg, where.file if where else None, where.line if where else None, host, fld)


def _message(err: ErrorDetails) -> str:
    """A pydantic error in the inventory's words."""
    return {"extra_forbidden": "unknown key", "missing": "is required but missing"}.get(
        err["type"], err["msg"].removeprefix("Value error, ")
    )


def typed_server_backup(
    value: Any, origin: Origin | None, hosts: dict[str, Host], problems: list[Problem]
) -> ServerBackup | None:
    """`server_backup:` typed and checked against the hosts, or None with every problem (file,
    line, field) added to PROBLEMS."""
    found: list[Problem] = []
    if not isinstance(value, dict):
        problems.append(
            _problem("must be a mapping (repository, copy, password, ...)", "server_backup", origin)
        )
        return None
    model = None
    try:
        model = ServerBackup.model_validate(value)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            where = origin
            if loc and origin is not None:
                where = Origin(origin.file, origin.key, origin.path, pattern=rf"^\s*{re.escape(loc[0])}\s*:")
            found.append(_problem(_message(err), ".".join(["server_backup", *loc]), where))
    if model is not None:
        for key, repo in (("repository", model.repository), ("copy", model.copy_)):
            host = hosts.get(repo.host)
            if host is None or not host.is_server:
                where = origin and Origin(origin.file, origin.key, origin.path, pattern=rf"^\s*{key}\s*:")
                found.append(
                    _problem(
                        f"{repo.host!r} is not a server of the inventory", f"server_backup.{key}.host", where
                    )
                )
    problems += found
    return None if found else model


def _listed(
    host: Host, var: str, what: str, origins: dict[str, Origin], problems: list[Problem]
) -> list[Any]:
    """HOST's VAR when it is a list; [] when unset, or when not a list (a problem: a list of WHAT)."""
    items = host.ansible_vars.get(var)
    if items is None or isinstance(items, list):
        return items or []
    problems.append(_problem(f"must be a list of {what}", var, origins.get(var), host.name))
    return []


def check_server_data(
    hosts: dict[str, Host], host_origins: dict[str, dict[str, Origin]], problems: list[Problem]
) -> None:
    """Each server's `server_backup_*paths` (absolute paths) and `server_backup_dumps` (Dump)."""
    for host in hosts.values():
        origins = host_origins.get(host.name, {})
        for var in PATH_VARS:
            for item in _listed(host, var, "absolute paths", origins, problems):
                try:
                    _absolute(item, "the path")
                except ValueError as exc:
                    problems.append(_problem(str(exc), var, origins.get(var), host.name))
        names: set[str] = set()
        for n, item in enumerate(_listed(host, DUMPS_VAR, "{name, command}", origins, problems)):
            try:
                dump = Dump.model_validate(item)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(p) for p in err["loc"])
                    problems.append(
                        _problem(_message(err), f"{DUMPS_VAR}[{n}].{loc}", origins.get(DUMPS_VAR), host.name)
                    )
                continue
            if dump.name in names:
                problems.append(
                    _problem(
                        f"dump {dump.name!r} is listed twice",
                        f"{DUMPS_VAR}[{n}]",
                        origins.get(DUMPS_VAR),
                        host.name,
                    )
                )
            names.add(dump.name)
