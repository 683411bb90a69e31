"""Rendering speed: the example province and synthetic provinces up to the 3,000-device scale test.

    .venv/bin/python bench/render_bench.py [--rounds 3]

Prints, per province and platform, the devices rendered, the median wall time of `render_all`
(secrets masked, so no vault is needed), and the time per device. Loading the inventory is timed
apart: it is what a run pays once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.inventory import Platform, load_inventory  # noqa: E402
from infra.inventory.generate import Shape, generate  # noqa: E402
from infra.render import render_all  # noqa: E402

SHAPES = {
    "synthetic-500": Shape(60, 150, 60, 54, 170),
    "synthetic-3000": Shape(400, 1000, 400, 300, 1000),
}


def _median(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        provinces = {"example": ROOT / "inventory"}
        for name, shape in SHAPES.items():
            provinces[name] = Path(tmp) / name
            generate(provinces[name], shape, name, lab=False)
        for name, path in provinces.items():
            t = time.perf_counter()
            inv = load_inventory(path)
            load_s = time.perf_counter() - t
            for platform in (None, Platform.FRR, Platform.CISCO_IOS, Platform.HUAWEI_VRP):
                configs = render_all(inv, platform=platform, mask_secrets=True)
                wall = _median(
                    lambda inv=inv, p=platform: render_all(inv, platform=p, mask_secrets=True), args.rounds
                )
                lines = sum(c.count("\n") for c in configs.values())
                rows.append((name, len(inv.hosts), platform.value if platform else "default", len(configs),
                             lines, load_s, wall, 1000 * wall / max(1, len(configs))))  # fmt: skip
    head = ("province", "hosts", "platform", "devices", "lines", "load s", "render s", "ms/device")
    print("  ".join(f"{h:>14}" for h in head))
    for r in rows:
        print("  ".join(f"{v:>14.3f}" if isinstance(v, float) else f"{v!s:>14}" for v in r))


if __name__ == "__main__":
    main()
