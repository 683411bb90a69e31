"""The intended configuration of one host, as deploy, the drift audit, restores and the
video-conference checks ask for it: the renderer's, or a stand-in given by tests."""

from __future__ import annotations

from collections.abc import Callable

from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.render.engine import render_host

# The intended configuration of one device (the renderer, or a fake in tests).
IntentFn = Callable[[Inventory, Host], str]


def default_intent(inv: Inventory, host: Host) -> str:
    """The renderer's intended config for the platform that really runs the device."""
    return render_host(inv, host.name)
