"""A real network as the VPC: a Linux network namespace joined to the host by a veth pair. The VPC's
subnet lives inside the namespace and is routed to the VPC endpoint; moatdb listens on the host
side of the veth. A request from inside the namespace comes through the endpoint; the same request
from the host does not.

Needs root and `ip netns` (iproute2); skipped, with the reason, where either is missing or the
kernel refuses. Only addresses of this machine and of the namespace the test makes are used, and
the namespace (with its half of the veth pair) is deleted whatever happens."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Server, free_port
from tests.server.test_doors import ALLOWED, DENIED, call, set_network, user_allowed_if

ROOT = Path(__file__).resolve().parents[2]
VPC = "vpc-0netns000000001"
VPCE = "vpce-0netns00000001"


@dataclass
class Namespace:
    name: str
    subnet: str  # the VPC's, inside the namespace
    inside: str  # the namespace's address in it
    host: str  # the host side of the veth, where moatdb listens

    def run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *command], capture_output=True, text=True,
                              timeout=60, **kwargs)


def ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (iproute2) on this machine")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    tag = uuid.uuid4().hex[:6]
    # A subnet of its own for each run, so two test runs on one machine never share a route.
    octet = random.randrange(1, 255)
    found = Namespace(f"moatdb-{tag}", f"10.213.{octet}.0/24", f"10.213.{octet}.10", f"10.214.{octet}.1")
    added = ip("netns", "add", found.name)
    if added.returncode != 0:
        pytest.skip(f"`ip netns add` is not permitted here: {added.stderr.strip()}")
    outside, inside = f"mdb{tag}h", f"mdb{tag}n"
    try:
        for step in (
            ("link", "add", outside, "type", "veth", "peer", "name", inside),
            ("link", "set", inside, "netns", found.name),
            ("addr", "add", f"{found.host}/32", "dev", outside),
            ("link", "set", outside, "up"),
            ("route", "add", found.subnet, "dev", outside),
            ("-n", found.name, "addr", "add", f"{found.inside}/24", "dev", inside),
            ("-n", found.name, "link", "set", inside, "up"),
            ("-n", found.name, "link", "set", "lo", "up"),
            ("-n", found.name, "route", "add", f"{found.host}/32", "dev", inside),
        ):
            done = ip(*step)
            if done.returncode != 0:
                pytest.skip(f"`ip {' '.join(step)}` is not permitted here: {done.stderr.strip()}")
        yield found
    finally:
        ip("netns", "del", found.name)  # takes its end of the veth pair, and so the pair, with it
        ip("link", "del", outside)  # in case the pair was made but never moved


@pytest.fixture
def server_on_the_veth(namespace, tmp_path) -> Iterator[Server]:
    from moatdb.auth.network import Door, Endpoint, NetworkConfig, Route, Vpc

    port = free_port()
    set_network(tmp_path / "data", NetworkConfig(
        vpcs=(Vpc(VPC, "000000000000", namespace.subnet),), endpoints=(Endpoint(VPCE, VPC),),
        doors=(Door("public", namespace.host, port),), routes=(Route(namespace.subnet, VPCE),)))
    server = Server(tmp_path / "data", port, host=namespace.host).start()
    yield server
    server.stop()


def call_from_inside(namespace: Namespace, server: Server, credentials: tuple[str, str]) -> tuple[int, str] | None:
    """The same signed call as ``call``, sent by a Python process inside the namespace."""
    script = ("import json, sys; from tests.server.test_doors import call; "
              "print(json.dumps(call(int(sys.argv[1]), tuple(sys.argv[2:4]), host=sys.argv[4])))")
    done = namespace.run(sys.executable, "-c", script, str(server.port), *credentials, server.host, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    return None if reply is None else tuple(reply)


def test_a_request_from_inside_the_namespace_comes_through_the_routed_endpoint(namespace, server_on_the_veth):
    vpc_only = user_allowed_if(server_on_the_veth, "StringEquals", "aws:SourceVpc", VPC)
    assert call_from_inside(namespace, server_on_the_veth, vpc_only) == ALLOWED
    assert call(server_on_the_veth.port, vpc_only, host=namespace.host) == DENIED


def test_the_namespaces_own_address_is_the_requests_vpc_source_ip(namespace, server_on_the_veth):
    from_inside = user_allowed_if(server_on_the_veth, "IpAddress", "aws:VpcSourceIp", f"{namespace.inside}/32")
    assert call_from_inside(namespace, server_on_the_veth, from_inside) == ALLOWED
    from_the_host = user_allowed_if(server_on_the_veth, "IpAddress", "aws:SourceIp", f"{namespace.host}/32")
    assert call(server_on_the_veth.port, from_the_host, host=namespace.host) == ALLOWED
    assert call_from_inside(namespace, server_on_the_veth, from_the_host) == DENIED
