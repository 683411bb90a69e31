"""Reading the inventory's YAML files the way Ansible does, remembering where each key came from.

Values keep Ansible's meaning: `!vault` tagged scalars stay encrypted (a `VaultText`), whole
files encrypted with ansible-vault are decrypted with the vault password file, and every
mapping key's line is recorded so errors can point at it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
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
    """Where a key was written. The line is found only when an error needs it: tracking lines
    while loading costs more than the rest of loading a 5,000-host province."""

    file: str
    key: str = ""
    path: Path | None = None
    known_line: int = 0
    pattern: str = ""  # a regex for the line, when the key alone does not find it

    def entry(self, ident: str) -> Origin:
        """Where the list entry with `id: ident` under this key was written (a link, a tunnel)."""
        rx = rf"^\s*(-\s*)?id:\s*['\"]?{re.escape(ident)}['\"]?\s*$"
        return Origin(self.file, self.key, self.path, pattern=rx)

    @property
    def line(self) -> int:
        if self.known_line or self.path is None or not (self.key or self.pattern):
            return self.known_line
        return line_of(self.path, self.pattern or rf"^\s*{re.escape(self.key)}\s*:")


@lru_cache(maxsize=256)
def _lines(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def line_of(path: Path, pattern: str) -> int:
    """1-based number of the first line of `path` matching `pattern` (0 if none)."""
    rx = re.compile(pattern)
    for n, text in enumerate(_lines(path), start=1):
        if rx.search(text):
            return n
    return 0


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


class _RecursiveAlias(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


_STR, _INT, _BOOL, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null"))
_MAP, _SEQ, _MERGE = (f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "merge"))
_RESOLVED: dict[tuple[str, Any], str] = {}  # (plain scalar, implicit flags) -> tag


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that keeps `!vault` values encrypted and refuses a key written twice.

    The libyaml parser calls back into Python to resolve every scalar's tag by regex, and
    PyYAML's constructor walks every node through generic machinery. A 5,000-host province has
    ~200,000 scalars but only ~35,000 distinct ones, so tags are memoised, and plain maps, lists,
    strings, integers, booleans and nulls are built directly (`build`); every other tag (timestamps,
    `!vault`, merge keys, sets...) still goes through PyYAML's SafeConstructor, so values are
    exactly what Ansible's loader makes of them.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            tag = _RESOLVED.get(key)
            if tag is None:
                if len(_RESOLVED) > 500_000:
                    _RESOLVED.clear()
                tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
                seen.add(key)
        return mapping  # type: ignore[no-any-return]

    def load_document(self) -> Any:
        """The one document of the stream, or None for an empty file."""
        node = self.get_single_node()
        return None if node is None else self.build(node, {})

    def build(self, node: yaml.Node, made: dict[int, Any]) -> Any:
        cls, tag = node.__class__, node.tag
        if cls is yaml.ScalarNode:
            if tag == _STR:
                return node.value
            if tag == _INT:
                return self.construct_yaml_int(node)
            if tag == _BOOL:
                return self.construct_yaml_bool(node)
            if tag == _NULL:
                return None
            return self.construct_object(node, deep=True)
        ident = id(node)
        if ident in made:  # an alias: the anchor's value, as PyYAML shares it
            if made[ident] is _BUILDING:
                raise _RecursiveAlias(node.start_mark.line + 1)
            return made[ident]
        made[ident] = _BUILDING
        if cls is yaml.SequenceNode and tag == _SEQ:
            value: Any = [self.build(item, made) for item in node.value]
        elif cls is yaml.MappingNode and tag == _MAP and _plain_keys(node):
            value = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, made)
                if key in value:
                    raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
                value[key] = self.build(value_node, made)
        else:
            value = self.construct_object(node, deep=True)
        made[ident] = value
        return value


_BUILDING = object()


def _plain_keys(node: yaml.Node) -> bool:
    """Keys are scalars and none is a merge key (`<<`), which PyYAML's constructor flattens."""
    return all(k.__class__ is yaml.ScalarNode and k.tag != _MERGE for k, _ in node.value)


def _construct_vault(loader: yaml.SafeLoader, node: yaml.Node) -> VaultText:
    return VaultText(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


_Loader.add_constructor("!vault", _construct_vault)
_Loader.add_constructor("!unsafe", lambda ld, n: ld.construct_scalar(n))


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
    loader = _Loader(text)
    try:
        return loader.load_document()
    except _DuplicateKey as dup:
        raise InventoryError([Problem(f"key {dup.key!r} is written twice", display, dup.line)]) from None
    except _RecursiveAlias as rec:
        raise InventoryError([Problem("has an alias that contains itself", display, rec.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise InventoryError([Problem(f"is not valid YAML: {exc.problem}", display, line)]) from None
    except yaml.YAMLError as exc:
        raise InventoryError([Problem(f"is not valid YAML: {exc}", display)]) from None
    finally:
        loader.dispose()
