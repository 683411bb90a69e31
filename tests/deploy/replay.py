"""A tiny SSH server that plays a Cisco IOS or Huawei VRP device from a recorded session.

`tests/deploy/recordings/<platform>.yml` holds what a real device prints: prompts, the
outputs of the commands a driver sends (paging, show/display, save, confirm, the saved config), the rejection
message, and the running config. The server echoes each line as a device does, answers from
the recording, keeps the running config (lines applied with hier_config's model when the
device would apply them: `end` on IOS, `commit` on VRP) and records every line received, so
tests can assert exactly what a driver sent. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
import yaml

from infra.drivers.configtree import apply

RECORDINGS = Path(__file__).parent / "recordings"
_HOST_KEY: paramiko.RSAKey | None = None


def host_key() -> paramiko.RSAKey:
    global _HOST_KEY
    if _HOST_KEY is None:
        _HOST_KEY = paramiko.RSAKey.generate(2048)
    return _HOST_KEY


@dataclass
class Device:
    rec: dict[str, Any]
    running: str
    received: list[str] = field(default_factory=list)
    saved: str = ""
    snapshot: str | None = None  # config before an armed revert timer / trial commit
    armed: bool = False

    @classmethod
    def load(cls, platform: str) -> Device:
        rec = yaml.safe_load((RECORDINGS / f"{platform}.yml").read_text(encoding="utf-8"))
        return cls(rec, rec["running"], saved=rec["running"])  # it booted with what it runs


class _Auth(paramiko.ServerInterface):  # type: ignore[misc]
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.shell = threading.Event()

    def check_auth_password(self, username: str, password: str) -> int:
        ok = (username, password) == (self.user, self.password)
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        ok = kind == "session"
        return int(paramiko.OPEN_SUCCEEDED if ok else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        self.shell.set()
        return True


class Session:
    """One CLI session: modes, prompts, echo, answers."""

    def __init__(self, dev: Device, chan: paramiko.Channel) -> None:
        self.dev, self.chan, self.rec = dev, chan, dev.rec
        self.mode = "exec"  # exec | config | section
        self.section = ""
        self.pending: list[str] = []
        self.dirty = False

    def prompt(self) -> str:
        host = self.rec["hostname"]
        if self.mode == "exec":
            return str(self.rec["exec_prompt"]).format(host=host)
        if self.mode == "config":
            key = (
                "config_prompt_dirty" if self.dirty and "config_prompt_dirty" in self.rec else "config_prompt"
            )
            return str(self.rec[key]).format(host=host)
        return str(self.rec["section_prompt"]).format(host=host, mode=self.section)

    def send(self, text: str) -> None:
        self.chan.sendall(text.replace("\n", "\r\n").encode())

    def run(self) -> None:
        self.send(self.rec.get("banner", "") + "\n" + self.prompt())
        buf = b""
        while True:
            data = self.chan.recv(4096)
            if not data:
                return
            buf += data
            while True:
                m = re.search(rb"\r\n|\n|\r", buf)
                if not m:
                    break
                raw, buf = buf[: m.start()], buf[m.end() :]
                line = raw.decode(errors="replace").replace("\x00", "")
                self.dev.received.append(line)
                out = self.handle(line)
                if out is None:
                    return
                self.send(line + "\n" + (out + "\n" if out else "") + self.prompt())

    def handle(self, raw: str) -> str | None:
        rec, dev = self.rec, self.dev
        line = raw.strip()
        if not line:
            return ""
        if line in ("exit", "quit", "logout") and self.mode == "exec":
            return None
        for act in rec.get("actions", []):
            if re.fullmatch(act["match"], line):
                return self.action(act, line)
        startup = rec.get("startup")
        if self.mode == "exec" and startup and line == startup["command"]:
            return str(startup["output"]).format(saved=dev.saved).rstrip("\n")
        if self.mode == "exec":
            if line in rec["commands"]:
                return str(rec["commands"][line]).format(running=dev.running).rstrip("\n")
            return str(rec["reject"])
        if any(re.search(p, line) for p in rec.get("reject_config", [])):
            return str(rec["reject"])
        for answer in rec.get("answers", []):  # what the device prints for this line, verbatim
            if re.search(answer["line"], line):
                if answer.get("refused"):
                    return str(answer["text"]).rstrip("\n")
                self.pending.append(raw.rstrip())
                return str(answer["text"]).rstrip("\n")
        if line in ("exit", "quit") or line.startswith("exit-"):
            if self.mode == "section":
                self.mode = "config"
            return ""
        if re.match(rec["section_start"], line):
            self.mode, self.section = "section", rec.get("section_modes", {}).get(line.split()[0], "if")
        elif raw == line:  # a top-level line: back in global config mode
            self.mode = "config"
        self.pending.append(raw.rstrip())
        self.dirty = True
        return ""

    def action(self, act: dict[str, Any], line: str) -> str:
        dev = self.dev
        kind = act["do"]
        if kind == "enter_config":
            self.mode = "config"
            if act.get("arm"):
                dev.snapshot, dev.armed = dev.running, True
        elif kind == "apply_and_exec":  # IOS `end`
            self._apply()
            self.mode = "exec"
        elif kind == "exec":  # VRP `return`
            self.pending, self.mode, self.dirty = [], "exec", False
        elif kind == "commit":  # VRP commit / commit trial N
            if act.get("arm"):
                dev.snapshot, dev.armed = dev.running, True
            elif not self.pending and dev.armed:
                dev.armed, dev.snapshot = False, None  # a plain commit confirms a trial
            self._apply()
            self.mode, self.dirty = "config", False
        elif kind == "confirm":
            dev.armed, dev.snapshot = False, None
        elif kind == "revert":
            if dev.snapshot is not None:
                dev.running = dev.snapshot
            dev.armed, dev.snapshot = False, None
        elif kind == "save":
            dev.saved = dev.running
        return str(act.get("output", "")).rstrip("\n")

    def _apply(self) -> None:
        if self.pending:
            self.dev.running = apply(self.rec["platform"], self.dev.running, self.pending)
        self.pending = []


class ReplayServer:
    session_class: Any = Session  # what plays one SSH session (codec_replay.py: a RoomOS shell)

    def __init__(self, platform: str, user: str, password: str, device: Any = None) -> None:
        self.device = device if device is not None else Device.load(platform)
        self.user, self.password = user, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.logins = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        t = paramiko.Transport(client)
        t.add_server_key(host_key())
        auth = _Auth(self.user, self.password)
        try:
            t.start_server(server=auth)
            chan = t.accept(10)
            if chan is None or not auth.shell.wait(10):
                return
            self.logins += 1
            self.session_class(self.device, chan).run()
        except Exception:
            pass
        finally:
            t.close()

    def close(self) -> None:
        """Stop listening for good. A close() alone leaves the socket listening while the accept
        thread is blocked in it, and a server started next may be given the same port: its
        clients then reach this old device (seen as a codec test reading the previous test's
        codec). shutdown() wakes the accept up and takes the port out of LISTEN."""
        self._stop = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)
