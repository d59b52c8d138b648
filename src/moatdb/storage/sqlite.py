"""The embedded backend: one SQLite database file in WAL mode, shared by every worker process.

Each ``SqliteStore`` (one per process) holds its own connections:

- the *reader*, in autocommit mode: every statement is its own read transaction on the latest
  committed data, so ``read()`` costs nothing to open or close. In WAL mode readers never block
  writers nor wait for them. Point reads run to completion at once. A lazy ``query``/``scan``
  cursor keeps its statement, and so its snapshot, open while it is iterated; since every statement
  of a connection shares that connection's snapshot, each live iterator gets a connection of its
  own from a small pool, so that one left unfinished cannot make later reads stale.
- the *writer*, which runs ``BEGIN IMMEDIATE ... COMMIT``: it takes SQLite's write lock up front,
  which serializes writers across processes (waiting up to the busy timeout), and never has to
  upgrade a read snapshot to a write (the upgrade can fail with SQLITE_BUSY_SNAPSHOT, without
  waiting). Keeping writes off the reader also keeps uncommitted data out of ``read()``.

Durability: with ``synchronous=NORMAL`` in WAL mode a COMMIT has written its frames to the WAL file
(write(2), into the OS page cache) before it returns, so committed data survives the process being
killed (``kill -9``); only the checkpoint fsyncs, so a power loss or kernel crash may lose the last
transactions (never corrupt the file). ``durability="fsync"`` (``synchronous=FULL``) fsyncs the WAL
on every commit, at the cost of a disk flush per write.

Group commit (``group_commits``, which the server turns on): the write transactions that end in
one turn of the event loop become savepoints of one SQLite transaction, committed by a callback
after them; replies wait for that commit. Under load this shares one commit, and one WAL frame per
page written several times, among all the writes of a turn (PutItem throughput rose by about half).

Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a thread of
their own, not inside whichever request's COMMIT crosses the threshold: that keeps the fsync off
the event loop, and sqlite3 releases the GIL while it waits on the disk.

Document changes are announced through an 8-byte counter in a memory-mapped file beside the
database (``<db>-generation``): every worker reads it for the price of a memory load on each
request, where asking SQLite would cost a read transaction. A worker killed between its COMMIT and
its bump would leave the others unaware, so ``generation()`` also reads the generation row
itself at least once a second.

Statement texts are constants (the query variants are precomputed), so sqlite3's statement cache
prepares each once per connection. A connection may be used by one thread at a time: the server is
one asyncio thread per process; a thread pool would have to share it under a lock.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal

from moatdb.storage.base import Busy, Row

SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
WRITE_LOCK_RETRY_SECONDS = 0.0005
CHECKPOINT_INTERVAL_SECONDS = 0.25
GENERATION_RECHECK_SECONDS = 1.0
SNAPSHOT_SECONDS = 1.0

# Per connection. The page cache is in KiB when negative; mmap lets reads use the OS page cache
# without copying pages into SQLite's own cache.
_PRAGMAS = (
    "PRAGMA cache_size = -32768",
    "PRAGMA mmap_size = 268435456",
    "PRAGMA temp_store = MEMORY",
    # After a burst of writes the WAL is truncated back to this size at checkpoint.
    "PRAGMA journal_size_limit = 67108864",
    # The checkpointer thread does this work; see the module docstring.
    "PRAGMA wal_autocheckpoint = 0",
)

# WITHOUT ROWID: the rows live in the primary-key b-tree itself, so a point read is one b-tree
# descent and a range read is a walk of adjacent leaves. BLOBs compare with memcmp, then by length:
# exactly the byte order the DynamoDB layer encodes its keys for.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS items (
        tbl INTEGER NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, val BLOB NOT NULL,
        PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS documents (
        kind TEXT NOT NULL, name TEXT NOT NULL, val BLOB NOT NULL,
        PRIMARY KEY (kind, name)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS counters (
        name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID""",
    # One row; bumped by every transaction that writes a document.
    "CREATE TABLE IF NOT EXISTS generation (value INTEGER NOT NULL)",
    "INSERT INTO generation (value) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM generation)",
)

_GET = "SELECT val FROM items WHERE tbl = ? AND pk = ? AND sk = ?"
_PUT = "INSERT OR REPLACE INTO items (tbl, pk, sk, val) VALUES (?, ?, ?, ?)"
_DELETE = "DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?"
_DROP_TABLE = "DELETE FROM items WHERE tbl = ?"
_COUNT = (
    "SELECT count(*), coalesce(sum(length(pk) + length(sk) + length(val)), 0) FROM items WHERE tbl = ?"
)
_DOCUMENT = "SELECT val FROM documents WHERE kind = ? AND name = ?"
_DOCUMENTS = "SELECT name, val FROM documents WHERE kind = ? ORDER BY name"
_PUT_DOCUMENT = "INSERT OR REPLACE INTO documents (kind, name, val) VALUES (?, ?, ?)"
_DELETE_DOCUMENT = "DELETE FROM documents WHERE kind = ? AND name = ?"
_NEXT_ID = (
    "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1"
)
_COUNTER = "SELECT value FROM counters WHERE name = ?"
_BUMP_GENERATION = "UPDATE generation SET value = value + 1"
_GENERATION = "SELECT value FROM generation"


def _query_sql(low: str | None, high: str | None, reverse: bool) -> str:
    where = "tbl = ? AND pk = ?"
    if low:
        where += f" AND sk {low} ?"
    if high:
        where += f" AND sk {high} ?"
    return f"SELECT sk, val FROM items WHERE {where} ORDER BY sk{' DESC' if reverse else ''}"


# (low operator, high operator, reverse) -> constant SQL text.
_QUERIES = {
    (low, high, reverse): _query_sql(low, high, reverse)
    for low in (None, ">=", ">")
    for high in (None, "<=", "<")
    for reverse in (False, True)
}

# Row values (a, b) > (?, ?) are a range on the primary key, so resuming costs one b-tree descent.
_SCAN_BASE = "SELECT pk, sk, val FROM items WHERE tbl = ?"
_SCANS = {
    (after, lower, upper): _SCAN_BASE
    + (" AND (pk, sk) > (?, ?)" if after else "")
    + (" AND pk >= ?" if lower else "")
    + (" AND pk < ?" if upper else "")
    + " ORDER BY pk, sk"
    for after in (False, True)
    for lower in (False, True)
    for upper in (False, True)
    if not (after and lower)
}


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``: take the write lock, waiting up to ``BUSY_TIMEOUT_SECONDS``, else ``Busy``.

    SQLite's own busy handler sleeps ever longer between its tries, up to 100 ms; but a worker under
    write load lets the lock go between two turns of its event loop for only the microseconds
    before its next request takes it again (group commit). A process waiting in that handler
    could so miss every gap for the whole timeout and fail a request that nothing was wrong with.
    Trying every half millisecond instead catches those gaps, so writers of several processes
    take turns; a lock held throughout the timeout is ``Busy``, which nothing was written under.
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                if time.monotonic() >= deadline:
                    raise Busy(f"the write lock was not free within {BUSY_TIMEOUT_SECONDS} s") from error
            time.sleep(WRITE_LOCK_RETRY_SECONDS)
    finally:
        # Other statements keep SQLite's handler (a read may briefly meet a recovering WAL).
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")


class _Reads:
    """The ReadTransaction methods over one connection; ``_rows`` runs the lazy ones."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _rows(self, sql: str, params: tuple) -> Iterator:
        raise NotImplementedError

    def _view(self) -> sqlite3.Connection:
        """The connection to read from, its view of the data current."""
        return self._conn

    def get(self, table: int, partition: bytes, sort: bytes) -> bytes | None:
        rows = self._view().execute(_GET, (table, partition, sort)).fetchall()
        return rows[0][0] if rows else None

    def query(
        self,
        table: int,
        partition: bytes,
        low: bytes | None = None,
        high: bytes | None = None,
        *,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        params: tuple = (table, partition)
        low_op = high_op = None
        if low is not None:
            params += (low,)
            low_op = ">=" if low_inclusive else ">"
        if high is not None:
            params += (high,)
            high_op = "<=" if high_inclusive else "<"
        return self._rows(_QUERIES[(low_op, high_op, reverse)], params)

    def scan(
        self,
        table: int,
        start: tuple[bytes, bytes] | None = None,
        end_partition: bytes | None = None,
        *,
        start_partition: bytes | None = None,
    ) -> Iterator[Row]:
        params: tuple = (table,)
        # Only the tighter of the two lower bounds goes into the SQL, so it stays one index range.
        if start is not None and start_partition is not None and start[0] < start_partition:
            start = None
        if start is not None:
            params += start
            start_partition = None
        elif start_partition is not None:
            params += (start_partition,)
        if end_partition is not None:
            params += (end_partition,)
        return self._rows(_SCANS[(start is not None, start_partition is not None, end_partition is not None)], params)

    def count(self, table: int) -> tuple[int, int]:
        count, size = self._view().execute(_COUNT, (table,)).fetchall()[0]
        return count, size

    def document(self, kind: str, name: str) -> bytes | None:
        rows = self._view().execute(_DOCUMENT, (kind, name)).fetchall()
        return rows[0][0] if rows else None

    def documents(self, kind: str) -> Iterator[tuple[str, bytes]]:
        # Few and small: fetched at once, so no statement stays open.
        return iter(self._view().execute(_DOCUMENTS, (kind,)).fetchall())


class _Reader(_Reads):
    """Point reads share one read transaction, kept open while no commit has happened anywhere.

    Opening and closing SQLite's implicit read transaction costs half of a point read (two file
    locks), so the reader keeps one snapshot and starts a new one as soon as any process commits
    (the shared ``COMMITS`` counter changes; every commit bumps it before it is acknowledged), and
    at least every ``SNAPSHOT_SECONDS`` in case a process died between its commit and its bump.
    A read therefore sees every acknowledged write."""

    _signals: _Signals

    def __init__(self, conn: sqlite3.Connection, connect: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(conn)
        self._connect = connect
        self._idle: list[sqlite3.Connection] = []  # iterator connections with no open statement
        self._pool: list[sqlite3.Connection] = []
        self._commits = -1
        self._expires = 0.0

    def _view(self) -> sqlite3.Connection:
        commits = self._signals.value(_Signals.COMMITS)
        conn = self._conn
        if commits != self._commits or time.monotonic() >= self._expires:
            if conn.in_transaction:
                conn.execute("COMMIT")
            conn.execute("BEGIN")  # the snapshot itself is taken by the first read after it
            self._commits = commits
            self._expires = time.monotonic() + SNAPSHOT_SECONDS
        return conn

    def _rows(self, sql: str, params: tuple) -> Iterator:
        if self._idle:
            conn = self._idle.pop()
        else:
            conn = self._connect()
            self._pool.append(conn)
        try:
            # Closing this generator (exhausted, dropped or closed) closes the cursor, which ends
            # the statement and its snapshot before the connection goes back to the pool.
            yield from conn.execute(sql, params)
        finally:
            self._idle.append(conn)

    def close(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        for conn in (self._conn, *self._pool):
            conn.close()


class _Snapshot(_Reads):
    """Reads on one snapshot (``SqliteStore.snapshot``): a read transaction, held for the block, on a
    connection borrowed from the reader's pool. In WAL mode the snapshot is taken by the first read
    after BEGIN, and every later read of the transaction sees that same snapshot; writers go on."""

    def __init__(self, reader: _Reader) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # the connection is borrowed on entry
        self._reader = reader
        self._cursors: list[sqlite3.Cursor] = []

    def _rows(self, sql: str, params: tuple) -> Iterator:
        cursor = self._conn.execute(sql, params)
        self._cursors.append(cursor)
        return cursor

    def __enter__(self) -> _Snapshot:
        reader = self._reader
        if reader._idle:
            self._conn = reader._idle.pop()
        else:
            self._conn = reader._connect()
            reader._pool.append(self._conn)
        self._conn.execute("BEGIN")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for cursor in self._cursors:
            cursor.close()
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")  # a read transaction: this only ends the snapshot
        self._reader._idle.append(self._conn)


class _Write(_Reads):
    """One write transaction on the writer connection; reads inside it see its own writes."""

    def __init__(self, store: SqliteStore) -> None:
        super().__init__(store._writer)
        self._store = store
        self._documents_changed = False
        self._cursors: list[sqlite3.Cursor] = []

    def _rows(self, sql: str, params: tuple) -> Iterator:
        cursor = self._conn.execute(sql, params)
        self._cursors.append(cursor)
        return cursor

    def __enter__(self) -> _Write:
        group = self._store._group
        if group is None:
            _begin_immediate(self._conn)
        else:
            group.join()
            self._conn.execute("SAVEPOINT w")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn = self._conn
        # An iterator kept past the transaction would hold a read snapshot on the writer, and the
        # next BEGIN IMMEDIATE would fail at once if another process has committed since.
        for cursor in self._cursors:
            cursor.close()
        group = self._store._group
        if group is not None:
            # Grouped: this transaction's changes stay in the group's, which commits soon.
            if exc_type is not None and conn.in_transaction:
                conn.execute("ROLLBACK TO w")
            conn.execute("RELEASE w")
            if exc_type is None:
                group.documents_changed |= self._documents_changed
                self._store.writes += 1
            return
        if exc_type is not None:
            # SQLite rolls back by itself on some errors (e.g. a full disk); don't mask the cause.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return
        try:
            generation = None
            if self._documents_changed:
                conn.execute(_BUMP_GENERATION)
                generation = conn.execute(_GENERATION).fetchall()[0][0]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._store.writes += 1
        self._store._committed(generation)

    def put(self, table: int, partition: bytes, sort: bytes, value: bytes) -> None:
        self._conn.execute(_PUT, (table, partition, sort, value))

    def delete(self, table: int, partition: bytes, sort: bytes) -> None:
        self._conn.execute(_DELETE, (table, partition, sort))

    def drop_table(self, table: int) -> None:
        self._conn.execute(_DROP_TABLE, (table,))

    def put_document(self, kind: str, name: str, value: bytes) -> None:
        self._conn.execute(_PUT_DOCUMENT, (kind, name, value))
        self._documents_changed = True

    def delete_document(self, kind: str, name: str) -> None:
        self._conn.execute(_DELETE_DOCUMENT, (kind, name))
        self._documents_changed = True

    def next_id(self, counter: str) -> int:
        conn = self._conn
        conn.execute(_NEXT_ID, (counter,))
        return conn.execute(_COUNTER, (counter,)).fetchall()[0][0]


class SqliteStore:
    """A Store on one database file; open one per process (connections must not cross a fork)."""

    def __init__(self, path: str | os.PathLike[str], *, durability: Literal["normal", "fsync"] = "normal"):
        if durability not in ("normal", "fsync"):
            raise ValueError(f"durability must be 'normal' or 'fsync', not {durability!r}")
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create the file ourselves so that it is private from the start; SQLite gives the -wal and
        # -shm files the database file's permissions.
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._synchronous = "FULL" if durability == "fsync" else "NORMAL"
        self._writer = self._connect()
        try:
            self._create_schema()
            self._read = _Reader(self._connect(), self._connect)
        except BaseException:
            self._writer.close()
            raise
        self._signals = _Signals(self.path.with_name(self.path.name + "-generation"))
        self._read._signals = self._signals
        self._db_generation = 0
        self._next_recheck = 0.0
        self._checkpointer = _Checkpointer(self._connect)
        self._checkpointer.start()
        self._group: _Group | None = None
        self.writes = 0  # write transactions ended so far (grouped ones included)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: the sqlite3 module issues no implicit BEGIN; we do it ourselves.
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            # Switching a new database to WAL needs a moment's exclusive access; the busy timeout
            # covers other processes opening it at the same time. It is persistent afterwards.
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            for pragma in _PRAGMAS:
                conn.execute(pragma).fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    def _create_schema(self) -> None:
        conn = self._writer
        _begin_immediate(conn)  # several processes may open a new file at once
        try:
            version = conn.execute("PRAGMA user_version").fetchall()[0][0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema version {version}; this moatdb knows {SCHEMA_VERSION}")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def read(self) -> _Reader:
        return self._read

    def write(self) -> _Write:
        return _Write(self)

    def snapshot(self) -> _Snapshot:
        return _Snapshot(self._read)

    def generation(self) -> int:
        now = time.monotonic()
        if now >= self._next_recheck:
            self._db_generation = self._writer.execute(_GENERATION).fetchall()[0][0]
            self._next_recheck = now + GENERATION_RECHECK_SECONDS
        # Both only ever grow, so their sum changes whenever either does.
        return self._signals.value(_Signals.DOCUMENTS) + self._db_generation

    def group_commits(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit the write transactions of one event-loop turn together.

        A write transaction then ends as a savepoint inside the group's SQLite transaction, and
        the group commits in a callback scheduled on ``loop``: after every request that the loop
        ran in this turn. Whoever acknowledges a write must first await ``committed()``.
        Serializability holds (the writes still run one after another, in one SQLite write
        transaction), and the fixed cost of a commit is shared by the group."""
        self._group = _Group(self, loop)

    def committed(self) -> Awaitable[None] | None:
        """The commit of the open group (None when nothing waits to be committed)."""
        group = self._group
        return group.future if group is not None and group.open else None

    def _commit_group(self) -> None:
        group = self._group
        assert group is not None
        conn = self._writer
        future, documents_changed = group.close()
        try:
            generation = None
            if documents_changed:
                conn.execute(_BUMP_GENERATION)
                generation = conn.execute(_GENERATION).fetchall()[0][0]
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            future.set_exception(error)
            return
        # Readers must be told before anyone is: the acknowledgement follows the future.
        self._committed(generation)
        future.set_result(None)

    def _committed(self, db_generation: int | None) -> None:
        """After a commit: tell every worker (this one included) that its snapshot is old, and
        that documents changed when they did (``db_generation`` is then the new generation)."""
        self._signals.bump(_Signals.COMMITS)
        if db_generation is not None:
            self._db_generation = db_generation
            self._signals.bump(_Signals.DOCUMENTS)

    def close(self) -> None:
        if self._group is not None and self._group.open:
            self._commit_group()
        self._checkpointer.stop()
        self._read.close()
        self._writer.close()
        self._signals.close()


class _Group:
    """The open group of write transactions that will commit together (see ``group_commits``)."""

    def __init__(self, store: SqliteStore, loop: asyncio.AbstractEventLoop) -> None:
        self._store = store
        self._loop = loop
        self.open = False
        self.documents_changed = False
        self.future: asyncio.Future = loop.create_future()

    def join(self) -> None:
        """A write transaction starts: open the group's SQLite transaction if it is the first."""
        if not self.open:
            _begin_immediate(self._store._writer)
            self.open = True
            self.future = self._loop.create_future()
            self._loop.call_soon(self._store._commit_group)

    def close(self) -> tuple[asyncio.Future, bool]:
        result = self.future, self.documents_changed
        self.open = False
        self.documents_changed = False
        return result


class _Signals:
    """Counters in a shared memory-mapped file, bumped by whichever process changed something and
    polled by every process for the price of a memory load: ``DOCUMENTS`` after a commit that
    changed documents, ``COMMITS`` after every commit.

    Two workers bumping at once may both write the same value; it still differs from what the
    others last saw, and "changed" is all a reader needs."""

    DOCUMENTS, COMMITS = 0, 8

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 16:
                os.ftruncate(fd, 16)
            self._map = mmap.mmap(fd, 16)
        finally:
            os.close(fd)

    def value(self, offset: int) -> int:
        return struct.unpack_from("<Q", self._map, offset)[0]

    def bump(self, offset: int) -> None:
        struct.pack_into("<Q", self._map, offset, (self.value(offset) + 1) & 0xFFFF_FFFF_FFFF_FFFF)

    def close(self) -> None:
        self._map.close()


class _Checkpointer(threading.Thread):
    """Checkpoints the WAL periodically on its own connection (PASSIVE: never waits on readers or
    writers, and copies what it can)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(name="moatdb-checkpoint", daemon=True)
        self._connect = connect
        self._stopped = threading.Event()

    def run(self) -> None:
        conn = self._connect()
        try:
            while not self._stopped.wait(CHECKPOINT_INTERVAL_SECONDS):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join()
