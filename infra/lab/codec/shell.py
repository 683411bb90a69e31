"""The lab's codec management shell: a stand-in for a Cisco RoomOS codec's SSH xAPI, as FRR
stands in for IOS. It speaks the xAPI subset the `cisco_tp` driver and `infra vc check` use
and maps it onto a real SIP user agent (baresip) in the same network namespace.

Stable interface (the lab's VC nodes depend on it):

    python3 -m infra.lab.codec.shell --state DIR [--ctrl 127.0.0.1:4444] [--http 127.0.0.1:8000]

    reads commands on stdin, one per line, and answers on stdout (an SSH login shell: the lab
    points the codec's `admin` account at it, run as root inside the endpoint's namespace so it
    can load nft marks). DIR is the codec's state directory (xconfig.json, runtime.json,
    baresip/). Before starting `baresip -f DIR/baresip` the lab calls

    infra.lab.codec.baresip.write_baresip_config(DIR, settings, lan_address) -> DIR/baresip

    (or runs `python3 -m infra.lab.codec.boot --state DIR --lan-address A` in the namespace,
    which also loads the QoS marks). `infra.lab.codec.state.load_settings(DIR)` gives the
    settings (factory values when nothing was set yet).

Commands: `xConfiguration [path prefix]`, `xConfiguration <path>: <value>`, `xStatus [path
prefix]`, `xCommand Dial Number: <uri>`, `xCommand Call Disconnect CallId: <n>`, `xCommand Call
DisconnectAll`, `xPreferences outputmode terminal`, `echo on|off`, `help`, `bye`/`exit`.
See docs/vc-lab-codec.md for the mapping and what the stand-in cannot model.
"""

from __future__ import annotations

import argparse
import sys
import termios
from pathlib import Path

from infra.lab.codec import xapi
from infra.lab.codec.agent import Agent
from infra.lab.codec.baresip import CTRL_ADDRESS, HTTP_ADDRESS
from infra.lab.codec.calls import Call
from infra.lab.codec.control import ControlError
from infra.lab.codec.schema import BY_KEY, Refused, under
from infra.lab.codec.state import StateError, load_settings, locked, next_call_id, save_settings
from infra.lab.codec.status import status_leaves, valid_empty

RELEASE = "RoomOS 10.19.5.6 (lab stand-in: infra.lab.codec over baresip 1.0.0)"
HELP = """xConfiguration [<path>]            list settings
xConfiguration <path>: <value>     set a setting
xStatus [<path>]                   list status
xCommand Dial Number: <uri>
xCommand Call Disconnect CallId: <n>
xCommand Call DisconnectAll
xPreferences outputmode terminal
echo on|off
bye"""


class Codec:
    def __init__(
        self,
        state_dir: Path,
        ctrl_address: tuple[str, int] | None = CTRL_ADDRESS,
        http_address: tuple[str, int] | None = HTTP_ADDRESS,
    ) -> None:
        """A codec over its state directory; None addresses: no user agent behind it."""
        self.state_dir = state_dir
        self.agent = Agent(state_dir, ctrl_address, http_address)

    def banner(self) -> str:
        name = load_settings(self.state_dir)["SystemUnit Name"] or "lab codec"
        return f"Welcome to {name}\nCisco Codec Release {RELEASE}\n*r Login successful\n\nOK"

    def handle(self, text: str) -> tuple[str | None, bool]:
        """(answer, end of session) for one command line; no answer for an empty line."""
        if not text.strip():
            return None, False
        line = xapi.parse(text)
        if line.verb in ("bye", "exit", "quit"):
            return None, True
        try:
            return self._dispatch(line), False
        except StateError as e:
            return xapi.error("Result", f"state not readable: {e}"), False

    def _dispatch(self, line: xapi.Line) -> str:
        if line.verb == "xconfiguration":
            return self.configuration(line)
        if line.verb == "xstatus":
            return self.status(line.words)
        if line.verb == "xcommand":
            return self.command(line)
        if line.verb == "xpreferences":
            words = [w.lower() for w in line.words]
            ok = words[:1] == ["outputmode"] and words[1:] == ["terminal"]
            return "OK" if ok else xapi.error("Result", "only outputmode terminal in the lab stand-in")
        if line.verb == "echo" and [w.lower() for w in line.words] in (["on"], ["off"]):
            _terminal_echo(line.words[0].lower() == "on")
            return "OK"
        if line.verb in ("help", "?"):
            return f"{HELP}\nOK"
        if line.verb.startswith("x"):
            return xapi.error("Result", "not modelled by the lab stand-in")
        return xapi.NOT_RECOGNIZED

    # ---- xConfiguration -------------------------------------------------------------------
    def configuration(self, line: xapi.Line) -> str:
        if line.value is None:
            settings = load_settings(self.state_dir)
            found = under(" ".join(line.words))
            if not found:
                return xapi.error("Configuration", xapi.NO_MATCH, xapi.xpath("Configuration", line.words))
            return xapi.answer([f"*c xConfiguration {s.path}: {s.show(settings[s.path])}" for s in found])
        setting = BY_KEY.get(" ".join(line.words).lower())
        if setting is None:
            return xapi.error("Configuration", xapi.NO_MATCH, xapi.xpath("Configuration", line.words))
        try:
            value = setting.accept(line.value)
        except Refused as e:
            return xapi.error("Configuration", str(e), xapi.xpath("Configuration", setting.path.split()))
        with locked(self.state_dir):
            before = load_settings(self.state_dir)
            after = {**before, setting.path: value}
            save_settings(self.state_dir, after)
        if before != after:
            self.agent.apply(before, after)
        return xapi.answer([])

    # ---- xStatus --------------------------------------------------------------------------
    def status(self, words: list[str]) -> str:
        settings = load_settings(self.state_dir)
        leaves = status_leaves(self.agent, settings, words)
        found = [(p, v) for p, v in leaves if xapi.matches(p, words)]
        if not found and not valid_empty(words):
            return xapi.error("Status", xapi.NO_MATCH, xapi.xpath("Status", words))
        return xapi.answer([f"*s {p}: {v}" for p, v in found])

    # ---- xCommand -------------------------------------------------------------------------
    def command(self, line: xapi.Line) -> str:
        words = [w.lower() for w in line.words]
        if line.bad_params:
            return xapi.error("Result", f"Invalid or missing parameters: {line.bad_params}")
        try:
            if words == ["dial"]:
                return self.dial(line.params.get("number", ""))
            if words == ["call", "disconnect"]:
                return self.disconnect(line.params.get("callid", ""))
            if words == ["call", "disconnectall"]:
                self.agent.hangup_all()
                return xapi.result("CallDisconnectAllResult")
        except ControlError as e:
            return xapi.error("Result", f"the SIP user agent does not answer: {e}")
        return xapi.error("Result", "Unknown command", xapi.xpath("Command", line.words))

    def dial(self, number: str) -> str:
        number = number.strip()
        if not number:
            return xapi.error("DialResult", "Invalid or missing parameters: Number")
        uri = number if number.lower().startswith(("sip:", "sips:")) or "@" not in number else f"sip:{number}"
        call = Call(next_call_id(self.state_dir), uri)
        try:
            refused = self.agent.dial(call, uri)
        except ControlError as e:
            refused = f"the SIP user agent does not answer: {e}"
        if refused:
            return xapi.error("DialResult", refused)
        return xapi.result("DialResult", [("CallId", str(call.call_id)), ("ConferenceId", str(call.call_id))])

    def disconnect(self, call_id: str) -> str:
        call = self.agent.calls.by_id.get(int(call_id)) if call_id.isdigit() else None
        if call is None or call.closed is not None:
            return xapi.error("CallDisconnectResult", "No active call with that CallId")
        self.agent.hangup(call)
        return xapi.result("CallDisconnectResult")

    def close(self) -> None:
        self.agent.close()


def _terminal_echo(on: bool) -> None:
    """`echo off`: the terminal stops echoing what is typed (when the session has a tty)."""
    if not sys.stdin.isatty():
        return
    attrs = termios.tcgetattr(sys.stdin.fileno())
    attrs[3] = attrs[3] | termios.ECHO if on else attrs[3] & ~termios.ECHO
    termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, attrs)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m infra.lab.codec.shell", description=__doc__.split("\n")[0])
    ap.add_argument("--state", required=True, type=Path, help="the codec's state directory")
    ap.add_argument("--ctrl", type=_address, default=CTRL_ADDRESS, help="baresip ctrl_tcp (host:port)")
    ap.add_argument("--http", type=_address, default=HTTP_ADDRESS, help="baresip httpd (host:port)")
    args = ap.parse_args(argv)
    codec = Codec(args.state, args.ctrl, args.http)
    out = sys.stdout
    try:
        out.write(codec.banner() + "\n")
    except StateError as e:
        print(f"codec state: {e}", file=sys.stderr)
        return 2
    out.flush()
    try:
        while raw := sys.stdin.readline():
            answer, end = codec.handle(raw.rstrip("\r\n"))
            if answer is not None:
                out.write(answer + "\n")
                out.flush()
            if end:
                break
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        codec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
