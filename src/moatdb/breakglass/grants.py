"""A break-glass grant, from the request to its end, as one storage document (``breakglass/grant``,
named by its id) that every worker reads.

A grant is asked for (``pending``), then approved by enough approvers (``active`` from the last
approval, for the duration asked), or denied, or left to expire; an active grant ends when its time
is up (``expired``) or when someone revokes it (``revoked``). A state that has lapsed by the clock
reads as ``expired`` before any sweep writes it down, so nothing waits on a sweeper to refuse.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace

import orjson

GRANT = "breakglass/grant"
PENDING, ACTIVE, DENIED, EXPIRED, REVOKED = "pending", "active", "denied", "expired", "revoked"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_id() -> str:
    return "bg-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


@dataclass(frozen=True)
class Approval:
    by: str  # the approver's ARN, as it signed
    person: str  # whom that ARN stands for (see Actor.person)
    at: float
    comment: str = ""


@dataclass(frozen=True)
class Grant:
    id: str
    role: str  # the break-glass role's ARN
    requester: str  # the ARN that asked, as it signed
    person: str  # whom the requester stands for: nobody approves their own request
    source_identity: str  # set on the grant's role session
    reason: str
    ticket: str
    duration: int  # seconds, from the moment it is granted
    requested: float
    request_expires: float  # a pending request lapses then
    approvals_required: int
    approvals: tuple[Approval, ...] = ()
    state: str = PENDING
    starts: float | None = None
    ends: float | None = None
    ended: float | None = None  # when it was denied, revoked or expired
    ended_by: str | None = None
    end_reason: str = ""
    sessions: tuple[str, ...] = ()  # the access key ids of the role sessions issued under it
    sealed: str | None = None  # the seal it was opened with, for a sealed grant

    def status(self, now: float) -> str:
        """The state, as of ``now``: one past its time is expired whether or not it was written."""
        deadline = self.deadline
        return EXPIRED if deadline is not None and now >= deadline else self.state

    @property
    def deadline(self) -> float | None:
        """When the current state lapses by itself: a request's wait, a grant's end."""
        if self.state == PENDING:
            return self.request_expires
        if self.state == ACTIVE:
            return self.ends
        return None

    def approved_by(self, person: str) -> bool:
        return any(approval.person == person for approval in self.approvals)

    def ended_as(self, state: str, at: float, by: str | None, reason: str = "") -> Grant:
        return replace(self, state=state, ended=at, ended_by=by, end_reason=reason)


def dumps(grant: Grant) -> bytes:
    return orjson.dumps(asdict(grant))


def loads(raw: bytes) -> Grant:
    fields = orjson.loads(raw)
    fields["approvals"] = tuple(Approval(**approval) for approval in fields["approvals"])
    fields["sessions"] = tuple(fields["sessions"])
    return Grant(**fields)
