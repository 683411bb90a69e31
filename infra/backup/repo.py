"""The backup repository: `<dir>/<host>.cfg`, one commit per run carrying its comment and run id.

Plain `git` over subprocess (git is everywhere an operator is). Files are written masked: the
caller hands in masked text, and `write()` refuses text that still holds a known secret. The
history of a device is `git log -- <host>.cfg`; `latest(host)` reads the committed file.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class BackupError(RuntimeError):
    pass


_LOCK = threading.Lock()


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

    def file(self, host: str) -> Path:
        return self.path / f"{host}.cfg"

    def write(self, host: str, text: str) -> None:
        for s in self._secrets:
            if s in text:
                raise BackupError(f"refusing to store the backup of {host}: it holds an unmasked secret")
        with _LOCK:
            self.init()
            self.file(host).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")

    def commit(self, message: str) -> str | None:
        """Commit every changed file; the new commit id, or None when nothing changed."""
        with _LOCK:
            self.init()
            self._git("add", "-A", ".")
            if not self._git("status", "--porcelain"):
                return None
            self._git("commit", "-q", "-m", message)
            return self._git("rev-parse", "HEAD").strip()

    def latest(self, host: str) -> str | None:
        """The last committed backup of `host`, or None."""
        if not (self.path / ".git").exists():
            return None
        proc = subprocess.run(
            ["git", "-C", str(self.path), "show", f"HEAD:{host}.cfg"], capture_output=True, text=True
        )
        return proc.stdout if proc.returncode == 0 else None

    def log(self, host: str | None = None, limit: int = 20) -> list[tuple[str, str]]:
        """(commit id, subject) of the last commits, for one device or all."""
        if not (self.path / ".git").exists():
            return []
        args = ["log", f"-{limit}", "--format=%H%x09%s"]
        if host:
            args += ["--", f"{host}.cfg"]
        out = self._git(*args, check=False)
        return [tuple(line.split("\t", 1)) for line in out.splitlines() if "\t" in line]  # type: ignore[misc]

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
        commits = []
        for record in out.split("\x1e")[1:]:
            head, _, files = record.partition("\n")
            commit, stamp, subject = [*head.split("\t", 2), "", ""][:3]
            when = datetime.fromtimestamp(int(stamp), UTC)
            if start <= when <= end:
                hosts = tuple(f[: -len(".cfg")] for f in files.split() if f.endswith(".cfg"))
                commits.append(BackupCommit(commit, when, subject, hosts))
        return commits

    def last_change(self, host: str) -> tuple[str, str, str] | None:
        """(commit id, ISO commit time, subject) of the last commit that touched `host`'s file."""
        if not (self.path / ".git").exists():
            return None
        out = self._git("log", "-1", "--format=%H%x09%cI%x09%s", "--", f"{host}.cfg", check=False)
        parts = out.strip().split("\t", 2)
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None
