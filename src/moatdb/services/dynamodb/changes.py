"""Every change to an item passes through here, so that what follows an item follows it: the base
table's row, and (for a table that has them) its secondary indexes' entries, the size of its item
collection, and its stream's record.

Callers hold the write transaction and know the item as it was (``old``): a table whose
``Table.follows_changes`` is set needs it, so its writers always read the old item first; for any
other table ``old`` may be None when the caller did not need it.
"""

from __future__ import annotations

import time

from moatdb.services.dynamodb import history, indexes, item_collections, streams
from moatdb.services.dynamodb.catalog import Table
from moatdb.storage.base import WriteTransaction


def write(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, old: dict | None,
          new: dict | None, encoded: bytes | None, *, by_service: bool = False) -> None:
    """Replace the item stored under ``(partition, sort)``, which was ``old``, with ``new`` (whose wire
    JSON is ``encoded``), or delete it when ``new`` is None. ``by_service``: the change is DynamoDB's
    own, not a caller's (a time-to-live deletion), and its stream record says so."""
    if table.indexes:
        # An item whose index keys do not fit is refused before anything of it is written.
        indexes.check(table, new)
        # So is one that would grow its item collection past 10 GB (a table with local secondary indexes).
        item_collections.follow(txn, table, partition, old, new)
        indexes.follow(txn, table, partition, sort, old, new, encoded)
    if new is None:
        txn.delete(table.id, partition, sort)
    else:
        txn.put(table.id, partition, sort, encoded)  # type: ignore[arg-type]
    if table.recovery is not None and table.recovery.enabled:
        history.record(txn, table.recovery, partition, sort, old)
    if table.streams:
        streams.record(txn, table, old, new, by_service, time.time())
