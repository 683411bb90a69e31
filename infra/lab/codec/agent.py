"""The codec's link to its running SIP user agent (baresip in the same network namespace):
registration state, calls, live re-registration and QoS marks when a setting changes.

Everything that touches the outside world is here, so the shell's command handling stays pure
enough to test without a user agent (`Agent(state_dir, None)`: no baresip, no nft).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from infra.lab.codec import baresip, qos
from infra.lab.codec.calls import Call, Calls
from infra.lab.codec.control import Control, ControlError, menu
from infra.lab.codec.state import load_runtime, locked, update_runtime

CLAIM_S = 3.0  # a dialled call shows up in baresip's events within this
HANGUP_S = 5.0
QOS_KEYS = ("Network 1 QoS", "SIP DefaultTransport", "SIP Proxy 1 Address")


def holds_address(address: str | None) -> bool:
    """Whether this network namespace has the codec's LAN address on an interface: the shell
    loads nft marks only where the codec lives, never in the machine's own namespace (where the
    lab's addresses are not local)."""
    if not address:
        return False
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((address, 0))
    except OSError:
        return False
    return True


class Agent:
    def __init__(
        self,
        state_dir: Path,
        ctrl_address: tuple[str, int] | None,
        http_address: tuple[str, int] | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.ctrl_address = ctrl_address
        self.http_address = http_address
        self.calls = Calls()
        self._ctrl: Control | None = None
        self.baresip_dir = state_dir / "baresip"

    # ---- plumbing -------------------------------------------------------------------------
    def log(self, text: str) -> None:
        try:
            with open(self.state_dir / "shell.log", "a", encoding="utf-8") as f:
                f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} [{os.getpid()}] {text}\n")
        except OSError:
            pass

    def menu(self, command: str) -> str:
        """A stateless menu command over httpd (registration, calls count, accounts)."""
        if self.http_address is None:
            raise ControlError("no SIP user agent in this lab codec")
        return menu(self.http_address, command)

    def ctrl(self) -> Control:
        if self.ctrl_address is None:
            raise ControlError("no SIP user agent in this lab codec")
        if self._ctrl is None or not self._ctrl.alive:
            self._ctrl = Control(self.ctrl_address, self.calls.on_event)
        return self._ctrl

    def events_held(self) -> AbstractContextManager[Any]:
        """Hold off call events while reading the calls (the reader thread applies them)."""
        return self._ctrl.lock if self._ctrl is not None else nullcontext()

    def close(self) -> None:
        if self._ctrl is not None:
            self._ctrl.close()

    @property
    def lan_address(self) -> str | None:
        return baresip.lan_address_of(self.baresip_dir)

    # ---- reading --------------------------------------------------------------------------
    def registration(self, settings: Mapping[str, str]) -> tuple[str, str]:
        """(Status, Reason) of `SIP Registration 1`."""
        if not baresip.registers(settings):
            return "Inactive", ""
        try:
            text = self.menu("/reginfo")
        except ControlError as e:
            return "Failed", f"the SIP user agent does not answer ({e})"
        since = load_runtime(self.state_dir).get("account_since")
        aor = baresip.aor(settings, self.lan_address or "")
        return baresip.registration_state(text, aor, float(since) if since else None, time.time())

    def active_calls(self) -> int:
        try:
            text = self.menu("/listcalls")
        except ControlError:
            return len(self.calls.live())
        for word in text.replace("(", " ").replace(")", " ").split():
            if word.isdigit():
                return int(word)
        return 0

    # ---- calls ----------------------------------------------------------------------------
    def dial(self, call: Call, uri: str) -> str | None:
        """Place the call; None, or why the user agent refused it."""
        ctrl = self.ctrl()
        with ctrl.lock:
            self.calls.by_id[call.call_id] = call
        dialled_at = time.monotonic()
        reply = ctrl.command("dial", uri)
        if not reply.get("ok"):
            with ctrl.lock:
                del self.calls.by_id[call.call_id]
            return str(reply.get("data") or "the user agent refused the call").strip()
        if not ctrl.wait(lambda: self.calls.claim(call, dialled_at), CLAIM_S):
            with ctrl.lock:
                del self.calls.by_id[call.call_id]
            return "the user agent placed no call"
        return None

    def hangup(self, call: Call) -> None:
        ctrl = self.ctrl()
        ctrl.command("hangup")
        ctrl.wait(lambda: call.closed is not None, HANGUP_S)

    def hangup_all(self) -> None:
        for call in self.calls.live():
            self.hangup(call)
        for _ in range(8):  # calls this session did not place (baresip hangs up its current one)
            if self.active_calls() == 0:
                return
            self.ctrl().command("hangup")

    # ---- settings changed -----------------------------------------------------------------
    def apply(self, before: Mapping[str, str], after: Mapping[str, str]) -> None:
        """Make the user agent and the marks follow a settings change (a lab node only: the
        state dir holds a baresip config the lab wrote)."""
        lan = self.lan_address
        if lan is None:
            return
        old, new = baresip.account_line(before, lan), baresip.account_line(after, lan)
        if old != new:
            baresip.write_baresip_config(self.state_dir, after, lan)
            self._reaccount(before, after, old, new)
        if any(before[k] != after[k] for k in after if k.startswith(QOS_KEYS)):
            self.apply_qos(after)

    def _reaccount(self, before: Mapping[str, str], after: Mapping[str, str], old: str, new: str) -> None:
        """Replace the codec's user agent (`/uadel` + `/uanew`), or only set its answer mode when
        that is all that changed (no re-registration; a call in progress stays up).

        baresip 1.0.0's menu keeps a bare pointer to its *current* agent: `/answermode`, `/dial`
        and `/listcalls` act on it, and `/uadel` of the current agent moves it with a list
        element of an agent freed earlier. After a few replacements it pointed at freed memory,
        and the next `/answermode` crashed baresip (SIGSEGV in account_set_answermode): the codec
        never registered again. So the agent deleted is never the current one (the standby
        agent is, for that moment), and `/uafind` makes the codec's agent current again after
        `/uanew` and before `/answermode`. (The standby is created here if missing: a codec
        whose baresip was started from an accounts file written before it existed.)"""
        lan = self.lan_address or ""
        try:
            if old.replace("answermode=auto", "answermode=manual") == new.replace(
                "answermode=auto", "answermode=manual"
            ) and self._select(baresip.aor(after, lan)):
                mode = "auto" if after["Conference AutoAnswer Mode"] == "On" else "manual"
                self.menu(f"/answermode {mode}")
                return
            if not self._select(baresip.STANDBY_AOR):
                self.menu(f"/uanew {baresip.STANDBY_LINE}")
                self._select(baresip.STANDBY_AOR)
            self.menu(f"/uadel {baresip.aor(before, lan)}")
            with locked(self.state_dir):
                update_runtime(self.state_dir, account_since=time.time())
            said = self.menu(f"/uanew {new}")
            self.log(f"uanew: {' '.join(said.split())[:200]}")
            self._select(baresip.aor(after, lan))
        except ControlError as e:
            self.log(f"re-registration not done live: {e}")

    def _select(self, aor: str) -> bool:
        """Make the agent of `aor` baresip's current one; False if it has none by that name."""
        said = self.menu(f"/uafind {aor}")
        if f"ua: {aor}".lower() in said.lower():
            return True
        self.log(f"uafind {aor}: {' '.join(said.split())[:200]}")
        return False

    def apply_qos(self, settings: Mapping[str, str]) -> None:
        lan = self.lan_address
        if not holds_address(lan):
            self.log(f"QoS marks not applied: the LAN address {lan} is not in this network namespace")
            return
        why = qos.apply(settings)
        self.log(f"QoS marks for {lan}: {why or 'loaded'}")
