"""What a readiness check works with: the codec's xAPI session (a Protocol the `cisco_tp` driver
and the unit tests' fake codec both satisfy) and the Toolkit of everything else it observes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from infra.drivers.base import ConnectionFailed, DriverError
from infra.drivers.configtree import Change
from infra.vc.model import Endpoint, Thresholds
from infra.vc.probes import MarkObserver, NoObserver, WanLinks
from infra.vc.roomos import status_value


class CodecSession(Protocol):
    """The xAPI a readiness check speaks (the `cisco_tp` driver's reading methods):

    status(path)   the value of one `xStatus` leaf ("Registered"); DriverError when it has none
    command(text)  `xCommand <text>`, its `*r` result; CommandRejected when the codec refuses
    show(command)  a whole answer's `*s` lines (a subtree such as `xStatus MediaChannels Call 2`)
    """

    def status(self, path: str) -> str: ...

    def command(self, text: str) -> str: ...

    def show(self, command: str) -> str: ...


class Codec(CodecSession, Protocol):
    """A codec session that can also compare its running configuration with the intent
    (the driver contract's load_candidate/compare)."""

    def load_candidate(self, intended: str) -> None: ...

    def compare(self) -> Change: ...


OpenCodec = Callable[[Endpoint], AbstractContextManager[Codec]]


@dataclass
class Toolkit:
    open_codec: OpenCodec
    intent: Callable[[str], str]  # host name -> its intended configuration
    test_room_uri: str
    call_controller: str
    thresholds: Thresholds
    reach: Callable[[Endpoint], str | None]  # None: TCP 22 answers; else why not
    wan: WanLinks
    marks: MarkObserver = field(default_factory=NoObserver)
    skip: frozenset[str] = frozenset()
    stop: threading.Event = field(default_factory=threading.Event)
    calls: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(30))
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], bool] | None = None  # waits; True when interrupted (default: on `stop`)
    mask: Callable[[str], str] = str
    poll_s: float = 0.25

    def wait(self, seconds: float) -> bool:
        """Sleep; True when interrupted meanwhile."""
        return self.sleep(seconds) if self.sleep is not None else self.stop.wait(seconds)


def read_status(codec: CodecSession, path: str) -> str | None:
    """One xStatus leaf, None when the codec has no such leaf (a call that is gone). A lost
    session is not "no value": ConnectionFailed goes on up."""
    try:
        text = codec.status(path)
    except ConnectionFailed:
        raise
    except DriverError:
        return None
    if "*s " in text:  # a whole answer rather than the value
        return status_value(text, path)
    return text.strip() or None
