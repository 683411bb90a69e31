"""Where the configuration backups go and when they run (`backup:` in group_vars/all/backup.yml).

    backup:
      schedule: "*-*-* 02,14:00:00"     # systemd OnCalendar of the `infra-backup` timer
      offsite:                          # the second git remote of the backup repository
        host: srv-log-1                 # an inventory host: its management address ...
        user: infra-backup              # ... this account (git-shell only) ...
        path: /srv/backup/infra-configs.git   # ... and this bare repository on it
        identity_file: /root/.ssh/id_ed25519  # the automation host's key (private half)
        known_hosts: /etc/ssh/ssh_known_hosts # optional; a lab province trusts the lab's keys
        timeout: 60                     # seconds a push may take

`offsite.url` (any git URL: ssh://..., user@host:path, an absolute path) replaces host, user,
path and port for a remote outside the inventory. Nothing here is secret: the key stays a file.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator

from infra.inventory.errors import Problem
from infra.inventory.models import Model
from infra.inventory.source import Origin

DEFAULT_SCHEDULE = "*-*-* 02,14:00:00"  # twice a day: well inside InfraBackupStale's 26 hours
# systemd.time(7) calendar events: shorthands (daily, hourly, ...) or "[Weekday] [date] [time]"
_SHORTHANDS = {
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annually",
    "quarterly",
    "semiannually",
}
_CALENDAR = re.compile(r"^[A-Za-z0-9*:,./~+\- ]{1,120}$")


class OffsiteRemote(Model):
    host: str | None = None  # an inventory host; the remote is ssh://user@<its ansible_host>:port/path
    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "infra-backup"
    path: str | None = None  # absolute path of the bare repository on host
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    url: str | None = None  # instead of host/user/path/port: any git URL
    identity_file: str | None = None  # private key on the automation host (ssh's default when unset)
    known_hosts: str | None = None  # ssh known_hosts file (the user's when unset)
    branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{1,100}$")] = "main"
    timeout: Annotated[int, Field(ge=5, le=3600)] = 60

    @field_validator("path", "identity_file", "known_hosts")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"{value!r} must be an absolute path")
        if value is not None and any(c.isspace() or c in "'\"\\" for c in value):
            raise ValueError(f"{value!r}: no spaces, quotes or backslashes")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(c.isspace() for c in value) or not value:
            raise ValueError(f"{value!r} is not a git URL")
        if not re.match(r"^(ssh://|file://|/|[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:)", value):
            raise ValueError(
                f"{value!r} is not a git URL (ssh://user@host[:port]/path, user@host:path or /path)"
            )
        if re.match(r"^[a-z]+://[^/@]*:[^/@]*@", value):
            raise ValueError("holds a password: log in with identity_file (a key) instead")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> OffsiteRemote:
        if self.url is not None and (self.host is not None or self.path is not None):
            raise ValueError("give either url or host and path, not both")
        if self.url is None and (self.host is None or self.path is None):
            raise ValueError("needs host and path (an inventory host and the bare repository on it), or url")
        return self

    def remote_url(self, address: str | None) -> str:
        """The git URL; ADDRESS is the host's management address (None when url is given)."""
        if self.url is not None:
            return self.url
        return f"ssh://{self.user}@{address}:{self.port}{self.path}"


class Backup(Model):
    schedule: str = DEFAULT_SCHEDULE
    offsite: OffsiteRemote | None = None

    @field_validator("schedule")
    @classmethod
    def _calendar(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in _SHORTHANDS:
            return value
        if not _CALENDAR.match(value) or not any(c.isdigit() or c == "*" for c in value):
            raise ValueError(
                f"{value!r} is not a systemd calendar event (e.g. daily, or '*-*-* 02,14:00:00'; "
                "check with systemd-analyze calendar)"
            )
        return value


def typed_backup(
    value: Any, origin: Origin | None, hosts: set[str], problems: list[Problem]
) -> Backup | None:
    """`backup:` typed, or None with every problem (file, line, field) added to PROBLEMS.
    HOSTS are the inventory's host names (offsite.host must be one of them)."""
    found: list[Problem] = []

    def add(msg: str, fld: str, key: str | None) -> None:
        where = _line_of(origin, key) if key else origin
        found.append(Problem(msg, where.file if where else None, where.line if where else None, None, fld))

    if not isinstance(value, dict):
        add("must be a mapping (schedule, offsite)", "backup", None)
        problems += found
        return None
    backup = None
    try:
        backup = Backup.model_validate(value)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            msg = {"extra_forbidden": "unknown key", "missing": "is required but missing"}.get(
                err["type"], err["msg"].removeprefix("Value error, ")
            )
            add(msg, ".".join(["backup", *loc]), loc[-1] if loc else None)
    if backup and backup.offsite and backup.offsite.host is not None and backup.offsite.host not in hosts:
        add(f"{backup.offsite.host!r} is not a host of the inventory", "backup.offsite.host", "host")
    problems += found
    return None if found else backup


def _line_of(origin: Origin | None, key: str) -> Origin | None:
    return origin and Origin(origin.file, origin.key, origin.path, pattern=rf"^\s*{re.escape(key)}\s*:")
