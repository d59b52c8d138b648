"""Shared fixtures: a real moatdb server process on a free port, and real AWS clients for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

# tests.helpers asserts for the tests that call it: let pytest explain its failures as in a test module.
pytest.register_assert_rewrite("tests.helpers")

from tests.helpers import ACCESS_KEY, REGION, SECRET_KEY, create_table  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A moatdb server running as its own process, as a user would start it."""

    data_dir: Path
    port: int
    workers: int = 1
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"  # of the public door (the only door, unless the data directory's network has more)
    options: tuple[str, ...] = ()  # more `moatdb serve` options, e.g. ("--door", "NAME=HOST:PORT")

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Server:
        seed_test_credentials(self.data_dir)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moatdb", "serve", "--host", self.host, "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--region", REGION, "--log-level", "warning",
             "--workers", str(self.workers), *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moatdb exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("moatdb did not start listening within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush, nothing but what is already durable survives."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()


def seed_test_credentials(data_dir: Path) -> None:
    """Give a data directory the IAM user ``tester`` signing with the tests' known key (ACCESS_KEY /
    SECRET_KEY), as an operator imports a known key, with AWS's AdministratorAccess policy: the
    server then verifies every signature and authorizes every request, and the tester may do all."""
    from moatdb.auth.directory import USER
    from moatdb.server import ADMINISTRATOR_ACCESS, DEFAULT_ACCOUNT, open_directory

    directory = open_directory(data_dir)
    try:
        if DEFAULT_ACCOUNT not in {account.id for account in directory.accounts()}:
            directory.create_account(DEFAULT_ACCOUNT, "default")
        if directory.user(DEFAULT_ACCOUNT, "tester") is None:
            directory.create_user(DEFAULT_ACCOUNT, "tester")
            directory.attach_policy(USER, DEFAULT_ACCOUNT, "tester", ADMINISTRATOR_ACCESS)
        if not directory.access_keys(DEFAULT_ACCOUNT, "tester"):
            directory.create_access_key(DEFAULT_ACCOUNT, "tester", key_id=ACCESS_KEY, secret=SECRET_KEY)
    finally:
        directory.store.close()


def client_for(endpoint: str, service: str = "dynamodb", *, credentials: tuple[str, str] = (ACCESS_KEY, SECRET_KEY),
               region: str = REGION, **config):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region, aws_access_key_id=credentials[0],
        aws_secret_access_key=credentials[1],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("moatdb"), free_port()).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def ddb(server):
    """A boto3 DynamoDB client for the shared server."""
    return client_for(server.endpoint)


@pytest.fixture
def table_name() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def table(ddb, table_name) -> Iterator[str]:
    """A fresh table with a string partition key ``pk`` and string sort key ``sk``."""
    yield create_table(ddb, "S", name=table_name)
    ddb.delete_table(TableName=table_name)


@pytest.fixture
def hash_table(ddb, table_name) -> Iterator[str]:
    """A fresh table with only a string partition key ``pk``."""
    yield create_table(ddb, None, name=table_name)
    ddb.delete_table(TableName=table_name)


@pytest.fixture
def make_table(ddb) -> Iterator[Callable[..., str]]:
    """Creates tables keyed by ``pk`` (of ``partition`` type) and, unless None, ``sk`` (of ``sort`` type),
    and deletes them at the end of the test."""
    created: list[str] = []

    def make(sort: str | None = "S", partition: str = "S") -> str:
        created.append(create_table(ddb, sort, partition))
        return created[-1]

    yield make
    for name in created:
        ddb.delete_table(TableName=name)


@pytest.fixture(scope="session")
def raw_ddb(server):
    """A client that sends what it is given (no client-side parameter validation), so the server, not
    botocore, judges malformed requests."""
    return client_for(server.endpoint, parameter_validation=False)


def aws_cli_env(endpoint: str) -> dict:
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION=REGION,
               AWS_ENDPOINT_URL=endpoint, AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return env
