"""Prepare a lab codec before its user agent starts, inside the endpoint's network namespace:

    python3 -m infra.lab.codec.boot --state DIR --lan-address 10.64.0.10

writes DIR/baresip (from the codec's persisted settings, factory values on first boot) and
loads the QoS marks those settings ask for. Then the lab starts `baresip -f DIR/baresip`.
Exit 0 when done, 2 on bad input (an unreadable state directory, a bad address).
"""

from __future__ import annotations

import argparse
import sys
from ipaddress import IPv4Address
from pathlib import Path

from infra.lab.codec.agent import Agent
from infra.lab.codec.baresip import write_baresip_config
from infra.lab.codec.state import StateError, load_settings


def prepare(state_dir: Path, lan_address: IPv4Address | str) -> Path:
    """write_baresip_config from the persisted settings, and the QoS marks; the baresip dir."""
    settings = load_settings(state_dir)
    out = write_baresip_config(state_dir, settings, lan_address)
    Agent(state_dir, None).apply_qos(settings)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m infra.lab.codec.boot")
    ap.add_argument("--state", required=True, type=Path)
    ap.add_argument("--lan-address", required=True)
    args = ap.parse_args(argv)
    try:
        lan = IPv4Address(args.lan_address)
        print(prepare(args.state, lan))
    except (StateError, ValueError) as e:
        print(f"codec boot: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
