"""Which hier_config rules each platform's configuration tree follows: a table from platform to
rules class (hier_config's own per-platform drivers, as napalm registers drivers by name).

A rules class is hier_config's driver for the platform's syntax plus its quirks (`quirks.py`:
which commands replace in place, negate in a fixed form, must be negated before a new value, or
go last) turned into hier_config rules. What a platform does beyond rules is a method here, not a
branch on its name: FRR refuses to delete some sections whole, so `FrrRules.negate_undeletable`
negates their lines one by one. hier_config 3.7 ships Cisco IOS and Huawei VRP drivers but no
FRR one, so `FrrRules` also declares vtysh's `exit`/`exit-address-family` section ends and the
banner lines of `show running-config`.
"""

from __future__ import annotations

from typing import ClassVar

from hier_config import HConfig, MatchRule
from hier_config.models import (
    IdempotentCommandsRule,
    NegationDefaultWithRule,
    OrderingRule,
    PerLineSubRule,
    SectionalExitingRule,
)
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

from infra.drivers.quirks import CISCO_IOS, FRR, HUAWEI_VRP, Quirks

LATER = 600  # hier_config's default order weight is 500: these go after every other line

# Sections FRR refuses to delete whole (`no interface eth1` on a live interface, `no line vty`):
# their lines are negated one by one instead.
FRR_UNDELETABLE = ("interface ", "line vty")


def match(*path: str) -> tuple[MatchRule, ...]:
    """Match rules from a quirks path: a prefix per level, or a regex when it starts with `^`
    (its groups then name the object: `^rule (\\d+) ` is one rule per number)."""
    return tuple(MatchRule(re_search=p) if p.startswith("^") else MatchRule(startswith=p) for p in path)


class TreeRules(HConfigDriverBase):
    """A platform's hier_config rules with its `quirks` added. A subclass names hier_config's
    driver for the platform's syntax after this class in its bases, or, where hier_config has
    none (FRR), declares the rules itself in `_instantiate_rules`."""

    quirks: ClassVar[Quirks]

    def __init__(self) -> None:
        super().__init__()
        q = self.quirks
        self.rules.idempotent_commands.extend(
            IdempotentCommandsRule(match_rules=match(*p)) for p in q.replace_in_place
        )
        self.rules.negate_with.extend(
            NegationDefaultWithRule(match_rules=match(*p), use=use) for p, use in q.negate_as
        )
        self.rules.ordering.extend(OrderingRule(match_rules=match(*p), weight=LATER) for p in q.later)

    def negate_undeletable(self, delta: HConfig, source: HConfig) -> None:
        """Rewrite, in the remediation `delta` from `source`, the negation of a section the device
        refuses to delete whole. Every section can be deleted on most platforms: nothing to do."""


def _drop_default_p2p_on_wireguard(config: HConfig) -> None:
    """FRR never prints `ip ospf network point-to-point` on a WireGuard interface: it is already
    that interface type's default. Dropped on both sides so it is never seen as drift."""
    for iface in config.get_children(startswith="interface wg"):
        for line in tuple(iface.children):
            if line.text == "ip ospf network point-to-point":
                line.delete()


def _drop_empty_sections(config: HConfig) -> None:
    """An interface or `line vty` with no lines left is configuration-free: FRR forgets it."""
    for section in tuple(config.children):
        if section.text.startswith(FRR_UNDELETABLE) and not section.children:
            section.delete()


class FrrRules(TreeRules):
    """hier_config rules for FRR's vtysh (8.x): the quirks of `quirks.FRR`, vtysh's
    `exit`/`exit-address-family` section ends and the banner lines of `show running-config`."""

    quirks = FRR

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverRules(
            sectional_exiting=[
                SectionalExitingRule(
                    match_rules=match("router bgp", "address-family"), exit_text="exit-address-family"
                ),
            ],
            per_line_sub=[
                PerLineSubRule(search=r"^Building configuration.*", replace=""),
                PerLineSubRule(search=r"^Current configuration.*", replace=""),
                PerLineSubRule(search=r"^frr (version|defaults) .*", replace=""),
                PerLineSubRule(search=r"^\s*!.*", replace=""),
                PerLineSubRule(search=r"^end$", replace=""),
                PerLineSubRule(search=r"^\s*exit(-address-family|-vrf)?$", replace=""),
                # vtysh.conf's login line (the lab's `username admin nopassword`): not routing intent
                PerLineSubRule(search=r"^username \S+ nopassword$", replace=""),
            ],
            post_load_callbacks=[_drop_default_p2p_on_wireguard, _drop_empty_sections],
        )

    def negate_undeletable(self, delta: HConfig, source: HConfig) -> None:
        """`no interface eth1` (a live interface) and `no line vty` are refused: a section with
        lines becomes the section with each line negated; an empty one is deleted whole."""
        for child in tuple(delta.children):
            text = child.text
            if not (text.startswith("no ") and text[3:].startswith(FRR_UNDELETABLE)):
                continue
            section = source.get_child(equals=text[3:])
            if section is None or not section.children:
                continue  # an empty section (an inactive interface) can be deleted whole
            child.delete()
            replacement = delta.add_child(section.text)
            for line in section.children:
                replacement.add_child(self.negate_with(line) or f"no {line.text}")


class CiscoIosRules(TreeRules, HConfigDriverCiscoIOS):
    """hier_config's Cisco IOS rules with the quirks of `quirks.CISCO_IOS`."""

    quirks = CISCO_IOS


class VrpRules(TreeRules, HConfigDriverHuaweiVrp):
    """hier_config's Huawei VRP rules with the quirks of `quirks.HUAWEI_VRP`, and the `return`
    that ends `display current-configuration` left out."""

    quirks = HUAWEI_VRP

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        rules = HConfigDriverHuaweiVrp._instantiate_rules()
        rules.per_line_sub.append(PerLineSubRule(search=r"^return$", replace=""))
        return rules


RULES: dict[str, type[TreeRules]] = {"frr": FrrRules, "cisco_ios": CiscoIosRules, "huawei_vrp": VrpRules}


def rules_for(platform: str) -> TreeRules:
    """A fresh rules object for the platform's configuration trees."""
    try:
        return RULES[platform]()
    except KeyError:
        raise ValueError(f"no configuration-tree rules for platform {platform!r}") from None
