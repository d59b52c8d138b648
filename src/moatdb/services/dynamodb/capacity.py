"""Consumed capacity, computed as DynamoDB computes it.

Developer Guide, "DynamoDB read and write operations" (read-write-operations.html): a read unit
covers 4 KB read strongly consistently (half a unit eventually consistently); a write unit covers
1 KB written. Sizes round up per item for single-item operations, and over the summed size of all
items read for Query and Scan.
"""

from __future__ import annotations

READ_UNIT = 4096
WRITE_UNIT = 1024


def read_units(size: int, consistent: bool) -> float:
    units = max(1, -(-size // READ_UNIT))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, -(-size // WRITE_UNIT)))


def consumed(mode: str | None, table: str, units: float) -> dict | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity ``mode``, or None when not asked.

    Single-item operations, Query, Scan and the batch operations report the aggregate alone:
    ``{"TableName", "CapacityUnits"}``, plus ``"Table": {"CapacityUnits"}`` under INDEXES, with no
    ReadCapacityUnits/WriteCapacityUnits split (dynalite's tests, and the dynamodb-conformance
    suite characterised against real DynamoDB in 2026, issue #69); only transactions add the split.
    """
    if mode is None or mode == "NONE":
        return None
    result: dict = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        result["Table"] = {"CapacityUnits": units}
    return result
