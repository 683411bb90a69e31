"""The registration collector: one ul.dump per scrape, one series per configured endpoint.

    infra_vc_registered{endpoint, aor}                     1 when the AOR has a live contact, else 0
    infra_vc_registration_contacts{endpoint, aor}          live contacts of the AOR
    infra_vc_registration_expires_seconds{endpoint, aor}   seconds until it lapses unless renewed
    infra_vc_registered_other_aors                         registered AORs the configuration does not list
    infra_vc_probe_success                                 1 when the call controller answered a ul.dump
    infra_vc_probe_duration_seconds

A failed probe yields only the last two (success 0): "unknown" is not "not registered", so no
per-endpoint series is invented (the alert on the call controller covers that case). Nothing is
kept across scrapes; the fetch is injected so tests feed recorded answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from .config import Config
from .rpc import ProbeError, contacts_by_aor, fetch_ul_dump

log = logging.getLogger("exporters.sip")

Fetch = Callable[[str, float], Any]
LABELS = ["endpoint", "aor"]


class RegistrationCollector:
    def __init__(
        self,
        cfg: Config,
        fetch: Fetch = fetch_ul_dump,
        clock: Callable[[], float] = time.monotonic,
        on_result: Callable[[bool], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.fetch = fetch
        self.clock = clock
        self.on_result = on_result

    def collect(self) -> Iterator[Metric]:
        start = self.clock()
        try:
            by_aor = contacts_by_aor(self.fetch(self.cfg.rpc_url, self.cfg.timeout_s))
        except ProbeError as exc:
            log.warning("call controller %s: %s", self.cfg.call_controller, exc)
            by_aor = None
        if by_aor is not None:
            yield from self._registrations(by_aor)
        if self.on_result is not None:
            self.on_result(by_aor is not None)
        yield GaugeMetricFamily(
            "infra_vc_probe_success",
            "1 if the call controller answered ul.dump, else 0",
            value=int(by_aor is not None),
        )
        yield GaugeMetricFamily(
            "infra_vc_probe_duration_seconds",
            "How long asking the call controller took",
            value=self.clock() - start,
        )

    def _registrations(self, by_aor: dict[str, list[Any]]) -> Iterator[Metric]:
        registered = GaugeMetricFamily(
            "infra_vc_registered",
            "1 if the endpoint's AOR has a live contact at the call controller, else 0",
            labels=LABELS,
        )
        contacts = GaugeMetricFamily(
            "infra_vc_registration_contacts", "Live contacts of the endpoint's AOR", labels=LABELS
        )
        expires = GaugeMetricFamily(
            "infra_vc_registration_expires_seconds",
            "Seconds until the endpoint's registration lapses unless renewed (0: not registered)",
            labels=LABELS,
        )
        known: set[str] = set()
        for e in self.cfg.endpoints:
            # usrloc writes the AoR as `user` (use_domain 0, Kamailio's default) or `user@domain`
            keys = (e.user_at_domain, e.user)
            known.update(keys)
            live = [c for k in keys for c in by_aor.get(k, []) if c.live]
            left = [c.expires_s for c in live]
            labels = [e.endpoint, e.aor]
            registered.add_metric(labels, int(bool(live)))
            contacts.add_metric(labels, len(live))
            # a permanent contact (None) never lapses: report a day, which reads as "far away"
            expires.add_metric(labels, max((x if x is not None else 86400.0 for x in left), default=0.0))
        other = sum(1 for aor, cs in by_aor.items() if aor not in known and any(c.live for c in cs))
        yield registered
        yield contacts
        yield expires
        yield GaugeMetricFamily(
            "infra_vc_registered_other_aors",
            "Registered AORs that the configuration does not list (test room, unknown devices)",
            value=other,
        )
