"""DynamoDB Streams inside: a table's streams, and the record of every change to its items.

A table keeps its streams in its catalog document (``Table.streams``), oldest first, each a small
dict: its label, the storage id its records live under, its view type, when it was enabled and,
once disabled, when. At most one is enabled (the last); a disabled one stays readable for the 24
hours of its records' retention and is then forgotten, its rows dropped.

Records are item rows, never documents (a document write drops every worker's caches): under the
stream's own storage id, partition = its shard (one shard per stream), sort = the record's sequence
number (its count in the shard) as 8 big-endian bytes, so the shard reads in sequence order. The shard's own row (sort
``b""``, before every record) holds the last sequence number given and what has been trimmed, so a
write reads one row and writes two. Writers are serialized by the store, so sequence numbers
increase strictly. They are 21-digit decimal strings, as AWS's ("300000000000000499659" in the API
Reference's GetRecords example).

The records of a deleted table's streams stay readable for 24 hours: deleting the table keeps its
streams in a document of their own (``DELETED_KIND``), dropped with their rows once expired.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import values
from moatdb.services.dynamodb.catalog import TABLE_COUNTER, Address, StoredPolicy, Table
from moatdb.storage.base import ReadTransaction, WriteTransaction

# Developer Guide, "Change data capture for DynamoDB Streams": records are kept 24 hours, and a
# disabled stream stays readable for as long.
RETENTION = 24 * 3600
VIEW_TYPES = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
# Records are counted from 1 in their shard (a position is the count a reader has read up to); the
# sequence number of record n is BASE + n, 21 digits.
BASE = 10**20
SHARD = bytes(4)  # the partition of the stream's one shard
_STATE = b""  # the sort of the shard's own row
DELETED_KIND = "dynamodb/stream-of-deleted-table"
# The identity of a change DynamoDB made itself (a time-to-live deletion): API Reference, Identity.
SERVICE_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


# --- a table's streams ---------------------------------------------------------------------------


def current(table: Table) -> dict | None:
    """The table's enabled stream, or None."""
    streams = table.streams
    return streams[-1] if streams and streams[-1].get("disabled") is None else None


def enable(txn: WriteTransaction, table: Table, view_type: str, now: float) -> dict:
    """Give the table a new stream (a new label, ARN and storage id), and say so in its description."""
    forget_expired(txn, table, now)
    label = _label(now, [stream["label"] for stream in table.streams])
    stream = {"label": label, "id": txn.next_id(TABLE_COUNTER), "view_type": view_type, "created": now}
    table.streams.append(stream)
    description = table.description
    description["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    description["LatestStreamLabel"] = label
    description["LatestStreamArn"] = arn(table.arn, label)
    table.follows_changes = True
    return stream


def disable(txn: WriteTransaction, table: Table, now: float) -> None:
    """Close the enabled stream: it takes no more records and stays readable (DISABLED) for 24 hours.
    DescribeTable keeps naming it as the latest stream (wording of the specification assumed:
    StreamEnabled false)."""
    forget_expired(txn, table, now)
    stream = current(table)
    if stream is not None:
        stream["disabled"] = now
    # follows_changes is left set for the rest of this request: nothing is recorded anyway, and the
    # table as next loaded works it out again.
    table.description["StreamSpecification"] = {"StreamEnabled": False}


def forget_expired(txn: WriteTransaction, table: Table, now: float) -> None:
    """Drop the streams disabled more than 24 hours ago, with their records."""
    kept = []
    for stream in table.streams:
        if stream.get("disabled") is not None and stream["disabled"] + RETENTION < now:
            txn.drop_table(stream["id"])
        else:
            kept.append(stream)
    table.streams[:] = kept


def keep_after_delete(txn: WriteTransaction, address: Address, table: Table, now: float) -> None:
    """The table is being deleted: its streams become DISABLED and stay readable for 24 hours, in a
    document of their own (one per stream, written only when a table with streams is deleted)."""
    forget_expired(txn, table, now)
    for stream in table.streams:
        kept = dict(stream, disabled=stream.get("disabled") or now, table=table.name,
                    table_arn=table.arn, key_schema=table.description["KeySchema"])
        txn.put_document(DELETED_KIND, _deleted_name(address, stream["label"]), orjson.dumps(kept))
    for name, document in list(txn.documents(DELETED_KIND)):
        if orjson.loads(document)["disabled"] + RETENTION < now:
            txn.delete_document(DELETED_KIND, name)
            txn.drop_table(orjson.loads(document)["id"])


def deleted_streams(reader: ReadTransaction, account: str, region: str, now: float) -> Iterator[dict]:
    """The still readable streams of the deleted tables of an account and region."""
    prefix = f"{account}:{region}:"
    for name, document in reader.documents(DELETED_KIND):
        if name.startswith(prefix):
            stream = orjson.loads(document)
            if stream["disabled"] + RETENTION >= now:
                yield stream


def deleted_stream(reader: ReadTransaction, address: Address, label: str, now: float) -> dict | None:
    document = reader.document(DELETED_KIND, _deleted_name(address, label))
    if document is None:
        return None
    stream = orjson.loads(document)
    return stream if stream["disabled"] + RETENTION >= now else None


def readable(stream: dict, now: float) -> bool:
    return stream.get("disabled") is None or stream["disabled"] + RETENTION >= now


def arn(table_arn: str, label: str) -> str:
    return f"{table_arn}/stream/{label}"


def shard_id(stream: dict) -> str:
    """The stream's one shard, named as DynamoDB names shards ("shardId-" then a time and a hash,
    e.g. shardId-00000001414562045508-2bac9cd2 in the Developer Guide)."""
    digest = hashlib.sha256(f"{stream['label']}/{stream['id']}".encode()).hexdigest()[:8]
    return f"shardId-{int(stream['created'] * 1000):020d}-{digest}"


def policy_of(stream: dict) -> StoredPolicy | None:
    policy = stream.get("policy")
    return StoredPolicy(**policy) if policy is not None else None


def set_policy(stream: dict, policy: StoredPolicy | None) -> None:
    if policy is None:
        stream.pop("policy", None)
    else:
        stream["policy"] = {"document": policy.document, "revision_id": policy.revision_id}


class StreamPolicy:
    """A stream's resource-based policy, for the policy operations (operations/policies.py), which
    treat it as they treat a table's: ``policy`` to read and replace, ``name`` (its table's) for their
    messages; it is kept in its table's document, saved with ``table``."""

    __slots__ = ("table", "stream")

    def __init__(self, table: Table, stream: dict):
        self.table = table
        self.stream = stream

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def policy(self) -> StoredPolicy | None:
        return policy_of(self.stream)

    @policy.setter
    def policy(self, policy: StoredPolicy | None) -> None:
        set_policy(self.stream, policy)


def stream_policy(table: Table, label: str, now: float) -> StreamPolicy | None:
    """The policy holder of the table's stream of that label, if it is still readable."""
    for stream in table.streams:
        if stream["label"] == label and readable(stream, now):
            return StreamPolicy(table, stream)
    return None


def _label(now: float, taken: list[str]) -> str:
    """The stream's label: the time it was enabled, to the millisecond ("2015-05-20T20:51:10.252"),
    moved on a millisecond if the table had a stream of that label already."""
    millis = int(now * 1000)
    while True:
        moment = datetime.fromtimestamp(millis / 1000, UTC)
        label = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}"
        if label not in taken:
            return label
        millis += 1


def _deleted_name(address: Address, label: str) -> str:
    return ":".join((*address, label))


# --- StreamSpecification on CreateTable and UpdateTable ------------------------------------------
# DynamoDB's words (ack-api-quirks DDB-TABLE-442, live AWS 2026, which also shows that they name the
# view type "UpdateViewType").

INVALID = "One or more parameter values were invalid: "


def created_view_type(specification: dict | None) -> str | None:
    """The view type of the stream CreateTable's StreamSpecification asks for, None for no stream."""
    if specification is None:
        return None
    view_type = specification.get("StreamViewType")
    if specification.get("StreamEnabled"):
        if view_type is None:
            raise ValidationException(INVALID + "Table is being created with a stream enabled, UpdateViewType is"
                                      " required")
        return view_type
    if view_type is not None:
        raise ValidationException(INVALID + "Table is being created with a stream disabled, UpdateViewType"
                                  " should not be specified")
    return None


def check_update(params: dict) -> None:
    """UpdateTable's rules on its StreamSpecification that need no table."""
    specification = params.get("StreamSpecification")
    if specification is None:
        return
    view_type = specification.get("StreamViewType")
    if specification.get("StreamEnabled") and view_type is None:
        raise ValidationException(INVALID + "If stream is being enabled then UpdateViewType is required")
    if not specification.get("StreamEnabled") and view_type is not None:
        raise ValidationException(INVALID + "If stream is being disabled, then UpdateViewType must not be"
                                  " specified")
    if params.get("ProvisionedThroughput") is not None:
        raise ValidationException(INVALID + "You cannot modify stream status while updating table IOPS")
    if params.get("GlobalSecondaryIndexUpdates"):
        raise ValidationException(INVALID + "You cannot create or delete index while changing stream status")


def update(txn: WriteTransaction, table: Table, specification: dict | None, now: float) -> None:
    """Enable or disable the table's stream as UpdateTable's StreamSpecification asks (check_update
    has passed)."""
    if specification is None:
        return
    if specification.get("StreamEnabled"):
        if current(table) is not None:
            raise ValidationException(f"Table already has an enabled stream: TableName: {table.name}")
        enable(txn, table, specification["StreamViewType"], now)
    else:
        if current(table) is None:
            raise ValidationException(f"Table has no stream to disable: TableName: {table.name}")
        disable(txn, table, now)


# --- records -------------------------------------------------------------------------------------


def record(txn: WriteTransaction, table: Table, old: dict | None, new: dict | None, by_service: bool,
           now: float) -> None:
    """Append the record of a change to the table's enabled stream, if it has one. A write that
    changes nothing (the same item put again, a delete of a missing item) writes no record
    (Alternator's test_streams.py do_updates_1, run against AWS)."""
    stream = current(table)
    if stream is None or old == new:
        return
    view_type = stream["view_type"]
    keys = table.key_of(new if new is not None else old)  # type: ignore[arg-type]
    change: dict = {"ApproximateCreationDateTime": int(now), "Keys": keys}
    size = values.item_size(keys)
    if new is not None and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["NewImage"] = new
        size += values.item_size(new)
    if old is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["OldImage"] = old
        size += values.item_size(old)
    state = _state(txn, stream)
    sequence = state["last"] + 1
    change["SequenceNumber"] = sequence_number(sequence)
    change["SizeBytes"] = size
    change["StreamViewType"] = view_type
    entry: dict = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": table.arn.split(":", 4)[3],
        "dynamodb": change,
    }
    if by_service:
        entry["userIdentity"] = SERVICE_IDENTITY
    txn.put(stream["id"], SHARD, _sort(sequence), orjson.dumps(entry))
    state["last"] = sequence
    if state.get("oldest") is None:
        state["oldest"] = int(now)
    elif state["oldest"] < now - RETENTION:
        _trim(txn, stream, state, now)
    txn.put(stream["id"], SHARD, _STATE, orjson.dumps(state))


def _trim(txn: WriteTransaction, stream: dict, state: dict, now: float) -> None:
    """Delete the records older than 24 hours, and remember the last sequence number deleted."""
    cutoff = now - RETENTION
    expired = []
    state["oldest"] = None
    for sort, value in txn.query(stream["id"], SHARD, _sort(1)):
        created = orjson.loads(value)["dynamodb"]["ApproximateCreationDateTime"]
        if created >= cutoff:
            state["oldest"] = created
            break
        expired.append(sort)
    for sort in expired:
        txn.delete(stream["id"], SHARD, sort)
    if expired:
        state["trimmed"] = int.from_bytes(expired[-1], "big")


def shard_state(reader: ReadTransaction, stream: dict) -> dict:
    """``last``: the count of the last record written (0: none yet); ``trimmed``: of the last deleted."""
    return _state(reader, stream)


def _state(reader: ReadTransaction, stream: dict) -> dict:
    stored = reader.get(stream["id"], SHARD, _STATE)
    state = orjson.loads(stored) if stored is not None else {"last": 0, "oldest": None}
    state.setdefault("trimmed", 0)
    return state


def horizon(reader: ReadTransaction, stream: dict, now: float) -> int:
    """The position (read after it) of the oldest record still kept: past the trimmed records and
    those older than 24 hours not yet trimmed."""
    state = _state(reader, stream)
    position = state["trimmed"]
    cutoff = now - RETENTION
    for sort, value in reader.query(stream["id"], SHARD, _sort(position + 1)):
        if orjson.loads(value)["dynamodb"]["ApproximateCreationDateTime"] >= cutoff:
            break
        position = int.from_bytes(sort, "big")
    return position


def before_time(reader: ReadTransaction, stream: dict, position: int, moment: float) -> int:
    """The position (read after it) of the first record after ``position`` created at or after
    ``moment`` (AT_TIMESTAMP)."""
    for sort, value in reader.query(stream["id"], SHARD, _sort(position), low_inclusive=False):
        if orjson.loads(value)["dynamodb"]["ApproximateCreationDateTime"] >= moment:
            break
        position = int.from_bytes(sort, "big")
    return position


def read(reader: ReadTransaction, stream: dict, after: int, limit: int, max_bytes: int,
         now: float) -> tuple[list[bytes], int] | None:
    """Up to ``limit`` records (their stored JSON) after sequence number ``after``, at most about
    ``max_bytes`` of them, and the position after the last one; None when the next record has been
    trimmed (or is older than 24 hours)."""
    state = _state(reader, stream)
    if after < state["trimmed"]:
        return None
    cutoff = now - RETENTION
    found: list[bytes] = []
    size = 0
    position = after
    for sort, value in reader.query(stream["id"], SHARD, _sort(after), low_inclusive=False):
        if not found and orjson.loads(value)["dynamodb"]["ApproximateCreationDateTime"] < cutoff:
            return None
        found.append(value)
        size += len(value)
        position = int.from_bytes(sort, "big")
        if len(found) >= limit or size >= max_bytes:
            break
    return found, position


def sequence_number(count: int) -> str:
    """The SequenceNumber of the record of that count."""
    return str(BASE + count)


def count_of(sequence_number: str) -> int:
    """The count of the record a (decimal) SequenceNumber names (<= 0 for none of this shard)."""
    return int(sequence_number) - BASE


def _sort(count: int) -> bytes:
    return count.to_bytes(8, "big")
