"""The codec's settings: every `xConfiguration` path the stand-in keeps, its value space and the
lab's factory value, named exactly as RoomOS (CE 9 / RoomOS 10) prints them.

RoomOS reads paths and enumeration values without regard to case and prints them in its own
spelling; strings are printed double-quoted, numbers and enumerations bare. `Setting.accept`
does the same normalisation and answers RoomOS's reasons when a value is refused.

The lab's *factory* state is the state a codec arrives in from the installer: reachable, but
with the settings the baseline forbids (auto-answer on, HTTP on, far-end camera control on,
SNMP community `public`, no session timeout, H.323 on, media encryption best effort, no QoS
marking, no call controller). Real RoomOS ships with auto-answer Off; every other value here is
RoomOS's own default. `infra deploy` is what turns it into the province's codec.
"""

from __future__ import annotations

from dataclasses import dataclass


class Refused(ValueError):
    """A value outside the setting's value space; the text is RoomOS's reason."""


@dataclass(frozen=True)
class Setting:
    path: str  # RoomOS spelling: "SIP Proxy 1 Address"
    kind: str  # "enum" | "int" | "str"
    factory: str  # canonical value (no quotes)
    values: tuple[str, ...] = ()  # enum value space, RoomOS spelling
    low: int = 0  # int range, or str length range
    high: int = 255

    @property
    def key(self) -> str:
        return self.path.lower()

    def accept(self, raw: str) -> str:
        """The canonical form of a value given on the command line (quotes removed), or Refused."""
        if self.kind == "enum":
            for v in self.values:
                if v.lower() == raw.lower():
                    return v
            raise Refused(f"No match on enum: {raw}")
        if self.kind == "int":
            try:
                n = int(raw)
            except ValueError:
                raise Refused(f"Invalid integer value: {raw}") from None
            if not self.low <= n <= self.high:
                raise Refused(f"Value out of range ({self.low}..{self.high}): {raw}")
            return str(n)
        if not self.low <= len(raw) <= self.high:
            raise Refused(f"String length out of range ({self.low}..{self.high})")
        if any(c in raw for c in '"\n\r'):
            raise Refused("Invalid character in string value")
        return raw

    def show(self, value: str) -> str:
        """The value as RoomOS prints it."""
        return f'"{value}"' if self.kind == "str" else value


def _enum(path: str, factory: str, *values: str) -> Setting:
    return Setting(path, "enum", factory, values)


def _int(path: str, factory: int, low: int, high: int) -> Setting:
    return Setting(path, "int", str(factory), (), low, high)


def _str(path: str, factory: str = "", high: int = 255) -> Setting:
    return Setting(path, "str", factory, (), 0, high)


OFF_ON = ("Off", "On")

SETTINGS: tuple[Setting, ...] = (
    _int("Audio DefaultVolume", 50, 0, 100),
    _int("Conference AutoAnswer Delay", 0, 0, 50),
    _enum("Conference AutoAnswer Mode", "On", *OFF_ON),
    _enum("Conference AutoAnswer Mute", "Off", *OFF_ON),
    _enum("Conference DefaultCall Protocol", "Auto", "Auto", "H320", "H323", "Sip", "Spark"),
    _int("Conference DefaultCall Rate", 3072, 64, 6000),
    _enum("Conference Encryption Mode", "BestEffort", "Off", "On", "BestEffort"),
    _enum("Conference FarEndControl Mode", "On", *OFF_ON),
    _int("Conference MaxReceiveCallRate", 6000, 64, 6000),
    _int("Conference MaxTransmitCallRate", 6000, 64, 6000),
    _str("H323 Gatekeeper Address"),
    _str("H323 H323Alias E164"),
    _str("H323 H323Alias ID"),
    _enum("Logging External Mode", "Off", *OFF_ON),
    _enum("Logging External Protocol", "Syslog", "Syslog", "SyslogTLS"),
    _str("Logging External Server Address"),
    _int("Logging External Server Port", 514, 0, 65535),
    _int("Network 1 QoS Diffserv Audio", 0, 0, 63),
    _int("Network 1 QoS Diffserv Data", 0, 0, 63),
    _int("Network 1 QoS Diffserv ICMPv6", 0, 0, 63),
    _int("Network 1 QoS Diffserv NTP", 0, 0, 63),
    _int("Network 1 QoS Diffserv Signalling", 0, 0, 63),
    _int("Network 1 QoS Diffserv Video", 0, 0, 63),
    _enum("Network 1 QoS Mode", "Off", "Off", "Diffserv"),
    _enum("NetworkServices H323 Mode", "On", *OFF_ON),
    _enum("NetworkServices HTTP Mode", "HTTP+HTTPS", "Off", "HTTP+HTTPS", "HTTPS"),
    _enum("NetworkServices NTP Mode", "Auto", "Auto", "Manual", "Off"),
    _str("NetworkServices NTP Server 1 Address"),
    _str("NetworkServices NTP Server 2 Address"),
    _str("NetworkServices NTP Server 3 Address"),
    _str("NetworkServices SNMP CommunityName", "public", 50),
    _str("NetworkServices SNMP Host 1 Address"),
    _str("NetworkServices SNMP Host 2 Address"),
    _str("NetworkServices SNMP Host 3 Address"),
    _enum("NetworkServices SIP Mode", "On", *OFF_ON),
    _enum("NetworkServices SNMP Mode", "ReadOnly", "Off", "ReadOnly", "ReadWrite"),
    _str("NetworkServices SNMP SystemContact", "", 50),
    _str("NetworkServices SNMP SystemLocation", "", 50),
    _enum("NetworkServices SSH Mode", "On", *OFF_ON),
    _enum("NetworkServices Telnet Mode", "Off", *OFF_ON),
    _int("Security Session InactivityTimeout", 0, 0, 10000),
    _int("Security Session MaxFailedLogins", 0, 0, 10),
    _enum("SIP DefaultTransport", "Auto", "Auto", "TCP", "Tls", "UDP"),
    _str("SIP DisplayName", "", 550),
    _str("SIP Proxy 1 Address"),
    _str("SIP Proxy 2 Address"),
    _str("SIP Proxy 3 Address"),
    _str("SIP Proxy 4 Address"),
    _str("SIP URI"),
    _str("SystemUnit Name", "", 50),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def factory() -> dict[str, str]:
    """Every setting at its factory value, keyed by RoomOS path."""
    return {s.path: s.factory for s in SETTINGS}


def under(prefix: str) -> list[Setting]:
    """The settings at or below a path prefix (whole words, any case), in RoomOS's order."""
    words = prefix.lower().split()
    return [s for s in SETTINGS if s.key.split()[: len(words)] == words]
