"""The board's client of Prometheus and Alertmanager: time parsing, shard fan-out, sources down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from infra.oncall.sources import SourceDown, Sources, parse_time
from tests.oncall.conftest import Exposition, wait_for
from tests.ports import free_port


def test_alertmanager_times_with_nanoseconds_parse() -> None:
    assert parse_time("2026-12-07T01:02:03.123456789Z") == datetime(2026, 12, 7, 1, 2, 3, 123456, UTC)
    assert parse_time("2026-12-07T01:02:03+07:00").utcoffset() is not None


def dead() -> str:
    return f"http://127.0.0.1:{free_port()}"  # held by the allocator, nothing listens


def test_raw_queries_ask_every_shard_and_survive_one_down(
    prometheus: str, exposition: tuple[Exposition, str]
) -> None:
    metrics, _ = exposition
    metrics.set(metrics.text + 'infra_sources_probe{host="shard-test-1"} 7\n')  # others' series stay

    async def ask(sources: Sources, raw: bool) -> list[float]:
        try:
            return [s.value for s in await sources.query('infra_sources_probe{host="shard-test-1"}', raw=raw)]
        finally:
            await sources.close()

    wait_for("the probe series scraped", lambda: asyncio.run(ask(Sources(prometheus, dead()), False)))
    # the global instance is down, one shard holds the device, the other shard is down
    sharded = Sources(dead(), dead(), shard_urls=(dead(), prometheus))
    assert asyncio.run(ask(sharded, True)) == [7.0]
    with pytest.raises(SourceDown):  # the global instance itself is down
        asyncio.run(ask(Sources(dead(), dead(), shard_urls=(prometheus,)), False))
    with pytest.raises(SourceDown):  # every shard down
        asyncio.run(ask(Sources(prometheus, dead(), shard_urls=(dead(), dead())), True))


def test_a_refused_query_is_a_value_error_not_a_source_down(prometheus: str) -> None:
    async def ask() -> None:
        sources = Sources(prometheus, dead())
        try:
            await sources.query("rate(")
        finally:
            await sources.close()

    with pytest.raises(ValueError, match="parse error"):
        asyncio.run(ask())
