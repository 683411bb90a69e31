"""Linux servers: the files the audit reads, their key = value parsers, and online gathering.

A server is audited from a mapping of path -> text: its own `/etc/...` files plus a few command
outputs stored under `_commands/` (`services`: running services one per line; `nft`: the
ruleset). Offline, that is a directory laid out like the server's root (`DIR/<host>/etc/ssh/...`);
online, `gather_linux_facts(host)` reads the same files over SSH in one round trip.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from infra.audit.compliance.parse import DeviceConfig, SettingValue, UnparseableConfig

# source -> the paths it is read from, in the order the program reads them
SOURCES: dict[str, tuple[str, ...]] = {
    "sshd": ("/etc/ssh/sshd_config.d/*.conf", "/etc/ssh/sshd_config"),
    "login_defs": ("/etc/login.defs",),
    "sysctl": ("/etc/sysctl.conf", "/etc/sysctl.d/*.conf", "_commands/sysctl"),
    "chrony": (
        "/etc/chrony/chrony.conf",
        "/etc/chrony.conf",
        "/etc/chrony/conf.d/*.conf",
        "/etc/chrony/sources.d/*.sources",
    ),
    "rsyslog": ("/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf"),
    "auditd": ("/etc/audit/auditd.conf",),
    "profile": ("/etc/profile", "/etc/profile.d/*.sh", "/etc/bash.bashrc"),
    "os_release": ("/etc/os-release", "/usr/lib/os-release"),
    "faillock": ("/etc/security/faillock.conf",),
    "pwquality": ("/etc/security/pwquality.conf",),
    "nft": ("_commands/nft",),
}
SERVICES_PATH = "_commands/services"
_KV_SOURCES = {"login_defs", "sysctl", "auditd", "os_release", "faillock", "pwquality", "profile"}


def _paths(files: Mapping[str, str], pattern: str) -> list[str]:
    if "*" not in pattern:
        return [pattern] if pattern in files else []
    return sorted(p for p in files if fnmatch.fnmatch(p, pattern))


def _strip(line: str) -> str:
    return line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""


def _kv(line: str, source: str) -> tuple[str, str] | None:
    """key = value, key value, KEY=value, export/readonly KEY=value (shell)."""
    line = _strip(line)
    if not line:
        return None
    if source == "profile":
        m = re.match(r"^(?:export\s+|readonly\s+|declare\s+-\S+\s+|typeset\s+-\S+\s+)*TMOUT=(\S+)", line)
        return ("tmout", m[1].strip("\"';")) if m else None
    if source == "sysctl" or "=" in line.split(None, 1)[0] or " = " in line:
        key, sep, value = line.partition("=")
        if sep:
            key = key.strip().lower()
            if source == "sysctl":
                key = key.replace("/", ".")
            return key, value.strip().strip('"')
    parts = line.split(None, 1)
    return (parts[0].lower(), parts[1].strip() if len(parts) > 1 else "")


def parse_linux(name: str, files: Mapping[str, str], origin: str) -> DeviceConfig:
    """A server's files (path -> text) as settings, file lines and running services."""
    if not any(k.startswith("/etc/") for k in files):
        raise UnparseableConfig("no /etc files were gathered")
    device = DeviceConfig(name=name, platform="linux", origin=origin)
    device.settings["sshd"], device.match_blocks = _parse_sshd(files)
    for source, patterns in SOURCES.items():
        if source == "sshd":
            continue
        settings: dict[str, list[SettingValue]] = {}
        lines: list[str] = []
        for pattern in patterns:
            for path in _paths(files, pattern):
                for n, raw in enumerate(files[path].splitlines(), 1):
                    lines.append(raw)
                    if source in _KV_SOURCES:
                        kv = _kv(raw, source)
                        if kv:  # later files and lines win (sysctl, login.defs)
                            settings[kv[0]] = [SettingValue(kv[1], path, n, raw.strip())]
        device.settings[source] = settings
        device.files[source] = [ln for ln in lines if _strip(ln)]
    if SERVICES_PATH in files:
        device.services = {
            s.split()[0].removesuffix(".service") for s in files[SERVICES_PATH].splitlines() if s.split()
        }
    return device


def _parse_sshd(
    files: Mapping[str, str],
) -> tuple[dict[str, list[SettingValue]], list[tuple[str, dict[str, list[SettingValue]]]]]:
    """sshd_config semantics: the first value of a keyword wins; `Match` blocks override for the
    connections they match and run to the next Match or the end of the file."""
    glob: dict[str, list[SettingValue]] = {}
    blocks: list[tuple[str, dict[str, list[SettingValue]]]] = []
    for pattern in SOURCES["sshd"]:
        for path in _paths(files, pattern):
            current: dict[str, list[SettingValue]] | None = None
            for n, raw in enumerate(files[path].splitlines(), 1):
                line = _strip(raw)
                if not line:
                    continue
                key, _, value = line.replace("=", " ", 1).partition(" ")
                key = key.lower()
                if key == "match":
                    current = {}
                    blocks.append((line, current))
                    continue
                target = glob if current is None else current
                target.setdefault(key, []).append(SettingValue(value.strip(), path, n, raw.strip()))
    return glob, blocks


# ---- offline: a directory laid out like the server's root -------------------------------------
MAX_FILE = 2_000_000


def read_tree(root: Path) -> dict[str, str]:
    """path -> text for the files under `root` (a copy of a server's `/etc` and `_commands`)."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.stat().st_size <= MAX_FILE:
            rel = p.relative_to(root).as_posix()
            key = rel if rel.startswith("_commands/") else "/" + rel
            out[key] = p.read_bytes().decode("utf-8", "replace")
    return out


def is_server_tree(path: Path) -> bool:
    return path.is_dir() and (path / "etc").is_dir()


# ---- online: one SSH round trip ---------------------------------------------------------------
def gather_script() -> str:
    paths = " ".join(
        shlex.quote(p) if "*" not in p else p
        for patterns in SOURCES.values()
        for p in patterns
        if not p.startswith("_commands/")
    )
    return (
        f'for f in {paths}; do [ -f "$f" ] && [ -r "$f" ] && {{ echo "=== FILE $f"; cat "$f"; }}; done; '
        'echo "=== FILE _commands/services"; '
        "(systemctl list-units --type=service --state=running --no-legend --plain 2>/dev/null "
        "| awk '{print $1}'; ps -eo comm= 2>/dev/null) | sort -u; "
        'echo "=== FILE _commands/nft"; nft list ruleset 2>/dev/null; '
        'echo "=== FILE _commands/sysctl"; sysctl -a 2>/dev/null | grep -E '
        "'^(net\\.ipv4\\.|kernel\\.randomize|fs\\.suid)'; true"
    )


def split_gathered(output: str) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("=== FILE "):
            current = files.setdefault(line[9:].strip(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) + "\n" for k, v in files.items()}


def gather_linux_facts(
    host: str, port: int = 22, username: str = "root", key_filename: str | None = None, timeout: float = 10.0
) -> dict[str, str]:
    """Read a server's audit files over SSH (paramiko, key auth): path -> text."""
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(
            host,
            port=port,
            username=username,
            key_filename=key_filename,
            timeout=timeout,
            allow_agent=False,
            look_for_keys=key_filename is None,
            banner_timeout=timeout,
        )
        _, stdout, _ = client.exec_command(gather_script(), timeout=timeout * 3)
        output = stdout.read().decode("utf-8", "replace")
    finally:
        client.close()
    return split_gathered(output)
