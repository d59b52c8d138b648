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

from moatdb.auth import profiles
from moatdb.auth.authenticator import Authenticator
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import USER, Directory
from moatdb.gateway.app import Gateway
from moatdb.gateway.http import HttpProtocol
from moatdb.services.dynamodb.service import DynamoDB
from moatdb.services.iam.service import IAM
from moatdb.services.sts.service import STS
from moatdb.storage.sqlite import SqliteStore

# The account a new data directory starts with (until a world names the organization's own).
DEFAULT_ACCOUNT = "000000000000"
BOOTSTRAP_USER = "admin"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
DATABASE_FILE = "moatdb.sqlite3"
# Where `serve` writes AWS config and credentials files for the principals (see docs/cli.md).
PROFILES_DIR = "aws"

log = logging.getLogger("moatdb.server")


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
            "MOATDB_WORKERS": str(self.workers), "MOATDB_SUPERVISOR": str(os.getpid()),
        })


def create_app() -> Gateway:
    """The ASGI app of one worker, from the settings in the environment."""
    if int(os.environ.get("MOATDB_WORKERS", "1")) > 1:
        _die_with_parent()
    data_dir = Path(os.environ.get("MOATDB_DATA_DIR", ".moatdb"))
    region = os.environ.get("MOATDB_REGION", "us-east-1")
    store = SqliteStore(data_dir / DATABASE_FILE)
    directory = Directory(store)
    authorizer = Authorizer(directory, region=region)
    return Gateway(DynamoDB(store, authorizer), STS(directory, authorizer), Authenticator(directory, region=region),
                   store, iam=IAM(directory, authorizer))


def open_directory(data_dir: Path) -> Directory:
    """The principals of a data directory (for commands that run beside or without a server)."""
    return Directory(SqliteStore(data_dir / DATABASE_FILE))


def bootstrap(settings: Settings) -> Path:
    """Make sure someone can sign requests, and write their AWS profiles.

    A new data directory gets account DEFAULT_ACCOUNT and an IAM user ``admin`` with an access key;
    every start then (re)writes ``<data-dir>/aws/config`` and ``credentials`` with a profile per
    user pointed at this server (``admin`` is also the default profile)."""
    directory = open_directory(settings.data_dir)
    try:
        if not directory.access_keys():
            if DEFAULT_ACCOUNT not in {account.id for account in directory.accounts()}:
                directory.create_account(DEFAULT_ACCOUNT, "default")
            if directory.user(DEFAULT_ACCOUNT, BOOTSTRAP_USER) is None:
                directory.create_user(DEFAULT_ACCOUNT, BOOTSTRAP_USER)
                # Deny by default holds from the first request: the bootstrap user may do everything
                # because a policy says so, as an account's first administrator does in IAM.
                directory.attach_policy(USER, DEFAULT_ACCOUNT, BOOTSTRAP_USER, ADMINISTRATOR_ACCESS)
            key = directory.create_access_key(DEFAULT_ACCOUNT, BOOTSTRAP_USER)
            log.info("created IAM user %s with access key %s", BOOTSTRAP_USER, key.id)
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        folder = settings.data_dir / PROFILES_DIR
        profiles.write(directory, folder, endpoint_url=f"http://{host}:{settings.port}",
                       region=settings.region, default=BOOTSTRAP_USER)
        return folder
    finally:
        directory.store.close()


def serve(settings: Settings) -> None:
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.to_environ()
    # After a graceful shutdown uvicorn re-raises the signal that asked for it, under the handler
    # that was there before; a no-op one makes SIGTERM end the command with status 0, as SIGINT does.
    signal.signal(signal.SIGTERM, lambda *_: None)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    folder = bootstrap(settings)
    log.info("AWS profiles for this server: export AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s",
                folder / profiles.CONFIG, folder / profiles.CREDENTIALS)
    uvicorn.run(
        "moatdb.server:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        # httptools, with each reply sent in one write (gateway/http.py).
        http=HttpProtocol,
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
    # The supervisor may have died while this worker was starting, before it asked: then no signal
    # will ever come, and the worker must not start serving as an orphan.
    if str(os.getppid()) != os.environ.get("MOATDB_SUPERVISOR"):
        raise SystemExit(0)
