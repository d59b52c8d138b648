"""One worker's share of the trail: records appended as JSON lines to a file of its own, rotated by
age and size, each completed file handed to a thread that files it and writes its digest.

Durability. A record is given to the operating system (``write()``) at most ``flush_seconds`` after
its reply was handed to the transport (10 ms by default; sooner when 64 KiB are waiting), in one
``write()`` for all the records waiting: so ``kill -9`` of a worker loses at most the records of the
replies of its last 10 ms. With ``flush_seconds`` 0 the flush is scheduled with ``call_soon`` when the
turn's first record arrives, ahead of the reply's own write (``gateway/http.py`` holds every reply
until a ``call_soon`` of its own, scheduled later), and ``kill -9`` loses no record of a reply that
was sent, at the price of one ``write()`` per turn. A power cut may lose what the kernel had not
yet written back (a file is fsynced when it is completed, before a digest vouches for it).

Each worker writes its own file (its name carries the process id and a counter) under ``active/``,
holding an exclusive ``flock`` on it: a file in ``active/`` that nobody holds belongs to a worker
that died, and the next worker to write a digest files it (``Chain.seal``). Rotation happens when
a file reaches ``rotate_bytes`` or is ``rotate_seconds`` old, even if no request comes (a timer on
the loop), so a record waits at most that long for a digest to cover it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from moatdb.audit.digest import Chain, Completed
from moatdb.audit.layout import log_name

log = logging.getLogger("moatdb.audit")

ROTATE_SECONDS = 60.0
ROTATE_BYTES = 10 * 1024 * 1024
FLUSH_SECONDS = 0.01
FLUSH_BYTES = 64 * 1024  # written at once when this much is pending, whatever the delay


class _Open:
    """The file a writer is appending to."""

    __slots__ = ("fd", "path", "name", "began", "hash", "size", "oldest", "newest", "timer")

    def __init__(self, fd: int, path: Path, name: str, began: float):
        self.fd, self.path, self.name, self.began = fd, path, name, began
        self.hash = hashlib.sha256()  # of the bytes written, as written: what the digest vouches for
        self.size = 0
        self.oldest: str | None = None
        self.newest: str | None = None
        self.timer: asyncio.TimerHandle | None = None

    def completed(self) -> Completed:
        return Completed(self.path, self.name, self.began, self.hash.hexdigest(), self.oldest, self.newest)


class Writer:
    def __init__(self, chain: Chain, *, rotate_seconds: float = ROTATE_SECONDS,
                 rotate_bytes: int = ROTATE_BYTES, flush_seconds: float = FLUSH_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.chain = chain
        self.rotate_seconds = rotate_seconds
        self.rotate_bytes = rotate_bytes
        self.flush_seconds = flush_seconds  # 0: in the turn of the reply, before it
        self._clock = clock
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._first: str | None = None  # eventTime of the first and last pending record
        self._last: str | None = None
        self._file: _Open | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unique = f"p{os.getpid()}-{os.urandom(2).hex()}"
        self._numbers = itertools.count(1)
        self._sealer = _Sealer(chain)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on records are flushed on the loop (``flush_seconds`` after the first one waiting,
        or in its turn) and files age out on the loop's timer; the sealing thread starts by filing what
        dead workers left in ``active/``."""
        self._loop = loop
        self._sealer.start()

    def write(self, line: bytes, event_time: str) -> None:
        """Append one record (a JSON line, newline included)."""
        pending = self._pending
        pending.append(line)
        self._last = event_time
        if len(pending) == 1:
            self._first = event_time
            self._pending_bytes = len(line)
            if self._loop is None:
                self.flush()  # no loop yet (tools, tests): at once
            elif self.flush_seconds:
                self._loop.call_later(self.flush_seconds, self.flush)
            else:
                self._loop.call_soon(self.flush)
        else:
            self._pending_bytes += len(line)
            if self._pending_bytes >= FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        count = len(pending)
        pending.clear()
        current = self._file or self._open()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(current.fd, view):]
        except OSError:
            log.exception("audit: %d records could not be written to %s", count, current.path)
            return
        current.hash.update(data)
        current.size += len(data)
        if current.oldest is None:
            current.oldest = self._first
        current.newest = self._last
        if current.size >= self.rotate_bytes:
            self._complete(current)

    def close(self) -> None:
        """Flush, complete the current file, and wait for every file to be filed and digested."""
        self._loop = None  # nothing more for the loop to do: the loop may be closing, or closed
        self.flush()
        if self._file is not None:
            self._complete(self._file)
        self._sealer.stop()

    def _open(self) -> _Open:
        now = self._clock()
        unique = f"{self._unique}-{next(self._numbers):04d}"
        name = log_name(self.chain.account, self.chain.region, now, unique)
        folder = self.chain.trail.active
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
        # Ours until filed: nobody takes it for a dead worker's.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        opened = self._file = _Open(fd, folder / name, name, now)
        if self._loop is not None:
            opened.timer = self._loop.call_later(self.rotate_seconds, self._age_out, opened)
        return opened

    def _age_out(self, opened: _Open) -> None:
        if self._file is opened:
            self.flush()
            if self._file is opened:
                self._complete(opened)

    def _complete(self, done: _Open) -> None:
        self._file = None
        if done.timer is not None:
            done.timer.cancel()
        self._sealer.put(done)


class _Sealer:
    """The thread that files completed log files and writes their digests: fsync, a lock shared
    with other processes and a signature have no place on the event loop."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self._queue: queue.SimpleQueue[_Open | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="moatdb-audit-sealer", daemon=True)
        self._thread.start()

    def put(self, done: _Open) -> None:
        if self._thread is None:
            self._seal([done])  # no thread (tools, tests): at once
        else:
            self._queue.put(done)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        self._seal([])  # what dead workers left behind, if anything
        while True:
            done = self._queue.get()
            batch = []
            while done is not None:
                batch.append(done)
                try:
                    done = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._seal(batch)
            if done is None:
                return

    def _seal(self, batch: list[_Open]) -> None:
        try:
            for done in batch:
                os.fsync(done.fd)
            self.chain.seal([done.completed() for done in batch])
        except Exception:
            # Left in active/, unlocked once closed: the next digest, by any worker, files them.
            log.exception("audit: could not digest %s", ", ".join(done.name for done in batch))
        finally:
            for done in batch:
                os.close(done.fd)
