"""A RoomOS codec's SSH xAPI played from a recording (`recordings/cisco_tp/<name>.yml`).

The shell of `replay.ReplayServer`, with a codec's session instead of a router's: no prompt,
the greeting ends with `OK`, every line is echoed and answered with `*c`/`*s`/`*r` lines, then
`** end` and `OK` (or `ERROR`, or `Command not recognized.`). `xConfiguration <path>: <value>`
sets the value at once (a path outside the recorded schema, or a value outside its value
space, is the codec's error result); `xStatus SIP Registration 1 Status` follows the
recording's `registration_after_sip_change` once a `SIP ...` setting changed. Every line
received is kept, so tests assert exactly what the driver sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
import yaml

from infra import xconfig
from tests.deploy.replay import ReplayServer

RECORDINGS = Path(__file__).parent / "recordings" / "cisco_tp"
REGISTRATION = "SIP Registration 1 Status"


def managed_settings(snmp_community: str) -> str:
    """The settings infra manages on the test inventory's codec vc-so-noi-vu (the renderer's
    canonical form); the SNMP community is a secret-bearing setting, so a test can pass a secret
    and look for it where it must not be."""
    return f"""xConfiguration SIP URI: "sip:so-noi-vu@vc.lamvien.gov.vn"
xConfiguration SIP Proxy 1 Address: "10.94.20.16"
xConfiguration SIP DefaultTransport: TLS
xConfiguration NetworkServices H323 Mode: Off
xConfiguration Conference Encryption Mode: On
xConfiguration Conference AutoAnswer Mode: Off
xConfiguration Conference FarEndControl Mode: Off
xConfiguration NetworkServices HTTP Mode: HTTPS
xConfiguration NetworkServices SNMP Mode: ReadOnly
xConfiguration NetworkServices SNMP CommunityName: "{snmp_community}"
xConfiguration Security Session InactivityTimeout: 15
"""


def load_recording(name: str) -> dict[str, Any]:
    rec: dict[str, Any] = yaml.safe_load((RECORDINGS / f"{name}.yml").read_text(encoding="utf-8"))
    base = rec.pop("extends", None)
    if base:
        rec = {**load_recording(Path(base).stem), **rec}
    return rec


@dataclass
class Codec:
    rec: dict[str, Any]
    running: str  # canonical form (infra.xconfig)
    received: list[str] = field(default_factory=list)
    registration: list[str] = field(default_factory=list)  # what the next status reads give
    ignored: set[str] = field(default_factory=set)  # fault injection: paths answered OK, not set

    @classmethod
    def load(cls, name: str = "room_kit") -> Codec:
        rec = load_recording(name)
        return cls(rec, xconfig.canonical(rec["running"]))

    def status(self, path: str) -> str | None:
        if path.lower() == REGISTRATION.lower() and self.registration:
            return self.registration.pop(0) if len(self.registration) > 1 else self.registration[0]
        for known, value in self.rec["status"].items():
            if known.lower() == path.lower():
                return str(value)
        return None


class CodecSession:
    def __init__(self, codec: Codec, chan: paramiko.Channel) -> None:
        self.codec, self.chan, self.rec = codec, chan, codec.rec

    def send(self, text: str) -> None:
        self.chan.sendall(text.replace("\n", "\r\n").encode())

    def run(self) -> None:
        self.send(str(self.rec["banner"]))
        buf = b""
        while True:
            data = self.chan.recv(4096)
            if not data:
                return
            buf += data
            while (m := re.search(rb"\r\n|\n|\r", buf)) is not None:
                raw, buf = buf[: m.start()], buf[m.end() :]
                # a NUL byte reaches a codec as part of the next line (RoomOS: `Command not
                # recognized.`): the line is recorded as sent, so tests can see it
                line = raw.decode(errors="replace").strip()
                self.codec.received.append(line)
                if line.lower() in ("bye", "exit", "quit"):
                    return
                if not line:
                    continue
                echo = line + "\n" if self.rec.get("echo", True) else ""
                self.send(echo + self.answer(line).rstrip("\n") + "\n")

    def answer(self, line: str) -> str:
        ok = str(self.rec["ok"])
        word, _, rest = line.partition(" ")
        rest = " ".join(rest.split())
        if word.lower() == "xconfiguration":
            return self.configuration(line, rest, ok)
        if word.lower() == "xstatus":
            value = self.codec.status(rest)
            if value is None:
                return self.no_such_path("Status", rest)
            return f"*s {rest}: {value}\n{ok}"
        if word.lower() == "xcommand":
            for pattern, text in self.rec["commands"].items():
                if re.search(pattern, rest):
                    return str(text)
            return self.no_such_path("Command", rest)
        return str(self.rec["not_recognized"])

    def configuration(self, line: str, rest: str, ok: str) -> str:
        codec = self.codec
        settings = xconfig.parse(codec.running)
        setting = xconfig.parse_line(line)
        if setting is None:  # a read: everything, or the settings under a path
            under = (rest + " ").lower() if rest else ""
            shown = [s for s in settings.values() if (s.path + " ").lower().startswith(under)]
            if not shown:
                return self.no_such_path("Configuration", rest)
            return "".join(f"*c {s.line}\n" for s in shown) + ok
        was = settings.get(setting.key)
        if was is None:
            return self.no_such_path("Configuration", setting.path)
        space = {k.lower(): v for k, v in self.rec.get("value_space", {}).items()}.get(setting.key)
        if space and not re.fullmatch(space, setting.value, re.I):
            return str(self.rec["bad_value"]).format(xpath=_xpath(setting.path))
        if not was.same_value(setting.value) and setting.key.startswith("sip "):
            codec.registration = list(self.rec["registration_after_sip_change"])
        if setting.key not in codec.ignored:
            codec.running = xconfig.apply(codec.running, [line])
        return ok

    def no_such_path(self, kind: str, path: str) -> str:
        return str(self.rec["no_such_path"]).format(kind=kind, xpath=_xpath(path))


def _xpath(path: str) -> str:
    """`SIP Proxy 1 Address` -> `SIP/Proxy[1]/Address` (the reference's XPath form)."""
    out: list[str] = []
    for word in path.split():
        if word.isdigit() and out:
            out[-1] += f"[{word}]"
        else:
            out.append(word)
    return "/".join(out)


class CodecReplayServer(ReplayServer):
    session_class = CodecSession

    def __init__(self, user: str, password: str, recording: str = "room_kit") -> None:
        super().__init__("cisco_tp", user, password, device=Codec.load(recording))
        self.codec: Codec = self.device
