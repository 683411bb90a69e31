"""Configuration as a tree (hier_config): remediation, rollback and drift between two texts.

Remediation is the tree difference running -> intended; rollback is intended -> running. Platform
quirks are declarative hier_config rules. hier_config 3.7 ships Cisco IOS and Huawei VRP drivers
but no FRR one, so `FrrRules` below declares FRR's: vtysh's `exit`/`exit-address-family`
section ends, the banner lines of `show running-config`, and which commands replace their
previous value in place (hostname, router-id, OSPF timers) rather than adding a second line.
"""

from __future__ import annotations

from dataclasses import dataclass

from hier_config import HConfig, MatchRule, Platform, get_hconfig, get_hconfig_driver
from hier_config.models import (
    IdempotentCommandsRule,
    NegationDefaultWithRule,
    PerLineSubRule,
    SectionalExitingRule,
)
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules


def _m(*prefixes: str) -> tuple[MatchRule, ...]:
    return tuple(MatchRule(startswith=p) for p in prefixes)


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


class FrrRules(HConfigDriverBase):
    """hier_config rules for FRR's vtysh (8.x)."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        idempotent = [
            ("hostname ",),
            ("log syslog",),
            ("interface ", "description "),
            ("interface ", "bandwidth "),
            ("interface ", "ip ospf hello-interval "),
            ("interface ", "ip ospf dead-interval "),
            ("interface ", "ip ospf cost "),
            ("interface ", "ip ospf network "),
            ("interface ", "ip ospf area "),
            ("router ospf", "ospf router-id "),
            ("router ospf", "auto-cost reference-bandwidth "),
            ("router bgp ", "bgp router-id "),
            ("router bgp ", "timers bgp "),
        ]
        return HConfigDriverRules(
            negate_with=[  # FRR takes `no description`, never `no description <text>`
                NegationDefaultWithRule(match_rules=_m("interface ", "description "), use="no description")
            ],
            sectional_exiting=[
                SectionalExitingRule(
                    match_rules=_m("router bgp", "address-family"), exit_text="exit-address-family"
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
            idempotent_commands=[IdempotentCommandsRule(match_rules=_m(*p)) for p in idempotent],
            post_load_callbacks=[_drop_default_p2p_on_wireguard, _drop_empty_sections],
        )


def tree_driver(platform: str) -> HConfigDriverBase:
    if platform == "frr":
        return FrrRules()
    if platform == "cisco_ios":
        return get_hconfig_driver(Platform.CISCO_IOS)
    if platform == "huawei_vrp":
        vrp = get_hconfig_driver(Platform.HUAWEI_VRP)
        # `display current-configuration` ends with `return`; a description replaces the old one
        vrp.rules.per_line_sub.append(PerLineSubRule(search=r"^return$", replace=""))
        vrp.rules.idempotent_commands.append(
            IdempotentCommandsRule(match_rules=_m("interface ", "description "))
        )
        return vrp
    raise ValueError(f"no configuration-tree rules for platform {platform!r}")


def parse(platform: str, text: str) -> HConfig:
    return get_hconfig(tree_driver(platform), text)


@dataclass(frozen=True)
class Change:
    """What it takes to go from running to intended, and back."""

    remediation: tuple[str, ...]  # lines to send in config mode, indented as on the device
    rollback: tuple[str, ...]
    diff: str  # unified diff running -> intended, in tree order

    @property
    def empty(self) -> bool:
        return not self.remediation


# Sections FRR refuses to delete whole (`no interface eth1` on a live interface, `no line vty`):
# their lines are negated one by one instead.
FRR_UNDELETABLE = ("interface ", "line vty")


def _negate_lines_not_sections(delta: HConfig, source: HConfig) -> None:
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
            replacement.add_child(source.driver.negate_with(line) or f"no {line.text}")


def _lines(config: HConfig) -> tuple[str, ...]:
    return tuple(config.dump_simple(sectional_exiting=True))


def compare(platform: str, running: str, intended: str) -> Change:
    run, want = parse(platform, running), parse(platform, intended)
    remediation = run.config_to_get_to(want)
    rollback = want.config_to_get_to(run, HConfig(run.driver))
    if platform == "frr":
        _negate_lines_not_sections(remediation, run)
        _negate_lines_not_sections(rollback, want)
    remediation.set_order_weight()
    rollback.set_order_weight()
    diff = "\n".join(run.unified_diff(want))
    return Change(_lines(remediation), _lines(rollback), diff)


def same(platform: str, a: str, b: str) -> bool:
    """True when two configs are equal as trees (ignoring banners, comments and order)."""
    return not compare(platform, a, b).remediation


def apply(platform: str, running: str, lines: tuple[str, ...] | list[str]) -> str:
    """Running config after `lines` are applied (hier_config's model of the device)."""
    run = parse(platform, running)
    future = run.future(parse(platform, "\n".join(lines)))
    return "\n".join(future.dump_simple())
