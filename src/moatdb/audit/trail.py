"""The audit trail of one worker: a record for every request the gateway answers, made before the
reply is written and on disk soon after (docs/audit.md, "Durability"). There is no switch to turn
it off.

Files and flushing are configured by the environment, which is how ``moatdb serve`` hands settings
to its worker processes: ``MOATDB_AUDIT_ROTATE_SECONDS`` (default 60) and ``MOATDB_AUDIT_ROTATE_BYTES``
(default 10 MiB) complete a file; ``MOATDB_AUDIT_FLUSH_SECONDS`` (default 0.01; 0: before the reply)
bounds how long a record waits in memory (docs/audit.md, "Durability").
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import orjson

from moatdb.audit.call import Call
from moatdb.audit.digest import Chain
from moatdb.audit.layout import Trail as Layout
from moatdb.audit.line import Lines
from moatdb.audit.record import EVENT_VERSION, SOURCES, Recorder
from moatdb.audit.signing import SigningKey
from moatdb.audit.writer import FLUSH_SECONDS, ROTATE_BYTES, ROTATE_SECONDS, Writer
from moatdb.auth.directory import Directory
from moatdb.auth.organization import Organization

log = logging.getLogger("moatdb.audit")

DEFAULT_ACCOUNT = "000000000000"  # the trail's account when the data directory holds none


class Trail:
    def __init__(self, recorder: Recorder, writer: Writer):
        self.recorder = recorder
        self.lines = Lines(recorder)
        self.writer = writer

    @classmethod
    def open(cls, data_dir: Path, directory: Directory, *, region: str, organization: Organization,
             environ: Mapping[str, str] = os.environ) -> Trail:
        """The trail of ``data_dir``, its signing key made on first use."""
        layout = Layout.of(data_dir)
        # Private as the rest of the data directory: who did what, from where, is nobody else's to read.
        layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        layout.root.chmod(0o700)
        key = SigningKey.load_or_create(layout.key_file)
        key.publish(layout.public_keys)
        account = owner(directory, organization)
        seconds, size, flush = settings(environ)
        chain = Chain(layout, key, account=account, region=region)
        return cls(Recorder(directory, region=region, account=account),
                   Writer(chain, rotate_seconds=seconds, rotate_bytes=size, flush_seconds=flush))

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writer.start(loop)

    def record(self, call: Call) -> None:
        """Record ``call``, an answered request whose reply is about to be written."""
        try:
            line, event_time = self.lines.line(call)
        except Exception:
            # Still one record per request: what is known for certain, and that the rest is missing.
            log.exception("audit: the record of request %s could not be made", call.request_id)
            event_time = self.recorder.event_time()
            line = orjson.dumps({"eventVersion": EVENT_VERSION, "eventTime": event_time,
                                 "eventSource": SOURCES.get(call.service), "eventName": call.operation,
                                 "awsRegion": self.recorder.region, "requestID": call.request_id,
                                 "eventType": "AwsApiCall", "moatdbRecordIncomplete": True},
                                option=orjson.OPT_APPEND_NEWLINE)
        self.writer.write(line, event_time)

    def close(self) -> None:
        self.writer.close()


def owner(directory: Directory, organization: Organization) -> str:
    """The account the trail is filed under (CloudTrail's digest ``awsAccountId``): the organization's
    management account, as for an organization trail; else the data directory's first account."""
    record = organization.organization()
    if record is not None:
        return record.management_account
    return min((account.id for account in directory.accounts()), default=DEFAULT_ACCOUNT)


def settings(environ: Mapping[str, str]) -> tuple[float, int, float]:
    """(seconds, bytes) after which a log file is completed, and the longest a record waits to be
    written; ValueError for a setting out of bounds, so a worker refuses to start rather than guess."""
    seconds = float(environ.get("MOATDB_AUDIT_ROTATE_SECONDS", ROTATE_SECONDS))
    size = int(environ.get("MOATDB_AUDIT_ROTATE_BYTES", ROTATE_BYTES))
    flush = float(environ.get("MOATDB_AUDIT_FLUSH_SECONDS", FLUSH_SECONDS))
    if seconds <= 0 or size <= 0 or not 0 <= flush <= 1:
        raise ValueError("MOATDB_AUDIT_ROTATE_SECONDS and _BYTES must be positive, "
                         "MOATDB_AUDIT_FLUSH_SECONDS between 0 and 1")
    return seconds, size, flush
