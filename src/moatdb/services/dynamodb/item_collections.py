"""Item collections of tables with local secondary indexes (Developer Guide, "Local secondary indexes" >
"Item collections", "Item collection size limit"; API Reference, ItemCollectionMetrics).

An item collection is every item of the table that shares a partition key value, with the entries of
those items in the table's local secondary indexes. In a table with at least one LSI it may not grow past
10 GB: a write that would take it past fails with ItemCollectionSizeLimitExceededException, while writes
that shrink it still succeed.

Each collection's size is a counter row under a storage id of the table's own (``Table.collections``),
keyed by the collection's storage partition, its value the size in bytes as ASCII digits. ``follow`` moves
the counter by the change's delta in the change's own transaction, so the limit costs one row read and one
row write per change, and nothing at all for a table without LSIs. LSIs exist only from CreateTable on,
which allocates the counters' id (``Catalog.create_in``), so every counted table has its counters.

The size of an item, and of each index entry, is DynamoDB's item size plus the 100 bytes of overhead the
Developer Guide counts per item and per index entry ("Storage considerations for local secondary indexes").
"""

from __future__ import annotations

from moatdb.errors import ItemCollectionSizeLimitExceededException
from moatdb.services.dynamodb import values
from moatdb.services.dynamodb.catalog import Table
from moatdb.storage.base import ReadTransaction, WriteTransaction

GB = 1024 ** 3
LIMIT = 10 * GB
OVERHEAD = 100
# Developer Guide, "Error handling with DynamoDB" (ItemCollectionSizeLimitExceededException) and the API
# Reference's TransactionCanceledException reasons (Code ItemCollectionSizeLimitExceeded), both listing
# "Collection size exceeded." with the period those pages give every message (as "The conditional request
# failed."), which DynamoDB's replies do not carry.
MESSAGE = "Collection size exceeded"
REASON = "ItemCollectionSizeLimitExceeded"
_SORT = b""  # a collection has one counter row: its partition, no sort key


def counted(table: Table) -> bool:
    """Whether the table's item collections are limited and measured: it has a local secondary index."""
    return any(not index.is_global for index in table.indexes)


def follow(txn: WriteTransaction, table: Table, partition: bytes, old: dict | None, new: dict | None) -> None:
    """Move the size of the collection under ``partition`` by the change of ``old`` into ``new``; refuse
    the change, before anything of it is written, when it would grow the collection past ``LIMIT``."""
    if not counted(table):
        return
    delta = size_of(table, new) - size_of(table, old)
    if delta == 0:
        return
    storage_id: int = table.collections  # type: ignore[assignment]
    size = _stored_size(txn, storage_id, partition) + delta
    if delta > 0 and size > LIMIT:
        raise ItemCollectionSizeLimitExceededException(MESSAGE)
    if size > 0:
        txn.put(storage_id, partition, _SORT, encode_size(size))
    else:
        txn.delete(storage_id, partition, _SORT)


def size_of(table: Table, item: dict | None) -> int:
    """What ``item`` adds to its collection: itself and its entry in each local secondary index it is in."""
    if item is None:
        return 0
    whole = values.item_size(item) + OVERHEAD
    size = whole
    for index in table.indexes:
        if not index.is_global and _in_index(item, index.sort_key, index.sort_type):  # type: ignore[arg-type]
            size += whole if index.projected is None else values.item_size(index.project(item)) + OVERHEAD
    return size


def metrics(txn: WriteTransaction, table: Table, partition: bytes, key: dict, params: dict) -> dict | None:
    """The ItemCollectionMetrics of the collection under ``partition`` (``key`` holds its partition key
    value), when ``params`` asks for them and the table has local secondary indexes, else None."""
    if params.get("ReturnItemCollectionMetrics") != "SIZE" or not counted(table):
        return None
    size = _stored_size(txn, table.collections, partition)  # type: ignore[arg-type]
    # The range is the whole gigabytes below the size and the next one up: the Developer Guide's example
    # answers [0.0, 1.0] for a small collection ("between 0 and 1 GB").
    low = float(size // GB)
    return {"ItemCollectionKey": {table.partition_key: values.validate_value(key[table.partition_key])},
            "SizeEstimateRangeGB": [low, low + 1.0]}


def encode_size(size: int) -> bytes:
    """A counter row's value."""
    return str(size).encode()


def _stored_size(reader: ReadTransaction, storage_id: int, partition: bytes) -> int:
    stored = reader.get(storage_id, partition, _SORT)
    return int(stored) if stored is not None else 0


def _in_index(item: dict, name: str, declared: str) -> bool:
    """Whether the item has an LSI's sort key (its partition key is the table's): an index is sparse, and an
    item written before the index existed may hold a value that does not fit it (indexes.py)."""
    value = item.get(name)
    return value is not None and declared in value and (declared == "N" or value[declared] != "")
