"""Running the gateway on uvicorn (uvloop + httptools), in one or several worker processes, behind
the doors of the world's network.

``serve`` binds a socket per door in the supervisor; every worker serves all of them (one uvicorn
server per worker, given the sockets), so a request's door is the local address of its connection
(gateway/doors.py). Workers are separate processes sharing one store; uvicorn starts them from an
import string, so the settings travel in the environment and ``create_app`` builds each worker's
app from it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from moatdb.audit.trail import Trail
from moatdb.auth import profiles
from moatdb.auth.authenticator import Authenticator
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import USER, Directory
from moatdb.auth.network import Door, Network
from moatdb.breakglass.service import BreakGlass
from moatdb.gateway.app import Gateway
from moatdb.gateway.doors import DoorError, Doors, bind, plan
from moatdb.gateway.http import HttpProtocol
from moatdb.services.dynamodb.expiry import DEFAULT_INTERVAL as DEFAULT_TTL_INTERVAL
from moatdb.services.dynamodb.expiry import Sweeper
from moatdb.services.dynamodb.service import DynamoDB
from moatdb.services.iam.service import IAM
from moatdb.services.organizations.service import Organizations
from moatdb.services.sts.service import STS
from moatdb.storage.base import Store
from moatdb.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from moatdb.world import World

# The account a data directory without a world starts with.
DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
DEFAULT_ADDRESS = ("127.0.0.1", 8000)  # the public door of a network that declares no doors
BOOTSTRAP_USER = "admin"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
DATABASE_FILE = "moatdb.sqlite3"
# Where `serve` writes AWS config and credentials files for the principals (see docs/cli.md).
PROFILES_DIR = "aws"
BACKLOG = 2048  # uvicorn's

log = logging.getLogger("moatdb.server")


@dataclass(frozen=True)
class Settings:
    host: str | None = None  # None: the public door's address as the world has it
    port: int | None = None
    data_dir: Path = Path(".moatdb")
    region: str | None = None  # None: the world's region, DEFAULT_REGION without a world
    log_level: str = "info"
    workers: int = 1
    world: Path | None = None  # applied to a data directory that holds no world yet
    moved_doors: dict[str, tuple[str, int]] = field(default_factory=dict)  # --door NAME=HOST:PORT
    ttl_interval: float = DEFAULT_TTL_INTERVAL  # seconds between the time-to-live sweeper's passes


class StartError(Exception):
    """Why ``serve`` cannot start, in one line for the operator, and the command's exit status."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def create_app() -> Gateway:
    """The ASGI app of one worker, from the settings in the environment."""
    if int(os.environ.get("MOATDB_WORKERS", "1")) > 1:
        _die_with_parent()
    data_dir = Path(os.environ.get("MOATDB_DATA_DIR", ".moatdb"))
    region = os.environ.get("MOATDB_REGION", DEFAULT_REGION)
    store = SqliteStore(data_dir / DATABASE_FILE)
    directory = Directory(store)
    authorizer = Authorizer(directory, region=region, network=Network(store))
    doors = Doors(authorizer.network, json.loads(os.environ.get("MOATDB_DOORS", "[]")))  # [name, host, port]
    breakglass = BreakGlass(store, directory, authorizer, region=region, data_dir=data_dir)
    audit = Trail.open(data_dir, directory, region=region, organization=authorizer.organization)
    expiry = Sweeper(store, interval=float(os.environ.get("MOATDB_TTL_INTERVAL", DEFAULT_TTL_INTERVAL)))
    return Gateway(DynamoDB(store, authorizer), STS(directory, authorizer, breakglass.guard),
                   Authenticator(directory, region=region), store, iam=IAM(directory, authorizer),
                   organizations=Organizations(authorizer), doors=doors, audit=audit, breakglass=breakglass,
                   expiry=expiry)


def open_directory(data_dir: Path) -> Directory:
    """The principals of a data directory (for commands that run beside or without a server)."""
    return Directory(SqliteStore(data_dir / DATABASE_FILE))


def bootstrap(directory: Directory, data_dir: Path, *, endpoint_url: str, region: str) -> Path:
    """Make sure someone can sign requests, and write their AWS profiles.

    A data directory whose principals have no access key at all (one that holds no world) gets
    account DEFAULT_ACCOUNT and an IAM user ``admin`` with an access key; every start then
    (re)writes ``<data-dir>/aws/config`` and ``credentials`` with a profile per user and role pointed
    at ``endpoint_url`` (a user ``admin`` is also the default profile)."""
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
    folder = data_dir / PROFILES_DIR
    profiles.write(directory, folder, endpoint_url=endpoint_url, region=region, default=BOOTSTRAP_USER)
    return folder


def serve(settings: Settings) -> None:
    """Open the data directory (a new one gets a world), bind every door, write the AWS profiles,
    then serve until SIGINT or SIGTERM. Raises StartError when it cannot start."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    new = _is_new(settings.data_dir)
    # Read before anything is created: a world file that is refused leaves no trace.
    world = _load_world(settings.world or (_default_world() if new else None))
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = SqliteStore(settings.data_dir / DATABASE_FILE)
    try:
        if world is not None:
            _apply(world, store)
        try:
            doors = plan(Network(store).config(), host=settings.host, port=settings.port,
                         moved=settings.moved_doors, default=DEFAULT_ADDRESS)
        except DoorError as error:
            raise StartError(str(error), status=2) from None
        sockets = _bind(doors)
        listening = [(door.name, *sock.getsockname()[:2]) for door, sock in zip(doors, sockets, strict=True)]
        region = settings.region or (world.region if world is not None else DEFAULT_REGION)
        folder = bootstrap(Directory(store), settings.data_dir, endpoint_url=_public_url(doors, listening),
                           region=region)
    finally:
        store.close()
    log.info("AWS profiles for this server: export AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s",
             folder / profiles.CONFIG, folder / profiles.CREDENTIALS)
    os.environ.update({
        "MOATDB_DATA_DIR": str(settings.data_dir), "MOATDB_REGION": region, "MOATDB_DOORS": json.dumps(listening),
        "MOATDB_WORKERS": str(settings.workers), "MOATDB_SUPERVISOR": str(os.getpid()),
        "MOATDB_TTL_INTERVAL": str(settings.ttl_interval),
    })
    run = _runner(settings, sockets)
    # Listening only now: a client that can connect finds the profiles written, and a stop signal
    # finds uvicorn's handlers (connections wait in the backlog while the app loads).
    for door, sock, (_, host, port) in zip(doors, sockets, listening, strict=True):
        sock.listen(BACKLOG)
        log.info("door %s: http://%s:%d (%s)", door.name, f"[{host}]" if ":" in host else host, port,
                 door.endpoint or "public")
    run()


def _is_new(data_dir: Path) -> bool:
    """A data directory with no database, or one holding no account (a first start that failed)."""
    if not (data_dir / DATABASE_FILE).exists():
        return True
    store = SqliteStore(data_dir / DATABASE_FILE)
    try:
        return not Directory(store).accounts()
    finally:
        store.close()


def _default_world() -> Path:
    # The world package is imported only when a world is applied: a data directory that keeps
    # what it has needs nothing of it.
    from moatdb.world import default_path

    return default_path()


def _load_world(path: Path | None) -> World | None:
    if path is None:
        return None
    from moatdb.world import WorldError, load

    try:
        return load(path)
    except WorldError as error:
        raise StartError(str(error), status=2) from None


def _apply(world: World, store: Store) -> None:
    from moatdb.world import WorldError, applied, apply

    earlier = applied(store)
    if earlier is not None:
        # From its first start on, the data directory is the truth: the file is not read again.
        log.warning("%s was not re-applied: the data directory holds the world of %s (sha256 %s...)",
                    world.source, earlier.file, earlier.sha256[:12])
        return
    try:
        lines = apply(world, store)
    except WorldError as error:
        raise StartError(str(error), status=2) from None
    for line in lines:
        log.info("%s", line)


def _bind(doors: Sequence[Door]) -> list[socket.socket]:
    """A socket per door, bound; all of them or none."""
    sockets: list[socket.socket] = []
    try:
        for door in doors:
            sockets.append(bind(door))
    except DoorError as error:
        for sock in sockets:
            sock.close()
        raise StartError(str(error)) from None
    return sockets


def _public_url(doors: Sequence[Door], listening: Sequence[tuple[str, str, int]]) -> str:
    """Where the AWS profiles point: the public door (the first door when the world has none)."""
    index = next((i for i, door in enumerate(doors) if door.endpoint is None), 0)
    _, host, port = listening[index]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _runner(settings: Settings, sockets: list[socket.socket]) -> Callable[[], None]:
    """What serves the doors until SIGINT or SIGTERM, its signal handlers already in place."""
    config = uvicorn.Config(
        "moatdb.server:create_app",
        factory=True,
        workers=settings.workers,
        loop="uvloop",
        # httptools, with each reply sent in one write and a trusted proxy's header read first.
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
    if settings.workers > 1:
        # The supervisor holds the sockets and each worker serves every door from them; the
        # supervisor's handlers are set when it is made.
        return Multiprocess(config, sockets=sockets).run
    server = uvicorn.Server(config)
    # uvicorn handles signals once its loop runs, and afterwards re-raises the one that stopped it
    # under the handler that was there before: with its own handler there before and after, a
    # signal that comes while the app loads stops it too, and the command exits with status 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, server.handle_exit)

    def run() -> None:
        server.run(sockets=sockets)
        if not server.started:
            sys.exit(STARTUP_FAILURE)

    return run


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
