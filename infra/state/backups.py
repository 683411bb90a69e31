"""The backup repository: `<dir>/<host>.cfg`, one commit per run carrying its comment and run id.

Plain `git` over subprocess (git is everywhere an operator is). Files are written masked: the
caller hands in masked text, and `write()` refuses text that still holds a known secret. The
history of a device is `git log -- <host>.cfg`; `latest(host)` reads the committed file. The
startup (saved) config of platforms that keep one lives beside it in `startup/<host>.cfg`.

Reading the history (the shared API of `infra backup log/diff/show` and `infra backup restore`):

    log(host, limit)      the commits that changed the device's backup, newest first
    resolve(ref)          a git revision, or a DATE (YYYY-MM-DD[ HH:MM[:SS]], ISO 8601) meaning the
                          last commit at or before it (a bare date: the end of that day; no zone:
                          local time) -> commit id; BackupError naming `ref` if there is none
    at(host, ref)         the device's masked config at that commit
    diff(host, a, b)      unified diff: the last change (no a), a -> latest (no b), or a -> b

Several writers share one repository (a backup run, a deploy's two commits, another process):
`transaction()` holds an exclusive lock on the repository (flock, re-entrant in one process)
around a writer's write-then-commit, and `commit()` takes it too, so one writer's files never
land in another's commit.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path


class BackupError(RuntimeError):
    pass


_LOCK = threading.RLock()
_HELD: dict[Path, tuple[int, int]] = {}  # repository -> (locked fd, depth), under _LOCK
STARTUP_DIR = "startup"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def host_of(path: str) -> str | None:
    """The device a file of the repository belongs to (`r1.cfg`, `startup/r1.cfg`), else None."""
    if path.startswith(STARTUP_DIR + "/"):
        path = path[len(STARTUP_DIR) + 1 :]
    if "/" in path or not path.endswith(".cfg"):
        return None
    return path[: -len(".cfg")]


@dataclass(frozen=True)
class BackupCommit:
    id: str
    when: datetime
    subject: str
    hosts: tuple[str, ...]  # the devices whose backup file it changed


class BackupRepo:
    def __init__(self, path: Path, secrets: tuple[str, ...] = ()) -> None:
        self.path = path
        self._secrets = tuple(s for s in secrets if s)

    def _git(self, *args: str, check: bool = True) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "infra",
            "GIT_AUTHOR_EMAIL": "infra@localhost",
            "GIT_COMMITTER_NAME": "infra",
            "GIT_COMMITTER_EMAIL": "infra@localhost",
        }
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env, check=False
        )
        if check and proc.returncode != 0:
            raise BackupError(f"git {args[0]} in {self.path} failed: {proc.stderr.strip()}")
        return proc.stdout

    def init(self) -> BackupRepo:
        self.path.mkdir(parents=True, exist_ok=True)
        if not (self.path / ".git").exists():
            self._git("init", "-q", "-b", "main")
        return self

    def file(self, host: str, startup: bool = False) -> Path:
        return self.path / self.name(host, startup)

    @staticmethod
    def name(host: str, startup: bool = False) -> str:
        """The device's file in the repository (relative path)."""
        return f"{STARTUP_DIR}/{host}.cfg" if startup else f"{host}.cfg"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the repository for one writer (threads and processes): write, then commit."""
        with _LOCK:
            self.init()
            key = self.path.resolve()
            fd, depth = _HELD.get(key, (-1, 0))
            if depth == 0:
                fd = os.open(self.path / ".git" / "infra-writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while another process writes
                except BaseException:
                    os.close(fd)
                    raise
            _HELD[key] = (fd, depth + 1)
            try:
                yield
            finally:
                if depth == 0:
                    del _HELD[key]
                    os.close(fd)  # releases the flock
                else:
                    _HELD[key] = (fd, depth)

    def write(self, host: str, text: str, startup: bool = False) -> None:
        for s in self._secrets:
            if s in text:
                raise BackupError(f"refusing to store the backup of {host}: it holds an unmasked secret")
        with self.transaction():
            path = self.file(host, startup)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")

    def commit(self, message: str, paths: list[str] | None = None) -> str | None:
        """Commit every changed file (or only `paths`, relative to the repository); the new
        commit id, or None when nothing changed."""
        for s in self._secrets:
            if s in message:
                raise BackupError("refusing to commit: the commit message holds an unmasked secret")
        with self.transaction():
            spec = ["--", *paths] if paths is not None else ["--", "."]
            if paths is not None and not paths:
                return None
            self._git("add", "-A", *spec)
            if not self._git("status", "--porcelain", *spec):
                return None
            if paths is None:
                self._git("commit", "-q", "-m", message)
            else:
                self._git("commit", "-q", "-m", message, "--only", *spec)
            return self._git("rev-parse", "HEAD").strip()

    def _has_commits(self) -> bool:
        if not (self.path / ".git").exists():
            return False
        return bool(self._git("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).strip())

    def _show(self, rev: str, name: str) -> str | None:
        proc = subprocess.run(
            ["git", "-C", str(self.path), "show", f"{rev}:{name}"], capture_output=True, text=True
        )
        return proc.stdout if proc.returncode == 0 else None

    def latest(self, host: str, startup: bool = False) -> str | None:
        """The last committed backup of `host` (or its startup config), or None."""
        if not (self.path / ".git").exists():
            return None
        return self._show("HEAD", self.name(host, startup))

    def log(self, host: str, limit: int = 50) -> list[BackupCommit]:
        """The commits that changed `host`'s backup (running or startup), newest first; each
        names every device it changed."""
        if not self._has_commits():
            return []
        out = self._git(
            "log", f"-{max(1, limit)}", "--format=%x1e%H%x09%ct%x09%s", "--name-only", "--full-diff", "--",
            self.name(host), self.name(host, startup=True),
        )  # fmt: skip
        return _commits(out)

    def resolve(self, ref: str, host: str | None = None) -> str:
        """REV (any git revision) or DATE (the last commit at or before it; with `host`, the
        last one that changed that device) -> commit id; BackupError naming `ref` if none."""
        ref = ref.strip()
        if not ref or ref.startswith("-"):
            raise BackupError(f"{ref!r} is neither a revision nor a date of the backup repository")
        if not self._has_commits():
            raise BackupError(f"no backups yet in {self.path}: nothing at {ref!r}")
        if _DATE.match(ref):
            when = parse_date(ref)
            args = ["rev-list", "-1", f"--before=@{int(when.timestamp())}", "HEAD"]
            if host:
                args += ["--", self.name(host), self.name(host, startup=True)]
            found = self._git(*args, check=False).strip()
            if not found:
                raise BackupError(f"no backup at or before {ref!r} in {self.path}")
            return found
        found = self._git("rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}", check=False)
        if not found.strip():
            raise BackupError(
                f"{ref!r} is neither a revision nor a date of the backup repository {self.path}"
            )
        return found.strip()

    def at(self, host: str, ref: str, startup: bool = False) -> str:
        """`host`'s masked config (or startup config) at REV/DATE; BackupError if it had none."""
        commit = self.resolve(ref)
        text = self._show(commit, self.name(host, startup))
        if text is None:
            what = "startup config" if startup else "backup"
            raise BackupError(f"{host} has no {what} at {ref!r} (commit {commit[:12]}) in {self.path}")
        return text

    def diff(self, host: str, a: str | None = None, b: str | None = None, startup: bool = False) -> str:
        """Unified diff of `host`'s backup: its last change (neither given), from `a` to the
        latest (only `a`), or from `a` to `b`. Empty when they are the same."""
        name = self.name(host, startup)
        if a is None:
            new = (
                self._git("rev-list", "-1", "HEAD", "--", name, check=False).strip()
                if self._has_commits()
                else ""
            )
            if not new:
                raise BackupError(f"{host} has no {'startup config' if startup else 'backup'} in {self.path}")
            old = self._git("rev-list", "-1", f"{new}^", "--", name, check=False).strip()
        else:
            old = self.resolve(a)
            new = self.resolve(b) if b is not None else self.resolve("HEAD")
        before = (self._show(old, name) or "") if old else ""
        after = self._show(new, name)
        if after is None and (not old or self._show(old, name) is None):
            raise BackupError(f"{host} has no backup at {a!r} nor {b or 'HEAD'!r} in {self.path}")
        return "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                f"{name}@{old[:12] or 'none'}",
                f"{name}@{new[:12]}",
            )
        )

    def commits_between(self, start: datetime, end: datetime) -> list[BackupCommit]:
        """Commits made in [start, end] (commit time), oldest first, with the devices each touched."""
        if not (self.path / ".git").exists():
            return []
        out = self._git(
            "log",
            "--reverse",
            f"--since=@{int(start.timestamp())}",
            f"--until=@{int(end.timestamp()) + 1}",
            "--format=%x1e%H%x09%ct%x09%s",
            "--name-only",
            check=False,
        )
        return [c for c in _commits(out) if start <= c.when <= end]

    def last_change(self, host: str) -> tuple[str, str, str] | None:
        """(commit id, ISO commit time, subject) of the last commit that touched `host`'s file."""
        if not (self.path / ".git").exists():
            return None
        out = self._git("log", "-1", "--format=%H%x09%cI%x09%s", "--", f"{host}.cfg", check=False)
        parts = out.strip().split("\t", 2)
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _commits(out: str) -> list[BackupCommit]:
    """`git log --format=%x1e%H%x09%ct%x09%s --name-only` -> BackupCommits."""
    commits = []
    for record in out.split("\x1e")[1:]:
        head, _, files = record.partition("\n")
        commit, stamp, subject = [*head.split("\t", 2), "", ""][:3]
        when = datetime.fromtimestamp(int(stamp), UTC)
        hosts = dict.fromkeys(h for f in files.split() if (h := host_of(f)) is not None)
        commits.append(BackupCommit(commit, when, subject, tuple(hosts)))
    return commits


def parse_date(text: str) -> datetime:
    """YYYY-MM-DD[ HH:MM[:SS]] or ISO 8601 -> an aware datetime; a bare date is the end of that
    day, a time without a zone is local time. BackupError naming the text if it is no date."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BackupError(f"{text!r} is not a date (YYYY-MM-DD[ HH:MM[:SS]] or ISO 8601)") from None
    if len(text.strip()) == 10:  # a bare date: the config as it stood at the end of that day
        when += timedelta(days=1, microseconds=-1)
    return when if when.tzinfo else when.astimezone()
