"""The rule catalogue: rules as data (`rules/<platform>.yml`), loaded and validated with pydantic.

A rule names what it checks (id, title, severity), which standards it implements (DISA STIG
V-ids, CIS Benchmark ids, and the Circular 12/2022 group), where it applies (platforms, and
optionally roles), one or more small checks over the parsed configuration, and how to fix it.
"""

from __future__ import annotations

import contextlib
import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RULES_DIR = Path(__file__).parent / "rules"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CATALOGUE_PLATFORMS = ("cisco_ios", "huawei_vrp", "frr", "linux", "cisco_tp")


class CatalogueError(Exception):
    """A rule file that does not validate: names the file and the rule."""


class Severity(StrEnum):
    HIGH = "high"  # STIG CAT I
    MEDIUM = "medium"  # STIG CAT II
    LOW = "low"  # STIG CAT III

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]

    @property
    def stig_category(self) -> str:
        return {"high": "CAT I", "medium": "CAT II", "low": "CAT III"}[self.value]

    @property
    def weight(self) -> int:
        return {"high": 10, "medium": 3, "low": 1}[self.value]


class CircularGroup(StrEnum):
    NETWORK = "network"
    SERVER = "server"
    APPLICATION = "application"
    DATA = "data"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(value: Any) -> Any:
    for pattern in value if isinstance(value, list) else [value]:
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
    return value


Path_ = Annotated[list[str], Field(default_factory=list)]


class MustHave(_Strict):
    """At least `min` (at most `max`) lines matching `pattern`, at the top or under `under`."""

    kind: Literal["must_have"]
    pattern: str
    under: Path_
    min: int = 1
    max: int | None = None
    context: str | None = None  # lines shown as evidence when the check fails
    _re = field_validator("pattern", "under", "context")(_compiles)


class MustNotHave(_Strict):
    """No line matching `pattern` (anywhere under `under`; `deep` searches every level)."""

    kind: Literal["must_not_have"]
    pattern: str
    under: Path_
    deep: bool = False
    _re = field_validator("pattern", "under")(_compiles)


class _SectionCheck(_Strict):
    section: list[str]  # path of patterns down to the sections checked, e.g. ["^line vty"]
    where: Path_  # only sections with a child matching each of these
    where_not: Path_  # ... and none matching these
    interface_kinds: Path_  # only interfaces the inventory derives as these kinds
    unless: Path_  # a path that, when present in the config, satisfies the check
    # a path whose last pattern names sections to leave out with a (?P<name>) group, e.g.
    # ['^router ospf ', '^passive-interface (?P<name>\S+)$']: passive interfaces need no auth
    skip_listed: Path_
    # a path whose last pattern names IPv4 networks with a (?P<network>) group ("A.B.C.D" or
    # "A.B.C.D/len") and an optional (?P<wildcard>) group: only sections with an `ip address` in
    # one of them, e.g. ['^router ospf ', '^network (?P<network>\S+) (?P<wildcard>\S+) area ']
    covered_by: Path_
    # when `skip_all_if` exists (e.g. `passive-interface default`), only the sections named by
    # `keep_listed` (a path whose last pattern has a (?P<name>) group), or those with a child
    # matching one of `keep_where` (FRR's `no ip ospf passive`), are checked
    skip_all_if: Path_
    keep_listed: Path_
    keep_where: Path_
    _re = field_validator(
        "section",
        "where",
        "where_not",
        "unless",
        "skip_listed",
        "covered_by",
        "skip_all_if",
        "keep_listed",
        "keep_where",
    )(_compiles)

    @field_validator("covered_by")
    @classmethod
    def _has_network_group(cls, v: list[str]) -> list[str]:
        if v and "(?P<network>" not in v[-1]:
            raise ValueError("the last pattern of covered_by needs a (?P<network>...) group")
        return v


class ChildMustHave(_SectionCheck):
    """Every selected section has a child matching each of `children`."""

    kind: Literal["child_must_have"]
    children: list[str]
    context: str | None = None
    _re2 = field_validator("children", "context")(_compiles)


class ChildMustNotHave(_SectionCheck):
    """No selected section has a child matching any of `children`."""

    kind: Literal["child_must_not_have"]
    children: list[str]
    _re2 = field_validator("children")(_compiles)


class ChildValue(_SectionCheck):
    """Every selected section has a child matching `child` whose `value` group is within bounds."""

    kind: Literal["child_value"]
    child: str
    at_most: int | None = None
    at_least: int | None = None
    _re2 = field_validator("child")(_compiles)

    @field_validator("child")
    @classmethod
    def _has_value_group(cls, v: str) -> str:
        if "(?P<value>" not in v:
            raise ValueError("child pattern needs a (?P<value>...) group")
        return v


class EachMatchHas(_Strict):
    """For each line matching `pattern` (with a (?P<key>) group), a sibling matching `require`
    (with `{key}` substituted) exists: every BGP neighbour has a password."""

    kind: Literal["each_match_has"]
    pattern: str
    require: str
    under: Path_
    _re = field_validator("pattern", "under")(_compiles)


class Setting(_Strict):
    """A key = value setting of a server or endpoint file (sshd, login.defs, sysctl, xConfiguration)."""

    kind: Literal["setting"]
    source: str  # sshd, login_defs, sysctl, chrony, rsyslog, auditd, profile, os_release, xconfig, pam
    key: str
    equals: str | None = None
    one_of: list[str] | None = None
    matches: str | None = None
    at_most: int | None = None
    at_least: int | None = None
    subset_of: list[str] | None = None  # comma-separated lists (ciphers, MACs)
    default: str | None = None  # the value when the key is absent (the program's default)
    _re = field_validator("matches")(_compiles)


class Service(_Strict):
    """Services running (or enabled) on a server: `any_running` of a set, `none_running` of a set."""

    kind: Literal["service"]
    any_running: list[str] = []
    none_running: list[str] = []


class LineInFile(_Strict):
    """A line of a server file (rsyslog.conf, chrony.conf, ...) matching `pattern`, at least `min`."""

    kind: Literal["line_in_file"]
    source: str
    pattern: str
    min: int = 1
    _re = field_validator("pattern")(_compiles)


Check = Annotated[
    MustHave
    | MustNotHave
    | ChildMustHave
    | ChildMustNotHave
    | ChildValue
    | EachMatchHas
    | Setting
    | Service
    | LineInFile,
    Field(discriminator="kind"),
]


class References(_Strict):
    stig: list[str] = []
    cis: list[str] = []
    circular_12_2022: CircularGroup


class Rule(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]
    title: str
    severity: Severity
    platforms: list[str]
    roles: list[str] = []  # empty: every role
    applies_if: Path_  # the rule applies only when this path exists (e.g. access ports)
    references: References
    checks: Annotated[list[Check], Field(min_length=1)]
    remediation: str  # Jinja2 text rendered with the inventory baseline
    rationale: str = ""
    _re = field_validator("applies_if")(_compiles)


class _RuleFile(_Strict):
    rules: list[Rule]


@cache
def load_catalogue(rules_dir: Path = RULES_DIR) -> tuple[Rule, ...]:
    """Every rule of every platform file; a bad file raises CatalogueError naming file and rule."""
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in sorted(rules_dir.glob("*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
        try:
            parsed = _RuleFile.model_validate(data)
        except ValidationError as exc:
            raise CatalogueError(f"{path}: {_explain(exc, data)}") from None
        for rule in parsed.rules:
            if rule.id in seen:
                raise CatalogueError(f"{path}: rule {rule.id} is already defined in {seen[rule.id]}")
            unknown = set(rule.platforms) - set(CATALOGUE_PLATFORMS)
            if unknown:
                raise CatalogueError(f"{path}: rule {rule.id}: unknown platforms {sorted(unknown)}")
            seen[rule.id] = path
            rules.append(rule)
    return tuple(rules)


def _explain(exc: ValidationError, data: Any) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                where = f"rule {data['rules'][loc[1]].get('id', '#' + str(loc[1]))}: " + ".".join(
                    str(p) for p in loc[2:]
                )
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def rules_for(platform: str, rules_dir: Path = RULES_DIR) -> list[Rule]:
    return [r for r in load_catalogue(rules_dir) if platform in r.platforms]
