"""TransactWriteItems' ClientRequestToken: the same request sent again with the same token within ten
minutes is answered as the first was, without writing again; the token with a different request is
IdempotentParameterMismatchException (API Reference, TransactWriteItems: "A client request token is
valid for 10 minutes after the first request that uses it is completed").

Tokens are per account. They live in item rows under a storage id of their own, never in documents
(every document write drops every worker's caches, and SDKs send a fresh token with every call):

- ``b"t" + account NUL token`` -> the token's record: its expiry (ms since the epoch), the digest of the request it
  answered and that answer;
- ``b"e" + expiry (ms, big-endian) + account NUL token`` -> nothing: the expiry order, so that the
  expired tokens are found by one range scan and purged a few at a time by each new token.

Everything happens inside the transaction's own write transaction: two requests with one token are
serialized like any two writes, and a cancelled transaction leaves no token behind.
"""

from __future__ import annotations

import hashlib
import struct
import time
import uuid

import orjson

from moatdb.errors import IdempotentParameterMismatchException
from moatdb.services.dynamodb.catalog import TABLE_COUNTER
from moatdb.storage.base import WriteTransaction

WINDOW_SECONDS = 600
# The storage id is allocated once per data directory and named by this document: one document
# write in the store's life, not one per token.
DOCUMENT_KIND = "dynamodb/idempotency"
DOCUMENT_NAME = "tokens"
# Expired tokens each new token purges: more than arrive meanwhile, so the rows stay bounded.
PURGE_BATCH = 16
# Parameters that may differ between a request and its retry: the token itself, and the capacity
# report, which a retry answers with read units (API Reference, ClientRequestToken).
_NOT_COMPARED = ("ClientRequestToken", "ReturnConsumedCapacity")
_RECORD, _EXPIRY = b"t", b"e"


# Wording assumed: the message AWS sends could not be found (DynamoDB Local sends none); this is how
# the API Reference describes the error (Common errors of TransactWriteItems).
MISMATCH = ("DynamoDB rejected the request because you retried a request with a different payload but with an"
            " idempotent token that was already used.")


def digest(params: dict) -> str:
    """What identifies a request for its token: its parameters, in any member order."""
    compared = {name: value for name, value in params.items() if name not in _NOT_COMPARED}
    try:
        return hashlib.sha256(orjson.dumps(compared, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except orjson.JSONEncodeError:
        # Nested deeper than orjson writes (255 levels), deeper than any valid request (an item
        # nests 32): it is refused later on, and cannot be the retry of a request that succeeded,
        # so it gets a digest no other request has (its token, if used, is a mismatch).
        return "unmatched-" + uuid.uuid4().hex


def recall(txn: WriteTransaction, account: str, token: str, request_digest: str) -> dict | None:
    """The answer a live token gave, when this request is the one it answered; None for a token
    unused (or expired); IdempotentParameterMismatchException for a token of another request."""
    storage_id = _storage_id(txn, create=False)
    if storage_id is None:
        return None
    stored = txn.get(storage_id, _RECORD + _name(account, token), b"")
    if stored is None:
        return None
    record = orjson.loads(stored)
    if record["expires"] <= time.time() * 1000:
        return None
    if record["digest"] != request_digest:
        raise IdempotentParameterMismatchException(MISMATCH)
    return record["response"]


def remember(txn: WriteTransaction, account: str, token: str, request_digest: str, response: dict) -> None:
    """Record the token's answer for the next ten minutes, and purge a few expired tokens."""
    storage_id = _storage_id(txn, create=True)
    assert storage_id is not None
    now = int(time.time() * 1000)
    _purge(txn, storage_id, now)
    name = _name(account, token)
    previous = txn.get(storage_id, _RECORD + name, b"")
    if previous is not None:  # an expired record of the same token, not purged yet
        txn.delete(storage_id, _expiry_key(orjson.loads(previous)["expires"], name), b"")
    expires = now + WINDOW_SECONDS * 1000
    txn.put(storage_id, _RECORD + name, b"",
            orjson.dumps({"expires": expires, "digest": request_digest, "response": response}))
    txn.put(storage_id, _expiry_key(expires, name), b"", b"")


def _purge(txn: WriteTransaction, storage_id: int, now: int) -> None:
    expired = []
    # Up to and including this millisecond: a token is expired from its expiry on (as ``recall`` has it).
    end = _EXPIRY + struct.pack(">Q", now + 1)
    for partition, _, _ in txn.scan(storage_id, start_partition=_EXPIRY, end_partition=end):
        expired.append(partition)
        if len(expired) == PURGE_BATCH:
            break
    for partition in expired:
        txn.delete(storage_id, partition, b"")
        txn.delete(storage_id, _RECORD + partition[9:], b"")


def _storage_id(txn: WriteTransaction, *, create: bool) -> int | None:
    stored = txn.document(DOCUMENT_KIND, DOCUMENT_NAME)
    if stored is not None:
        return orjson.loads(stored)["id"]
    if not create:
        return None
    # The counter that numbers tables' item rows, so the id can be no table's.
    storage_id = txn.next_id(TABLE_COUNTER)
    txn.put_document(DOCUMENT_KIND, DOCUMENT_NAME, orjson.dumps({"id": storage_id}))
    return storage_id


def _name(account: str, token: str) -> bytes:
    return f"{account}\x00{token}".encode()


def _expiry_key(expires: int, name: bytes) -> bytes:
    """``expires`` in milliseconds since the epoch."""
    return _EXPIRY + struct.pack(">Q", expires) + name
