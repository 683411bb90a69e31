"""The on-call board (`infra oncall serve`): what broke, where, why, and what changed.

Server-rendered pages over Prometheus's and Alertmanager's HTTP APIs, the inventory and the
journal. The layers: `sources` talks HTTP, `board` caches what every page shares, the page
modules turn inventory + alerts into views (pure functions), `app` wires routes.
"""
