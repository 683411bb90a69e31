"""The Device page's long tables (interfaces, neighbours) as HTML rows built in Python.

A WAN hub has thousands of interfaces and as many neighbours: the same rows through Jinja's loop
and macros cost a quarter of a second, as f-strings a few milliseconds. The markup is what the
template wrote before (device_live.html.j2 includes these rows); every inventory or Prometheus text
is escaped.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from markupsafe import Markup

from infra.oncall.charts import si
from infra.oncall.device_view import DeviceView


def _ok_word(ok: bool | None) -> str:
    return "unknown" if ok is None else "ok" if ok else "critical"


def _bits(value: float | None) -> str:
    return "\u2013" if value is None else escape(si(value, "bit/s"))


def _peer(host: str) -> str:
    return f'<a href="/device/{escape(quote(host))}">{escape(host)}</a>'


def interface_rows(view: DeviceView) -> Markup:
    """One `<tr>` per interface; when not every interface is charted, each name links to `?if=`."""
    links = bool(view.chart_note)
    also_range = f"&amp;range={escape(view.range)}" if view.range != "1h" else ""
    rows = []
    for i in view.interfaces:
        ok = _ok_word(None if i.oper == "unknown" else i.oper == "up")
        name = escape(i.name)
        if links:
            name = f'<a href="?if={escape(quote(i.if_name))}{also_range}">{name}</a>'
        if i.if_name != i.name:
            name += f' <span class="quiet">({escape(i.if_name)})</span>'
        if i.peer_host:
            peer = f"{_peer(i.peer_host)} {escape(i.peer_interface)}"
            if i.link_id:
                peer += f' <span class="quiet">{escape(i.link_id)}</span>'
        else:
            peer = escape(i.description)
        charted = f' data-charted="{escape(i.charted)}"' if i.charted else ""
        rows.append(
            f'<tr class="{ok}" data-ifname="{escape(i.if_name)}"{charted}><td>{name}</td>'
            f"<td>{escape(i.kind)}</td><td>{escape(i.address)}</td><td>{peer}</td>"
            f"<td>{escape(i.oper)}</td><td>{_bits(i.in_bps)}</td><td>{_bits(i.out_bps)}</td></tr>"
        )
    return Markup("\n".join(rows))


def neighbour_rows(view: DeviceView) -> Markup:
    """One `<tr>` per neighbour."""
    return Markup(
        "\n".join(
            f'<tr class="{_ok_word(n.ok)}" data-peer="{escape(n.peer_host)}"><td>{escape(n.kind)}</td>'
            f"<td>{_peer(n.peer_host)}</td><td>{escape(n.via)}</td><td>{escape(n.address)}</td>"
            f"<td>{escape(n.state)}</td></tr>"
            for n in view.neighbours
        )
    )
