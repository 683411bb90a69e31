"""Secrets in the inventory: references to vaulted variables or environment variables.

A credential field never holds a plain value. It holds a reference that Ansible understands
too: `"{{ vault_name }}"` (a variable defined in a vault-encrypted file), an inline `!vault`
value, or `"{{ lookup('env', 'NAME') }}"`. `Secret` hides its value from `repr`, `str`, logs
and JSON; only `reveal()` gives it, at the moment a driver needs it.

`SecretStore.resolve_all()` is the one way to prepare a run that may print device output:
it resolves every credential (all problems at once: an unset environment variable, a vault
value that cannot be decrypted), so `mask()` knows each value before any device answers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from infra.inventory.errors import InventoryError, Problem
from infra.inventory.source import Origin, VaultText, decrypt

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


class SecretUnavailable(InventoryError):
    """A secret the inventory refers to cannot be had: unset environment variable, undefined
    vault variable, no vault password, or a value the vault password does not decrypt."""

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        n = len(self.problems)
        return "\n".join([f"{n} secrets cannot be resolved:", *(f"  - {p}" for p in self.problems)])


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
    `named` maps each credential field (`credentials.device_password`) to its reference and
    where it was written, for `resolve_all()` and its error messages.
    """

    def __init__(
        self,
        lookup_var: Callable[[str], object],
        named: Mapping[str, tuple[SecretRef, Origin | None]] | None = None,
    ) -> None:
        self._lookup_var = lookup_var
        self._named = dict(named or {})
        self._cache: dict[SecretRef, Secret] = {}
        self.revealed: set[str] = set()

    def resolve(self, ref: SecretRef) -> Secret:
        """The secret `ref` points at; `SecretUnavailable` says why it cannot be had."""
        if ref in self._cache:
            return self._cache[ref]
        if ref.kind == "env":
            value = os.environ.get(ref.name)
            if value is None:
                raise SecretUnavailable([Problem(f"{ref} is not set (export it before running infra)")])
        else:
            try:
                if ref.kind == "inline_vault":
                    value = decrypt(ref.ciphertext, str(ref))
                else:
                    raw = self._lookup_var(ref.name)
                    if raw is None:
                        raise SecretUnavailable([Problem(f"{ref} is not defined in the inventory")])
                    value = decrypt(raw.ciphertext, str(ref)) if isinstance(raw, VaultText) else str(raw)
            except SecretUnavailable:
                raise
            except InventoryError as exc:  # decrypt(): no vault password file, wrong password
                raise SecretUnavailable([Problem(f"{ref} {p.message}") for p in exc.problems]) from None
        secret = Secret(value)
        self._cache[ref] = secret
        self.revealed.add(value)
        return secret

    def resolve_all(self) -> tuple[str, ...]:
        """Resolve every credential of the inventory, so `mask` knows all of them before any
        device is contacted; returns their values (the strings to keep out of logs and state).

        Raises `SecretUnavailable` naming every field that cannot be resolved, with the file
        and line it is written on.
        """
        problems: list[Problem] = []
        values: list[str] = []
        for name, (ref, origin) in self._named.items():
            try:
                values.append(self.resolve(ref).reveal())
            except SecretUnavailable as exc:
                file, line = (origin.file, origin.line) if origin else (None, None)
                problems += [Problem(p.message, file, line or None, None, name) for p in exc.problems]
        if problems:
            raise SecretUnavailable(problems)
        return tuple(dict.fromkeys(v for v in values if v))

    def mask(self, text: str) -> str:
        """Replace every secret resolved so far in `text` by <secret> (for logs and backups)."""
        for value in sorted(self.revealed, key=len, reverse=True):
            if value:
                text = text.replace(value, MASK)
        return text
