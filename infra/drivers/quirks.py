r"""What each platform's CLI does with a changed value, as data (each is the `quirks` of its
platform's rules class in `treerules.RULES`, which `configtree` reads).

hier_config computes remediation as a tree difference: a line only in running is negated, a
line only in intended is added, negations first. That is right for most commands; these are
the exceptions, per platform, each learnt from what the device answers:

- `replace_in_place`: the new value replaces the old one (`hostname b` over `hostname a`);
  negating the old value first would be a needless gap or, on some commands, refused.
- `negate_as`: the device takes only this fixed form to undo a value (FRR's VTY timeout: not
  `no exec-timeout 9 0`, which answers `% Unknown command`, nor `no exec-timeout`, which turns
  the timeout off, but `exec-timeout 10 0`, the default).
- `negate_by_key`: an entry is removed by its key alone (IOS ACL `no 10`, as Cisco documents
  it; VRP `undo rule 5`), not by repeating its whole text.
- `hidden_defaults`: what the device never prints (FRR hides `exec-timeout 10 0`), so the
  model of the device after a push drops it too.
- `negate_before_replace`: the device refuses a new value while the old one is set (FRR:
  `Must remove previous area config before changing ospf area`): the remediation is
  `no <old>` then `<new>`. These must not be `replace_in_place`; `tests/deploy` checks that
  the negation comes first.
- `renamed_in_place`: a section header that carries a value (VRP `ospf 1 router-id X`): the
  new header is entered over the old section and only the lines that differ are sent.
- `goes_with`: negating an owner line removes its dependents with it (`no neighbor X
  remote-as` deletes every `neighbor X ...` line), so their own negations would be refused
  (`% Specify remote-as or peer-group commands first`) and are left out.

Paths match from the top of the tree: `("line vty", "exec-timeout ")` is an `exec-timeout`
line inside a section starting `line vty`. An element starting with `^` is a regex whose groups
name the object (`("acl number ", r"^rule (\d+) ")`: rule 5 replaces rule 5, not rule 10).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Path = tuple[str, ...]  # startswith-prefixes from the root to the line


@dataclass(frozen=True)
class GoesWith:
    """Inside a `section`, negating a line matching `owner` (one group: the object's key)
    removes every descendant line matching `dependent` (`{key}` replaced by that key)."""

    section: str
    owner: str  # regex, e.g. r"^neighbor (\S+) remote-as "
    dependent: str  # regex template, e.g. r"^neighbor {key} "


@dataclass(frozen=True)
class Quirks:
    replace_in_place: tuple[Path, ...] = ()
    negate_as: tuple[tuple[Path, str], ...] = ()
    negate_before_replace: tuple[Path, ...] = ()
    goes_with: tuple[GoesWith, ...] = ()
    later: tuple[Path, ...] = field(default=())  # negations sent after everything else
    # top-level sections whose header carries a value (regex, group 1 = the section's identity):
    # the new header is entered over the old one, never the old section deleted
    renamed_in_place: tuple[str, ...] = ()
    # a path whose last element is a regex with one group, the entry's key: removed as `no <key>`
    negate_by_key: tuple[Path, ...] = ()
    # (section path, line): a value the device never prints because it is the default
    hidden_defaults: tuple[tuple[Path, str], ...] = ()

    def __post_init__(self) -> None:
        both = set(self.replace_in_place) & set(self.negate_before_replace)
        if both:
            raise ValueError(f"a command cannot both replace in place and need negation first: {both}")


FRR = Quirks(
    replace_in_place=(
        ("hostname ",),
        ("log syslog",),
        ("interface ", "description "),
        ("interface ", "bandwidth "),
        ("interface ", "ip ospf hello-interval "),
        ("interface ", "ip ospf dead-interval "),
        ("interface ", "ip ospf cost "),
        ("interface ", "ip ospf network "),
        ("router ospf", "ospf router-id "),
        ("router ospf", "auto-cost reference-bandwidth "),
        ("router bgp ", "bgp router-id "),
        ("router bgp ", "timers bgp "),
        ("line vty", "exec-timeout "),
        ("line vty", "access-class "),
    ),
    negate_as=(
        (("interface ", "description "), "no description"),
        # `no exec-timeout 9 0` is `% Unknown command`, and `no exec-timeout` means *never* time
        # out (FRR then shows `exec-timeout 0 0`): back to the default is setting the default
        (("line vty", "exec-timeout "), "exec-timeout 10 0"),
    ),
    hidden_defaults=((("line vty",), "exec-timeout 10 0"),),
    negate_before_replace=(("interface ", "ip ospf area "),),
    # the old secret is not sent again only to be removed
    negate_by_key=(
        ("interface ", r"^(ip ospf message-digest-key \d+) "),
        ("router bgp ", r"^(neighbor \S+ password) "),
    ),
    goes_with=(GoesWith("router bgp ", r"^neighbor (\S+) remote-as ", r"^neighbor {key} "),),
)

CISCO_IOS = Quirks(
    replace_in_place=(
        ("hostname ",),
        ("banner login ",),  # a new banner replaces the old; `no banner login` takes no text
        ("clock timezone ",),
        ("ip domain name ",),
        ("login block-for ",),
        ("ip ssh authentication-retries ",),
        ("ip ssh time-out ",),
        ("snmp-server location ",),
        ("snmp-server contact ",),
        ("logging buffered ",),
        ("logging trap ",),
        ("ntp source ",),
        ("enable algorithm-type ",),
        ("line ", "exec-timeout "),
        ("line ", "access-class "),
        ("interface ", "bandwidth "),
        ("interface ", "ip ospf hello-interval "),
        ("interface ", "ip ospf dead-interval "),
        ("interface ", "ip ospf cost "),
        ("interface ", "ip mtu "),
        ("interface ", "ip tcp adjust-mss "),
        ("interface ", "tunnel source "),
        ("interface ", "tunnel destination "),
        ("interface ", "switchport access vlan "),
        ("interface ", "switchport trunk native vlan "),
        ("interface ", "switchport trunk allowed vlan "),
        ("tacacs server ", "address ipv4 "),
        ("tacacs server ", "key "),
        ("router ospf ", "router-id "),
        ("router bgp ", "bgp router-id "),
        ("crypto ikev2 keyring ", "peer ", "address "),
        ("crypto ikev2 keyring ", "peer ", "pre-shared-key "),
        ("crypto ikev2 profile ", "identity local address "),
        ("policy-map ", "class ", "shape average "),
        ("policy-map ", "class ", "bandwidth percent "),
        ("policy-map ", "class ", "priority percent "),
    ),
    # "Statements cannot be overwritten using the same sequence number": `no 10` first
    # (also: a secret is never sent again only to be removed)
    negate_by_key=(
        ("ip access-list ", r"^(\d+) "),
        (r"^(ntp server \S+) ",),
        ("interface ", r"^(ip ospf message-digest-key \d+) "),
        ("router bgp ", r"^(neighbor \S+ password) "),
    ),
    # IOS refuses a second policy on the same direction ("already attached"): detach first
    negate_before_replace=(("interface ", "service-policy "), ("interface ", "ip ospf 1 area ")),
    goes_with=(GoesWith("router bgp ", r"^neighbor (\S+) remote-as ", r"^neighbor {key} "),),
    # a policy-map or ACL still attached somewhere cannot be deleted: detach (in the sections)
    # before the top-level `no policy-map` / `no ip access-list`
    later=(("no policy-map ",), ("no class-map ",), ("no ip access-list ",)),
)

HUAWEI_VRP = Quirks(
    replace_in_place=(
        ("sysname ",),
        ("header login information ",),
        ("ssh server-source ",),
        ("ntp-service source-interface ",),
        ("info-center loghost source ",),
        ("snmp-agent sys-info location ",),
        ("snmp-agent sys-info contact ",),
        ("dns domain ",),
        ("user-interface ", "idle-timeout "),
        ("interface ", "description "),
        ("interface ", "bandwidth "),
        ("interface ", "ip address "),
        ("interface ", "ospf timer hello "),
        ("interface ", "ospf timer dead "),
        ("interface ", "ospf cost "),
        ("interface ", "ospf authentication-mode "),
        ("interface ", "qos gts cir "),
        ("interface ", "source "),
        ("interface ", "destination "),
        ("interface ", "mtu "),
        ("interface ", "tcp adjust-mss "),
        ("interface ", "port default vlan "),
        ("hwtacacs-server template ", "hwtacacs-server source-ip "),
        ("hwtacacs-server template ", "hwtacacs-server shared-key "),
        ("aaa", "local-aaa-user wrong-password "),
        ("ospf ", "bandwidth-reference "),
        ("ospf ", "area ", "authentication-mode "),
        ("bgp ", "router-id "),
        ("vlan ", "name "),
        ("acl number ", "description "),
        ("acl number ", r"^rule (\d+) "),  # a rule given again by number is modified in place
    ),
    # `ospf 1 router-id B` over `ospf 1 router-id A` changes the id; `undo ospf 1 ...` would
    # delete the whole process
    renamed_in_place=(r"^ospf (\d+) router-id ",),
    negate_before_replace=(("interface ", "ospf enable "),),
    negate_by_key=(
        ("acl number ", r"^(rule \d+) "),
        (r"^(ntp-service unicast-server \S+) ",),
        (r"^(info-center loghost \d+\.\d+\.\d+\.\d+) ",),
        ("bgp ", r"^(peer \S+ password) "),
    ),
    goes_with=(GoesWith("bgp ", r"^peer (\S+) as-number ", r"^peer {key} "),),
    later=(("undo acl number ",), ("undo traffic policy ",), ("undo qos queue-profile ",)),
)
