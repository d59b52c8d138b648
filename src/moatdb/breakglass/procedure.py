"""The procedure: a request, approvals by others (M of N, as the world configures), a grant for the
time asked, credentials for the requester only, and an end by revocation or by the clock.

Every step reads and writes the grant's document in one write transaction, which serializes it with
the same step in every other worker (two last approvals cannot both make the grant), and writes its
event to the journal in that same transaction; the alarm sounds once it is done. Refusals are the
procedure's own (``errors``); whether a caller may take a step at all is IAM's to say, asked by the
HTTP API before it calls in here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import orjson

from moatdb.auth.directory import SESSION, Directory
from moatdb.auth.principals import Identity, Session
from moatdb.breakglass import events
from moatdb.breakglass.actors import Actor
from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.durations import show
from moatdb.breakglass.errors import AccessDenied, Conflict, NotFound, ValidationError
from moatdb.breakglass.events import Event, iso
from moatdb.breakglass.grants import (
    ACTIVE,
    DENIED,
    EXPIRED,
    GRANT,
    PENDING,
    REVOKED,
    Approval,
    Grant,
    dumps,
    loads,
    new_id,
)
from moatdb.breakglass.settings import Current, Role, Settings
from moatdb.storage.base import Store, WriteTransaction

MAX_REASON, MAX_TICKET, MAX_COMMENT = 1024, 128, 1024
# The tag each session of a grant carries: aws:PrincipalTag/BreakGlassGrant in policies.
GRANT_TAG = "BreakGlassGrant"

Step = Callable[[WriteTransaction, Grant, float], tuple[Grant, list[Event]]]


class Procedure:
    def __init__(self, store: Store, directory: Directory, settings: Current, alarms: Alarms, *,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.directory = directory
        self.settings = settings
        self.alarms = alarms
        self.clock = clock
        # The sweep's bookkeeping: nothing lapses before _next, unless a document changed since.
        self._swept_generation = -1
        self._next: float | None = None

    # --- reading ------------------------------------------------------------------------------

    def grant(self, grant_id: str) -> Grant:
        raw = self.store.read().document(GRANT, grant_id)
        if raw is None:
            raise NotFound(f"No break-glass grant {grant_id}.")
        return loads(raw)

    def grants(self) -> list[Grant]:
        return [loads(raw) for _, raw in self.store.read().documents(GRANT)]

    def role(self, arn: str) -> Role:
        role = self.settings.get().role(arn)
        if role is None:
            raise ValidationError(f"{arn} is not a break-glass role.")
        return role

    # --- the steps ----------------------------------------------------------------------------

    def request(self, actor: Actor, role_arn: str, *, reason: str, ticket: str, duration: int | None) -> Grant:
        settings = self.settings.get()
        role = self.role(role_arn)
        _not_break_glass(actor, settings, "ask for break glass")
        if role.requesters and actor.principal_arn not in role.requesters:
            raise AccessDenied(f"{actor.arn} may not ask for {role.arn}.")
        reason, ticket = reason.strip(), ticket.strip()
        if role.require_reason and not reason:
            raise ValidationError(f"A reason is required to ask for {role.arn}.")
        if role.require_ticket and not ticket:
            raise ValidationError(f"A ticket is required to ask for {role.arn}.")
        if len(reason) > MAX_REASON or len(ticket) > MAX_TICKET:
            raise ValidationError(f"A reason is at most {MAX_REASON} characters, a ticket at most {MAX_TICKET}.")
        duration = role.max_duration if duration is None else duration
        check_duration(settings, role, duration)
        if self.directory.role_by_arn(role.arn) is None:
            raise ValidationError(f"The role {role.arn} does not exist.")
        now = self.clock()
        grant = Grant(new_id(), role.arn, actor.arn, actor.person, actor.name, reason, ticket, duration, now,
                      now + settings.request_timeout, role.approvals)
        event = Event(events.REQUESTED, f"{actor.arn} asks for {role.arn} for {show(duration)}: {reason or '-'} "
                      f"(ticket {ticket or '-'}); {_approvals(role.approvals)} needed by "
                      f"{iso(grant.request_expires)}",
                      grant.id, role.arn, actor.arn, {"reason": reason, "ticket": ticket, "duration": duration,
                                                      "approvals_required": role.approvals}, now)
        with self.store.write() as txn:
            txn.put_document(GRANT, grant.id, dumps(grant))
            events.append(txn, event)
        self.alarms.sound(event)
        return grant

    def approve(self, actor: Actor, grant_id: str, comment: str = "") -> Grant:
        settings = self.settings.get()
        _not_break_glass(actor, settings, "approve break glass")
        comment = _bounded(comment, MAX_COMMENT, "A comment")

        def step(txn: WriteTransaction, grant: Grant, now: float) -> tuple[Grant, list[Event]]:
            role = self._decider(settings, actor, grant, now, "approve", "approved")
            if grant.approved_by(actor.person):
                raise Conflict(f"{actor.arn} has already approved {grant.id}.")
            grant = replace(grant, approvals=(*grant.approvals, Approval(actor.arn, actor.person, now, comment)))
            count = len(grant.approvals)
            found = [Event(events.APPROVED, f"{actor.arn} approved {grant.id} ({count} of "
                           f"{grant.approvals_required}){': ' + comment if comment else ''}", grant.id, role.arn,
                           actor.arn, {"approvals": count, "approvals_required": grant.approvals_required,
                                       "comment": comment}, now)]
            if count >= grant.approvals_required:
                grant = replace(grant, state=ACTIVE, starts=now, ends=now + grant.duration)
                found.append(Event(events.GRANTED, f"{grant.id} is granted: {grant.requester} may use {role.arn} "
                                   f"until {iso(grant.ends)}", grant.id, role.arn, actor.arn,
                                   {"requester": grant.requester, "starts": iso(now), "ends": iso(grant.ends),
                                    "approvers": [approval.by for approval in grant.approvals]}, now))
            return grant, found

        return self._step(grant_id, step)

    def deny(self, actor: Actor, grant_id: str, reason: str = "") -> Grant:
        settings = self.settings.get()
        _not_break_glass(actor, settings, "deny break glass")
        reason = _bounded(reason, MAX_REASON, "A reason")

        def step(txn: WriteTransaction, grant: Grant, now: float) -> tuple[Grant, list[Event]]:
            role = self._decider(settings, actor, grant, now, "deny", "denied")
            grant = grant.ended_as(DENIED, now, actor.arn, reason)
            return grant, [Event(events.DENIED, f"{actor.arn} denied {grant.id}{': ' + reason if reason else ''}",
                                 grant.id, role.arn, actor.arn, {"reason": reason}, now)]

        return self._step(grant_id, step)

    def revoke(self, actor: Actor, grant_id: str, reason: str = "") -> Grant:
        """End a request or a grant at once: the grant's sessions are deleted in the same
        transaction, so every worker refuses their very next request."""
        reason = _bounded(reason, MAX_REASON, "A reason")

        def step(txn: WriteTransaction, grant: Grant, now: float) -> tuple[Grant, list[Event]]:
            status = grant.status(now)
            if status not in (PENDING, ACTIVE):
                raise Conflict(f"{grant.id} is {status}: only a pending request or an active grant can be "
                               "revoked.")
            ended = _end_sessions(txn, grant)
            grant = grant.ended_as(REVOKED, now, actor.arn, reason)
            summary = (f"{actor.arn} revoked {grant.id}{': ' + reason if reason else ''}; sessions ended: "
                       f"{', '.join(ended) or 'none'}")
            return grant, [Event(events.REVOKED, summary, grant.id, grant.role, actor.arn,
                                 {"reason": reason, "sessions": ended, "was": status}, now)]

        return self._step(grant_id, step)

    def credentials(self, actor: Actor, grant_id: str) -> tuple[Grant, Session]:
        """The grant's role session, for its requester only: issued the first time, handed out again
        after (to a requester whose terminal died), ending when the grant does."""
        _not_break_glass(actor, self.settings.get(), "receive break-glass credentials")
        grant = self.grant(grant_id)
        if actor.arn != grant.requester:
            raise AccessDenied(f"Only the requester of {grant.id} ({grant.requester}) receives its credentials.")
        now = self.clock()
        if grant.status(now) != ACTIVE:
            raise _inactive(grant, now)
        session = next((found for key in reversed(grant.sessions) if (found := self.directory.session(key))), None)
        return self.hand_out(grant, session, actor, now)

    def hand_out(self, grant: Grant, session: Session | None, actor: Actor, now: float) -> tuple[Grant, Session]:
        """Issue the grant's session unless ``session`` is it, and record the handing out."""
        first = session is None
        if session is None:
            session = self._issue(grant, now)
        event = Event(events.ISSUED, f"{grant.requester} received credentials of {grant.role} under {grant.id} "
                      f"(access key {session.id}), valid until {iso(session.expires)}", grant.id, grant.role,
                      actor.arn, {"access_key": session.id, "first": first, "expires": iso(session.expires),
                                  "source_identity": session.source_identity}, now)
        with self.store.write() as txn:
            current = loads(txn.document(GRANT, grant.id))
            # Revoked while the session was being made: it must not outlive the grant.
            ended = current.status(now) != ACTIVE
            if ended:
                txn.delete_document(SESSION, session.id)
            else:
                if first:
                    current = replace(current, sessions=(*current.sessions, session.id))
                    txn.put_document(GRANT, current.id, dumps(current))
                events.append(txn, event)
        if ended:
            raise _inactive(current, now)
        self.alarms.sound(event)
        return current, session

    def _issue(self, grant: Grant, now: float) -> Session:
        role = self.directory.role_by_arn(grant.role)
        if role is None:
            raise Conflict(f"The role {grant.role} no longer exists.")
        # Through STS's session machinery, as AssumeRole issues one: the session name is the grant's
        # id, so every call's assumed-role ARN names its grant.
        return self.directory.create_session(
            Identity(role.account, role.arn, role.id, False, role.arn), grant.ends - now, account=role.account,
            principal_arn=f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{grant.id}",
            principal_id=f"{role.id}:{grant.id}", role_arn=role.arn, session_name=grant.id,
            source_identity=grant.source_identity, tags={GRANT_TAG: grant.id})

    # --- the clock ----------------------------------------------------------------------------

    def sweep(self) -> None:
        """Write down what lapsed (requests that waited too long, grants whose time is up) and sound
        their alarms: once, by whichever worker's transaction wrote it."""
        now = self.clock()
        if self.store.generation() == self._swept_generation and (self._next is None or now < self._next):
            return
        self._swept_generation = self.store.generation()
        upcoming = []
        for grant in self.grants():
            deadline = grant.deadline
            if deadline is not None and now >= deadline:
                self._lapse(grant.id)
            elif deadline is not None:
                upcoming.append(deadline)
        self._next = min(upcoming, default=None)

    def _lapse(self, grant_id: str) -> None:
        with self.store.write() as txn:
            grant = loads(txn.document(GRANT, grant_id))
            deadline, now = grant.deadline, self.clock()
            if deadline is None or now < deadline:
                return  # another worker wrote it down first
            if grant.state == PENDING:
                why = (f"the request was not approved in time ({len(grant.approvals)} of "
                       f"{grant.approvals_required} approvals)")
            else:
                why = "its time is up"
            grant = grant.ended_as(EXPIRED, deadline, None, why)
            event = Event(events.EXPIRED, f"{grant.id} expired: {why}", grant.id, grant.role, None,
                          {"reason": why, "was": PENDING if grant.starts is None else ACTIVE}, now)
            txn.put_document(GRANT, grant.id, dumps(grant))
            events.append(txn, event)
        self.alarms.sound(event)

    # --- helpers ------------------------------------------------------------------------------

    def _step(self, grant_id: str, step: Step) -> Grant:
        with self.store.write() as txn:
            raw = txn.document(GRANT, grant_id)
            if raw is None:
                raise NotFound(f"No break-glass grant {grant_id}.")
            grant, found = step(txn, loads(raw), self.clock())
            txn.put_document(GRANT, grant.id, dumps(grant))
            for event in found:
                events.append(txn, event)
        for event in found:
            self.alarms.sound(event)
        return grant

    def _decider(self, settings: Settings, actor: Actor, grant: Grant, now: float, verb: str, done: str) -> Role:
        """The role's settings, once ``actor`` may approve or deny ``grant`` now."""
        role = settings.role(grant.role)
        if role is None:
            raise Conflict(f"{grant.role} is no longer a break-glass role.")
        status = grant.status(now)
        if status != PENDING:
            raise Conflict(f"{grant.id} is {status}: only a pending request can be {done}.")
        if actor.person == grant.person or actor.arn == grant.requester:
            raise AccessDenied(f"{actor.arn} asked for {grant.id}: nobody may {verb} their own request.")
        if role.approvers and actor.principal_arn not in role.approvers:
            raise AccessDenied(f"{actor.arn} is not an approver of {role.arn}.")
        return role


def check_duration(settings: Settings, role: Role, duration: int) -> None:
    if duration < settings.minimum_duration:
        raise ValidationError(f"The duration {show(duration)} is shorter than the minimum, "
                              f"{show(settings.minimum_duration)}.")
    if duration > role.max_duration:
        raise ValidationError(f"The duration {show(duration)} exceeds the {show(role.max_duration)} {role.arn} "
                              f"allows.")


def _not_break_glass(actor: Actor, settings: Settings, what: str) -> None:
    # A break-glass session taking part in the procedure would let one grant beget or bless another.
    if actor.principal_arn in settings.role_arns:
        raise AccessDenied(f"A break-glass session cannot {what}.")


def _inactive(grant: Grant, now: float) -> Conflict:
    return Conflict(f"{grant.id} is {grant.status(now)}: credentials are issued under an active grant only.")


def _bounded(text: str, longest: int, noun: str) -> str:
    text = text.strip()
    if len(text) > longest:
        raise ValidationError(f"{noun} is at most {longest} characters.")
    return text


def _approvals(count: int) -> str:
    return f"{count} approval{'s' if count != 1 else ''}"


def _end_sessions(txn: WriteTransaction, grant: Grant) -> list[str]:
    """Delete every session of the grant: those it recorded, and any made for it and not yet
    recorded (its session name is the grant's id)."""
    ended = []
    for key_id, raw in list(txn.documents(SESSION)):
        session = orjson.loads(raw)
        if key_id in grant.sessions or (session["role_arn"] == grant.role and session["session_name"] == grant.id):
            txn.delete_document(SESSION, key_id)
            ended.append(key_id)
    return ended
