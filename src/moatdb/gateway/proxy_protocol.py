"""The PROXY protocol, version 2: the binary header a proxy puts before the first bytes of a
connection to say whom it is relaying (HAProxy's "The PROXY protocol", section 2.2), as AWS's
Network Load Balancer sends it, with its TLV naming the VPC endpoint the client came through
(Elastic Load Balancing, "Proxy protocol": type PP2_TYPE_AWS 0xEA, subtype
PP2_SUBTYPE_AWS_VPCE_ID 0x01, the endpoint id in ASCII).

Pure: bytes in; a ``Header``, ``None`` while more bytes are needed, or ``MalformedHeader``. Whether
a header is believed is not decided here (``gateway/doors.py`` knows the trusted proxies).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
FIXED = 16  # signature, version and command, family and transport, length of what follows
PP2_TYPE_AWS = 0xEA
PP2_SUBTYPE_AWS_VPCE_ID = 0x01

_LOCAL, _PROXY = 0x0, 0x1
_UNSPEC, _INET, _INET6, _UNIX = 0x0, 0x1, 0x2, 0x3
_STREAM = 0x1
# The size of the address block of each family: source and destination addresses, then ports.
_ADDRESSES = {_UNSPEC: 0, _INET: 12, _INET6: 36, _UNIX: 216}
# vpce-0123456789abcdef0; what the network knows is for the doors to check, this only keeps the
# bytes printable.
_ENDPOINT_ID = re.compile(rb"[A-Za-z0-9-]{1,128}")


class MalformedHeader(ValueError):
    """Bytes that begin like a PROXY v2 header but are not a valid one."""


@dataclass(frozen=True, slots=True)
class Header:
    length: int  # bytes the header takes at the start of the connection
    source: tuple[str, int] | None  # the proxied client; None: the connection's own peer (LOCAL, UNSPEC)
    vpc_endpoint: str | None  # AWS's VPC endpoint TLV


def could_start(data: bytes) -> bool:
    """Whether ``data`` is, or may become once more bytes arrive, a PROXY v2 header. No HTTP
    request begins with the signature: its NUL byte is no token character."""
    return data[:len(SIGNATURE)] == SIGNATURE[:len(data)]


def parse(data: bytes) -> Header | None:
    """The header at the start of ``data``; None while ``data`` holds only the start of one."""
    if not could_start(data):
        raise MalformedHeader("no PROXY protocol v2 signature")
    if len(data) < FIXED:
        return None
    version, command = data[12] >> 4, data[12] & 0xF
    if version != 2:
        raise MalformedHeader(f"version {version}, not 2")
    if command not in (_LOCAL, _PROXY):
        raise MalformedHeader(f"unknown command {command:#x}")
    family, transport = data[13] >> 4, data[13] & 0xF
    if family not in _ADDRESSES or transport > 0x2:
        raise MalformedHeader(f"unknown address family or transport {data[13]:#04x}")
    length = FIXED + int.from_bytes(data[14:16], "big")
    if len(data) < length:
        return None
    if command == _LOCAL:
        # The proxy's own connection (a health check): the spec has the receiver use the real
        # connection endpoints and discard the rest of the block.
        return Header(length, None, None)
    if family in (_INET, _INET6) and transport != _STREAM:
        raise MalformedHeader("a datagram header on a stream connection")
    block = data[FIXED:length]
    addresses = _ADDRESSES[family]
    if len(block) < addresses:
        raise MalformedHeader(f"{len(block)} bytes cannot hold the addresses of family {family:#x}")
    return Header(length, _source(family, block), _vpc_endpoint(block[addresses:]))


def _source(family: int, block: bytes) -> tuple[str, int] | None:
    if family == _INET:
        return str(ipaddress.IPv4Address(block[0:4])), int.from_bytes(block[8:10], "big")
    if family == _INET6:
        return str(ipaddress.IPv6Address(block[0:16])), int.from_bytes(block[32:34], "big")
    return None  # UNSPEC, or a UNIX socket: no address a policy could name


def _vpc_endpoint(tlvs: bytes) -> str | None:
    """The VPC endpoint id of AWS's TLV, if any; every other TLV is skipped, and all must be whole."""
    found = None
    at = 0
    while at < len(tlvs):
        if len(tlvs) - at < 3:
            raise MalformedHeader("a truncated TLV")
        kind, size = tlvs[at], int.from_bytes(tlvs[at + 1:at + 3], "big")
        value = tlvs[at + 3:at + 3 + size]
        if len(value) != size:
            raise MalformedHeader(f"a TLV of type {kind:#04x} longer than the header")
        if kind == PP2_TYPE_AWS:
            if not value:
                raise MalformedHeader("an empty AWS TLV")
            if value[0] == PP2_SUBTYPE_AWS_VPCE_ID:
                if _ENDPOINT_ID.fullmatch(value[1:]) is None:
                    raise MalformedHeader("a VPC endpoint id that is not one")
                found = value[1:].decode("ascii")
        at += 3 + size
    return found
