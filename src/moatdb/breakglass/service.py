"""Break glass in one server worker: the procedure and its sealed path, the HTTP API, STS's guard,
the monitor of break-glass sessions, the alarms, and the sweep that writes down what lapsed.

Every worker builds one; they share nothing but the store, which is enough: grants, seals and the
settings are documents, the journal is items, and each step is one write transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.api import Api
from moatdb.breakglass.guard import Guard
from moatdb.breakglass.monitor import Monitor
from moatdb.breakglass.procedure import Procedure
from moatdb.breakglass.sealing import Seals
from moatdb.breakglass.settings import Current
from moatdb.storage.base import Store

SWEEP_SECONDS = 1.0  # how soon after its time a lapsed request or grant is written down and alarmed

log = logging.getLogger("moatdb.breakglass")


def local(directory: Directory, *, clock: Callable[[], float] = time.time) -> tuple[Procedure, Seals]:
    """The procedure on a data directory, for a command run beside (or without) the server."""
    settings = Current(directory.store)
    procedure = Procedure(directory.store, directory, settings, Alarms(lambda: settings.get().webhooks),
                          clock=clock)
    return procedure, Seals(procedure)


class BreakGlass:
    def __init__(self, store: Store, directory: Directory, authorizer: Authorizer, *, region: str,
                 data_dir: Path | None = None, clock: Callable[[], float] = time.time):
        self.settings = Current(store)
        self.alarms = Alarms(lambda: self.settings.get().webhooks)
        self.procedure = Procedure(store, directory, self.settings, self.alarms, clock=clock)
        self.api = Api(self.procedure, Seals(self.procedure), authorizer, directory, region=region,
                       data_dir=data_dir)
        self.guard = Guard(store, self.settings, self.alarms)
        self.monitor = Monitor(store, self.settings, self.alarms)
        self._next_sweep: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Sweep every SWEEP_SECONDS on ``loop``, from now on."""
        def sweep() -> None:
            try:
                self.procedure.sweep()
            except Exception:  # the next sweep tries again; a failing one must not stop them
                log.exception("break-glass sweep failed")
            self._next_sweep = loop.call_later(SWEEP_SECONDS, sweep)

        self._next_sweep = loop.call_later(SWEEP_SECONDS, sweep)

    def stop(self) -> None:
        """No sweep runs any more (before the store closes under it)."""
        if self._next_sweep is not None:
            self._next_sweep.cancel()
