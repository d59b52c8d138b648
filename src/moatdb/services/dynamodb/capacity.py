"""Consumed capacity, computed as DynamoDB computes it (Developer Guide, "Read/write capacity mode").

A read unit covers 4 KB read strongly consistently (half a unit eventually consistently); a write
unit covers 1 KB written. Sizes round up per item for single-item operations, and over the summed
size of all items read for Query and Scan.
"""

from __future__ import annotations

READ_UNIT = 4096
WRITE_UNIT = 1024


def read_units(size: int, consistent: bool) -> float:
    units = max(1, -(-size // READ_UNIT))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, -(-size // WRITE_UNIT)))


def consumed(mode: str | None, table: str, units: float, *, read: bool) -> dict | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity ``mode``, or None when not asked."""
    if mode is None or mode == "NONE":
        return None
    kind = "ReadCapacityUnits" if read else "WriteCapacityUnits"
    result: dict = {"TableName": table, "CapacityUnits": units, kind: units}
    if mode == "INDEXES":
        result["Table"] = {"CapacityUnits": units, kind: units}
    return result
