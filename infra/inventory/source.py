"""Reading the inventory's YAML files the way Ansible does, remembering where each key came from.

Values keep Ansible's meaning: `!vault` tagged scalars stay encrypted (a `VaultText`), whole
files encrypted with ansible-vault are decrypted with the vault password file, and every
mapping key's line is recorded so errors can point at it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.inventory.errors import InventoryError, Problem

try:  # the C loader is ~10x faster on large provinces
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,attr-defined]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


@dataclass(frozen=True)
class VaultText:
    """An inline `!vault` value: ciphertext until someone with the vault password asks."""

    ciphertext: str

    def __repr__(self) -> str:
        return "VaultText(<secret>)"


@dataclass(frozen=True)
class Origin:
    """Where a key was written."""

    file: str
    line: int


class LineDict(dict[str, Any]):
    """A mapping that remembers the line of each of its keys."""

    lines: dict[str, int]
    file: str

    def origin(self, key: str) -> Origin:
        return Origin(self.file, self.lines.get(key, 0))


def _loader_for(path: str) -> type[yaml.SafeLoader]:
    class Loader(_BaseLoader):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        loader.flatten_mapping(node)
        out = LineDict()
        out.lines = {}
        out.file = path
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise InventoryError(
                    [Problem(f"key {key!r} is written twice", path, key_node.start_mark.line + 1)]
                )
            out[key] = loader.construct_object(value_node, deep=True)
            out.lines[key] = key_node.start_mark.line + 1
        return out

    def construct_vault(loader: yaml.SafeLoader, node: yaml.Node) -> VaultText:
        return VaultText(str(loader.construct_scalar(node)))  # type: ignore[arg-type]

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor("!vault", construct_vault)
    Loader.add_constructor("!unsafe", lambda ld, n: ld.construct_scalar(n))
    return Loader


def vault_password_file() -> Path | None:
    """The vault password file Ansible would use (ANSIBLE_VAULT_PASSWORD_FILE)."""
    value = os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    return Path(value) if value else None


def decrypt(ciphertext: str, where: str) -> str:
    """Decrypt Ansible Vault text with the same password file Ansible uses."""
    pwfile = vault_password_file()
    if pwfile is None or not pwfile.is_file():
        raise InventoryError(
            [
                Problem(
                    "is vault-encrypted but no vault password file is set (ANSIBLE_VAULT_PASSWORD_FILE)",
                    where,
                )
            ]
        )
    from ansible.parsing.vault import VaultLib, VaultSecret  # type: ignore[import-untyped]  # slow: lazy

    secret = VaultSecret(pwfile.read_bytes().strip())
    try:
        plain = VaultLib([("default", secret)]).decrypt(ciphertext.strip().encode())
    except Exception as exc:  # ansible raises AnsibleError subclasses with long texts
        raise InventoryError(
            [
                Problem(
                    f"cannot be decrypted with the vault password file {pwfile}: {type(exc).__name__}", where
                )
            ]
        ) from None
    return str(plain.decode())


def load_yaml(path: Path, display: str) -> Any:
    """Load one YAML file; vault-encrypted files are decrypted first."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError([Problem(f"cannot be read: {exc.strerror}", display)]) from None
    if text.startswith("$ANSIBLE_VAULT"):
        text = decrypt(text, display)
    try:
        return yaml.load(text, Loader=_loader_for(display))
    except InventoryError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise InventoryError([Problem(f"is not valid YAML: {exc.problem}", display, line)]) from None
    except yaml.YAMLError as exc:
        raise InventoryError([Problem(f"is not valid YAML: {exc}", display)]) from None
