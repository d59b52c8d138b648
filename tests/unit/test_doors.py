"""The doors without a server: which doors to listen on, which door a connection's local address
is, the origin of a request from its ASGI scope, and whom a PROXY header is believed from."""

from __future__ import annotations

import pytest

from moatdb.auth.network import Door, Endpoint, Network, NetworkConfig, Route, Vpc
from moatdb.gateway.doors import PROXIED_ENDPOINT, DoorError, Doors, parse_address, plan
from moatdb.storage.sqlite import SqliteStore

VPC, VPCE, OTHER = "vpc-0a", "vpce-0a", "vpce-0b"
PUBLIC = Door("public", "127.0.0.1", 8000)
ENDPOINT = Door("inside", "127.0.0.1", 8001, VPCE)
CONFIG = NetworkConfig(vpcs=(Vpc(VPC, "111111111111", "10.0.0.0/16"),), endpoints=(Endpoint(VPCE, VPC),),
                       doors=(PUBLIC, ENDPOINT), routes=(Route("10.0.0.0/16", VPCE),),
                       trusted_proxies=("192.0.2.0/28", "2001:db8::/32"))


# --- plan --------------------------------------------------------------------------------------------


def test_a_network_without_doors_has_one_public_door_at_the_default_or_given_address():
    assert plan(NetworkConfig(), default=("127.0.0.1", 8000)) == (Door("public", "127.0.0.1", 8000),)
    assert plan(NetworkConfig(), host="0.0.0.0", port=9000) == (Door("public", "0.0.0.0", 9000),)


def test_host_and_port_move_the_public_door_and_door_options_any_door():
    assert plan(CONFIG) == (PUBLIC, ENDPOINT)
    assert plan(CONFIG, port=0) == (Door("public", "127.0.0.1", 0), ENDPOINT)
    assert plan(CONFIG, host="::1", moved={"inside": ("10.1.1.1", 9001)}) == (
        Door("public", "::1", 8000), Door("inside", "10.1.1.1", 9001, VPCE))


def test_moving_a_door_the_network_does_not_have_is_refused():
    with pytest.raises(DoorError, match=r"there is no door 'outside' to move \(the doors: public, inside\)"):
        plan(CONFIG, moved={"outside": ("127.0.0.1", 1)})


def test_host_and_port_are_refused_when_the_network_has_no_public_door():
    only_endpoint = NetworkConfig(doors=(ENDPOINT,))
    assert plan(only_endpoint) == (ENDPOINT,)
    with pytest.raises(DoorError, match="no public door"):
        plan(only_endpoint, port=9000)


@pytest.mark.parametrize("text, address", [
    ("127.0.0.1:8001", ("127.0.0.1", 8001)), ("[::1]:0", ("::1", 0)), ("localhost:65535", ("localhost", 65535)),
])
def test_an_address_is_host_and_port(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["127.0.0.1", ":8000", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536"])
def test_an_address_without_host_and_port_is_refused(text):
    with pytest.raises(DoorError, match="is not HOST:PORT"):
        parse_address(text)


# --- origins --------------------------------------------------------------------------------------------


@pytest.fixture
def network(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    network = Network(store)
    network.set(CONFIG)
    yield network
    store.close()


def scope(local, peer, *, proxied=None, scheme="http") -> dict:
    found = {"server": local, "client": (peer, 50000), "scheme": scheme}
    if proxied is not None:
        found[PROXIED_ENDPOINT] = proxied
    return found


def keys(origin) -> dict:
    return {name: values[0] for name, values in origin.context.items()}


def test_the_local_address_names_the_door_and_the_door_its_endpoint(network):
    doors = Doors(network, [("public", "127.0.0.1", 41000), ("inside", "127.0.0.1", 41001)])
    assert keys(doors.origin(scope(("127.0.0.1", 41000), "127.0.0.9"))) == {
        "aws:securetransport": "false", "aws:sourceip": "127.0.0.9"}
    assert keys(doors.origin(scope(("127.0.0.1", 41001), "127.0.0.9"))) == {
        "aws:securetransport": "false", "aws:sourcevpce": VPCE, "aws:vpcsourceip": "127.0.0.9", "aws:sourcevpc": VPC}


def test_a_door_bound_to_every_address_is_known_by_its_port_and_ipv4_peers_are_plain(network):
    doors = Doors(network, [("public", "0.0.0.0", 41000), ("inside", "::", 41001)])
    assert doors.door(("192.0.2.77", 41000)) == "public"
    assert doors.door(("::ffff:192.0.2.77", 41001)) == "inside"
    origin = doors.origin(scope(("::ffff:127.0.0.1", 41001), "::ffff:127.0.0.9"))
    assert origin.source_ip == "127.0.0.9" and origin.vpc_endpoint == VPCE


def test_a_local_address_that_is_no_doors_is_the_public_door(network):
    doors = Doors(network, [("inside", "127.0.0.1", 41001)])
    assert doors.door(("127.0.0.1", 9)) is None
    assert doors.origin(scope(("127.0.0.1", 9), "127.0.0.9")).vpc_endpoint is None


def test_a_routed_peer_comes_through_the_endpoint_at_any_door(network):
    doors = Doors(network, [("public", "127.0.0.1", 41000)])
    assert doors.origin(scope(("127.0.0.1", 41000), "10.0.3.4")).vpc == VPC


def test_a_proxied_endpoint_counts_only_when_the_network_knows_it(network):
    doors = Doors(network, [("public", "127.0.0.1", 41000), ("inside", "127.0.0.1", 41001)])
    assert doors.origin(scope(("127.0.0.1", 41000), "198.51.100.1", proxied=VPCE)).vpc_endpoint == VPCE
    assert doors.origin(scope(("127.0.0.1", 41000), "198.51.100.1", proxied=OTHER)).vpc_endpoint is None
    assert doors.origin(scope(("127.0.0.1", 41001), "198.51.100.1", proxied=OTHER)).vpc_endpoint == VPCE


def test_a_door_the_network_stops_naming_becomes_the_public_door(network):
    doors = Doors(network, [("inside", "127.0.0.1", 41001)])
    assert doors.origin(scope(("127.0.0.1", 41001), "127.0.0.9")).vpc_endpoint == VPCE
    network.set(NetworkConfig(vpcs=CONFIG.vpcs, endpoints=CONFIG.endpoints, doors=(PUBLIC,)))
    assert doors.origin(scope(("127.0.0.1", 41001), "127.0.0.9")).vpc_endpoint is None


def test_tls_is_secure_transport(network):
    doors = Doors(network, [])
    assert doors.origin(scope(("127.0.0.1", 1), "127.0.0.9", scheme="https")).secure


@pytest.mark.parametrize("peer, trusted", [
    ("192.0.2.1", True), ("192.0.2.15", True), ("192.0.2.16", False), ("::ffff:192.0.2.3", True),
    ("2001:db8::9", True), ("127.0.0.1", False), ("not an address", False),
])
def test_a_proxy_is_trusted_inside_the_trusted_ranges_only(network, peer, trusted):
    assert Doors(network, []).trusts(peer) is trusted


def test_trust_follows_the_network_at_run_time(network):
    doors = Doors(network, [])
    assert not doors.trusts("203.0.113.5")
    network.set(NetworkConfig(trusted_proxies=("203.0.113.0/24",)))
    assert doors.trusts("203.0.113.5")
