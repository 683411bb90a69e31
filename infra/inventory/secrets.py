"""Secrets in the inventory: references to vaulted variables or environment variables.

A credential field never holds a plain value. It holds a reference that Ansible understands
too: `"{{ vault_name }}"` (a variable defined in a vault-encrypted file), an inline `!vault`
value, or `"{{ lookup('env', 'NAME') }}"`. `Secret` hides its value from `repr`, `str`, logs
and JSON; only `reveal()` gives it, at the moment a driver needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.inventory.source import VaultText, decrypt

MASK = "<secret>"
_VAR_REF = re.compile(r"^\{\{\s*(vault_[A-Za-z0-9_]+)\s*\}\}$")
_ENV_REF = re.compile(
    r"""^\{\{\s*lookup\(\s*['"]env['"]\s*,\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*\}\}$"""
)


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from (never the secret itself)."""

    kind: str  # "vault_var" | "env" | "inline_vault"
    name: str  # variable name, environment variable, or "" for inline
    ciphertext: str = field(default="", repr=False)

    def __str__(self) -> str:
        return {"vault_var": f"vault variable {self.name}", "env": f"environment variable {self.name}"}.get(
            self.kind, "inline vault value"
        )


def parse_ref(value: object) -> SecretRef | None:
    """A reference from an inventory value, or None if the value is written in plain text."""
    if isinstance(value, VaultText):
        return SecretRef("inline_vault", "", value.ciphertext)
    if isinstance(value, str):
        if m := _VAR_REF.match(value.strip()):
            return SecretRef("vault_var", m.group(1))
        if m := _ENV_REF.match(value.strip()):
            return SecretRef("env", m.group(1))
    return None


class Secret:
    """A resolved secret. Prints as <secret>; `reveal()` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__


class SecretStore:
    """Resolves references against the inventory's vaulted variables and the environment.

    `lookup_var` returns a raw variable of group `all` (already decrypted if its file was
    vaulted); secrets are resolved lazily so commands that need none need no vault password.
    """

    def __init__(self, lookup_var: Callable[[str], object]) -> None:
        self._lookup_var = lookup_var
        self._cache: dict[SecretRef, Secret] = {}
        self.revealed: set[str] = set()

    def resolve(self, ref: SecretRef) -> Secret:
        if ref in self._cache:
            return self._cache[ref]
        if ref.kind == "env":
            value = os.environ.get(ref.name)
            if value is None:
                raise KeyError(f"environment variable {ref.name} is not set")
        elif ref.kind == "inline_vault":
            value = decrypt(ref.ciphertext, "inline !vault value")
        else:
            raw = self._lookup_var(ref.name)
            if raw is None:
                raise KeyError(f"vault variable {ref.name} is not defined in the inventory")
            value = decrypt(raw.ciphertext, ref.name) if isinstance(raw, VaultText) else str(raw)
        secret = Secret(value)
        self._cache[ref] = secret
        self.revealed.add(value)
        return secret

    def mask(self, text: str) -> str:
        """Replace every secret resolved so far in `text` by <secret> (for logs and backups)."""
        for value in sorted(self.revealed, key=len, reverse=True):
            if value:
                text = text.replace(value, MASK)
        return text
