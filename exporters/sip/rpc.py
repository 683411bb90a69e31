"""Kamailio's `ul.dump` over JSON-RPC (module jsonrpcs, HTTP transport through xhttp), and what it
says about each address of record.

Kamailio 5.6 answers (recorded in tests/exporters/data/sip/):

    {"jsonrpc": "2.0", "id": 1, "result": {"Domains": [{"Domain": {"Domain": "location",
      "AoRs": [{"Info": {"AoR": "so-noi-vu", "Contacts": [{"Contact": {
          "Address": "sip:so-noi-vu@10.64.0.10:5060;transport=UDP", "Expires": 595,
          "User-Agent": "...", "Socket": "udp:10.94.20.16:5060", ...}}]}}], ...}}]}}

`AoR` is the user part when usrloc's `use_domain` is 0 (the default), `user@domain` otherwise.
`Expires` is the seconds left, or the string "expired" (past its expiry, not yet removed by the
usrloc timer), "permanent" or "deleted".
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

REQUEST = {"jsonrpc": "2.0", "method": "ul.dump", "id": 1}


class ProbeError(Exception):
    """The call controller could not be asked, or answered something that is not a ul.dump."""


@dataclass(frozen=True)
class Contact:
    address: str
    expires_s: float | None  # seconds left; None for a permanent contact
    live: bool
    user_agent: str


def fetch_ul_dump(url: str, timeout_s: float) -> Any:
    """POST ul.dump to Kamailio's JSON-RPC URL; returns the decoded answer (raises ProbeError)."""
    req = urllib.request.Request(
        url,
        data=json.dumps(REQUEST).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            body = r.read()
    except urllib.error.HTTPError as exc:
        raise ProbeError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProbeError(f"{url}: {reason}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise ProbeError(f"{url}: the answer is not JSON") from None


def _contact(raw: Any) -> Contact | None:
    c = raw.get("Contact") if isinstance(raw, dict) else None
    if not isinstance(c, dict):
        return None
    expires = c.get("Expires")
    if expires == "permanent":
        left, live = None, True
    elif isinstance(expires, int | float) and not isinstance(expires, bool):
        left, live = float(expires), expires > 0
    else:  # "expired", "deleted", or anything unknown: not a registration to count on
        left, live = 0.0, False
    return Contact(str(c.get("Address", "")), left, live, str(c.get("User-Agent", "")))


def contacts_by_aor(answer: Any) -> dict[str, list[Contact]]:
    """AoR (as Kamailio writes it) -> its contacts, from a ul.dump answer. Raises ProbeError when
    the answer is a JSON-RPC error or not shaped like a ul.dump."""
    if not isinstance(answer, dict):
        raise ProbeError("ul.dump: the answer is not a JSON-RPC object")
    if "error" in answer:
        err = answer["error"]
        message = err.get("message") if isinstance(err, dict) else err
        raise ProbeError(f"ul.dump: Kamailio answered an error: {message}")
    result = answer.get("result")
    domains = result.get("Domains") if isinstance(result, dict) else None
    if not isinstance(domains, list):
        raise ProbeError("ul.dump: no result.Domains in the answer (is it Kamailio's usrloc?)")
    out: dict[str, list[Contact]] = {}
    for d in domains:
        domain = d.get("Domain") if isinstance(d, dict) else None
        aors = domain.get("AoRs") if isinstance(domain, dict) else None
        if not isinstance(aors, list):
            raise ProbeError("ul.dump: a domain without an AoRs list")
        for a in aors:
            info = a.get("Info") if isinstance(a, dict) else None
            if not isinstance(info, dict) or not isinstance(info.get("AoR"), str):
                raise ProbeError("ul.dump: an AoR entry without Info.AoR")
            contacts = [c for c in map(_contact, info.get("Contacts") or []) if c is not None]
            out.setdefault(info["AoR"], []).extend(contacts)
    return out
