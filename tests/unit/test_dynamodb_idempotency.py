"""TransactWriteItems' client request tokens in storage (moatdb.services.dynamodb.idempotency): their ten
minutes, their purge, and that they never touch documents after the first. The server tests
(tests/server/test_transactions.py) cover what a client sees; the window's end is pinned here, with the
clock moved rather than waited for."""

from __future__ import annotations

import pytest

from moatdb.services.dynamodb import idempotency
from moatdb.storage.sqlite import SqliteStore

ACCOUNT = "000000000000"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(idempotency.time, "time", clock.time)
    return clock


@pytest.fixture
def store(tmp_path):
    opened = SqliteStore(tmp_path / "moatdb.sqlite3")
    yield opened
    opened.close()


def remember(store, token: str, digest: str = "d", response: dict | None = None) -> None:
    with store.write() as txn:
        idempotency.remember(txn, ACCOUNT, token, digest, response or {})


def recall(store, token: str, digest: str = "d", account: str = ACCOUNT) -> dict | None:
    with store.write() as txn:
        return idempotency.recall(txn, account, token, digest)


def rows(store) -> int:
    with store.write() as txn:
        storage_id = idempotency._storage_id(txn, create=False)
        return txn.count(storage_id)[0]


def test_a_token_answers_for_ten_minutes_then_is_unused_again(store, clock):
    assert recall(store, "t") is None
    remember(store, "t", response={"answer": 1})

    clock.now += idempotency.WINDOW_SECONDS - 1
    assert recall(store, "t") == {"answer": 1}
    with pytest.raises(idempotency.IdempotentParameterMismatchException):
        recall(store, "t", digest="another request")
    assert recall(store, "t", account="111111111111") is None  # tokens are per account

    clock.now += 1
    assert recall(store, "t") is None
    assert recall(store, "t", digest="another request") is None
    remember(store, "t", digest="another request", response={"answer": 2})
    assert rows(store) == 2  # the old record's expiry row went with it
    assert recall(store, "t", digest="another request") == {"answer": 2}


def test_each_new_token_purges_a_batch_of_expired_ones(store, clock):
    for index in range(idempotency.PURGE_BATCH + 4):
        remember(store, f"old{index}")
    assert rows(store) == 2 * (idempotency.PURGE_BATCH + 4)

    clock.now += idempotency.WINDOW_SECONDS
    remember(store, "new1")
    assert rows(store) == 2 * (4 + 1)
    remember(store, "new2")
    assert rows(store) == 2 * 2
    assert recall(store, "new1") == {}


def test_only_the_first_token_of_a_store_writes_a_document(store, clock):
    remember(store, "first")
    generation = store.generation()
    for index in range(5):
        remember(store, f"t{index}")
        clock.now += idempotency.WINDOW_SECONDS
    assert store.generation() == generation
