"""The time-to-live sweeper: deletes the items whose time to live has passed.

An item expires when the attribute its table's time to live reads is a Number, taken as seconds
since the epoch, that is in the past, but not more than five years in the past: "Items with an
expiration time older than five years in the past are not deleted", and an attribute of any other
type is ignored (Developer Guide, "Time to Live (TTL)"). Until the sweeper comes by, an expired item
is still read, queried and scanned, as DynamoDB documents ("items that have expired, but haven't yet
been deleted by TTL, still appear in reads, queries, and scans").

Every worker runs a sweeper on its event loop, every ``interval`` seconds (``moatdb serve
--ttl-interval``). A pass reads each table in slices of ``SLICE`` rows, yielding to the loop between
slices, and deletes what it found expired in a write transaction that reads the item and its table
again: an item rewritten since, a table whose time to live changed, or an item another worker's
sweeper deleted first is left alone, so any number of workers may sweep at once without harm. A
deletion goes through ``changes.write`` as DynamoDB's own (``by_service``): a stream record says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from itertools import islice

import orjson

from moatdb.services.dynamodb import changes
from moatdb.services.dynamodb.catalog import DOCUMENT_KIND, Address, Table
from moatdb.storage.base import Store

DEFAULT_INTERVAL = 30.0  # seconds between passes
SLICE = 1000  # rows read between two turns of the event loop
FIVE_YEARS = 5 * 365 * 24 * 3600  # seconds

log = logging.getLogger("moatdb.ttl")


class Sweeper:
    def __init__(self, store: Store, *, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.time):
        self.store = store
        self.interval = interval
        self.clock = clock
        self._next: asyncio.Handle | None = None  # the step scheduled next, cancelled by stop()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Sweep every ``interval`` seconds on ``loop``, from now on, one slice a turn."""
        def step(sweep: Iterator[int]) -> None:
            try:
                next(sweep)
            except StopIteration:
                self._next = loop.call_later(self.interval, step, self.passes())
                return
            except Exception:  # the next pass tries again; a failing one must not stop them
                log.exception("time-to-live sweep failed")
                self._next = loop.call_later(self.interval, step, self.passes())
                return
            self._next = loop.call_soon(step, sweep)

        self._next = loop.call_later(self.interval, step, self.passes())

    def stop(self) -> None:
        """No step runs any more (before the store closes under it)."""
        if self._next is not None:
            self._next.cancel()

    def sweep(self) -> int:
        """One whole pass at once; the number of items deleted."""
        return sum(self.passes())

    def passes(self) -> Iterator[int]:
        """One pass over every table whose time to live is enabled, a slice at a time: yields the
        number of items each slice deleted."""
        now = self.clock()
        for address, table in self._tables():
            attribute = table.time_to_live
            assert attribute is not None
            marker = orjson.dumps(attribute) + b":"  # the attribute as it appears in an item's JSON
            after: tuple[bytes, bytes] | None = None
            while True:
                with closing(self.store.read().scan(table.id, after)) as rows:
                    found = list(islice(rows, SLICE))
                expired = [(partition, sort) for partition, sort, value in found
                           if marker in value and expired_at(orjson.loads(value), attribute, now)]
                yield self._delete(address, table, expired, now) if expired else 0
                if len(found) < SLICE:
                    break
                after = found[-1][0], found[-1][1]

    def _tables(self) -> list[tuple[Address, Table]]:
        found = []
        for name, document in self.store.read().documents(DOCUMENT_KIND):
            table = Table.from_document(document)
            if table.time_to_live is not None:
                account, region, table_name = name.split(":", 2)
                found.append(((account, region, table_name), table))
        return found

    def _delete(self, address: Address, table: Table, keys: list[tuple[bytes, bytes]], now: float) -> int:
        """Delete the items under ``keys`` that are still expired, in one write transaction."""
        deleted = 0
        with self.store.write() as txn:
            document = txn.document(DOCUMENT_KIND, ":".join(address))
            current = Table.from_document(document) if document is not None else None
            if current is None or current.id != table.id or current.time_to_live != table.time_to_live:
                return 0  # the table was deleted, or its time to live changed, since the pass began
            attribute = current.time_to_live
            for partition, sort in keys:
                stored = txn.get(current.id, partition, sort)
                if stored is None:
                    continue
                item = orjson.loads(stored)
                if expired_at(item, attribute, now):
                    changes.write(txn, current, partition, sort, item, None, None, by_service=True)
                    deleted += 1
        return deleted


def expired_at(item: dict, attribute: str, now: float) -> bool:
    """Whether ``item`` has expired by ``now`` (seconds since the epoch), reading ``attribute``."""
    value = item.get(attribute)
    if type(value) is not dict or type(value.get("N")) is not str:
        return False
    try:
        seconds = float(value["N"])
    except ValueError:
        return False
    return now - FIVE_YEARS <= seconds < now
