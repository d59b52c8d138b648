"""Running the gateway on uvicorn (uvloop + httptools), in one or several worker processes.

Workers are separate processes sharing one store; uvicorn starts them from an import string, so the
settings travel in the environment and ``create_app`` builds each worker's app from it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from moatdb.auth.credentials import Identifier
from moatdb.gateway.app import Gateway
from moatdb.services.dynamodb.service import DynamoDB
from moatdb.storage.sqlite import SqliteStore

# Until principals exist (the identity issue), every caller belongs to this account, the one
# DynamoDB Local reports too.
DEFAULT_ACCOUNT = "000000000000"
DATABASE_FILE = "moatdb.sqlite3"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".moatdb")
    region: str = "us-east-1"
    log_level: str = "info"
    workers: int = 1

    def to_environ(self) -> None:
        os.environ.update({
            "MOATDB_DATA_DIR": str(self.data_dir), "MOATDB_REGION": self.region,
            "MOATDB_WORKERS": str(self.workers),
        })


def create_app() -> Gateway:
    """The ASGI app of one worker, from the settings in the environment."""
    if int(os.environ.get("MOATDB_WORKERS", "1")) > 1:
        _die_with_parent()
    data_dir = Path(os.environ.get("MOATDB_DATA_DIR", ".moatdb"))
    region = os.environ.get("MOATDB_REGION", "us-east-1")
    store = SqliteStore(data_dir / DATABASE_FILE)
    return Gateway(DynamoDB(store), Identifier(region=region, account=DEFAULT_ACCOUNT), store)


def serve(settings: Settings) -> None:
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.to_environ()
    # After a graceful shutdown uvicorn re-raises the signal that asked for it, under the handler
    # that was there before; a no-op one makes SIGTERM end the command with status 0, as SIGINT does.
    signal.signal(signal.SIGTERM, lambda *_: None)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "moatdb.server:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        access_log=False,
        # The network origin of a request comes from the socket, never from headers a client
        # writes: no X-Forwarded-For rewriting (and one middleware less on every request).
        proxy_headers=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
    )


def _die_with_parent() -> None:
    """A worker exits when its supervisor dies, even by ``kill -9``: no orphan keeps the port and
    the database (Linux's PR_SET_PDEATHSIG; elsewhere the supervisor's own shutdown must do)."""
    if sys.platform != "linux":
        return
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
