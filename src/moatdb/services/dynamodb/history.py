"""Point-in-time recovery: the history of a table's item changes, and its items as they were at a time.

While recovery is enabled, every change of an item (``changes.write``) records, in item rows under the
table's history storage id (never documents, whose writes drop every worker's caches), when it
happened and the item as it was before:

- row partition: the change's time in microseconds since the epoch (8 bytes, big-endian, so the rows
  sort by time), then the item's own storage partition;
- row sort: the item's storage sort;
- value: the old item's wire JSON, or ``b""`` when there was no item.

A restore to T starts from the current items and puts back, for each item changed after T, the image
it had before its first change after T. That is the same as undoing the changes after T in reverse
order (the first before-image after T *is* the item at T), in one forward pass. Undoing was chosen over
replaying because the present is the base: nothing has to snapshot the table when recovery is enabled,
and the history only reaches back over the recovery period, so trimming it is dropping its oldest rows.
"""

from __future__ import annotations

import itertools
import time

import orjson

from moatdb.services.dynamodb.catalog import Recovery, Table
from moatdb.storage.base import ReadTransaction, WriteTransaction

MICROSECONDS = 1_000_000
DAY = 86_400
# Each write records one row and drops up to two that fell out of the recovery period, so the history
# never grows beyond the period's changes, and no write pays for a long backlog at once.
TRIM_PER_WRITE = 2


def record(txn: WriteTransaction, recovery: Recovery, partition: bytes, sort: bytes,
           old: dict | None) -> None:
    """Remember that the item under ``(partition, sort)`` is changing now, and was ``old``."""
    now = time.time_ns() // 1000
    row = now.to_bytes(8, "big") + partition
    # A second change of the item within the same microsecond keeps the first one's before-image:
    # undoing both must give back the item as it was before either.
    if txn.get(recovery.history, row, sort) is None:
        txn.put(recovery.history, row, sort, orjson.dumps(old) if old is not None else b"")
    _trim(txn, recovery, now)


def _trim(txn: WriteTransaction, recovery: Recovery, now: int) -> None:
    horizon = (now - recovery.days * DAY * MICROSECONDS).to_bytes(8, "big")
    expired = [(partition, sort) for partition, sort, _ in
               itertools.islice(txn.scan(recovery.history, end_partition=horizon), TRIM_PER_WRITE)]
    for partition, sort in expired:
        txn.delete(recovery.history, partition, sort)


def items_at(txn: ReadTransaction, table: Table, at: float) -> dict[tuple[bytes, bytes], bytes | None]:
    """Each item of ``table`` changed after the time ``at`` (epoch seconds), by storage key, with its
    wire JSON as it was at ``at`` (None: there was no item then). Every other item is as it is now."""
    assert table.recovery is not None
    start = (round(at * MICROSECONDS) + 1).to_bytes(8, "big")
    before: dict[tuple[bytes, bytes], bytes | None] = {}
    for row, sort, value in txn.scan(table.recovery.history, start_partition=start):
        key = (row[8:], sort)
        if key not in before:  # the first change after ``at`` knows the item as it was at ``at``
            before[key] = value or None
    return before


def earliest(recovery: Recovery, now: float) -> float:
    """EarliestRestorableDateTime: when recovery was enabled, or the start of the recovery period."""
    return max(recovery.since, now - recovery.days * DAY)


def description(table: Table, now: float) -> dict:
    """The table's ContinuousBackupsDescription. On-demand backups are always available; the restore
    window ends now, as every acknowledged write is in the history when it is acknowledged."""
    recovery = table.recovery
    if recovery is None or not recovery.enabled:
        # Disabled: the status alone (ack-api-quirks DDB-TABLE-086, live AWS 2026).
        point_in_time: dict = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        point_in_time = {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": recovery.days,
                         "EarliestRestorableDateTime": earliest(recovery, now),
                         "LatestRestorableDateTime": now}
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": point_in_time}
