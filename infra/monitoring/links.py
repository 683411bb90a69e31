"""The pages `infra monitoring up` tells the operator to open, the board first.

Debian's packages decide what exists: Prometheus ships without its React UI (`/alerts`, `/targets`
answer 404; the classic pages live under `/classic/...`) and Alertmanager without any web UI (its
HTTP API answers; silences and alerts are read and made on the board). tests/monitoring/test_links.py
requests every URL printed here, in the docs and by `make demo`.
"""

from __future__ import annotations

from infra.monitoring.stack import Stack


def stack_links(stack: Stack) -> dict[str, str]:
    """Label -> URL, in the order they are printed: board pages, Prometheus, each shard, Alertmanager."""
    links: dict[str, str] = {}
    board = stack.urls.get("board")
    if board:
        links |= {"Board": f"{board}/province", "  alerts": f"{board}/alerts"}
        links["  silences"] = f"{board}/silences"
    prometheus = stack.urls["prometheus"]
    view = "Prometheus" if stack.shards == 1 else "Prometheus (global)"
    links |= {view: f"{prometheus}/classic/alerts", "  targets": f"{prometheus}/classic/targets"}
    for i in range(stack.shards if stack.shards > 1 else 0):
        links[f"  shard {i}"] = f"{stack.urls[f'prometheus-shard-{i}']}/classic/targets"
    links["Alertmanager"] = f"{stack.urls['alertmanager']}/api/v2/alerts"
    return links
