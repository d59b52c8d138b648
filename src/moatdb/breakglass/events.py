"""What the procedure tells the world: one ``Event`` per step (a request, an approval, a denial, a
grant, credentials issued, every call made under a grant, a revocation, an expiry, a refused direct
AssumeRole, the sealed path), and the journal that keeps them.

The journal is the store's record of them, read by ``moatdb break-glass report``. Its entries are
items of a table no DynamoDB table can be (a negative id), one partition per grant, in time order:
an item write leaves the document generation alone, so logging a call made with a break-glass
session does not drop every worker's caches, and a step's event is written in the transaction that
takes the step.
"""

from __future__ import annotations

import itertools
import os
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from moatdb.storage.base import Store, WriteTransaction

JOURNAL = -0x6267  # "bg": below every table id DynamoDB hands out (they count up from 1)
_NO_GRANT = b"-"  # the partition of events that belong to no grant (a refused AssumeRole, a failed unseal)
_written = itertools.count()

REQUESTED, APPROVED, GRANTED, DENIED, ISSUED = "requested", "approved", "granted", "denied", "issued"
CALL, REVOKED, EXPIRED = "call", "revoked", "expired"
ASSUME_ROLE_DENIED, SEALED, UNSEALED, UNSEAL_FAILED = "assume-role-denied", "sealed", "unsealed", "unseal-failed"
# The loud ones: what happens outside the approved procedure.
CRITICAL = frozenset({ASSUME_ROLE_DENIED, UNSEALED, UNSEAL_FAILED})


@dataclass(frozen=True)
class Event:
    kind: str
    summary: str  # one sentence for a person (a chat channel, a pager)
    grant: str | None = None
    role: str | None = None
    actor: str | None = None  # the ARN that took the step, when one did
    detail: dict = field(default_factory=dict)
    at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def severity(self) -> str:
        return "critical" if self.kind in CRITICAL else "warning"

    def payload(self) -> dict:
        """The event as the log, the journal and every webhook get it."""
        return {"source": "moatdb", "type": "break-glass", "event": self.kind, "severity": self.severity,
                "id": self.id, "time": iso(self.at), "grant": self.grant, "role": self.role, "actor": self.actor,
                "summary": self.summary, "detail": self.detail}


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append(txn: WriteTransaction, event: Event) -> None:
    # Time first, so a partition reads in order; then this process's count, so that the events of
    # one step (stamped with one time) read in the order they were written; random bytes last keep
    # two workers' events of one nanosecond apart.
    sort = struct.pack(">QI", int(event.at * 1e9), next(_written) & 0xFFFFFFFF) + os.urandom(4)
    txn.put(JOURNAL, (event.grant or "").encode() or _NO_GRANT, sort, orjson.dumps(event.payload()))


def journal(store: Store, grant: str | None) -> Iterator[dict]:
    """The events of one grant (None: those of no grant), oldest first."""
    for _, raw in store.read().query(JOURNAL, (grant or "").encode() or _NO_GRANT):
        yield orjson.loads(raw)
