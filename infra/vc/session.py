"""The real things a `vc check` talks to, built from the inventory: the codec's xAPI session
(the `cisco_tp` driver over Netmiko), the rendered intent, TCP reachability, the monitoring's
Prometheus, and in a lab province the WAN hub's mark counters."""

from __future__ import annotations

import os
import threading
from contextlib import AbstractContextManager
from typing import cast

from infra.drivers.base import DeviceTarget
from infra.drivers.targets import default_factory, target_for
from infra.inventory import Inventory
from infra.render.intent import default_intent
from infra.vc.checks import Codec, Toolkit
from infra.vc.lab_marks import HubCounters
from infra.vc.model import CheckPlan, Endpoint
from infra.vc.probes import MarkObserver, NoObserver, Prometheus, Unknown, tcp_reachable

PROMETHEUS_ENV = "INFRA_PROMETHEUS_URL"


def prometheus_url(inv: Inventory, given: str | None = None) -> str | None:
    """--prometheus-url, else $INFRA_PROMETHEUS_URL, else for a lab province the Prometheus of
    `infra monitoring up` on this machine, else the inventory's server that offers a `prometheus`
    service (its service address and port)."""
    if given or os.environ.get(PROMETHEUS_ENV):
        return given or os.environ[PROMETHEUS_ENV]
    if inv.province.lab:
        from infra.monitoring.stack import Ports

        return f"http://127.0.0.1:{Ports().prometheus}"
    for h in inv.hosts.values():
        for s in h.services:
            if s.name == "prometheus":
                address = h.service_address.ip if h.service_address else h.mgmt_address
                return f"http://{address}:{s.port}"
    return None


def codec_target(inv: Inventory, ep: Endpoint, timeout: float = 20.0) -> DeviceTarget:
    """The codec's login, as deploy and the audits open it (its codec credentials)."""
    return target_for(inv, inv.hosts[ep.host], timeout=timeout)


class _Links:
    """Load from Prometheus; up/down from the lab's own ping where there is one, else Prometheus."""

    def __init__(self, prom: Prometheus | None, lab: HubCounters | None) -> None:
        self.prom, self.lab = prom, lab

    def load_bps(self, link_id: str) -> float:

        if self.prom is None:
            raise Unknown(
                "no Prometheus URL (--prometheus-url, $INFRA_PROMETHEUS_URL or a `prometheus` service)"
            )
        return self.prom.load_bps(link_id)

    def link_up(self, link_id: str) -> bool | None:
        up = self.lab.link_up(link_id) if self.lab else None
        if up is None and self.prom is not None:
            up = self.prom.link_up(link_id)
        return up


def default_toolkit(
    inv: Inventory,
    plan: CheckPlan,
    *,
    prometheus: str | None = None,
    skip: frozenset[str] = frozenset(),
    max_calls: int = 30,
    stop: threading.Event | None = None,
) -> Toolkit:
    def open_codec(ep: Endpoint) -> AbstractContextManager[Codec]:
        driver = default_factory(codec_target(inv, ep))
        return cast(AbstractContextManager[Codec], driver)

    url = prometheus_url(inv, prometheus)
    lab = HubCounters(inv) if inv.province.lab else None
    marks: MarkObserver = lab if lab is not None else NoObserver()
    return Toolkit(
        open_codec=open_codec,
        intent=lambda name: default_intent(inv, inv.hosts[name]),
        test_room_uri=plan.test_room_uri,
        call_controller=plan.call_controller,
        thresholds=plan.thresholds,
        reach=lambda ep: tcp_reachable(ep.address, ep.port),
        wan=_Links(Prometheus(url) if url else None, lab),
        marks=marks,
        skip=skip,
        stop=stop or threading.Event(),
        calls=threading.BoundedSemaphore(max_calls),
        mask=inv.secrets.mask,
    )
