"""The doors, as a client meets them: the public door and a VPC endpoint's door on sockets of their
own, a routed source range, PROXY protocol v2 from trusted and untrusted peers, headers that never
change the origin, every door in every worker, and `moatdb serve --world` / `--door`.

Each request is signed by botocore and sent over a socket of the test's own, so it can leave from a
chosen loopback address (127.0.0.2 is routed to the endpoint) and carry a PROXY header before it."""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import Server, client_for, free_port
from tests.helpers import (
    ACCESS_KEY,
    JSON_10,
    REGION,
    SECRET_KEY,
    TARGET,
    allow,
    new_user,
    policy,
    profile_credentials,
)

VPC = "vpc-0test0000000001"
VPCE = "vpce-0test000000001"
OTHER_VPCE = "vpce-0unknown0000001"  # an endpoint the network does not know
ROUTED = "127.0.0.2"  # a peer routed to the endpoint, whichever door it uses
PROXY = "127.0.0.3"  # the trusted proxy
TESTER = (ACCESS_KEY, SECRET_KEY)


def network(**changes):
    from moatdb.auth.network import Door, Endpoint, NetworkConfig, Route, Vpc

    # The doors' own addresses are fixed ports, as in a world file; the tests move them to free ones
    # with --port and --door, so nothing binds 8000 or 8001.
    config = dict(vpcs=(Vpc(VPC, "000000000000", "10.213.7.0/24"),), endpoints=(Endpoint(VPCE, VPC),),
                  doors=(Door("public", "127.0.0.1", 8000), Door("vpce", "127.0.0.1", 8001, VPCE)),
                  routes=(Route(f"{ROUTED}/32", VPCE),), trusted_proxies=(f"{PROXY}/32",))
    config.update(changes)
    return NetworkConfig(**config)


def set_network(data_dir: Path, config) -> None:
    from moatdb.auth.network import Network
    from moatdb.server import open_directory
    from tests.conftest import seed_test_credentials

    seed_test_credentials(data_dir)
    store = open_directory(data_dir).store
    try:
        Network(store).set(config)
    finally:
        store.close()


@dataclass
class Doors:
    server: Server
    public: int
    endpoint: int


def start_doors(data_dir: Path, workers: int = 1) -> Doors:
    set_network(data_dir, network())
    public, endpoint = free_port(), free_port()
    server = Server(data_dir, public, workers=workers, options=("--door", f"vpce=127.0.0.1:{endpoint}")).start()
    wait_listening(endpoint)
    return Doors(server, public, endpoint)


def wait_listening(port: int, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {host}:{port}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def doors(tmp_path_factory):
    found = start_doors(tmp_path_factory.mktemp("doors"))
    yield found
    found.server.stop()


# --- requests over sockets of the test's own --------------------------------------------------------------


def proxy_v2(source: str, port: int = 40000, *, vpce: str | None = None) -> bytes:
    """A PROXY protocol v2 header, as AWS's Network Load Balancer sends it."""
    address = ipaddress.ip_address(source)
    family = 0x11 if address.version == 4 else 0x21
    destination = ipaddress.ip_address("10.0.0.1" if address.version == 4 else "fd00::1")
    block = address.packed + destination.packed + struct.pack("!HH", port, 443)
    if vpce is not None:
        block += struct.pack("!BH", 0xEA, 1 + len(vpce)) + b"\x01" + vpce.encode()
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, family]) + struct.pack("!H", len(block)) + block


def signed_request(port: int, credentials: tuple[str, str], operation: str = "ListTables", params: dict | None = None,
                   *, host: str = "127.0.0.1", headers: dict | None = None) -> bytes:
    """The bytes of a DynamoDB call signed by botocore; ``headers`` are added unsigned, as a proxy would."""
    request = AWSRequest(method="POST", url=f"http://{host}:{port}/", data=json.dumps(params or {}).encode(),
                         headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET + operation})
    SigV4Auth(Credentials(*credentials), "dynamodb", REGION).add_auth(request)
    lines = ["POST / HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(request.body)}",
             *(f"{name}: {value}" for name, value in request.headers.items()),
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


def exchange(port: int, data: bytes, *, source: str | None = None, host: str = "127.0.0.1") -> tuple[int, str] | None:
    """Send ``data`` on a new connection: (status, error code or "") of the reply, or None when the
    server closed the connection without one."""
    with socket.create_connection((host, port), timeout=10, source_address=(source, 0) if source else None) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except http.client.RemoteDisconnected:
            return None
        body = response.read()
        code = json.loads(body).get("__type", "#").rsplit("#", 1)[-1] if body.startswith(b"{") else ""
        return response.status, code


def call(port: int, credentials: tuple[str, str], *, source: str | None = None, proxy: bytes = b"",
         headers: dict | None = None, host: str = "127.0.0.1") -> tuple[int, str] | None:
    """A signed ListTables: (status, error code or "") of its reply, or None for no reply."""
    return exchange(port, proxy + signed_request(port, credentials, host=host, headers=headers), source=source,
                    host=host)


ALLOWED = (200, "")
DENIED = (400, "AccessDeniedException")


def user_allowed_if(server: Server, operator: str, key: str, value: str) -> tuple[str, str]:
    """A user who may list tables only when the condition holds."""
    document = policy(allow("dynamodb:ListTables", Condition={operator: {key: value}}))
    return new_user(server, document).credentials


# --- doors -------------------------------------------------------------------------------------------


def test_a_vpc_only_user_is_allowed_through_the_endpoint_door_and_denied_through_the_public_door(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpc", VPC)
    assert call(doors.endpoint, vpc_only) == ALLOWED
    assert call(doors.public, vpc_only) == DENIED


def test_boto3_sees_the_same_doors(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpce", VPCE)
    assert "TableNames" in client_for(f"http://127.0.0.1:{doors.endpoint}", credentials=vpc_only).list_tables()
    with pytest.raises(Exception, match="AccessDeniedException"):
        client_for(f"http://127.0.0.1:{doors.public}", credentials=vpc_only).list_tables()


def test_aws_source_ip_is_present_only_through_the_public_door(doors):
    from_loopback = user_allowed_if(doors.server, "IpAddress", "aws:SourceIp", "127.0.0.0/8")
    assert call(doors.public, from_loopback) == ALLOWED
    assert call(doors.endpoint, from_loopback) == DENIED


def test_aws_vpc_source_ip_is_present_only_through_the_endpoint_door(doors):
    from_the_vpc = user_allowed_if(doors.server, "IpAddress", "aws:VpcSourceIp", "127.0.0.1/32")
    assert call(doors.endpoint, from_the_vpc) == ALLOWED
    assert call(doors.public, from_the_vpc) == DENIED


def test_a_peer_in_a_routed_range_comes_through_the_endpoint_at_the_public_door(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpc", VPC)
    assert call(doors.public, vpc_only, source=ROUTED) == ALLOWED
    assert call(doors.public, vpc_only, source="127.0.0.4") == DENIED
    routed_ip = user_allowed_if(doors.server, "IpAddress", "aws:VpcSourceIp", f"{ROUTED}/32")
    assert call(doors.public, routed_ip, source=ROUTED) == ALLOWED


def test_a_network_changed_at_run_time_holds_from_the_next_request(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpc", VPC)
    assert call(doors.public, vpc_only, source="127.0.0.5") == DENIED
    from moatdb.auth.network import Route

    set_network(doors.server.data_dir, network(routes=(Route(f"{ROUTED}/32", VPCE), Route("127.0.0.5/32", VPCE))))
    try:
        assert call(doors.public, vpc_only, source="127.0.0.5") == ALLOWED
    finally:
        set_network(doors.server.data_dir, network())
    assert call(doors.public, vpc_only, source="127.0.0.5") == DENIED


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-For": "127.0.0.2"},
    {"X-Real-IP": "127.0.0.2"},
    {"Forwarded": "for=127.0.0.2;proto=https"},
    {"X-Amzn-Vpce-Id": VPCE, "X-Amz-Source-Vpc": VPC},
    {"Host": "127.0.0.1:8001"},
], ids=["x-forwarded-for", "x-real-ip", "forwarded", "vpce-headers", "host"])
def test_headers_a_client_writes_never_change_the_origin(doors, headers):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpc", VPC)
    request = signed_request(doors.public, vpc_only, headers={k: v for k, v in headers.items() if k != "Host"})
    if "Host" in headers:  # the door is the socket, not the name the client gives it
        request = request.replace(f"Host: 127.0.0.1:{doors.public}".encode(), f"Host: {headers['Host']}".encode())
    reply = exchange(doors.public, request)
    assert reply == DENIED or (reply is not None and reply[1] == "InvalidSignatureException")


# --- PROXY protocol v2 ----------------------------------------------------------------------------------


def test_a_proxy_header_from_a_peer_that_is_not_trusted_is_refused_without_a_reply(doors):
    for door in (doors.public, doors.endpoint):
        assert call(door, TESTER, proxy=proxy_v2(ROUTED, vpce=VPCE)) is None
        assert call(door, TESTER, proxy=proxy_v2(PROXY), source="127.0.0.4") is None


def test_a_malformed_proxy_header_from_a_trusted_proxy_is_refused_without_a_reply(doors):
    broken = bytearray(proxy_v2("10.1.2.3"))
    broken[12] = 0x11  # version 1 in a version 2 header
    assert call(doors.public, TESTER, proxy=bytes(broken), source=PROXY) is None


def test_a_trusted_proxys_header_names_the_peer(doors):
    behind = user_allowed_if(doors.server, "IpAddress", "aws:SourceIp", "198.51.100.7/32")
    assert call(doors.public, behind, proxy=proxy_v2("198.51.100.7"), source=PROXY) == ALLOWED
    assert call(doors.public, behind, source=PROXY) == DENIED  # without a header: the proxy is its own peer
    assert call(doors.public, TESTER, source=PROXY) == ALLOWED


def test_a_trusted_proxys_header_may_come_in_pieces(doors):
    behind = user_allowed_if(doors.server, "IpAddress", "aws:SourceIp", "198.51.100.8/32")
    data = proxy_v2("198.51.100.8") + signed_request(doors.public, behind)
    with socket.create_connection(("127.0.0.1", doors.public), timeout=10, source_address=(PROXY, 0)) as sock:
        for piece in (data[:3], data[3:14], data[14:20], data[20:]):
            sock.sendall(piece)
            time.sleep(0.02)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 200, response.read()


def test_a_chain_of_headers_is_believed_only_as_far_as_each_names_a_trusted_proxy(doors):
    behind = user_allowed_if(doors.server, "IpAddress", "aws:SourceIp", "198.51.100.9/32")
    chain = proxy_v2(PROXY) + proxy_v2("198.51.100.9")  # a proxy behind the proxy, then the client
    assert call(doors.public, behind, proxy=chain, source=PROXY) == ALLOWED
    assert call(doors.public, behind, proxy=proxy_v2("198.51.100.1") + proxy_v2("198.51.100.9"),
                source=PROXY) is None


def test_the_vpc_endpoint_tlv_of_a_trusted_proxy_makes_the_request_come_through_that_endpoint(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpce", VPCE)
    assert call(doors.public, vpc_only, proxy=proxy_v2("10.213.7.9", vpce=VPCE), source=PROXY) == ALLOWED
    # An endpoint the network does not know names nothing: the door's own endpoint holds.
    assert call(doors.public, vpc_only, proxy=proxy_v2("10.213.7.9", vpce=OTHER_VPCE), source=PROXY) == DENIED
    assert call(doors.endpoint, vpc_only, proxy=proxy_v2("10.213.7.9", vpce=OTHER_VPCE), source=PROXY) == ALLOWED
    in_the_vpc = user_allowed_if(doors.server, "IpAddress", "aws:VpcSourceIp", "10.213.7.9/32")
    assert call(doors.public, in_the_vpc, proxy=proxy_v2("10.213.7.9", vpce=VPCE), source=PROXY) == ALLOWED


def test_a_proxied_source_in_a_routed_range_comes_through_the_endpoint(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpc", VPC)
    assert call(doors.public, vpc_only, proxy=proxy_v2(ROUTED), source=PROXY) == ALLOWED


def test_a_keep_alive_connection_through_a_proxy_keeps_its_origin_for_every_request(doors):
    vpc_only = user_allowed_if(doors.server, "StringEquals", "aws:SourceVpce", VPCE)
    with socket.create_connection(("127.0.0.1", doors.public), timeout=10, source_address=(PROXY, 0)) as sock:
        sock.sendall(proxy_v2("10.213.7.9", vpce=VPCE))
        for _ in range(3):
            sock.sendall(signed_request(doors.public, vpc_only))
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 200, response.read()
            response.read()


# --- workers, --door, --world ----------------------------------------------------------------------------


def test_every_worker_serves_every_door(tmp_path):
    found = start_doors(tmp_path / "data", workers=2)
    try:
        vpc_only = user_allowed_if(found.server, "StringEquals", "aws:SourceVpc", VPC)
        # New connections, spread over the workers by the kernel.
        assert {call(found.endpoint, vpc_only) for _ in range(12)} == {ALLOWED}
        assert {call(found.public, vpc_only) for _ in range(12)} == {DENIED}
        assert {call(found.public, vpc_only, source=ROUTED) for _ in range(6)} == {ALLOWED}
        assert {call(found.public, TESTER, proxy=proxy_v2("10.1.2.3")) for _ in range(6)} == {None}
    finally:
        found.server.stop()


def serve(*options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moatdb", "serve", *options], capture_output=True, text=True,
                          timeout=30)


def test_a_door_the_world_does_not_have_is_a_usage_error(tmp_path):
    set_network(tmp_path / "data", network())
    result = serve("--data-dir", str(tmp_path / "data"), "--port", str(free_port()), "--door", "nope=127.0.0.1:0")
    assert result.returncode == 2
    assert "there is no door 'nope' to move (the doors: public, vpce)" in result.stderr


def test_a_door_option_that_is_not_name_host_port_is_a_usage_error(tmp_path):
    result = serve("--data-dir", str(tmp_path / "data"), "--door", "vpce=localhost")
    assert result.returncode == 2
    assert "Invalid value for '--door'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_door_whose_address_is_taken_stops_the_start_with_the_reason(tmp_path):
    set_network(tmp_path / "data", network())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve("--data-dir", str(tmp_path / "data"), "--port", str(free_port()),
                       "--door", f"vpce=127.0.0.1:{port}")
    assert result.returncode == 1
    assert f"door vpce: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr


WORLD = """\
version: 1
region: eu-west-1
accounts:
  "444444444444":
    name: test
    users:
      - name: admin
        managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
      - name: inside
        policies:
          vpc-only:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: dynamodb:ListTables
                Resource: "*"
                Condition: {StringEquals: {aws:SourceVpc: vpc-0world00000000001}}
    vpcs:
      - id: vpc-0world00000000001
        cidr: 10.213.8.0/24
        endpoints:
          - id: vpce-0world0000000001
doors:
  - name: public
    listen: 127.0.0.1:8000
  - name: inside
    listen: 127.0.0.1:8001
    endpoint: vpce-0world0000000001
"""


@pytest.fixture
def world_file(tmp_path) -> Path:
    pytest.importorskip("moatdb.world")
    path = tmp_path / "world.yaml"
    path.write_text(WORLD)
    return path


class Started:
    """`moatdb serve` as its own process, waited for at each of ``ports``; stopped (killed if it must
    be) by the ``started`` fixture, whatever the test did."""

    def __init__(self, data_dir: Path, *options: str, ports: tuple[int, ...]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moatdb", "serve", "--data-dir", str(data_dir), *options],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for port in ports:
                wait_listening(port)
        except AssertionError:
            raise AssertionError(self.stop()) from None

    def stop(self) -> str:
        """Everything it logged."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        logged = self.process.stderr.read()
        self.process.stderr.close()
        return logged


@pytest.fixture
def started():
    running: list[Started] = []

    def start(data_dir: Path, *options: str, ports: tuple[int, ...]) -> Started:
        running.append(Started(data_dir, *options, ports=ports))
        return running[-1]

    yield start
    for process in running:
        if not process.process.stderr.closed:
            process.stop()


def test_serve_world_applies_the_world_to_a_new_data_directory_and_serves_its_doors(tmp_path, world_file, started):
    data_dir, public, inside = tmp_path / "data", free_port(), free_port()
    options = ("--world", str(world_file), "--port", str(public), "--door", f"inside=127.0.0.1:{inside}")
    first = started(data_dir, *options, ports=(public, inside))
    sts = client_for(f"http://127.0.0.1:{public}", "sts", credentials=profile_credentials(data_dir),
                     region="eu-west-1")
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::444444444444:user/admin"
    config = (data_dir / "aws" / "config").read_text()
    assert f"endpoint_url = http://127.0.0.1:{public}\n" in config
    assert "region = eu-west-1\n" in config  # the world's
    credentials = profile_credentials(data_dir, "inside")
    assert "TableNames" in client_for(f"http://127.0.0.1:{inside}", credentials=credentials,
                                      region="eu-west-1").list_tables()
    with pytest.raises(Exception, match="AccessDeniedException"):
        client_for(f"http://127.0.0.1:{public}", credentials=credentials, region="eu-west-1").list_tables()
    first.stop()

    logged = started(data_dir, *options, ports=(public, inside)).stop()
    assert f"{world_file} was not re-applied: the data directory holds the world of {world_file}" in logged


TABLES = """\
    tables:
      - name: Orders
        attributes: {customer: S, created: N, status: S}
        key: [customer, created]
        global_indexes:
          - name: by-status
            key: [status, created]
            projection: KEYS_ONLY
        ttl: expires_at
        stream: NEW_AND_OLD_IMAGES
        deletion_protection: true
        tags: {env: prod}
"""


def test_a_world_table_is_created_as_create_table_would_make_it(tmp_path, world_file, started):
    # docs/world.md, "tables": the table a world declares exists in the new data directory, made by
    # DynamoDB's own CreateTable and UpdateTimeToLive, as moatdb deploy makes it on AWS.
    world_file.write_text(WORLD.replace("    vpcs:\n", TABLES + "    vpcs:\n"))
    data_dir, public, inside = tmp_path / "data", free_port(), free_port()
    started(data_dir, "--world", str(world_file), "--port", str(public), "--door", f"inside=127.0.0.1:{inside}",
            ports=(public, inside))
    ddb = client_for(f"http://127.0.0.1:{public}", credentials=profile_credentials(data_dir), region="eu-west-1")

    table = ddb.describe_table(TableName="Orders")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["customer", "created"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-status"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionProtectionEnabled"] is True
    assert ddb.describe_time_to_live(TableName="Orders")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_serve_refuses_a_bad_world_file_with_its_line_and_reason(tmp_path, world_file):
    world_file.write_text(WORLD.replace("listen: 127.0.0.1:8001", "listen: somewhere"))
    result = serve("--data-dir", str(tmp_path / "data"), "--world", str(world_file))
    assert result.returncode == 2
    line = WORLD.splitlines().index("    listen: 127.0.0.1:8001") + 1
    assert result.stderr.startswith(f"{world_file}:{line}: "), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "data").exists()


def test_a_new_data_directory_gets_the_default_world(tmp_path, started):
    pytest.importorskip("moatdb.world")
    data_dir, public, prod = tmp_path / "data", free_port(), free_port()
    started(data_dir, "--port", str(public), "--door", f"prod-vpce=127.0.0.1:{prod}", ports=(public, prod))
    sts = client_for(f"http://127.0.0.1:{public}", "sts", credentials=profile_credentials(data_dir))
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::111111111111:user/admin"


def test_the_doors_are_listed_in_the_log(tmp_path, started):
    set_network(tmp_path / "data", network())
    public, endpoint = free_port(), free_port()
    logged = started(tmp_path / "data", "--port", str(public), "--door", f"vpce=127.0.0.1:{endpoint}",
                     ports=(public, endpoint)).stop()
    assert f"door public: http://127.0.0.1:{public} (public)" in logged
    assert f"door vpce: http://127.0.0.1:{endpoint} ({VPCE})" in logged
