"""Reading a trail back: its records, filtered, in time order. The API for tools (the break-glass
procedure's post-incident report reads it) and for ``moatdb audit query``::

    from moatdb.audit.query import records

    for record in records(data_dir, principal="arn:aws:iam::222222222222:role/break-glass",
                          since="2026-12-02T09:00:00Z", decision="denied"):
        print(record["eventTime"], record["eventName"], record.get("errorCode"))

Every criterion is optional and they all must hold. Records come from completed log files and from
the files being written (a record is readable as soon as its request is answered), sorted by
``eventTime``; a line cut short by a crash is skipped. Reading does not verify: run
``verify.verify`` first when the trail's integrity matters to the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from moatdb.audit.layout import Trail, find

ALLOWED, DENIED = "allowed", "denied"
# moatdbAuthorization.decision values that mean the request was refused
_REFUSED = frozenset({"explicitDeny", "implicitDeny", "unauthenticated"})
_TABLE = "AWS::DynamoDB::Table"
_RELATIVE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Filter:
    principal: str | None = None  # an ARN: userIdentity.arn, or a role's ARN for all its sessions
    session: str | None = None  # the access key id of a session (ASIA...): that session's records
    source_identity: str | None = None  # a role session's source identity (sessionContext.sourceIdentity)
    table: str | None = None  # a table's name or ARN
    action: str | None = None  # an operation: "GetItem", or "dynamodb:GetItem" (service checked too)
    decision: str | None = None  # ALLOWED, or DENIED (an explicit or implicit deny, or no identity)
    since: datetime | None = None  # eventTime at or after
    until: datetime | None = None  # eventTime at or before

    def __post_init__(self) -> None:
        if self.decision not in (None, ALLOWED, DENIED):
            raise ValueError(f"decision is {ALLOWED!r} or {DENIED!r}, not {self.decision!r}")

    def matches(self, record: dict) -> bool:
        identity = record.get("userIdentity") or {}
        issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
        if self.principal is not None and self.principal not in (identity.get("arn"), issuer):
            return False
        if self.session is not None and identity.get("accessKeyId") != self.session:
            return False
        if self.source_identity is not None and \
                (identity.get("sessionContext") or {}).get("sourceIdentity") != self.source_identity:
            return False
        if self.action is not None and not _is_action(record, self.action):
            return False
        if self.decision is not None and _decision(record) != self.decision:
            return False
        event_time = record.get("eventTime") or ""
        if self.since is not None and event_time < _iso(self.since):
            return False
        if self.until is not None and event_time > _iso(self.until):
            return False
        return self.table is None or self.table in _tables(record)


def records(data_dir: Path | str, *, principal: str | None = None, session: str | None = None,
            source_identity: str | None = None, table: str | None = None, action: str | None = None,
            decision: str | None = None, since: datetime | str | None = None,
            until: datetime | str | None = None) -> Iterator[dict]:
    """The records of the trail of ``data_dir`` (a data directory, or a trail folder) that match
    every criterion given, oldest first. ``since`` and ``until`` take a datetime, an ISO 8601 time
    (``2026-12-02T09:00:00Z``, ``2026-12-02``) or a time ago (``15m``, ``2h``, ``7d``)."""
    where = Filter(principal, session, source_identity, table, action, decision,
                   moment(since) if isinstance(since, str) else since,
                   moment(until) if isinstance(until, str) else until)
    return iter(search(data_dir, where))


def search(data_dir: Path | str, where: Filter) -> list[dict]:
    trail = find(Path(data_dir))
    spans = _spans(trail) if where.since is not None or where.until is not None else {}
    since = _iso(where.since) if where.since is not None else ""
    until = _iso(where.until) if where.until is not None else "~"
    found: list[dict] = []
    for path in [*trail.log_files(), *trail.active_files()]:
        span = spans.get(trail.relative(path))
        if span is not None and (span[1] < since or span[0] > until):
            continue  # its digest says no record of it is in the range
        with path.open("rb") as file:
            for line in file:
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if type(record) is dict and where.matches(record):
                    found.append(record)
    found.sort(key=lambda record: record.get("eventTime") or "")
    return found


def moment(text: str, *, now: datetime | None = None) -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise), or a time ago: ``30s``, ``15m``, ``2h``, ``7d``.
    ValueError otherwise."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative is not None:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[relative[2]]: int(relative[1])})
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spans(trail: Trail) -> dict[str, tuple[str, str]]:
    """The time span of every digested log file, as its digest recorded it (oldest, newest)."""
    spans = {}
    for _, path in trail.digests():
        try:
            entries = orjson.loads(path.read_bytes()).get("logFiles") or ()
        except (orjson.JSONDecodeError, AttributeError):
            continue  # a damaged digest: its files are read whole
        for entry in entries:
            oldest, newest = entry.get("oldestEventTime"), entry.get("newestEventTime")
            if isinstance(oldest, str) and isinstance(newest, str):
                spans[entry.get("s3Object")] = (oldest, newest)
    return spans


def _decision(record: dict) -> str | None:
    decided = (record.get("moatdbAuthorization") or {}).get("decision")
    if decided == "allowed":
        return ALLOWED
    return DENIED if decided in _REFUSED else None


def _is_action(record: dict, action: str) -> bool:
    service, colon, name = action.rpartition(":")
    if (record.get("eventName") or "").lower() != name.lower():
        return False
    return not colon or (record.get("eventSource") or "").split(".", 1)[0] == service.lower()


def _tables(record: dict) -> set[str]:
    """Every table a record is about, by name and by ARN: its resources, else its parameters."""
    found: set[str] = set()
    for resource in record.get("resources") or ():
        if resource.get("type") == _TABLE:
            arn = resource.get("ARN") or ""
            found |= {arn, arn.rsplit("/", 1)[-1]}
    parameters = record.get("requestParameters")
    if record.get("eventSource") == "dynamodb.amazonaws.com" and type(parameters) is dict:
        named = [parameters.get("tableName")] + list(parameters.get("requestItems") or ())
        for name in named:
            if isinstance(name, str):
                found |= {name, name.rsplit("/", 1)[-1]}
    return found
