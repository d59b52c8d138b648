"""Query and Scan with ``IndexName``: an index read the way reads.py reads a table.

``plan`` resolves the index and applies DynamoDB's rules for reading it: a global index is eventually
consistent and holds only what it projects, so ConsistentRead and anything asking for more is
refused; a local index fetches what it does not project from the table, item by item. What it
answers (``IndexSource``) offers reads.py the surface of a table: its storage id, its key schema,
the storage keys of key values and of an ExclusiveStartKey, and the LastEvaluatedKey of an item
(the index's keys and the table's).
"""

from __future__ import annotations

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import indexes, keys
from moatdb.services.dynamodb.catalog import (
    _KEY_MISMATCH,
    MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
    Table,
    _key_value,
)
from moatdb.services.dynamodb.index_schema import SecondaryIndex

INVALID = "One or more parameter values were invalid: "


class IndexSource:
    """One secondary index of a table, as Query and Scan read it."""

    def __init__(self, table: Table, index: SecondaryIndex):
        self.table = table
        self.index = index
        self.id = index.id
        self.name = table.name  # consumed capacity is reported for the table
        self.partition_key, self.partition_type = index.partition_key, index.partition_type
        self.sort_key, self.sort_type = index.sort_key, index.sort_type
        # An entry's key attributes: the index's, then the table's.
        self.key_names = tuple(dict.fromkeys((*index.key_names, *table.key_names)))

    def partition_storage_key(self, value: dict) -> bytes:
        return keys.partition_bytes(_key_value(value, self.partition_type, self.partition_key, _KEY_MISMATCH,
                                               MAX_PARTITION_KEY_BYTES))

    def storage_key(self, key: object) -> tuple[bytes, bytes]:
        """The entry key of an ExclusiveStartKey: exactly the index's and the table's key attributes."""
        if type(key) is not dict or set(key) != set(self.key_names):
            raise ValidationException(_KEY_MISMATCH)
        table_partition, table_sort = self.table.storage_key({name: key[name] for name in self.table.key_names})
        index = self.index
        partition = _key_value(key[index.partition_key], index.partition_type, index.partition_key, _KEY_MISMATCH,
                               MAX_PARTITION_KEY_BYTES)
        sort = None
        if index.sort_key is not None:
            sort = _key_value(key[index.sort_key], index.sort_type, index.sort_key, _KEY_MISMATCH,
                              MAX_SORT_KEY_BYTES)
        return indexes.entry_key(index, partition, sort, table_partition, table_sort)

    def key_of(self, item: dict) -> dict:
        return {name: item[name] for name in self.key_names}

    def sort_bounds(self, key_condition) -> tuple[bytes | None, bytes | None, bool, bool]:
        """The range of entry sort keys that satisfies the key condition's sort-key part: entries of
        one index sort key value share the prefix ``sort_component(value)``."""
        operator = key_condition.sort_operator
        if operator is None:
            return None, None, True, True
        if operator == "begins_with":
            # Escaping maps a prefix of a value to a prefix of the value's escaped bytes.
            prefix = keys.sort_bytes(key_condition.sort_values[0]).replace(b"\x00", b"\x00\xff")
            return prefix, keys.prefix_upper_bound(prefix), True, False
        operands = [indexes.sort_component(value) for value in key_condition.sort_values]
        after = [keys.prefix_upper_bound(operand) for operand in operands]  # above every entry of the value
        if operator == "=":
            return operands[0], after[0], True, False
        if operator == "<":
            return None, operands[0], True, False
        if operator == "<=":
            return None, after[0], True, False
        if operator == ">":
            return after[0], None, True, True
        if operator == ">=":
            return operands[0], None, True, True
        if operator == "BETWEEN":
            return operands[0], after[1], True, False
        raise ValidationException("Query key condition not supported")


class _Projected:
    """The index's projection applied to a whole item fetched from the table (a local index read
    whose filter needed an attribute the index does not hold, but that returns what it projects)."""

    __slots__ = ("apply",)
    nested_attributes: frozenset[str] = frozenset()  # it reads no paths of its own

    def __init__(self, index: SecondaryIndex):
        self.apply = index.project


def plan(table: Table, params: dict, select: str, projection, condition) -> tuple:
    """``(source, select, projection, fetch)`` of a Query or Scan: the table itself as it was asked,
    or the index ``IndexName`` names with the Select it means and whether each entry's item must be
    fetched from the table."""
    name = params.get("IndexName")
    if name is None:
        return table, select, projection, False
    index = next((index for index in table.indexes if index.name == name), None)
    if index is None:
        if params.get("ExclusiveStartKey") is not None:
            # dynalite's query and scan tests, recorded against AWS.
            raise ValidationException("The provided starting key is invalid")
        raise ValidationException(f"The table does not have the specified index: {name}")
    if index.is_global and params.get("ConsistentRead"):
        raise ValidationException("Consistent reads are not supported on global secondary indexes")
    if params.get("Select") is None and projection is None:
        # The default on an index (API Reference, Query, Select).
        select = "ALL_PROJECTED_ATTRIBUTES"
    wanted = projection.attributes if projection is not None else ()
    filtered = condition.attributes if condition is not None else ()
    if index.is_global:
        if select == "ALL_ATTRIBUTES" and index.projected is not None:
            # moto's tests verified against AWS.
            raise ValidationException(INVALID + f"Select type ALL_ATTRIBUTES is not supported for global secondary"
                                      f" index {name} because its projection type is not ALL")
        missing = index.unprojected(_ordered(projection))
        if missing:
            # AWS's answer quoted in localstack#478 (the list's separator is assumed).
            raise ValidationException(INVALID + f"Global secondary index {name} does not project"
                                      f" [{', '.join(missing)}]")
        missing = index.unprojected(sorted(filtered))
        if missing:
            # AWS's answer quoted in dynamodb-onetable#377 (the list's order is assumed).
            raise ValidationException(INVALID + f"Secondary index {name} does not project one or more filter"
                                      f" attributes: [{', '.join(missing)}]")
        fetch = False
    else:
        fetch = index.projected is not None and (
            select == "ALL_ATTRIBUTES" or bool(index.unprojected(wanted)) or bool(index.unprojected(filtered)))
    if select == "ALL_PROJECTED_ATTRIBUTES":
        select = "ALL_ATTRIBUTES"  # the rows hold the projected items: returned as they are
        if fetch:
            projection = _Projected(index)
    return IndexSource(table, index), select, projection, fetch


def _ordered(projection) -> list[str]:
    """The top-level attributes of a projection in the order written."""
    if projection is None:
        return []
    return list(dict.fromkeys(path[0] for path in projection.paths))
