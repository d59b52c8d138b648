"""The storage contract every backend (SQLite now, PostgreSQL later) fulfils.

Two kinds of data live in a store:

- **items**: per table (an integer id), rows keyed by ``(partition, sort)``, both opaque ``bytes``
  whose byte order *is* the order the layer above wants (the DynamoDB layer encodes keys so that
  memcmp order equals DynamoDB's order). ``sort`` is ``b""`` for tables without a sort key. The
  value is opaque ``bytes`` (the DynamoDB layer stores an item's wire JSON).
- **documents**: small named JSON-able records grouped by ``kind`` (table descriptions now;
  principals, policies and the world later). Values are ``bytes`` too.

Reads see committed data (each call its own consistent view; a single ``query``/``scan`` iterator
reads one snapshot). Writes happen inside a write transaction, serializable with every other write
transaction across threads *and* processes (several server workers share one store); once the
transaction has committed, the data survives the process being killed (``kill -9``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

Row = tuple[bytes, bytes, bytes]  # (partition, sort, value)


class Busy(Exception):
    """A write transaction could not take the store's write lock in time (other writers held it
    throughout): nothing was written, and the same request may be sent again."""


class ReadTransaction(Protocol):
    def get(self, table: int, partition: bytes, sort: bytes) -> bytes | None:
        """The value stored under the key, or None."""

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
        """``(sort, value)`` of one partition, in sort order (descending when ``reverse``),
        bounded by ``low``/``high`` when given. Lazy: the caller stops when it has enough."""

    def scan(
        self,
        table: int,
        start: tuple[bytes, bytes] | None = None,
        end_partition: bytes | None = None,
        *,
        start_partition: bytes | None = None,
    ) -> Iterator[Row]:
        """Rows of a table in ``(partition, sort)`` order. ``start``: resume strictly after this
        key. ``start_partition``/``end_partition``: the half-open partition range
        ``[start_partition, end_partition)`` (a parallel-scan segment). Lazy."""

    def count(self, table: int) -> tuple[int, int]:
        """``(item count, total bytes of partition + sort + value)`` of a table."""

    def document(self, kind: str, name: str) -> bytes | None: ...

    def documents(self, kind: str) -> Iterator[tuple[str, bytes]]:
        """``(name, value)`` of one kind, ordered by name."""


class WriteTransaction(ReadTransaction, Protocol):
    def put(self, table: int, partition: bytes, sort: bytes, value: bytes) -> None: ...

    def delete(self, table: int, partition: bytes, sort: bytes) -> None: ...

    def drop_table(self, table: int) -> None:
        """Remove every item of a table."""

    def put_document(self, kind: str, name: str, value: bytes) -> None: ...

    def delete_document(self, kind: str, name: str) -> None: ...

    def next_id(self, counter: str) -> int:
        """A number never returned before for this counter (table ids)."""


class Store(Protocol):
    def read(self) -> ReadTransaction:
        """The reader: committed data, no transaction to open or close (cheap, per request)."""

    def write(self) -> WriteTransaction:
        """A context manager: commits when the block ends normally, rolls back on an exception."""

    def snapshot(self) -> AbstractContextManager[ReadTransaction]:
        """A context manager: every read inside the block sees the committed data as of one moment
        (where ``read()`` gives each call its own view), without taking the write lock. For a read of
        several items that must be consistent with each other (TransactGetItems)."""

    def generation(self) -> int:
        """A number that changes whenever any document changes, in this process or another (a
        worker's cache of documents, such as table descriptions, is valid while it is unchanged).
        Cheap enough to call on every request: item writes do not change it."""

    writes: int
    """Write transactions ended successfully so far: a caller compares it before and after running
    a request to learn whether the request wrote."""

    def group_commits(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on, write transactions that end in the same turn of ``loop`` commit together,
        in a callback the store schedules on it. A write is then only durable once ``committed()``
        has resolved, and must not be acknowledged before."""

    def committed(self) -> Awaitable[None] | None:
        """The pending group commit (raises what the commit raised), or None if none is pending."""

    def close(self) -> None: ...
