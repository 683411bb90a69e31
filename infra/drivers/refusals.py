"""How each platform says no to a configuration line, as data.

A push fails on the first answer line that matches one of the platform's `refused` patterns
(each anchored at the start of a line: a device prints its errors on a line of their own, while
the echo of a sent line always follows the prompt) unless it is one of its `notices`: a
`%`-line some commands print on success. Not only `%` lines: FRR answers `Must remove previous
area config before changing ospf area` for a refused area change.

FRR 8.4 texts were read from a real vtysh (tests/deploy/test_frr_refusals.py pushes several of
them through the driver); IOS and VRP texts are those the vendors document and print, replayed
from tests/deploy/recordings/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusals:
    refused: tuple[str, ...]  # regexes, matched at the start of an answer line
    notices: tuple[str, ...] = ()  # regexes of lines that look refused but report success

    @property
    def pattern(self) -> str:
        """One regex for Netmiko's `error_pattern` (searched with re.M over the whole answer)."""
        notice = f"(?!{'|'.join(self.notices)})" if self.notices else ""
        return rf"^[ \t]*{notice}(?:{'|'.join(self.refused)}).*$"

    def first(self, answer: str) -> str | None:
        """The first refused line of an answer, or None."""
        m = re.search(self.pattern, answer, re.M)
        return m.group(0).strip() if m else None


FRR = Refusals(
    refused=(
        r"%",  # % Unknown command, % Command incomplete, % Ambiguous command, % Can't find address,
        # % Specify remote-as or peer-group commands first, % Configuration failed., ...
        r"Must remove previous area config",
        r"Please remove all ip ospf area",
        r"Can't ",  # Can't find specified interface area configuration.
        r"Cannot ",
        r"Error type: ",
        r"Error description: ",
        r"BGP is already running",
        r"Access-class is not currently applied",
        r"OSPF: Key \d+ does not exist",
        r"Warning: connecting to \S+\.\.\.failed",  # vtysh lost a daemon: the line went nowhere
    ),
    notices=(r"% OSPF: Reference bandwidth is changed",),
)

CISCO_IOS = Refusals(
    refused=(
        r"% ?Invalid input detected",
        r"% ?Incomplete command",
        r"% ?Ambiguous command",
        r"% ?Unknown command",
        r"% ?Error",
        r"%\S.*\boverlaps with\b",
        r"% .*\boverlaps with\b",
        r"% ?Bad ",
        r"% ?Cannot ",
        r"% ?Can't ",
        r"% ?Specify remote-as",
        r"% ?Policy map \S+ is (?:being used|already attached)",
        r"%\s",  # any other `% text` answer to a configuration line
        r"%[A-Za-z]",
    ),
    notices=(
        # syslog messages on the session (`%LINK-3-UPDOWN: ...`) are not answers
        r"%[A-Z0-9_]+-\d-[A-Z0-9_]+:",
        r"% OSPF: Reload or use \"clear ip ospf process\"",
        r"% ?Warning: ",
        r"%Rollback Done",
    ),
)

HUAWEI_VRP = Refusals(
    refused=(
        r"Error:",  # Error: Unrecognized command / Wrong parameter / Incomplete command found at '^'
        # position., Error: The peer does not exist., ...
        r"Unrecognized command",
        r"Incomplete command",
        r"Wrong parameter",
        r"Too many parameters",
        r"Ambiguous command",
        r"Failed to ",
    ),
)

BY_PLATFORM = {"frr": FRR, "cisco_ios": CISCO_IOS, "huawei_vrp": HUAWEI_VRP}
