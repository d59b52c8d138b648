"""ListStreams, DescribeStream, GetShardIterator, GetRecords: DynamoDB Streams API Reference.

Each stream has one shard (docs/streams.md): its ShardId never changes and it closes when the stream
is disabled. A shard iterator is the stream's ARN, then ``|1|``, then the position it reads after,
the shard and the time it was issued (the form of the API Reference's examples:
"arn:aws:dynamodb:...:table/Forum/stream/2015-05-20T20:51:10.252|1|AAAAAAAAAAEvJp6D+zaQ..."); it
expires 15 minutes after it is issued.

Wordings: where a message is not on record from AWS, its comment says "wording assumed".
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import orjson

from moatdb.auth.authenticator import Caller
from moatdb.errors import (
    ExpiredIteratorException,
    ResourceNotFoundException,
    TrimmedDataAccessException,
    ValidationException,
)
from moatdb.services.dynamodb import streams
from moatdb.services.dynamodb.catalog import Address, Catalog
from moatdb.storage.base import ReadTransaction, Store

# API Reference, GetShardIterator: "A shard iterator expires 15 minutes after it is returned".
ITERATOR_LIFETIME = 15 * 60
# API Reference: ListStreams' and DescribeStream's Limit "The upper limit is 100", GetRecords' 1000;
# GetRecords "can retrieve a maximum of 1 MB of data or 1000 stream records".
MAX_LIST = 100
MAX_RECORDS = 1000
MAX_RECORD_BYTES = 1 << 20
_STREAM_ARN = re.compile(
    r"arn:aws:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})/stream/"
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})")
_DECIMAL = re.compile(r"\d{1,40}")


# The messages of these two are the API Reference's own (GetRecords, "Errors").
EXPIRED = "The provided iterator exceeds the maximum age allowed."
TRIMMED = "The data you are trying to access has been trimmed."


@dataclass(slots=True)
class Located:
    """A stream found by its ARN, with what DescribeStream tells of its table."""

    arn: str
    stream: dict
    table_name: str
    key_schema: list
    closed: bool


@dataclass(slots=True)
class StreamsRequest:
    operation: str
    params: dict
    caller: Caller
    store: Store
    catalog: Catalog
    now: float


def parse_stream_arn(text: str) -> tuple[Address, str]:
    """The table address and the label a StreamArn names (wording assumed: "Invalid StreamArn")."""
    match = _STREAM_ARN.fullmatch(text)
    if match is None:
        raise ValidationException(f"Invalid StreamArn: {text}")
    return (match[2], match[1], match[3]), match[4]


def locate(reader: ReadTransaction, catalog: Catalog, caller: Caller | None, arn: str, now: float) -> Located:
    """The stream a StreamArn names, of a live table or of one deleted less than 24 hours ago (of
    the caller's region: this server is regional; ``caller`` None: of any)."""
    address, label = parse_stream_arn(arn)
    if caller is None or address[1] == caller.region:
        table = catalog.find(address)
        if table is not None:
            for stream in table.streams:
                if stream["label"] == label and streams.readable(stream, now):
                    return Located(arn, stream, table.name, table.description["KeySchema"],
                                   stream.get("disabled") is not None)
        stream = streams.deleted_stream(reader, address, label, now)
        if stream is not None:
            return Located(arn, stream, stream["table"], stream["key_schema"], True)
    # Wording as other DynamoDB emulators capture it ("Requested resource not found: Stream: ARN not
    # found"); assumed.
    raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")


def list_streams(request: StreamsRequest) -> dict:
    params = request.params
    limit = _limit(params, "limit", MAX_LIST)
    start = params.get("ExclusiveStartStreamArn")
    if start is not None:
        parse_stream_arn(start)
    reader = request.store.read()
    listed = []  # (arn, table name, label), in ARN order, which ExclusiveStartStreamArn continues
    wanted = params.get("TableName")
    account, region = request.caller.account, request.caller.region
    names = [wanted] if wanted is not None else list(request.catalog.names(account, region))
    for name in names:
        table = request.catalog.find((account, region, name))
        if table is not None:
            listed.extend((streams.arn(table.arn, stream["label"]), table.name, stream["label"])
                          for stream in table.streams if streams.readable(stream, request.now))
    for stream in streams.deleted_streams(reader, account, region, request.now):
        if wanted is None or stream["table"] == wanted:
            listed.append((streams.arn(stream["table_arn"], stream["label"]), stream["table"], stream["label"]))
    listed.sort()
    if start is not None:
        listed = [entry for entry in listed if entry[0] > start]
    result: dict = {"Streams": [{"StreamArn": arn, "TableName": table, "StreamLabel": label}
                                for arn, table, label in listed[:limit]]}
    if len(listed) > limit:
        result["LastEvaluatedStreamArn"] = listed[limit - 1][0]
    return result


def describe_stream(request: StreamsRequest) -> dict:
    params = request.params
    limit = _limit(params, "limit", MAX_LIST)
    reader = request.store.read()
    found = locate(reader, request.catalog, request.caller, params["StreamArn"], request.now)
    stream = found.stream
    shard_id = streams.shard_id(stream)
    shards = []
    start = params.get("ExclusiveStartShardId")
    children_only = (params.get("ShardFilter") or {}).get("Type") == "CHILD_SHARDS"
    # The one shard has no parent and no children; one after ExclusiveStartShardId in ShardId order.
    if limit > 0 and not children_only and (start is None or start < shard_id):
        sequence_range = {"StartingSequenceNumber": streams.sequence_number(1)}
        if found.closed:
            last = streams.shard_state(reader, stream)["last"]
            sequence_range["EndingSequenceNumber"] = streams.sequence_number(max(last, 1))
        shards.append({"ShardId": shard_id, "SequenceNumberRange": sequence_range})
    return {"StreamDescription": {
        "StreamArn": found.arn,
        "StreamLabel": stream["label"],
        "StreamStatus": "DISABLED" if found.closed else "ENABLED",
        "StreamViewType": stream["view_type"],
        "CreationRequestDateTime": stream["created"],
        "TableName": found.table_name,
        "KeySchema": found.key_schema,
        "Shards": shards,
    }}


def get_shard_iterator(request: StreamsRequest) -> dict:
    params = request.params
    kind = params["ShardIteratorType"]
    sequence = params.get("SequenceNumber")
    reader = request.store.read()
    found = locate(reader, request.catalog, request.caller, params["StreamArn"], request.now)
    shard_id = streams.shard_id(found.stream)
    if params["ShardId"] != shard_id:
        # Wording assumed (Alternator's test_streams.py: a ResourceNotFoundException on AWS).
        raise ResourceNotFoundException(f"Requested resource not found: Shard does not exist: {params['ShardId']}")
    # Wordings below assumed; the refusals themselves are AWS's (Alternator's test_get_shard_iterator).
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if sequence is None:
            raise ValidationException(f"SequenceNumber must be specified for ShardIteratorType {kind}")
        position = _position(reader, found, kind, sequence, request.now)
    else:
        if sequence is not None:
            raise ValidationException(f"SequenceNumber must not be specified for ShardIteratorType {kind}")
        if kind == "LATEST":
            position = streams.shard_state(reader, found.stream)["last"]
        elif kind == "TRIM_HORIZON":
            position = streams.horizon(reader, found.stream, request.now)
        else:  # AT_TIMESTAMP
            position = _at_timestamp(reader, found, params.get("Timestamp"), request.now)
    return {"ShardIterator": _iterator(found.arn, shard_id, position, request.now)}


def get_records(request: StreamsRequest) -> dict:
    params = request.params
    limit = _limit(params, "limit", MAX_RECORDS)
    arn, shard_id, position, issued = parse_iterator(params["ShardIterator"])
    if issued + ITERATOR_LIFETIME < request.now:
        raise ExpiredIteratorException(EXPIRED)
    reader = request.store.read()
    found = locate(reader, request.catalog, request.caller, arn, request.now)
    if shard_id != streams.shard_id(found.stream) or position > streams.shard_state(reader, found.stream)["last"]:
        # Not an iterator this server issued for that stream (wording assumed).
        raise ValidationException("Invalid ShardIterator")
    read = streams.read(reader, found.stream, position, limit, MAX_RECORD_BYTES, request.now)
    if read is None:
        raise TrimmedDataAccessException(TRIMMED)
    records, position = read
    result: dict = {"Records": [orjson.loads(record) for record in records]}
    # A closed shard read to its end has no next iterator (Alternator's test_streams_closed_read:
    # "NextShardIterator should be missing ... (DynamoDB does this)").
    if not (found.closed and position >= streams.shard_state(reader, found.stream)["last"]):
        result["NextShardIterator"] = _iterator(arn, shard_id, position, request.now)
    return result


def parse_iterator(text: str) -> tuple[str, str, int, float]:
    """``(stream ARN, shard id, position, issued at)`` of a ShardIterator, or ValidationException
    (wording assumed) for anything this server did not issue."""
    parts = text.split("|")
    if len(parts) == 3 and parts[1] == "1" and _STREAM_ARN.fullmatch(parts[0]):
        try:
            shard_id, position, issued = orjson.loads(base64.urlsafe_b64decode(parts[2]))
            if type(shard_id) is str and type(position) is int and 0 <= position < 1 << 63 \
                    and type(issued) is int:
                return parts[0], shard_id, position, issued / 1000
        except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
            pass
    raise ValidationException("Invalid ShardIterator")


def _iterator(arn: str, shard_id: str, position: int, now: float) -> str:
    token = base64.urlsafe_b64encode(orjson.dumps([shard_id, position, int(now * 1000)])).decode()
    return f"{arn}|1|{token}"


def _position(reader: ReadTransaction, found: Located, kind: str, sequence: str, now: float) -> int:
    """The position an AT_ or AFTER_SEQUENCE_NUMBER iterator reads after."""
    if not _DECIMAL.fullmatch(sequence):
        raise ValidationException(f"Invalid SequenceNumber: {sequence}")  # wording assumed
    number = streams.count_of(sequence)
    position = number - 1 if kind == "AT_SEQUENCE_NUMBER" else number
    state = streams.shard_state(reader, found.stream)
    if position < 0 or position > state["last"]:
        # A number this shard never gave (wording assumed).
        raise ValidationException(f"Invalid SequenceNumber: {sequence} is not in the shard's range")
    if position < streams.horizon(reader, found.stream, now):
        # API Reference, TrimmedDataAccessException: "You request a shard iterator with a sequence
        # number older than the trim point (24 hours)".
        raise TrimmedDataAccessException(TRIMMED)
    return position


def _at_timestamp(reader: ReadTransaction, found: Located, timestamp: object, now: float) -> int:
    """AT_TIMESTAMP: the first record created at or after the time (API Reference, GetShardIterator:
    before the trim horizon reads from TRIM_HORIZON, in the future is a ValidationException)."""
    if timestamp is None:
        raise ValidationException("Timestamp must be specified for ShardIteratorType AT_TIMESTAMP")  # assumed
    if timestamp > now:
        raise ValidationException("The timestamp cannot be in the future")  # wording assumed
    position = streams.horizon(reader, found.stream, now)
    return streams.before_time(reader, found.stream, position, timestamp)


def _limit(params: dict, wire: str, maximum: int) -> int:
    """The request's Limit, at most ``maximum`` in Coral's words (the published model gives no
    maximum; the API Reference and Alternator's test_get_records_too_high_limit, run on AWS, do)."""
    limit = params.get("Limit", maximum)
    if limit > maximum:
        raise ValidationException(f"1 validation error detected: Value '{limit}' at '{wire}' failed to satisfy"
                                  f" constraint: Member must have value less than or equal to {maximum}")
    return limit

