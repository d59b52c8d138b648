"""Digest files, as CloudTrail's log file integrity validation makes them (User Guide, "CloudTrail
digest file structure" and "Validating CloudTrail log file integrity with the AWS CLI").

A digest lists the log files completed since the digest before it, each with its SHA-256, and
carries the previous digest's path, SHA-256 and signature: one chain per trail, from digest 1 on,
whichever worker process writes the next link (they take turns under ``chain.lock``). A log file
enters ``logs/`` only in the same turn as the digest that lists it, so a file there that no digest
lists was put there by someone else.

The fields are CloudTrail's, with S3 read as the disk: ``digestS3Bucket`` is the trail folder's
name (``audit``) and ``digestS3Object`` the path inside it. CloudTrail keeps a digest's signature
in the S3 object's metadata; here it sits beside the digest, in hex, in ``<digest>.sig``. What is
signed is CloudTrail's string (the User Guide's "data signing string"), with Ed25519 instead of
SHA256withRSA::

    digestEndTime \\n digestS3Bucket/digestS3Object \\n hex(SHA-256(digest file)) \\n previousDigestSignature

(the last line empty for digest 1).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from moatdb.audit.layout import (
    DIGESTS,
    LOGS,
    SIGNATURE_SUFFIX,
    TRAIL,
    Trail,
    began,
    day_folder,
    digest_name,
    ended,
)
from moatdb.audit.signing import ALGORITHM, SigningKey

HASH_ALGORITHM = "SHA-256"


@dataclass(frozen=True)
class Completed:
    """A log file its writer has finished, still in ``active/``, to be filed and digested."""

    source: Path  # in active/
    name: str  # its name, under logs/<day it began>/
    began: float
    hash: str  # SHA-256 of its bytes, hex
    oldest: str | None  # eventTime of its first and last records
    newest: str | None


@dataclass(frozen=True)
class Head:
    """The newest digest of a chain: what the next one links to."""

    sequence: int
    path: Path
    hash: str
    signature: str | None  # None when its signature file is gone (verify reports it)
    end: str  # its digestEndTime
    day: str  # its day folder


def signed_text(end: str, bucket: str, key: str, digest_hash: str, previous_signature: str | None) -> bytes:
    return f"{end}\n{bucket}/{key}\n{digest_hash}\n{previous_signature or ''}".encode()


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Chain:
    """The digests of one trail, written by any process that holds ``chain.lock``."""

    def __init__(self, trail: Trail, key: SigningKey, *, account: str, region: str,
                 clock: Callable[[], float] = time.time):
        self.trail = trail
        self.key = key
        self.account = account
        self.region = region
        self._clock = clock

    def seal(self, completed: list[Completed]) -> Path | None:
        """File ``completed`` under logs/, with any file a dead worker left in active/, and write the
        digest that lists them, as one turn. Nothing to file: no digest (None)."""
        with locked(self.trail):
            ours = {done.source for done in completed}
            completed = completed + [found for path in self.trail.active_files()
                                     if path not in ours and (found := _abandoned(path)) is not None]
            if not completed:
                return None
            head = self.head()
            now = self._clock()
            end = iso(now) if head is None else max(iso(now), head.end)
            listed = []
            for done in completed:
                target = self.trail.root / LOGS / day_folder(done.began) / done.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(done.source, target)
                listed.append({"s3Bucket": TRAIL, "s3Object": self.trail.relative(target),
                               "hashValue": done.hash, "hashAlgorithm": HASH_ALGORITHM,
                               "oldestEventTime": done.oldest, "newestEventTime": done.newest})
            _sync_folder(self.trail.active)
            return self._write(head, end, listed)

    def head(self) -> Head | None:
        newest = self.trail.newest_digest()
        if newest is None:
            return None
        sequence, path = newest
        data = path.read_bytes()
        try:
            end = orjson.loads(data)["digestEndTime"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            # A damaged head still anchors the next link (verify reports the damage), at the time
            # its name gives.
            end = iso(ended(path.name).timestamp())
        return Head(sequence, path, hashlib.sha256(data).hexdigest(), read_signature(path), end,
                    path.parent.relative_to(self.trail.root / DIGESTS).as_posix())

    def _write(self, head: Head | None, end: str, listed: list[dict]) -> Path:
        moment = datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        sequence = 1 if head is None else head.sequence + 1
        # Never filed under a day before its predecessor's, so the newest day holds the head.
        day = day_folder(moment) if head is None else max(day_folder(moment), head.day)
        path = self.trail.root / DIGESTS / day / digest_name(self.account, self.region, moment, sequence)
        times = [t for entry in listed for t in (entry["oldestEventTime"], entry["newestEventTime"]) if t]
        body = {
            "awsAccountId": self.account,
            "digestStartTime": head.end if head is not None else min(times, default=end),
            "digestEndTime": end,
            "digestS3Bucket": TRAIL,
            "digestS3Object": self.trail.relative(path),
            "digestPublicKeyFingerprint": self.key.fingerprint,
            "digestSignatureAlgorithm": ALGORITHM,
            "newestEventTime": max(times, default=None),
            "oldestEventTime": min(times, default=None),
            "previousDigestS3Bucket": None if head is None else TRAIL,
            "previousDigestS3Object": None if head is None else self.trail.relative(head.path),
            "previousDigestHashValue": None if head is None else head.hash,
            "previousDigestHashAlgorithm": HASH_ALGORITHM,
            "previousDigestSignature": None if head is None else head.signature,
            "logFiles": listed,
        }
        data = orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"
        digest_hash = hashlib.sha256(data).hexdigest()
        signature = self.key.sign(signed_text(end, TRAIL, body["digestS3Object"], digest_hash,
                                              body["previousDigestSignature"]))
        path.parent.mkdir(parents=True, exist_ok=True)
        # The signature first: a digest is only ever found (as the head, by its name) complete.
        _write_durably(path.with_name(path.name + SIGNATURE_SUFFIX), signature.encode() + b"\n")
        _write_durably(path, data)
        return path


def _abandoned(path: Path) -> Completed | None:
    """The file at ``path`` as a completed one, if its writer is gone (nobody holds its lock)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live writer's
        with open(fd, "rb", closefd=False) as file:
            data = file.read()
    finally:
        os.close(fd)
    lines = data.splitlines()
    return Completed(path, path.name, began(path.name).timestamp(), hashlib.sha256(data).hexdigest(),
                     _event_time(lines[0]) if lines else None, _event_time(lines[-1]) if lines else None)


def _event_time(line: bytes) -> str | None:
    try:
        return orjson.loads(line)["eventTime"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None  # a record cut short by the crash


@contextmanager
def locked(trail: Trail, *, shared: bool = False) -> Iterator[None]:
    """The chain's lock, across processes: exclusive to write a link, shared to read the trail
    as a whole (``verify``), so no reader sees a log file filed before its digest exists."""
    trail.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(trail.chain_lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # which releases the lock


def read_signature(digest: Path) -> str | None:
    try:
        return digest.with_name(digest.name + SIGNATURE_SUFFIX).read_text().strip()
    except FileNotFoundError:
        return None


def _write_durably(path: Path, data: bytes) -> None:
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(draft, path)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make renames into ``folder`` durable (a file's data is not enough: its name is the folder's)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
