"""`infra vc check`: is every video-conference endpoint ready for the meeting?

Exit codes: 0 every endpoint ready, 1 one or more not ready, 2 bad input (unknown meeting, empty
selection, no VC system), 130 interrupted (every test call hung up first).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import click

from infra.cli import common
from infra.cli.common import Context, UsageFailure, contacts_devices, handle_errors, pass_ctx
from infra.deploy.interrupt import interruptible
from infra.drivers.targets import prime_secrets
from infra.journal import Journal
from infra.state import StatePaths
from infra.vc.metrics import metrics_path
from infra.vc.model import CHECKS
from infra.vc.plan import VcInputError, plan_check
from infra.vc.report import render
from infra.vc.run import run_checks
from infra.vc.session import default_toolkit


@click.group("vc")
def vc_group() -> None:
    """The video-conference system: readiness of the endpoints before a meeting."""


@vc_group.command("check")
@common.limit_option()
@click.option("--meeting", default=None, help="a meeting of vc.meetings: its endpoints and its bitrate")
@common.forks_option(default=60)
@click.option(
    "--max-calls",
    type=click.IntRange(1, 500),
    default=30,
    show_default=True,
    help="test calls up at once (what the test room takes)",
)
@click.option("--skip", multiple=True, type=click.Choice(CHECKS), help="a check not to run (repeatable)")
@click.option("--prometheus-url", default=None, help="default: $INFRA_PROMETHEUS_URL or the inventory's")
@click.option(
    "--metrics-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="INFRA_TEXTFILE_DIR",
    default=None,
    help="node exporter's textfile directory: writes vc_check[-MEETING].prom there "
    "(default: $INFRA_TEXTFILE_DIR, else STATE/metrics)",
)
@common.state_dir_option()
@common.format_option("table", "json", "junit")
@pass_ctx
@handle_errors
@contacts_devices()
def check_cmd(
    ctx: Context,
    limit: str | None,
    meeting: str | None,
    forks: int,
    max_calls: int,
    skip: tuple[str, ...],
    prometheus_url: str | None,
    metrics_dir: Path | None,
    paths: StatePaths,
    fmt: str,
) -> None:
    """Per endpoint, in order, up to its first failure: reachable, login, config (no drift),
    registered, a test call to the test room (setup time, media both ways, loss, jitter, MOS),
    DSCP marks on the WAN path (where observable), headroom on the site's WAN link."""
    inv = ctx.inventory()
    try:
        plan = plan_check(inv, limit, meeting)
    except VcInputError as exc:
        raise UsageFailure(str(exc)) from None
    stop = threading.Event()
    tk = default_toolkit(
        inv, plan, prometheus=prometheus_url, skip=frozenset(skip), max_calls=max_calls, stop=stop
    )
    journal = Journal(paths.journal, prime_secrets(inv))
    out = metrics_path(metrics_dir or paths.root / "metrics", plan.meeting)
    with interruptible(stop, dict):
        report = run_checks(
            plan,
            tk,
            forks=forks,
            journal=journal,
            command="infra " + " ".join(sys.argv[1:]),
            metrics_file=out,
        )
        with contextlib.suppress(OSError):  # a closed terminal: the journal and metrics have it all
            click.echo(render(report.results, fmt, plan.meeting, report.summary()))
    sys.exit(report.exit_code)
