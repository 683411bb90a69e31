"""Codecs (cisco_tp) in the online audit: the factory-login probe.

No export of a RoomOS/CE codec holds a passphrase, so "factory credentials" can only be told by
trying them: the audit opens one session as the factory account (user `admin`, empty passphrase,
the state a codec leaves the factory or a factory reset in) through the platform's driver, closes
it at once, and adds `# infra factory-login admin: accepted|refused` to the text it audits
(`TP-NO-FACTORY-CREDENTIALS` reads it; parse.FACTORY_LOGIN). The audit's own login with the
managed account follows right after.
"""

from __future__ import annotations

from dataclasses import replace

from infra.drivers import base as drivers
from infra.drivers.base import DeviceTarget, DriverError
from infra.inventory.secrets import Secret

FACTORY_USER = "admin"
FACTORY_PASSPHRASE = ""  # RoomOS/CE ship (and factory-reset to) an admin without a passphrase


def factory_login(target: DeviceTarget) -> str:
    """`accepted` when the codec lets the factory account in, `refused` when it does not.

    Any other error (a driver bug, not a refusal) propagates: the audit then reports the codec as
    not gathered rather than guessing."""
    probe = replace(target, username=FACTORY_USER, password=Secret(FACTORY_PASSPHRASE), session_log=None)
    try:
        with drivers.driver_for(probe.platform)(probe):  # the registry's entry at call time
            return "accepted"
    except DriverError:
        return "refused"


def with_factory_login(running: str, result: str) -> str:
    """The running xConfiguration with the probe's result as its last line."""
    text = running if running.endswith("\n") or not running else running + "\n"
    return f"{text}# infra factory-login {FACTORY_USER}: {result}\n"
