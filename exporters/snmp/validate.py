"""Strict reading of one configuration file: every value checked, every error names file and key.

`FileContext(file)` turns YAML values into typed ones or raises `ConfigError`
(`snmp.yml: modules.if_mib.timeout: ...`); config.py (the file, modules) and auth.py (auths) read through it.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import Any

from . import ber

DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class ConfigError(Exception):
    """A configuration problem, with file and key."""


class FileContext:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, msg: str) -> ConfigError:
        return ConfigError(f"{self.file}: {path}: {msg}" if path else f"{self.file}: {msg}")

    def mapping(
        self, value: Any, path: str, allowed: set[str], required: AbstractSet[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{path}.{key}", "required key is missing")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        return value

    def matching(self, value: Any, path: str, pattern: re.Pattern[str], what: str) -> str:
        """A string the pattern matches (a metric or label name)."""
        text = self.string(value, path)
        if not pattern.match(text):
            raise self.fail(path, f"invalid {what} {text!r}")
        return text

    def choice(self, value: Any, path: str, allowed: AbstractSet[str], what: str) -> str:
        """A string out of a known set (a metric or index type)."""
        text = self.string(value, path)
        if text not in allowed:
            raise self.fail(path, f"unknown {what} {text!r} (one of {', '.join(sorted(allowed))})")
        return text

    def integer(self, value: Any, path: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(path, f"expected an integer from {lo} to {hi}, got {value!r}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        return float(value)

    def oid(self, value: Any, path: str) -> str:
        text = self.string(value, path) if not isinstance(value, int | float) else str(value)
        try:
            ber.oid_to_bytes(text)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None
        return text.strip().lstrip(".")

    def enum(self, value: Any, path: str) -> dict[int, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, "expected a mapping of integer -> name")
        out: dict[int, str] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, int):
                raise self.fail(f"{path}.{k}", "enum keys must be integers")
            out[k] = str(v)
        return out

    def duration(self, value: Any, path: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        m = DURATION_RE.match(str(value))
        if not m:
            raise self.fail(path, f"expected a duration like 5s or 500ms, got {value!r}")
        return float(m[1]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m[2]]
