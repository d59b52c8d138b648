"""The point-in-time history (services/dynamodb/history.py) on a real SQLite store: what a restore to a
time reads back, and the trimming of rows older than the recovery period, which a test through the
server cannot reach (it would have to wait days). Only the clock is set by the test."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from moatdb.services.dynamodb import history
from moatdb.services.dynamodb.catalog import Recovery, Table
from moatdb.storage.sqlite import SqliteStore

DAY_NS = history.DAY * 1_000_000_000
START_NS = 1_764_000_000 * 1_000_000_000


@pytest.fixture
def store(tmp_path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "moatdb.sqlite3")
    yield store
    store.close()


@pytest.fixture
def clock(monkeypatch) -> list[int]:
    """The time the history reads, in nanoseconds: set ``clock[0]``."""
    now = [START_NS]
    monkeypatch.setattr(history.time, "time_ns", lambda: now[0])
    return now


def table_with(recovery: Recovery) -> Table:
    description = {"TableName": "T", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    table = Table.from_description(1, description)
    table.recovery = recovery
    return table


def record(store, recovery, key: bytes, old: dict | None) -> None:
    with store.write() as txn:
        history.record(txn, recovery, key, b"", old)


def test_the_item_at_a_time_is_the_image_before_its_first_change_after_it(store, clock):
    recovery = Recovery(history=100, enabled=True, since=START_NS / 1e9, days=35)
    record(store, recovery, b"a", None)  # created at START
    clock[0] += 1_000_000  # +1 ms
    record(store, recovery, b"a", {"v": {"S": "1"}})
    # A second change in the same microsecond: undoing both gives back the item before the first.
    record(store, recovery, b"a", {"v": {"S": "2"}})
    clock[0] += 1_000_000
    record(store, recovery, b"b", {"v": {"S": "b"}})  # deleted at +2 ms

    with store.write() as txn:
        table = table_with(recovery)
        assert history.items_at(txn, table, START_NS / 1e9 - 1) == {
            (b"a", b""): None, (b"b", b""): b'{"v":{"S":"b"}}'}
        assert history.items_at(txn, table, START_NS / 1e9 + 0.0005) == {
            (b"a", b""): orjson.dumps({"v": {"S": "1"}}), (b"b", b""): b'{"v":{"S":"b"}}'}
        assert history.items_at(txn, table, START_NS / 1e9 + 0.002) == {}


def test_rows_older_than_the_recovery_period_are_trimmed_a_few_per_write(store, clock):
    recovery = Recovery(history=100, enabled=True, since=START_NS / 1e9, days=1)
    for key in (b"a", b"b", b"c"):
        record(store, recovery, key, {"k": {"S": key.decode()}})
        clock[0] += 1_000
    clock[0] = START_NS + 2 * DAY_NS

    record(store, recovery, b"d", None)

    with store.write() as txn:
        rows = [row[8:] for row, _, _ in txn.scan(100)]
    assert rows == [b"c", b"d"]  # two of the three expired rows went with this write
    record(store, recovery, b"e", None)
    with store.write() as txn:
        assert [row[8:] for row, _, _ in txn.scan(100)] == [b"d", b"e"]


def test_the_window_starts_when_recovery_was_enabled_or_a_period_ago(clock):
    recovery = Recovery(history=100, enabled=True, since=1000.0, days=1)

    assert history.earliest(recovery, 2000.0) == 1000.0
    assert history.earliest(recovery, 1000.0 + 3 * history.DAY) == 1000.0 + 2 * history.DAY
