"""Errors raised while loading or checking the inventory.

Every error names where it comes from (file, line when YAML gives one, host, field) so the
operator can fix it without reading a traceback; the CLI maps them to exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inventory."""

    message: str
    file: str | None = None
    line: int | None = None
    host: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [
            p
            for p in (
                where,
                f"host {self.host}" if self.host else "",
                f"field {self.field}" if self.field else "",
            )
            if p
        ]
        prefix = ": ".join([", ".join(parts)]) if parts else ""
        return f"{prefix}: {self.message}" if prefix else self.message


class Add(Protocol):
    """How a check reports a problem: the message, the host (None: province-wide), the field, and
    the top-level key the field was written under when it is not the field's first part."""

    def __call__(self, msg: str, host: str | None, fld: str, key: str | None = None) -> None: ...


@dataclass
class InventoryError(Exception):
    """The inventory cannot be used; carries every problem found, not just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"inventory has {n} problem{'s' if n != 1 else ''}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])
