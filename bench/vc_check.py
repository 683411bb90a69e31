"""`infra vc check` over a synthetic province's 170 endpoints against fake codecs with realistic
per-command latency: wall time in parallel vs a sequential baseline, and vs the 60 s goal.

The endpoints come from `inventory generate --vc-endpoints N` (a temporary directory), or, when
the generator cannot make that many, from a synthetic list with the same fields. Each fake codec
takes the time a RoomOS codec takes over SSH (defaults below, all options): a management login,
a configuration read for the drift check, each xStatus/xCommand round trip, a call set-up, and the
inventory's media sample (vc.readiness.sample_s). The sequential baseline is forks 1 over
`--baseline` endpoints, scaled to N (a sequential run is linear in N by construction).

    .venv/bin/python bench/vc_check.py [--endpoints 170] [--forks 25,60,170] [--max-calls 20,30]
        [--login 0.8] [--command 0.05] [--config-read 0.4] [--setup 1.0] [--sample S] [--baseline 4]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.drivers.configtree import Change
from infra.vc.checks import Codec, Toolkit
from infra.vc.model import CheckPlan, Endpoint, Thresholds
from infra.vc.run import run_checks
from tests.vc.fakes import FakeCodec, FakeLinks, FakeMarks

GOAL_S = 60.0


class SlowCodec(FakeCodec):
    config_read_s: float = 0.4

    def compare(self) -> Change:
        time.sleep(self.config_read_s)
        return super().compare()


def synthetic_plan(n: int) -> CheckPlan:
    eps = [
        Endpoint(
            host=f"vc-xa-{i:03d}",
            site=f"xa-{i:03d}",
            agency=f"UBND xã {i:03d}",
            site_kind="commune",
            address=f"10.127.{1 + i // 250}.{i % 250 + 2}",
            wan_link=f"vpn-xa-{i:03d}",
            wan_link_mbps=20,
            cpe=f"cpe-xa-{i:03d}",
            bitrate_kbps=1920,
        )
        for i in range(n)
    ]
    return CheckPlan("giao-ban-ubnd", eps, "sip:testroom@vc.lamvien.gov.vn", "srv-vc-1", Thresholds())


def generated_plan(n: int) -> tuple[CheckPlan, str] | None:
    """The plan of a generated province with n endpoints, or None if the generator cannot."""
    try:
        from infra.inventory import load_inventory
        from infra.inventory.generate import Shape, generate
        from infra.vc.plan import plan_check

        out = Path(tempfile.mkdtemp(prefix="vc-bench-"))
        generate(out, Shape(vc_endpoints=n))
        inv = load_inventory(out)
        plan = plan_check(inv, None, None)
    except Exception as exc:  # older generator or inventory without a VC system
        print(f"(generated province not usable: {type(exc).__name__}: {exc}; using a synthetic list)")
        return None
    if len(plan.endpoints) != n:
        print(f"(the generator made {len(plan.endpoints)} endpoints, not {n}: using a synthetic list)")
        return None
    return plan, str(out)


def toolkit(args: argparse.Namespace, forks_calls: int, sample_s: float) -> Toolkit:
    def open_codec(ep: Endpoint) -> contextlib.AbstractContextManager[Codec]:
        @contextlib.contextmanager
        def session() -> Iterator[Codec]:
            time.sleep(args.login)
            codec = SlowCodec(latency_s=args.command, connects_after=args.setup, rtt_ms=40)
            codec.config_read_s = args.config_read
            yield codec

        return session()

    def reach(ep: Endpoint) -> str | None:
        time.sleep(0.003)  # TCP connect across the WAN
        return None

    return Toolkit(
        open_codec=open_codec,
        intent=lambda name: "",
        test_room_uri="sip:testroom@vc.lamvien.gov.vn",
        call_controller="srv-vc-1",
        thresholds=Thresholds(sample_s=sample_s, call_setup_s=args.setup + 4),
        reach=reach,
        wan=FakeLinks(load=2e6),
        marks=FakeMarks(),
        calls=threading.BoundedSemaphore(forks_calls),
    )


def measure(plan: CheckPlan, tk: Toolkit, forks: int) -> tuple[float, float, int]:
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    report = run_checks(plan, tk, forks=forks)
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return wall, cpu, sum(r.ready for r in report.results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoints", type=int, default=170)
    ap.add_argument("--forks", default="25,60,170")
    ap.add_argument("--max-calls", default="20,30")
    ap.add_argument("--login", type=float, default=0.8, help="SSH login to a codec, s")
    ap.add_argument("--command", type=float, default=0.05, help="one xStatus/xCommand round trip, s")
    ap.add_argument("--config-read", type=float, default=0.4, help="reading xConfiguration, s")
    ap.add_argument("--setup", type=float, default=1.0, help="call set-up to the test room, s")
    ap.add_argument("--sample", type=float, default=None, help="media sample, s (default: the inventory's)")
    ap.add_argument("--baseline", type=int, default=4, help="endpoints of the sequential baseline")
    args = ap.parse_args()

    made = generated_plan(args.endpoints)
    plan = made[0] if made else synthetic_plan(args.endpoints)
    sample = args.sample if args.sample is not None else plan.thresholds.sample_s
    source = f"generated province ({made[1]})" if made else "synthetic list"
    print(
        f"{len(plan.endpoints)} endpoints ({source}); per codec: login {args.login} s, command "
        f"{args.command} s, config read {args.config_read} s, call set-up {args.setup} s, "
        f"sample {sample:g} s; {os.cpu_count()} CPUs"
    )
    few = replace(plan, endpoints=plan.endpoints[: args.baseline])
    wall, cpu, ready = measure(few, toolkit(args, 1, sample), forks=1)
    sequential = wall * len(plan.endpoints) / len(few.endpoints)
    print(
        f"sequential: {wall:.1f} s for {len(few.endpoints)} -> {sequential:.0f} s for {len(plan.endpoints)}"
    )
    print(f"\n{'forks':>5} {'calls':>5} {'wall s':>7} {'vs seq':>7} {'vs 60 s':>8} {'cpu s':>6} {'ready':>6}")
    for calls in (int(c) for c in args.max_calls.split(",")):
        for forks in (int(f) for f in args.forks.split(",")):
            wall, cpu, ready = measure(plan, toolkit(args, calls, sample), forks)
            print(
                f"{forks:>5} {calls:>5} {wall:>7.1f} {sequential / wall:>6.1f}x {wall / GOAL_S:>7.2f}x "
                f"{cpu:>6.2f} {ready:>6}"
            )


if __name__ == "__main__":
    main()
