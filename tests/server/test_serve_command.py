"""The ``moatdb`` command as a user runs it: options, version, files it creates, signals, region."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import client_for, free_port
from tests.helpers import REGION, create_table, profile_credentials

MOATDB = str(Path(sys.executable).parent / "moatdb")  # the console script pip installed


def moatdb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOATDB, *args], capture_output=True, text=True, timeout=30)


class Serving:
    """``moatdb serve`` started as its own process, with whatever options a test gives it."""

    def __init__(self, data_dir: Path, *options: str, umask: int | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            # A new data directory gets the default world, whose VPC endpoint door is moved to a free port.
            [MOATDB, "serve", "--port", str(self.port), "--data-dir", str(data_dir), "--log-level", "warning",
             "--door", "prod-vpce=127.0.0.1:0", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moatdb exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moatdb did not start listening within 20 s"
                time.sleep(0.05)

    def client(self, region: str = REGION):
        """A client signing as the user `moatdb serve` created, with the key it wrote for it."""
        return client_for(self.endpoint, credentials=profile_credentials(self.data_dir), region=region)

    def children(self) -> list[int]:
        pid = self.process.pid
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
        return found

    def close(self) -> None:
        """Make sure nothing is left running, whatever the test did."""
        if self.process.poll() is None:
            children = self.children()
            self.process.terminate()  # lets the supervisor stop its workers
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                for pid in [self.process.pid, *children]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def serve(tmp_path):
    started: list[Serving] = []

    def start(*options: str, data_dir: Path | None = None, umask: int | None = None) -> Serving:
        srv = Serving(data_dir or tmp_path / "data", *options, umask=umask)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("option", ["--host", "--port", "--data-dir", "--region", "--log-level", "--workers"])
def test_serve_help_lists_each_option(option):
    result = moatdb("serve", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: moatdb serve [OPTIONS]")
    assert f"  {option} " in result.stdout


def test_serve_help_shows_the_defaults_and_the_log_levels():
    text = " ".join(moatdb("serve", "--help").stdout.split())  # undo click's line wrapping
    for default in ("[default: 127.0.0.1]", "[default: 8000;", "[default: .moatdb]", "[default: us-east-1]",
                    "[default: info]", "[default: 1;"):
        assert default in text
    assert "[critical|error|warning|info|debug]" in text


def test_version_prints_the_installed_version():
    result = moatdb("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"moatdb, version {version('moatdb')}\n"


@pytest.mark.parametrize("option, value", [("--workers", "0"), ("--port", "70000"), ("--log-level", "loud")])
def test_serve_refuses_an_invalid_option_value_with_a_usage_error(tmp_path, option, value):
    result = moatdb("serve", "--data-dir", str(tmp_path / "data"), option, value)
    assert result.returncode == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_serve_creates_a_private_data_dir_and_database_files(tmp_path, serve, umask):
    data_dir = tmp_path / "nested" / "data"
    srv = serve(data_dir=data_dir, umask=umask)
    ddb = srv.client()
    create_table(ddb, None, name="things")
    ddb.put_item(TableName="things", Item={"pk": {"S": "a"}})  # the WAL and shared-memory files now exist
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = sorted(p.name for p in data_dir.iterdir())
    assert "moatdb.sqlite3" in files
    # The database, the AWS profiles, the audit trail and its signing key hold secrets or who did what:
    # private, as the directories holding them.
    profiles = data_dir / "aws"
    assert sorted(p.name for p in profiles.iterdir()) == ["config", "credentials"]
    for path in [*data_dir.iterdir(), *profiles.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path.name


@pytest.mark.parametrize("signum, workers", [
    pytest.param(signal.SIGTERM, 1, id="SIGTERM-1-worker"),
    pytest.param(signal.SIGTERM, 2, id="SIGTERM-2-workers"),
    pytest.param(signal.SIGINT, 1, id="SIGINT-1-worker"),
    pytest.param(signal.SIGINT, 2, id="SIGINT-2-workers"),
])
def test_a_stop_signal_shuts_the_server_down_cleanly_and_the_data_is_there_after_restart(
    tmp_path, serve, signum, workers
):
    srv = serve("--workers", str(workers))
    ddb = srv.client()
    create_table(ddb, None, name="things")
    ddb.put_item(TableName="things", Item={"pk": {"S": "kept"}, "n": {"N": "42"}})
    children = srv.children()

    srv.process.send_signal(signum)
    assert srv.process.wait(8) == 0, srv.process.stderr.read().decode()
    # Its worker processes (and multiprocessing's helper) went with it, and the port is free again.
    deadline = time.monotonic() + 3
    while (left := [pid for pid in children if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=0.5).close()

    again = serve("--workers", str(workers)).client()
    assert again.list_tables()["TableNames"] == ["things"]
    item = again.get_item(TableName="things", Key={"pk": {"S": "kept"}}, ConsistentRead=True)["Item"]
    assert item == {"pk": {"S": "kept"}, "n": {"N": "42"}}


@pytest.fixture
def eu_server(serve) -> Serving:
    return serve("--region", "eu-west-1")


def test_region_option_makes_arns_name_that_region(eu_server):
    ddb = eu_server.client("eu-west-1")
    created = ddb.create_table(
        TableName="things", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    # The default profile is the default world's management account administrator.
    assert created["TableArn"] == "arn:aws:dynamodb:eu-west-1:111111111111:table/things"
    described = ddb.describe_table(TableName="things")["Table"]
    assert described["TableArn"] == created["TableArn"]


def test_a_client_signing_for_another_region_than_the_servers_is_refused(eu_server):
    ddb = eu_server.client("us-east-1")
    with pytest.raises(ClientError) as caught:
        ddb.list_tables()
    error = caught.value.response
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "valid region" in error["Error"]["Message"]


def test_a_client_signing_for_another_region_gets_dynamodbs_exact_message(eu_server):
    # Live capture against dynamodb.<region>.amazonaws.com, 2026-09-16 (a SigV4 conformance suite's
    # TestRequestChecks.test_scope_for_another_region_is_rejected): 400, InvalidSignatureException,
    # "Credential should be scoped to a valid region. ".
    ddb = eu_server.client("us-east-1")
    with pytest.raises(ClientError) as caught:
        ddb.list_tables()
    assert caught.value.response["Error"]["Message"] == "Credential should be scoped to a valid region. "


def test_workers_die_with_their_supervisor_even_when_it_is_killed(serve):
    # kill -9 of `moatdb serve --workers 2` must not leave orphan workers holding the port and the
    # database (each worker asks Linux for PR_SET_PDEATHSIG).
    srv = serve("--workers", "2")
    srv.client().list_tables()
    workers = [pid for pid in srv.children() if b"moatdb" in Path(f"/proc/{pid}/cmdline").read_bytes()
               or b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert workers
    srv.process.kill()
    srv.process.wait()
    # Each worker gets SIGTERM and shuts down gracefully (up to uvicorn's 5 s for requests in flight).
    deadline = time.monotonic() + 15
    while (left := [pid for pid in workers if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left
