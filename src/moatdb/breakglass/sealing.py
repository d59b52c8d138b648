"""The sealed path: a way in for when no approver can be reached, split among custodians.

Sealing draws a random 128-bit key and splits it with Shamir's secret sharing (pycryptodome's
``Crypto.Protocol.SecretSharing.Shamir``) into N shares, any M of which rebuild it and fewer of
which say nothing about it. The store keeps only a salted SHA-256 of the key, with the role and the
duration the seal opens; the shares are printed once (or written to files readable by their owner
only) and handed to the custodians. M shares, given to the HTTP API or to the command on the data
directory, open one grant, active at once for the sealed duration, and the seal is spent: opening it
is the loudest alarm the procedure has, and so is every failed try.

A share is one line of text, ``moatdb-share:SEAL:INDEX:HEX:CHECK``, whose CHECK (the first 8 hex
digits of a SHA-256 of the rest) catches a share mistyped before it is combined with the others.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import orjson
from Crypto.Protocol.SecretSharing import Shamir

from moatdb.auth.principals import Session
from moatdb.breakglass import events
from moatdb.breakglass.actors import Actor
from moatdb.breakglass.durations import show
from moatdb.breakglass.errors import AccessDenied, Conflict, NotFound, ValidationError
from moatdb.breakglass.events import Event, iso
from moatdb.breakglass.grants import ACTIVE, GRANT, Grant, dumps, new_id
from moatdb.breakglass.procedure import Procedure, check_duration

SEAL = "breakglass/seal"
MAX_SHARES = 255
_KEY_BYTES = 16  # Shamir's shares in pycryptodome are of 16-byte secrets
_SHARE = re.compile(r"moatdb-share:(seal-[a-z2-7]{10}):([0-9]{1,3}):([0-9a-f]{32}):([0-9a-f]{8})")


@dataclass(frozen=True)
class Seal:
    id: str
    role: str
    duration: int  # seconds the grant it opens lasts
    shares: int  # N
    threshold: int  # M
    salt: str  # hex
    digest: str  # hex SHA-256 of the salt and the key
    created: float
    created_by: str
    used: float | None = None
    used_by: str | None = None
    grant: str | None = None  # the grant it opened


@dataclass(frozen=True)
class Share:
    seal: str
    index: int
    value: bytes

    def text(self) -> str:
        body = f"moatdb-share:{self.seal}:{self.index}:{self.value.hex()}"
        return f"{body}:{_check(body)}"

    @classmethod
    def parse(cls, text: str) -> Share:
        found = _SHARE.fullmatch(text.strip())
        if found is None:
            raise ValidationError("A share is one line: moatdb-share:SEAL:INDEX:HEX:CHECK.")
        seal, index, value, check = found.groups()
        if not hmac.compare_digest(_check(f"moatdb-share:{seal}:{index}:{value}"), check):
            raise ValidationError(f"Share {index} of {seal} is mistyped (its check digits do not match).")
        return cls(seal, int(index), bytes.fromhex(value))


class Seals:
    def __init__(self, procedure: Procedure):
        self.procedure = procedure
        self.store = procedure.store

    def seal(self, actor: Actor, role_arn: str, *, shares: int, threshold: int,
             duration: int) -> tuple[Seal, list[Share]]:
        """A new seal of ``role_arn`` and its shares: the only time they exist together."""
        role = self.procedure.role(role_arn)
        if not 2 <= threshold <= shares <= MAX_SHARES:
            raise ValidationError(f"A seal needs 2 <= threshold <= shares <= {MAX_SHARES}, not {threshold} of "
                                  f"{shares}.")
        check_duration(self.procedure.settings.get(), role, duration)
        key, salt = secrets.token_bytes(_KEY_BYTES), secrets.token_bytes(16)
        now = self.procedure.clock()
        seal = Seal("seal-" + new_id()[3:13], role.arn, duration, shares, threshold, salt.hex(),
                    _digest(salt, key), now, actor.arn)
        split = [Share(seal.id, index, value) for index, value in Shamir.split(threshold, shares, key)]
        event = Event(events.SEALED, f"{actor.arn} sealed an emergency path to {role.arn}: {threshold} of "
                      f"{shares} shares open a {show(duration)} grant ({seal.id})", None, role.arn, actor.arn,
                      {"seal": seal.id, "shares": shares, "threshold": threshold, "duration": duration}, now)
        with self.store.write() as txn:
            txn.put_document(SEAL, seal.id, orjson.dumps(asdict(seal)))
            events.append(txn, event)
        self.procedure.alarms.sound(event)
        return seal, split

    def seal_of(self, texts: list[str]) -> Seal:
        """The seal the shares claim to open (for the API to authorize on its role)."""
        shares = [Share.parse(text) for text in texts]
        if not shares:
            raise ValidationError("Give the shares to unseal with.")
        return self._seal(shares[0].seal)

    def unseal(self, actor: Actor, texts: list[str], *, reason: str = "", ticket: str = "",
               authorize: Callable[[str], None] | None = None) -> tuple[Grant, Session]:
        """Open the seal the shares belong to: a grant, active now, and its session for ``actor``.
        ``authorize`` (given the seal's role) refuses a caller before the shares are tried. Every
        failure sounds the alarm too, before it is raised."""
        try:
            if authorize is not None:
                authorize(self.seal_of(texts).role)
            seal = self._opened(texts)
            if seal.used is not None:
                raise Conflict(f"{seal.id} was already used, by {seal.used_by} at {iso(seal.used)} "
                               f"({seal.grant}).")
            role = self.procedure.role(seal.role)
        except (ValidationError, NotFound, Conflict, AccessDenied) as refused:
            self._failed(actor, texts, refused.message)
            raise
        now = self.procedure.clock()
        grant = Grant(new_id(), role.arn, actor.arn, actor.person, actor.name,
                      reason.strip() or f"sealed emergency path {seal.id}", ticket.strip(), seal.duration, now,
                      now, 0, state=ACTIVE, starts=now, ends=now + seal.duration, sealed=seal.id)
        event = Event(events.UNSEALED, f"SEALED EMERGENCY PATH USED: {actor.arn} opened {seal.id} with "
                      f"{seal.threshold} shares; {grant.id} gives {role.arn} until {iso(grant.ends)}", grant.id,
                      role.arn, actor.arn, {"seal": seal.id, "ends": iso(grant.ends), "reason": grant.reason,
                                            "ticket": grant.ticket}, now)
        with self.store.write() as txn:
            current = Seal(**orjson.loads(txn.document(SEAL, seal.id)))
            if current.used is None:  # unless another worker opened it meanwhile
                txn.put_document(SEAL, seal.id, orjson.dumps(asdict(replace(
                    current, used=now, used_by=actor.arn, grant=grant.id))))
                txn.put_document(GRANT, grant.id, dumps(grant))
                events.append(txn, event)
        if current.used is not None:
            self._failed(actor, texts, f"{seal.id} was already used")
            raise Conflict(f"{seal.id} was already used, by {current.used_by} ({current.grant}).")
        self.procedure.alarms.sound(event)
        return self.procedure.hand_out(grant, None, actor, now)

    def _opened(self, texts: list[str]) -> Seal:
        """The seal the shares open; refused unless they are enough, and right."""
        shares = {}
        for text in texts:
            share = Share.parse(text)
            shares[share.index] = share
        if not shares:
            raise ValidationError("Give the shares to unseal with.")
        if len({share.seal for share in shares.values()}) > 1:
            raise ValidationError("The shares belong to different seals.")
        seal = self._seal(next(iter(shares.values())).seal)
        if len(shares) < seal.threshold:
            given = f"{len(shares)} {'was' if len(shares) == 1 else 'were'} given"
            raise ValidationError(f"{seal.id} opens with {seal.threshold} shares; {given}.")
        key = Shamir.combine([(share.index, share.value) for share in shares.values()])
        if not hmac.compare_digest(_digest(bytes.fromhex(seal.salt), key), seal.digest):
            raise ValidationError(f"These shares do not open {seal.id}.")
        return seal

    def _seal(self, seal_id: str) -> Seal:
        raw = self._raw(seal_id)
        if raw is None:
            raise NotFound(f"No seal {seal_id}.")
        return Seal(**orjson.loads(raw))

    def _raw(self, seal_id: str) -> bytes | None:
        return self.store.read().document(SEAL, seal_id)

    def _failed(self, actor: Actor, texts: list[str], why: str) -> None:
        seals = sorted({found.group(1) for text in texts if (found := _SHARE.fullmatch(text.strip()))})
        roles = sorted({raw and orjson.loads(raw)["role"] for raw in map(self._raw, seals)} - {None})
        event = Event(events.UNSEAL_FAILED, f"{actor.arn} failed to unseal {', '.join(seals) or 'a seal'}: {why}",
                      None, roles[0] if len(roles) == 1 else None, actor.arn,
                      {"seals": seals, "shares": len(texts), "reason": why}, self.procedure.clock())
        with self.store.write() as txn:
            events.append(txn, event)
        self.procedure.alarms.sound(event)


def _digest(salt: bytes, key: bytes) -> str:
    return hashlib.sha256(salt + key).hexdigest()


def _check(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:8]
