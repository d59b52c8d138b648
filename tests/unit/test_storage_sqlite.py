"""The Store contract (moatdb.storage.base), as a suite any backend runs: add a backend to
``BACKENDS``. A backend is a picklable factory that opens a new Store on the same database, so that
a test can stand for a second worker process with a second Store object, or with a real process."""

from __future__ import annotations

import functools
import multiprocessing
import os
import random
import signal
import stat
import time
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest

from moatdb.storage.base import Store
from moatdb.storage.sqlite import SqliteStore

Factory = Callable[[], Store]
BACKENDS = ["sqlite"]
# Spawned, not forked: a child must open its own connections rather than inherit the parent's.
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=BACKENDS)
def factory(request, tmp_path) -> Factory:
    if request.param == "sqlite":
        return functools.partial(SqliteStore, tmp_path / "data" / "moatdb.sqlite3")
    raise AssertionError(request.param)


@pytest.fixture
def store(factory) -> Iterator[Store]:
    opened = factory()
    yield opened
    opened.close()


@pytest.fixture
def other(factory) -> Iterator[Store]:
    """A second Store on the same database: what another worker process has."""
    opened = factory()
    yield opened
    opened.close()


def put_all(store: Store, rows, table: int = 1) -> None:
    with store.write() as tx:
        for partition, sort, value in rows:
            tx.put(table, partition, sort, value)


# --- items ------------------------------------------------------------------------------------


def test_get_put_delete(store):
    reader = store.read()
    assert reader.get(1, b"p", b"s") is None
    put_all(store, [(b"p", b"s", b"v1")])
    assert reader.get(1, b"p", b"s") == b"v1"
    put_all(store, [(b"p", b"s", b"v2")])
    assert reader.get(1, b"p", b"s") == b"v2"
    with store.write() as tx:
        tx.delete(1, b"p", b"s")
        tx.delete(1, b"p", b"absent")
    assert reader.get(1, b"p", b"s") is None


def test_keys_are_exact_bytes(store):
    big = os.urandom(400 * 1024)
    rows = [(b"p", b"", b"empty sort"), (b"p\x00", b"\x00", b"nul"), (b"\xff", b"\xff" * 3, big), (b"", b"", b"")]
    put_all(store, rows)
    for partition, sort, value in rows:
        assert store.read().get(1, partition, sort) == value
    assert store.read().get(1, b"p", b"\x00") is None
    assert store.read().get(1, b"p\x00\x00", b"\x00") is None


def test_tables_are_separate(store):
    for table in (0, 1, 2):
        put_all(store, [(b"p", b"s", b"t%d" % table), (b"q", b"s", b"x")], table=table)
    assert store.read().get(1, b"p", b"s") == b"t1"
    assert [row[2] for row in store.read().scan(1)] == [b"t1", b"x"]
    assert [value for _, value in store.read().query(2, b"p")] == [b"t2"]
    assert store.read().count(1) == (2, 2 * len(b"ps") + len(b"t1") + len(b"x"))
    with store.write() as tx:
        tx.drop_table(1)
    assert list(store.read().scan(1)) == []
    assert store.read().count(1) == (0, 0)
    assert store.read().get(0, b"p", b"s") == b"t0"
    assert store.read().get(2, b"p", b"s") == b"t2"


# Unsigned bytes, and a prefix before every longer string that starts with it.
ORDERED = [b"", b"\x00", b"\x00\x00", b"\x00\x01", b"\x01", b"a", b"a\x00", b"ab", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]


def test_byte_order(store):
    shuffled = ORDERED[:]
    random.Random(1).shuffle(shuffled)
    put_all(store, [(b"p", sort, b"v") for sort in shuffled])
    put_all(store, [(partition, b"", b"v") for partition in shuffled], table=2)
    assert [sort for sort, _ in store.read().query(1, b"p")] == ORDERED
    assert [sort for sort, _ in store.read().query(1, b"p", reverse=True)] == ORDERED[::-1]
    assert [row[0] for row in store.read().scan(2)] == ORDERED


def test_query_bounds(store):
    sorts = [b"%02d" % i for i in range(10)]
    put_all(store, [(b"p", sort, b"v" + sort) for sort in sorts] + [(b"o", b"05", b"x"), (b"q", b"05", b"x")])
    reader = store.read()
    for low in (None, b"03", b"035", b"-", b"99"):
        for high in (None, b"07", b"065", b"99", b"-"):
            for low_inclusive in (True, False):
                for high_inclusive in (True, False):
                    expected = [
                        sort
                        for sort in sorts
                        if (low is None or sort > low or (low_inclusive and sort == low))
                        and (high is None or sort < high or (high_inclusive and sort == high))
                    ]
                    for reverse in (False, True):
                        rows = list(
                            reader.query(1, b"p", low, high, low_inclusive=low_inclusive,
                                         high_inclusive=high_inclusive, reverse=reverse)
                        )
                        assert [sort for sort, _ in rows] == (expected[::-1] if reverse else expected)
                        assert all(value == b"v" + sort for sort, value in rows)


def test_query_is_lazy_and_reads_one_snapshot(store, other):
    put_all(store, [(b"p", b"%05d" % i, b"v") for i in range(20_000)])
    rows = store.read().query(1, b"p")
    assert iter(rows) is rows and not isinstance(rows, list | tuple)
    assert next(rows) == (b"00000", b"v")
    # Writers are not blocked by the open iterator, here or in another process...
    with store.write() as tx:
        tx.delete(1, b"p", b"00001")
        tx.put(1, b"p", b"99999", b"v")
    with other.write() as tx:
        tx.put(1, b"p", b"00002", b"changed")
    # ...other reads see the new data...
    assert store.read().get(1, b"p", b"00001") is None
    assert store.read().get(1, b"p", b"00002") == b"changed"
    # ...and the iterator goes on with the data as it was when it started.
    rest = list(rows)
    assert len(rest) == 19_999
    assert rest[:2] == [(b"00001", b"v"), (b"00002", b"v")]
    assert rest[-1] == (b"19999", b"v")


def test_query_takes_only_what_is_asked(store):
    put_all(store, [(b"p", b"%06d" % i, b"x" * 100) for i in range(50_000)])
    reader = store.read()

    def first_row() -> float:
        started = time.perf_counter()
        next(iter(reader.query(1, b"p")))
        return time.perf_counter() - started

    def all_rows() -> float:
        started = time.perf_counter()
        for _ in reader.query(1, b"p"):
            pass
        return time.perf_counter() - started

    # A wide margin: reading 50,000 rows takes milliseconds, one row microseconds.
    assert min(first_row() for _ in range(5)) * 20 < min(all_rows() for _ in range(3))


def test_abandoned_iterators_leave_reads_and_writes_working(store, other):
    put_all(store, [(b"p", b"%03d" % i, b"v") for i in range(100)])
    # Iterators started and kept alive (as a traceback or a forgotten reference would keep them).
    held = [store.read().query(1, b"p"), store.read().scan(1)]
    for iterator in held:
        next(iterator)
    with store.write() as tx:
        held.append(tx.query(1, b"p"))
        next(held[-1])
    with other.write() as tx:
        tx.put(1, b"p", b"000", b"new")
    assert store.read().get(1, b"p", b"000") == b"new"
    with store.write() as tx:  # a write after another process's commit
        tx.put(1, b"p", b"001", b"new")
    assert other.read().get(1, b"p", b"001") == b"new"


# --- scan -------------------------------------------------------------------------------------


@pytest.fixture
def scan_rows(store) -> list[tuple[bytes, bytes, bytes]]:
    rows = sorted((b"%c%c" % (a, b), b"%d" % s, b"v") for a in b"\x00\x7f\x80\xff" for b in b"ab" for s in range(3))
    put_all(store, rows)
    put_all(store, [(b"\x80a", b"0", b"other table")], table=2)
    return rows


def test_scan_order_and_resume(store, scan_rows):
    reader = store.read()
    assert list(reader.scan(1)) == scan_rows
    for index, (partition, sort, _) in enumerate(scan_rows):
        assert list(reader.scan(1, (partition, sort))) == scan_rows[index + 1 :]
    # Resuming after a key that is not (or no longer) stored.
    assert list(reader.scan(1, (b"\x7fa", b"15"))) == [row for row in scan_rows if row[:2] > (b"\x7fa", b"15")]
    assert list(reader.scan(1, (b"\x7f", b""))) == [row for row in scan_rows if row[0] > b"\x7f"]


def test_scan_partition_ranges(store, scan_rows):
    reader = store.read()
    bounds = [None, b"\x00", b"\x7f", b"\x7fb", b"\x80", b"\xff", b"\xffb\x00"]
    for start_partition in bounds:
        for end_partition in bounds:
            expected = [
                row
                for row in scan_rows
                if (start_partition is None or row[0] >= start_partition)
                and (end_partition is None or row[0] < end_partition)
            ]
            assert list(reader.scan(1, None, end_partition, start_partition=start_partition)) == expected
            for start in [(b"\x00a", b"1"), (b"\x7fb", b"2"), (b"\x80b", b"0")]:
                assert list(reader.scan(1, start, end_partition, start_partition=start_partition)) == [
                    row for row in expected if row[:2] > start
                ]


def test_scan_is_lazy_and_reads_one_snapshot(store):
    put_all(store, [(b"%05d" % i, b"", b"v") for i in range(1000)])
    rows = store.read().scan(1)
    assert next(rows)[0] == b"00000"
    with store.write() as tx:
        tx.delete(1, b"00500", b"")
    assert len(list(rows)) == 999


# --- transactions -----------------------------------------------------------------------------


def test_write_sees_its_own_writes_and_readers_do_not(store):
    with store.write() as tx:
        tx.put(1, b"p", b"1", b"v")
        tx.put_document("table", "t", b"{}")
        assert tx.get(1, b"p", b"1") == b"v"
        assert list(tx.query(1, b"p")) == [(b"1", b"v")]
        assert list(tx.scan(1)) == [(b"p", b"1", b"v")]
        assert tx.count(1) == (1, 3)
        assert tx.document("table", "t") == b"{}"
        assert list(tx.documents("table")) == [("t", b"{}")]
        assert store.read().get(1, b"p", b"1") is None
        assert store.read().document("table", "t") is None
    assert store.read().get(1, b"p", b"1") == b"v"


def test_rollback_on_exception(store):
    put_all(store, [(b"p", b"kept", b"v")])
    generation = store.generation()
    with pytest.raises(ZeroDivisionError):
        with store.write() as tx:
            tx.put(1, b"p", b"new", b"v")
            tx.delete(1, b"p", b"kept")
            tx.put_document("table", "t", b"{}")
            tx.next_id("tables")
            raise ZeroDivisionError
    assert store.read().get(1, b"p", b"new") is None
    assert store.read().get(1, b"p", b"kept") == b"v"
    assert store.read().document("table", "t") is None
    assert store.generation() == generation
    put_all(store, [(b"p", b"after", b"v")])  # the store is still usable
    assert store.read().get(1, b"p", b"after") == b"v"


# --- documents, generation, counters ----------------------------------------------------------


def test_documents(store):
    with store.write() as tx:
        for name in ("b", "a", "é", "c"):
            tx.put_document("table", name, name.encode())
        tx.put_document("policy", "a", b"policy")
    reader = store.read()
    assert reader.document("table", "a") == b"a"
    assert reader.document("table", "z") is None
    assert list(reader.documents("table")) == [("a", b"a"), ("b", b"b"), ("c", b"c"), ("é", "é".encode())]
    assert list(reader.documents("policy")) == [("a", b"policy")]
    assert list(reader.documents("nothing")) == []
    with store.write() as tx:
        tx.delete_document("table", "b")
        tx.put_document("table", "a", b"replaced")
    assert list(reader.documents("table")) == [("a", b"replaced"), ("c", b"c"), ("é", "é".encode())]


def test_generation(store, other):
    last = {store: store.generation(), other: other.generation()}
    assert other.generation() == last[other] and store.generation() == last[store]  # stable

    def changed() -> bool:
        now = {s: s.generation() for s in last}
        fresh = all(now[s] != last[s] for s in last)
        last.update(now)
        return fresh

    with store.write() as tx:
        tx.put_document("table", "t", b"1")
    assert changed()
    with other.write() as tx:  # another process's write
        tx.put_document("table", "t", b"2")
    assert changed()
    with store.write() as tx:
        tx.delete_document("table", "t")
    assert changed()
    # Item writes and counters, here or elsewhere, leave it alone.
    put_all(store, [(b"p", b"s", b"v")])
    put_all(other, [(b"p", b"s", b"w")])
    with other.write() as tx:
        tx.next_id("tables")
    assert not changed() and last == {store: store.generation(), other: other.generation()}


def test_next_id(store, other):
    ids = []
    for _ in range(50):
        for s in (store, other):
            with s.write() as tx:
                ids.append(tx.next_id("tables"))
    with store.write() as tx:
        ids += [tx.next_id("tables") for _ in range(10)]
        other_counter = tx.next_id("principals")
    assert len(set(ids)) == len(ids) == 110
    assert isinstance(other_counter, int)


# --- several processes ------------------------------------------------------------------------


def _increment(factory: Factory, times: int, start, results: multiprocessing.Queue) -> None:
    try:
        store = factory()
        start.wait()  # both processes contend from the first increment
        ids = []
        for _ in range(times):
            with store.write() as tx:
                value = int(tx.get(1, b"counter", b"") or b"0")
                time.sleep(0.0001)  # widen the read-modify-write window: a lost update would show
                tx.put(1, b"counter", b"", b"%d" % (value + 1))
                ids.append(tx.next_id("ids"))
            # SQLite's busy handler polls with sleeps, so a writer that never pauses can keep the
            # lock for its whole run; pausing lets the two processes' transactions interleave.
            time.sleep(0.001)
        store.close()
        results.put(ids)
    except BaseException as error:
        results.put(repr(error))
        raise


def test_concurrent_read_modify_write(store, factory):
    results, start = SPAWN.Queue(), SPAWN.Barrier(2)
    workers = [SPAWN.Process(target=_increment, args=(factory, 500, start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    ids = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(isinstance(result, list) for result in ids), ids
    assert store.read().get(1, b"counter", b"") == b"1000"
    every_id = sorted(ids[0] + ids[1])
    assert len(set(every_id)) == len(every_id) == 1000
    first = set(ids[0])
    switches = sum((a in first) != (b in first) for a, b in pairwise(every_id))
    assert switches > 10  # the transactions did interleave


def _write_and_report(factory: Factory, connection) -> None:
    store = factory()
    for index in range(1_000_000):
        with store.write() as tx:
            tx.put(1, b"%07d" % index, b"", os.urandom(64))
        connection.send(index)


def test_committed_writes_survive_kill(factory):
    receiver, sender = SPAWN.Pipe(duplex=False)
    child = SPAWN.Process(target=_write_and_report, args=(factory, sender))
    child.start()
    sender.close()
    reported = []
    try:
        while len(reported) < 500:
            assert receiver.poll(60), "the writer stopped reporting"
            reported.append(receiver.recv())
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: it is writing as fast as it can
    finally:
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    try:
        while True:  # reported just before the kill
            reported.append(receiver.recv())
    except EOFError:
        pass
    assert reported == list(range(len(reported)))
    store = factory()
    try:
        reader = store.read()
        assert all(reader.get(1, b"%07d" % index, b"") is not None for index in reported)
        stored = [row[0] for row in reader.scan(1)]
        assert stored == [b"%07d" % index for index in range(len(stored))]  # no gaps, no torn rows
    finally:
        store.close()


# --- SQLite specifics -------------------------------------------------------------------------


def test_sqlite_files_are_private(tmp_path):
    path = tmp_path / "new" / "moatdb.sqlite3"
    store = SqliteStore(path)
    try:
        put_all(store, [(b"p", b"s", b"v")])
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            assert stat.S_IMODE((path.parent / name).stat().st_mode) == 0o600, name
    finally:
        store.close()


def test_sqlite_fsync_durability_option(tmp_path):
    store = SqliteStore(tmp_path / "moatdb.sqlite3", durability="fsync")
    try:
        put_all(store, [(b"p", b"s", b"v")])
        assert store.read().get(1, b"p", b"s") == b"v"
    finally:
        store.close()
    with pytest.raises(ValueError):
        SqliteStore(tmp_path / "moatdb.sqlite3", durability="sometimes")  # type: ignore[arg-type]


# --- group commit -----------------------------------------------------------------------------


def _in_a_loop(store: Store, body: Callable) -> object:
    """Run ``body`` inside a running event loop with the store grouping commits on it."""
    import asyncio

    async def main():
        store.group_commits(asyncio.get_running_loop())
        return await body()

    return asyncio.run(main())


def test_grouped_writes_are_invisible_until_their_group_commits(store, other):
    async def body():
        put_all(store, [(b"a", b"", b"1")])
        put_all(store, [(b"b", b"", b"2")])
        pending = store.committed()
        assert pending is not None
        # Not acknowledged yet, so not visible: not to this worker's reader, not to another's.
        assert store.read().get(1, b"a", b"") is None
        assert other.read().get(1, b"b", b"") is None
        await pending
        assert store.committed() is None
        return other.read().get(1, b"a", b""), other.read().get(1, b"b", b"")

    assert _in_a_loop(store, body) == (b"1", b"2")


def test_a_failed_transaction_in_a_group_undoes_only_its_own_writes(store):
    async def body():
        put_all(store, [(b"kept", b"", b"1")])
        with pytest.raises(RuntimeError), store.write() as tx:
            tx.put(1, b"undone", b"", b"2")
            raise RuntimeError("the condition failed")
        put_all(store, [(b"also-kept", b"", b"3")])
        await store.committed()
        reader = store.read()
        return reader.get(1, b"kept", b""), reader.get(1, b"undone", b""), reader.get(1, b"also-kept", b"")

    assert _in_a_loop(store, body) == (b"1", None, b"3")


def test_a_later_transaction_in_a_group_reads_the_earlier_ones_writes(store):
    # Serializability inside a group: a read-modify-write sees what the group wrote before it.
    async def body():
        for _ in range(5):
            with store.write() as tx:
                current = tx.get(1, b"counter", b"")
                tx.put(1, b"counter", b"", str(int(current or b"0") + 1).encode())
        await store.committed()
        return store.read().get(1, b"counter", b"")

    assert _in_a_loop(store, body) == b"5"


def test_a_document_change_in_a_group_changes_the_generation_once_committed(store, other):
    async def body():
        before = other.generation()
        with store.write() as tx:
            tx.put_document("k", "n", b"v")
        await store.committed()
        return before, other.generation()

    before, after = _in_a_loop(store, body)
    assert before != after


def test_a_read_sees_a_write_another_worker_committed_just_before(store, other):
    # The reader keeps its snapshot between commits; any commit, in any process, must end it.
    reader = store.read()
    for round_ in range(50):
        assert reader.get(1, b"k", b"") == (str(round_ - 1).encode() if round_ else None)
        put_all(other, [(b"k", b"", str(round_).encode())])
        assert reader.get(1, b"k", b"") == str(round_).encode()


def test_a_snapshot_reads_one_moment_while_another_worker_commits(store, other):
    # TransactGetItems: every read of a snapshot sees the data as of one moment, however many
    # commits other workers make during it; the next snapshot sees them all.
    put_all(store, [(b"a", b"", b"1"), (b"b", b"", b"1")])
    with store.snapshot() as snapshot:
        assert snapshot.get(1, b"a", b"") == b"1"
        put_all(other, [(b"a", b"", b"2"), (b"b", b"", b"2")])
        assert store.read().get(1, b"b", b"") == b"2"  # outside the snapshot: the latest
        assert snapshot.get(1, b"b", b"") == b"1"
        assert [value for _, value in snapshot.query(1, b"a")] == [b"1"]
    with store.snapshot() as snapshot:
        assert (snapshot.get(1, b"a", b""), snapshot.get(1, b"b", b"")) == (b"2", b"2")


def test_a_snapshot_does_not_hold_up_writers(store, other):
    with store.snapshot() as snapshot:
        assert snapshot.get(1, b"k", b"") is None
        put_all(other, [(b"k", b"", b"v")])  # would wait for the busy timeout if it blocked
        put_all(store, [(b"k", b"", b"w")])
        assert snapshot.get(1, b"k", b"") is None
    assert store.read().get(1, b"k", b"") == b"w"
