"""Secondary index entries: their storage keys, and how they follow the table's items.

An index's entries are stored under the index's own storage id (index_schema.py), one per item that
has the index's key attributes (an index is sparse: an item without them is not in it):

- partition: ``keys.partition_bytes`` of the index partition key value, so an index Query is one
  partition's range and a parallel Scan of an index cuts the same hash space as a table's;
- sort: the index sort key value (if the index has one) as an order-preserving, self-delimiting
  ``component``, then the table's partition as another component, then the table's sort key bytes.
  Index keys are not unique: the table's primary key after the index sort key makes every entry's
  key unique and orders entries with the same index key stably, by the table's key;
- value: the item as the index projects it, in wire JSON (the whole item for ``ALL``).

``keys.sort_bytes`` of a string or binary is not self-delimiting ("a" is a prefix of "ab"), so a
component escapes 0x00 as 0x00 0xFF and ends with 0x00 0x00: the terminator sorts below any escaped
or plain byte, so shorter values still sort first, and memcmp order of components is the order of
their values.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import orjson

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import keys
from moatdb.services.dynamodb.catalog import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES, Table
from moatdb.services.dynamodb.index_schema import SecondaryIndex
from moatdb.storage.base import ReadTransaction, WriteTransaction

INVALID = "One or more parameter values were invalid: "
_TERMINATOR = b"\x00\x00"
# Items copied per batch when an index is built over a table's existing items.
_BACKFILL_BATCH = 1000


def component(data: bytes) -> bytes:
    """``data`` escaped and terminated, so that components can follow one another in a sort key."""
    return data.replace(b"\x00", b"\x00\xff") + _TERMINATOR


def sort_component(value: dict) -> bytes:
    """The component of an index sort key value (wire form)."""
    return component(keys.sort_bytes(value))


def entry_key(index: SecondaryIndex, partition_value: dict, sort_value: dict | None, table_partition: bytes,
              table_sort: bytes) -> tuple[bytes, bytes]:
    """The storage key of the entry of the item whose table key is ``(table_partition, table_sort)``."""
    prefix = sort_component(sort_value) if index.sort_key is not None else b""  # type: ignore[arg-type]
    return keys.partition_bytes(partition_value), prefix + component(table_partition) + table_sort


def check(table: Table, item: dict | None) -> None:
    """DynamoDB's refusal of an item whose index key attributes have the wrong type or are empty: an
    index key attribute may be absent (the item is then not in that index), never malformed."""
    if item is None:
        return
    for index in table.indexes:
        for (name, declared), limit in zip(_index_keys(index), _KEY_LIMITS, strict=False):
            value = item.get(name)
            if value is None:
                continue
            actual = next(iter(value))
            if actual != declared:
                # Wording: dynalite's putItem/updateItem/batchWriteItem tests, recorded against AWS.
                raise ValidationException(INVALID + f"Type mismatch for Index Key {name} Expected: {declared}"
                                          f" Actual: {actual} IndexName: {index.name}")
            if declared != "N" and value[declared] == "":
                # Wording: moto's and Alternator's tests, as AWS answers.
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a secondary index key is"
                    " not supported. The AttributeValue for a key attribute cannot contain an empty"
                    f" {'string' if declared == 'S' else 'binary'} value. IndexName: {index.name},"
                    f" IndexKey: {name}")
            size = _size(value, declared)
            if size > limit:
                # Wording: AWS's answer as quoted in wellcomecollection/platform#2285 and dynalite#35
                # ("Max Size: 2048 bytes" for a partition key; the sort key's 1024 is the Quotas page's).
                raise ValidationException(INVALID + f"Size limit exceeded for Index Key {name} Actual Size:"
                                          f" {size} bytes Max Size: {limit} bytes IndexName: {index.name}")


def follow(txn: WriteTransaction, table: Table, partition: bytes, sort: bytes, old: dict | None,
           new: dict | None, encoded: bytes | None) -> None:
    """Bring every index of the table in line with the item under ``(partition, sort)`` becoming
    ``new`` (None: deleted); ``new`` has passed ``check``."""
    for index in table.indexes:
        old_key = _entry_key_of(index, old, partition, sort)
        new_key = _entry_key_of(index, new, partition, sort)
        if old_key is not None and old_key != new_key:
            txn.delete(index.id, *old_key)
        if new_key is not None:
            txn.put(index.id, *new_key, _entry_value(index, new, encoded))  # type: ignore[arg-type]


def backfill(txn: WriteTransaction, table: Table, index: SecondaryIndex) -> None:
    """Enter the table's existing items into a new index. Items whose key attributes do not fit the
    index (a wrong type, an empty value) are left out, as DynamoDB's backfill leaves them out."""
    start: tuple[bytes, bytes] | None = None
    while True:
        # A batch is read before it is written: the store's scan is lazy, and a cursor must not run
        # over rows its own transaction is changing. Each batch's scan is closed once read, so a large
        # table does not leave one open statement per batch until the transaction ends.
        rows = txn.scan(table.id, start)
        batch = list(islice(rows, _BACKFILL_BATCH))
        close = getattr(rows, "close", None)
        if close is not None:
            close()
        for partition, sort, raw in batch:
            item = orjson.loads(raw)
            key = _entry_key_of(index, item, partition, sort)
            if key is not None:
                txn.put(index.id, *key, _entry_value(index, item, raw))
        if len(batch) < _BACKFILL_BATCH:
            return
        start = batch[-1][0], batch[-1][1]


def counts(reader: ReadTransaction, table: Table) -> dict[str, tuple[int, int]]:
    """``(item count, size in bytes)`` of each index of the table."""
    return {index.name: reader.count(index.id) for index in table.indexes}


def table_rows(reader: ReadTransaction, table: Table,
               rows: Iterator[tuple[bytes, bytes, bytes]]) -> Iterator[tuple[bytes, bytes, bytes]]:
    """Index rows with each entry replaced by the whole item from the table (a local secondary index
    fetching the attributes it does not project). An item deleted since its entry was read is skipped."""
    for partition, sort, raw in rows:
        table_partition, table_sort = table.item_storage_key(orjson.loads(raw))
        item = reader.get(table.id, table_partition, table_sort)
        if item is not None:
            yield partition, sort, item


def _index_keys(index: SecondaryIndex) -> Iterator[tuple[str, str]]:
    yield index.partition_key, index.partition_type
    if index.sort_key is not None:
        yield index.sort_key, index.sort_type  # type: ignore[misc]


def _entry_key_of(index: SecondaryIndex, item: dict | None, partition: bytes,
                  sort: bytes) -> tuple[bytes, bytes] | None:
    """The key of the item's entry, or None when the item is not in the index: it is absent, lacks
    an index key attribute, or (an item written before the index existed) has one that does not fit."""
    if item is None:
        return None
    partition_value = _fitting(item.get(index.partition_key), index.partition_type, MAX_PARTITION_KEY_BYTES)
    if partition_value is None:
        return None
    sort_value = None
    if index.sort_key is not None:
        sort_value = _fitting(item.get(index.sort_key), index.sort_type, MAX_SORT_KEY_BYTES)  # type: ignore[arg-type]
        if sort_value is None:
            return None
    return entry_key(index, partition_value, sort_value, partition, sort)


def _fitting(value: dict | None, declared: str, limit: int) -> dict | None:
    if value is None or declared not in value or (declared != "N" and value[declared] == ""):
        return None
    return value if _size(value, declared) <= limit else None


# An index key value's limits, partition then sort (Developer Guide, "Quotas": 2048 and 1024 bytes).
_KEY_LIMITS = (MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES)


def _size(value: dict, declared: str) -> int:
    """The bytes of a key value of its declared type (a number is bounded by its 38 digits)."""
    if declared == "S":
        return len(value["S"].encode())
    if declared == "B":
        raw = value["B"]
        return len(raw) * 3 // 4 - raw.count("=", -2)
    return 0


def _entry_value(index: SecondaryIndex, item: dict, encoded: bytes | None) -> bytes:
    if index.projected is None and encoded is not None:
        return encoded
    return orjson.dumps(index.project(item))
