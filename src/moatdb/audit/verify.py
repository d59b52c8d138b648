"""A trail checked against its digests, as ``aws cloudtrail validate-logs`` checks CloudTrail's
(User Guide, "Validating CloudTrail log file integrity with the AWS CLI"): every digest's signature,
the chain from digest 1 to the newest, and every log file against the hash its digest recorded.

What is reported (each a ``Problem``):

- ``changed``: a log file whose SHA-256 is not the one its digest recorded;
- ``removed``: a log file a digest lists that is not there;
- ``inserted``: a log file no digest lists, older than the newest digest (a newer one is only not
  digested yet, as the files being written in ``active/`` are: ``pending``, not a problem);
- ``signature``: a digest whose signature is missing, does not verify, or is by an unknown key;
- ``chain``: a digest that is missing from the sequence, not where its signed name says, or that
  does not link to the one before it (its hash, signature, or time): a gap or a reorder.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from moatdb.audit.digest import iso, locked, read_signature, signed_text
from moatdb.audit.layout import Trail, began
from moatdb.audit.signing import fingerprint, load_public, verifies

CHANGED, REMOVED, INSERTED, SIGNATURE, CHAIN = "changed", "removed", "inserted", "signature", "chain"


@dataclass(frozen=True)
class Problem:
    kind: str
    file: str  # relative to the trail
    detail: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "file": self.file, "detail": self.detail}


@dataclass
class Report:
    trail: Path
    digests: int = 0
    log_files: int = 0
    problems: list[Problem] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # log files no digest covers yet, legitimately
    newest: str | None = None  # the newest digest's digestEndTime

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {"trail": str(self.trail), "valid": self.valid, "digests": self.digests,
                "logFiles": self.log_files, "newestDigestEndTime": self.newest,
                "problems": [p.to_json() for p in self.problems], "pending": self.pending}


@dataclass(frozen=True)
class _Link:
    sequence: int
    name: str  # relative to the trail
    hash: str
    signature: str | None
    end: str | None


def verify(trail: Trail, *, public_key: Path | None = None) -> Report:
    """Check ``trail``; ``public_key``: trust only this key (a copy kept away from the trail),
    instead of the keys the trail's own ``public-keys/`` holds."""
    report = Report(trail.root)
    keys = _keys(trail, public_key, report)
    # Shared with the writers' exclusive turns: no log file is seen filed before its digest.
    with locked(trail, shared=True) if trail.chain_lock.exists() else nullcontext():
        listed: dict[str, int] = {}
        previous: _Link | None = None
        for sequence, path in trail.digests():
            previous = _digest(trail, sequence, path, previous, keys, listed, report)
            report.digests += 1
        report.newest = previous.end if previous is not None else None
        for path in trail.log_files():
            name = trail.relative(path)
            if name in listed:
                continue
            report.log_files += 1
            start = began(path.name)
            if report.newest is not None and start is not None and iso(start.timestamp()) < report.newest:
                detail = f"no digest lists this log file, begun before the last digest ({report.newest})"
                report.problems.append(Problem(INSERTED, name, detail))
            else:
                report.pending.append(name)
        report.pending += [trail.relative(path) for path in trail.active_files()]
    return report


def _digest(trail: Trail, sequence: int, path: Path, previous: _Link | None,
            keys: dict[str, Ed25519PublicKey], listed: dict[str, int], report: Report) -> _Link:
    name = trail.relative(path)
    problems = report.problems
    data = path.read_bytes()
    digest_hash = hashlib.sha256(data).hexdigest()
    signature = read_signature(path)
    expected = 1 if previous is None else previous.sequence + 1
    if sequence != expected:
        missing = f"{expected}" if sequence == expected + 1 else f"{expected} to {sequence - 1}"
        problems.append(Problem(CHAIN, name, f"digest {missing} of the chain is missing before "
                                             f"digest {sequence}"))
    try:
        body = orjson.loads(data)
        if type(body) is not dict:
            raise ValueError("not a JSON object")
    except ValueError as error:  # orjson.JSONDecodeError is one
        problems.append(Problem(CHAIN, name, f"not a digest file ({error})"))
        return _Link(sequence, name, digest_hash, signature, previous.end if previous is not None else None)
    end = body.get("digestEndTime")
    signed_name = body.get("digestS3Object")
    if signed_name != name:
        problems.append(Problem(CHAIN, name, f"this file holds the digest of {signed_name}: digests were "
                                             "moved or reordered"))
    _check_signature(body, name, digest_hash, signature, keys, problems)
    _check_link(body, name, previous, problems)
    for entry in body.get("logFiles") or ():
        _check_log_file(trail, entry, sequence, listed, report)
    return _Link(sequence, name, digest_hash, signature, end)


def _check_signature(body: dict, name: str, digest_hash: str, signature: str | None,
                     keys: dict[str, Ed25519PublicKey], problems: list[Problem]) -> None:
    if signature is None:
        problems.append(Problem(SIGNATURE, name, "the digest's signature file is missing"))
        return
    key = keys.get(body.get("digestPublicKeyFingerprint"))
    if key is None:
        problems.append(Problem(SIGNATURE, name, "signed with a key that is not trusted "
                                                 f"(fingerprint {body.get('digestPublicKeyFingerprint')})"))
        return
    text = signed_text(str(body.get("digestEndTime")), str(body.get("digestS3Bucket")),
                       str(body.get("digestS3Object")), digest_hash, body.get("previousDigestSignature"))
    if not verifies(key, signature, text):
        problems.append(Problem(SIGNATURE, name, "the signature does not verify: the digest or its signature "
                                                 "was changed"))


def _check_link(body: dict, name: str, previous: _Link | None, problems: list[Problem]) -> None:
    follows = body.get("previousDigestS3Object")
    broken = None
    if previous is None:
        if follows is not None:
            broken = f"it follows {follows}, which is missing: the chain's start was removed"
    elif follows != previous.name:
        broken = f"it follows {follows}, not {previous.name}"
    elif body.get("previousDigestHashValue") != previous.hash:
        broken = f"{previous.name} is not the digest this one follows: its hash changed"
    elif body.get("previousDigestSignature") != previous.signature:
        broken = f"the signature of {previous.name} is not the one this digest follows"
    if broken is not None:
        problems.append(Problem(CHAIN, name, broken))
    end, start = body.get("digestEndTime"), body.get("digestStartTime")
    if previous is not None and previous.end is not None and \
            (start != previous.end or (end is not None and end < previous.end)):
        problems.append(Problem(CHAIN, name, f"its period ({start} to {end}) does not follow the previous "
                                             f"digest's end ({previous.end}): digests out of order"))


def _check_log_file(trail: Trail, entry: dict, sequence: int, listed: dict[str, int], report: Report) -> None:
    name = str(entry.get("s3Object"))
    if name in listed:
        report.problems.append(Problem(CHAIN, name, f"listed by digests {listed[name]} and {sequence}"))
        return
    listed[name] = sequence
    report.log_files += 1
    path = trail.root / name
    try:
        actual = _file_hash(path)
    except FileNotFoundError:
        report.problems.append(Problem(REMOVED, name, f"digest {sequence} lists this log file; it is gone"))
        return
    if actual != entry.get("hashValue"):
        report.problems.append(Problem(CHANGED, name, f"its SHA-256 is {actual}, digest {sequence} recorded "
                                                      f"{entry.get('hashValue')}"))


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _keys(trail: Trail, public_key: Path | None, report: Report) -> dict[str, Ed25519PublicKey]:
    """The keys a digest may be signed with (ValueError: the ``public_key`` given is not one)."""
    if public_key is not None:
        key = load_public(public_key)
        return {fingerprint(key): key}
    found = {}
    for path in sorted(trail.public_keys.glob("*.pem")):
        try:
            key = load_public(path)
        except ValueError:
            report.problems.append(Problem(SIGNATURE, trail.relative(path), "not an Ed25519 public key"))
            continue
        found[fingerprint(key)] = key
    return found
