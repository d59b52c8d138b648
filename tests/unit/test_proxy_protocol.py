"""The PROXY protocol v2 parser: headers as HAProxy's spec lays them out and as AWS's Network Load
Balancer sends them, their prefixes, and the malformed ones."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from moatdb.gateway.proxy_protocol import SIGNATURE, Header, MalformedHeader, could_start, parse

VPCE = "vpce-0123456789abcdef0"


def tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!BH", kind, len(value)) + value


def aws_vpce(endpoint: str = VPCE) -> bytes:
    return tlv(0xEA, b"\x01" + endpoint.encode())


def header(source: str = "10.0.0.7", port: int = 51234, *, command: int = 0x1, transport: int = 0x1,
           tlvs: bytes = b"", version: int = 2, family: int | None = None, block: bytes | None = None) -> bytes:
    """A v2 header from ``source``:``port`` to the server (its family from the address unless given)."""
    address = ipaddress.ip_address(source)
    if block is None:
        destination = ipaddress.ip_address("10.0.0.1" if address.version == 4 else "fd00::1")
        block = address.packed + destination.packed + struct.pack("!HH", port, 443)
    if family is None:
        family = 0x1 if address.version == 4 else 0x2
    block += tlvs
    return SIGNATURE + bytes([version << 4 | command, family << 4 | transport]) + struct.pack("!H", len(block)) + block


def test_an_ipv4_header_names_the_proxied_client_and_its_own_length():
    data = header("203.0.113.9", 40000) + b"GET / HTTP/1.1\r\n"
    assert parse(data) == Header(28, ("203.0.113.9", 40000), None)


def test_an_ipv6_header_names_the_proxied_client():
    assert parse(header("2001:db8::5", 443)) == Header(52, ("2001:db8::5", 443), None)


def test_a_known_network_load_balancer_header_byte_for_byte():
    # 10.1.2.3:55000 -> 10.9.9.9:8000 through vpce-0123456789abcdef0, with the NOOP padding TLV an NLB adds.
    data = bytes.fromhex(
        "0d0a0d0a000d0a515549540a" "21" "11" "0029"
        "0a010203" "0a090909" "d6d8" "1f40"
        "ea0017" "01" + VPCE.encode().hex() + "040000"
    )
    assert parse(data) == Header(len(data), ("10.1.2.3", 55000), VPCE)


def test_awss_vpc_endpoint_tlv_is_read_among_other_tlvs():
    tlvs = tlv(0x01, b"h2") + tlv(0x03, b"\0\0\0\0") + aws_vpce() + tlv(0x05, b"unique")
    assert parse(header(tlvs=tlvs)).vpc_endpoint == VPCE


def test_an_aws_tlv_of_another_subtype_names_no_endpoint():
    assert parse(header(tlvs=tlv(0xEA, b"\x02whatever"))).vpc_endpoint is None


def test_a_local_command_keeps_the_connections_own_peer_and_ignores_the_block():
    assert parse(header(command=0x0, tlvs=aws_vpce())) == Header(16 + 12 + 26, None, None)
    # Whatever the block holds: the receiver discards it.
    assert parse(header(command=0x0, block=b"\xff\xff", family=0x1)).source is None


@pytest.mark.parametrize("family", [0x0, 0x3], ids=["unspec", "unix"])
def test_an_unspecified_or_unix_family_keeps_the_connections_own_peer(family):
    block = bytes(216) if family == 0x3 else b""
    assert parse(header(family=family, transport=0x0 if family == 0 else 0x1, block=block)).source is None


def test_every_prefix_of_a_header_asks_for_more_bytes():
    data = header(tlvs=aws_vpce())
    for end in range(len(data)):
        assert parse(data[:end]) is None, end
        assert could_start(data[:end])
    assert parse(data) is not None


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\n", b"POST", b"\r\n\r\nGET", b"PROXY TCP4 1.2.3.4"])
def test_http_and_version_1_headers_are_not_a_version_2_header(data):
    assert not could_start(data)
    with pytest.raises(MalformedHeader, match="signature"):
        parse(data)


@pytest.mark.parametrize("data, reason", [
    (header(version=1), "version 1"),
    (header(command=0x2), "command"),
    (header(family=0x4), "family"),
    (header(transport=0x3), "transport"),
    (header(transport=0x2), "datagram"),
    (header(block=b"\x0a\x00\x00\x01", family=0x1), "addresses"),
    (header(block=bytes(20), family=0x2), "addresses"),
    (header(tlvs=b"\xea\x00"), "truncated TLV"),
    (header(tlvs=b"\xea\x00\x30\x01vpce-1"), "longer than the header"),
    (header(tlvs=tlv(0xEA, b"")), "empty AWS TLV"),
    (header(tlvs=aws_vpce("vpce-1\r\nX-Evil: 1")), "not one"),
    (header(tlvs=aws_vpce("")), "not one"),
])
def test_a_malformed_header_is_refused_with_its_reason(data, reason):
    with pytest.raises(MalformedHeader, match=reason):
        parse(data)
