"""`infra exporter serve`: the SNMP exporter (a separate deployable in `exporters/`) from the infra CLI."""

from __future__ import annotations

import click


@click.group("exporter")
def exporter_group() -> None:
    """The exporters Prometheus scrapes (also installed on their own as infra-snmp-exporter)."""


@exporter_group.command(
    "serve",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
)
@click.argument("exporter_args", nargs=-1, type=click.UNPROCESSED)
def serve_cmd(exporter_args: tuple[str, ...]) -> None:
    """Run the SNMP exporter; every argument goes to infra-snmp-exporter (try `serve --help`).

    Same flags as prometheus/snmp_exporter: --config.file, --web.listen-address, --dry-run.
    """
    from exporters.snmp.main import main as exporter_main

    raise SystemExit(exporter_main(list(exporter_args)))
