"""Which platform a configuration text comes from, told by scoring markers.

Each platform has markers: lines only it writes (`frr version`, `sysname`, `boot-start-marker`:
strong, 10), lines it writes in its own way (FRR's `ip address A/len` and `ip ospf area`, IOS's
`line vty 0 4` and `ip ospf 1 area`: 3-6), and weak hints shared with a neighbour (2). A marker
counts once, however often it occurs. The platform with the highest score wins when it reaches
`MIN_SCORE` and no other platform has as much; otherwise the content does not tell.

Platforms the audit has no rules for (Junos in `set` or curly-brace syntax, FortiOS, NX-OS,
IOS-XR, ASA, Arista EOS, RouterOS) are recognised too, so a file of theirs is reported as
"unsupported platform: junos" rather than mistaken for one that is supported, or reported as
unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SCORE = 6

# (platforms, weight, what an operator would call the marker, pattern at a line start)
_MARKERS: tuple[tuple[str, int, str, str], ...] = (
    # FRR (and Quagga-style split configs written by hand: no `frr version` line)
    ("frr", 10, "frr version", r"^frr (version|defaults) "),
    ("frr", 10, "service integrated-vtysh-config", r"^service integrated-vtysh-config$"),
    (
        "frr",
        8,
        "'configuration saved from vty'",
        r"^!\s*(Zebra|Quagga|FRR|[A-Za-z]+d) configuration saved from vty",
    ),
    ("frr", 6, "log timestamp precision", r"^log timestamp precision "),
    ("frr", 6, "no bgp ebgp-requires-policy", r"^\s+no bgp ebgp-requires-policy$"),
    ("frr", 5, "ip ospf area (in an interface)", r"^\s+ip ospf area \S+"),
    ("frr", 5, "ospf router-id", r"^\s+ospf router-id "),
    ("frr", 5, "ip forwarding", r"^(no )?ipv?6? ?forwarding$"),
    ("frr", 4, "bare exit", r"^exit$"),
    ("frr", 4, "exit-vrf", r"^\s*exit-vrf$"),
    ("frr", 4, "log syslog/file/stdout", r"^log (syslog|file|stdout|monitor)( |$)"),
    ("frr", 4, "line vty (no line numbers)", r"^line vty$"),
    ("frr", 4, "router ospf (no process id)", r"^router ospf( vrf \S+)?$"),
    ("frr", 4, "ip address A/len", r"^\s+ip address \d+\.\d+\.\d+\.\d+/\d+"),
    ("frr", 4, "network A/len area", r"^\s+network \d+\.\d+\.\d+\.\d+/\d+ area "),
    ("frr", 4, "agentx", r"^agentx$"),
    ("frr", 3, "ip route A/len", r"^ip route \d+\.\d+\.\d+\.\d+/\d+ "),
    ("frr", 3, "password 8", r"^(enable )?password 8 "),
    ("frr", 3, "Linux interface names", r"^interface (eth|ens|enp|eno|wg|br|bond|veth|vxlan|dummy|lo$)"),
    # Cisco IOS / IOS-XE
    ("cisco_ios", 10, "version 12.x-17.x", r"^version 1[2-7]\.\d+$"),
    ("cisco_ios", 10, "boot-start-marker", r"^boot-start-marker$"),
    ("cisco_ios", 10, "Current configuration : N bytes", r"^Current configuration : \d+ bytes"),
    ("cisco_ios", 8, "license udi", r"^license udi "),
    ("cisco_ios", 6, "! Last configuration change at", r"^! Last configuration change at "),
    ("cisco_ios", 6, "service timestamps", r"^service timestamps "),
    ("cisco_ios", 6, "line con/aux/vty N", r"^line (con|console|aux|vty) \d+"),
    ("cisco_ios", 5, "aaa new-model", r"^aaa new-model$"),
    ("cisco_ios", 5, "no service pad", r"^no service pad$"),
    ("cisco_ios", 4, "enable secret", r"^enable (secret|password) "),
    ("cisco_ios", 4, "ip ospf N area", r"^\s+ip ospf \d+ area "),
    ("cisco_ios", 4, "transport input", r"^\s+transport input "),
    ("cisco_ios", 4, "network A wildcard area", r"^\s+network \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+ area "),
    (
        "cisco_ios",
        3,
        "ip ssh/http/cef/bootp/domain",
        r"^(no )?ip (ssh|http|cef|bootp|domain[- ]name|forward-protocol) ",
    ),
    ("cisco_ios", 3, "logging host/buffered/trap", r"^logging (host|buffered|trap|console) "),
    (
        "cisco_ios",
        2,
        "IOS interface names",
        r"^interface (GigabitEthernet|FastEthernet|TenGigabitEthernet|Loopback|Vlan|Port-channel|"
        r"Serial|Dialer)\d",
    ),
    ("cisco_ios", 2, "snmp-server", r"^snmp-server "),
    ("cisco_ios huawei_vrp", 2, "ip address A mask", r"^\s+ip address \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+"),
    # Huawei VRP
    ("huawei_vrp", 10, "sysname", r"^ ?sysname \S+"),
    ("huawei_vrp", 10, "!Software Version V", r"^!Software Version V\d"),
    ("huawei_vrp", 8, "return", r"^return\s*$"),
    ("huawei_vrp", 8, "user-interface", r"^ ?user-interface (vty|con|console|maint-interface) "),
    ("huawei_vrp", 6, "info-center", r"^ ?info-center "),
    ("huawei_vrp", 6, "snmp-agent", r"^snmp-agent"),
    ("huawei_vrp", 6, "ntp-service", r"^ntp-service "),
    ("huawei_vrp", 6, "stelnet server", r"^stelnet server "),
    ("huawei_vrp", 5, "undo ...", r"^ ?undo \S+"),
    ("huawei_vrp", 5, "acl number/name", r"^acl (number|name) "),
    ("huawei_vrp", 5, "vlan batch", r"^vlan batch "),
    ("huawei_vrp", 5, "local-user", r"^\s+local-user \S+ "),
    ("huawei_vrp", 4, "ospf N (top level)", r"^ospf \d+"),
    ("huawei_vrp", 4, "port link-type", r"^\s+port link-type "),
    ("huawei_vrp", 4, "VRP interface names", r"^interface (Vlanif|Eth-Trunk|LoopBack|NULL)\d"),
    ("huawei_vrp", 4, "header login/shell", r"^ ?header (login|shell) "),
    ("huawei_vrp", 3, "# separators", r"^#$"),
    # Cisco TelePresence / RoomOS codecs, Linux (sshd_config handed over as one file)
    ("cisco_tp", 10, "xConfiguration", r"^\*?c? ?xConfiguration "),
    (
        "linux",
        6,
        "sshd_config keywords",
        r"^\s*(PermitRootLogin|PasswordAuthentication|KbdInteractiveAuthentication|"
        r"ChallengeResponseAuthentication|UsePAM|X11Forwarding|Subsystem\s+sftp)\b",
    ),
    ("linux", 6, "login.defs keywords", r"^\s*PASS_(MAX|MIN)_DAYS\b"),
    # platforms the audit has no rules for
    (
        "junos",
        10,
        "set system/interfaces/protocols ...",
        r"^set (system|interfaces|protocols|routing-options|security|firewall|policy-options|snmp|"
        r"chassis|groups|apply-groups) ",
    ),
    (
        "junos",
        10,
        "system { ... } blocks",
        r"^(system|interfaces|protocols|routing-options|policy-options|chassis|security|snmp|firewall) \{$",
    ),
    ("junos", 10, "version N.NRN;", r"^(set )?version \d+\.\d+R\d+[\d.\-SD]*;?$"),
    ("junos", 8, "## Last commit", r"^## Last (commit|changed): "),
    ("junos", 4, "host-name ...;", r"^\s+host-name \S+;$"),
    ("fortios", 10, "#config-version=", r"^#config-version="),
    ("fortios", 10, "config system ...", r"^config (system|firewall|router|user|vpn) \S+"),
    ("fortios", 4, "edit/next", r"^\s+next$"),
    ("cisco_nxos", 10, "!Command: show running-config", r"^!Command: show (running|startup)-config"),
    ("cisco_nxos", 8, "feature ...", r"^feature \S+"),
    ("cisco_nxos", 6, "version N.N(N)", r"^version \d+\.\d+\(\d+\)"),
    ("cisco_nxos", 4, "ip router ospf N area", r"^\s+ip router ospf \S+ area "),
    ("cisco_xr", 10, "!! IOS XR Configuration", r"^!! IOS XR Configuration"),
    ("cisco_xr", 5, "ipv4 address", r"^\s+ipv4 address \d+\.\d+\.\d+\.\d+ "),
    ("arista_eos", 10, "! device: ... EOS-", r"^! device: .*EOS-\d"),
    ("arista_eos", 6, "management api http-commands", r"^management api http-commands$"),
    ("cisco_asa", 10, "ASA Version", r"^(: )?ASA Version \d"),
    ("cisco_asa", 6, "nameif", r"^\s+nameif \S+"),
    ("cisco_asa", 4, "security-level", r"^\s+security-level \d+"),
    ("mikrotik_routeros", 10, "by RouterOS", r"^# .* by RouterOS"),
    ("mikrotik_routeros", 8, "/ip ... /interface ... sections", r"^/(ip|interface|system|routing|tool) \S+"),
)

_LITERAL = re.compile(r"[^\s\\()\[\]{}|?*+.$^]+")


def _first_word(pattern: str) -> str | None:
    """The literal first word a marker's line starts with (after its indentation), or None when
    the pattern does not fix one (`(no )?ip ...`): those are tried on every line."""
    body = re.sub(r"^(\\s\+|\\s\*| \?| )", "", pattern[1:])
    m = _LITERAL.match(body)
    if not m:
        return None
    rest = body[m.end() :]
    return m.group() if rest == "" or rest.startswith((" ", "\\s", "$")) else None


# markers indexed by the first word of the line they match: a line is tried only against the
# few markers that can match it (one big alternation costs ~12 us a line; this ~1 us)
_BY_WORD: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
_any_word: list[str] = []
for _i, (*_, _pattern) in enumerate(_MARKERS):
    _word = _first_word(_pattern)
    if _word is None:
        _any_word.append(f"(?P<m{_i}>{_pattern[1:]})")
    else:
        _BY_WORD.setdefault(_word, []).append((_i, re.compile(_pattern)))
_ANY_WORD = re.compile("^(?:" + "|".join(_any_word) + ")")  # the rest, as one regex: one call a line


@dataclass(frozen=True)
class Guess:
    """The platform the content looks like (None: it does not tell), its score and what told it;
    `scores` has every platform that matched something."""

    platform: str | None
    markers: tuple[str, ...] = ()
    scores: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        shown = ", ".join(self.markers[:4])
        return f"{self.platform} ({shown})" if self.platform else "nothing known"


def guess_platform(text: str) -> Guess:
    """Score every platform's markers over the text (one pass over its lines)."""
    found: set[int] = set()
    for line in text.splitlines():
        words = line.split(None, 1)
        if not words:
            continue
        for i, pattern in _BY_WORD.get(words[0], ()):
            if i not in found and pattern.match(line):
                found.add(i)
        m = _ANY_WORD.match(line)
        if m and m.lastgroup:
            found.add(int(m.lastgroup[1:]))
    scores: dict[str, int] = {}
    markers: dict[str, list[tuple[int, str]]] = {}
    for i in found:
        platforms, weight, label, _ = _MARKERS[i]
        for platform in platforms.split():
            scores[platform] = scores.get(platform, 0) + weight
            markers.setdefault(platform, []).append((weight, label))
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_SCORE or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return Guess(None, scores=tuple(ranked))
    best = ranked[0][0]
    told = tuple(label for _, label in sorted(markers[best], key=lambda m: -m[0]))
    return Guess(best, told, tuple(ranked))
