"""Small file helpers: the lab writes a file only when it is missing or differs."""

from __future__ import annotations

import os
from pathlib import Path


def write(path: Path, text: str, mode: int = 0o600, *, keep: bool = False) -> bool:
    """Write `text` unless the file already holds it (or exists at all, with `keep`).
    Returns True when the file was written."""
    if path.exists() and (keep or path.read_text() == text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    tmp.replace(path)
    return True


def chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for p in path.rglob("*"):
        os.chown(p, uid, gid, follow_symlinks=False)


def snmp_quote(value: str) -> str:
    if '"' in value or "\n" in value:
        raise ValueError("an SNMP passphrase may not contain a double quote or a newline")
    return f'"{value}"'
