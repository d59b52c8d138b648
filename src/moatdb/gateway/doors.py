"""The doors: the sockets moatdb listens on, each the public endpoint or a VPC endpoint of the
world's network, and the origin of each request from the door it came through.

A request's door is its socket's local address (ASGI's ``server``), which the supervisor bound
for one door; its peer is the socket's other end (ASGI's ``client``). A trusted proxy's PROXY v2
header stands in for the socket: its source becomes the peer and its VPC endpoint TLV the door's
endpoint (``gateway/http.py`` reads it; ``PROXIED_ENDPOINT`` carries the endpoint in the scope).
Nothing else a client sends is read: no Host, no X-Forwarded-For.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import replace

from moatdb.auth.network import Door, Network, NetworkConfig
from moatdb.auth.origin import Origin
from moatdb.storage.cache import DocumentCache

PUBLIC = "public"  # the one door of a network that declares none
# The scope key of the VPC endpoint a trusted proxy's header named for the connection.
PROXIED_ENDPOINT = "moatdb.vpc_endpoint"

Address = tuple[str, int]


class DoorError(ValueError):
    """A door that cannot be planned or opened, in words for the operator."""


def parse_address(text: str) -> Address:
    """``HOST:PORT``, ``[IPV6]:PORT`` included."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise DoorError(f"{text!r} is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def plan(config: NetworkConfig, *, host: str | None = None, port: int | None = None,
         moved: Mapping[str, Address] | None = None, default: Address = ("127.0.0.1", 8000)) -> tuple[Door, ...]:
    """The doors to listen on: the network's, or one public door at ``default`` when it declares
    none. ``host`` and ``port`` move the public door, ``moved`` any door by name (``--door``)."""
    doors = config.doors or (Door(PUBLIC, *default),)
    moved = moved or {}
    names = [door.name for door in doors]
    for name in moved:
        if name not in names:
            raise DoorError(f"there is no door {name!r} to move (the doors: {', '.join(names)})")
    public = next((door.name for door in doors if door.endpoint is None), None)
    if public is None and (host is not None or port is not None):
        raise DoorError("the network has no public door for --host/--port to move; use --door NAME=HOST:PORT")
    planned = []
    for door in doors:
        if door.name == public:
            door = replace(door, host=door.host if host is None else host, port=door.port if port is None else port)
        if door.name in moved:
            door = replace(door, host=moved[door.name][0], port=moved[door.name][1])
        planned.append(door)
    return tuple(planned)


def bind(door: Door) -> socket.socket:
    """A socket bound to the door's address, not yet listening, to be shared by every worker."""
    sock = socket.socket(socket.AF_INET6 if ":" in door.host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((door.host, door.port))
    except OSError as error:
        sock.close()
        raise DoorError(f"door {door.name}: cannot listen on {door.host}:{door.port}: {error.strerror or error}") \
            from None
    sock.set_inheritable(True)
    return sock


class Doors:
    """One per worker: which door a request came through, its origin, and whom to believe a PROXY
    header from. ``listening`` is (door name, bound host, bound port) for each socket; the door's
    endpoint is read from the network as it is now, so an endpoint changed at run time holds from
    the next request (a door the network no longer names is the public door)."""

    def __init__(self, network: Network, listening: Iterable[tuple[str, str, int]]):
        self.network = network
        self._exact: dict[Address, str] = {}
        self._any_address: dict[int, str] = {}  # a door bound to 0.0.0.0 or ::, by port
        for name, host, port in listening:
            if _plain(host) in ("0.0.0.0", "::"):
                self._any_address[port] = name
            else:
                self._exact[(_plain(host), port)] = name
        self._origins: DocumentCache[tuple, Origin] = DocumentCache(network.store, self._origin)
        self._trusted: DocumentCache[str, bool] = DocumentCache(network.store, self._trusts)

    def origin(self, scope) -> Origin:
        """The origin of a request, from its ASGI scope (cached per door, peer and scheme)."""
        client = scope["client"]
        return self._origins.get((scope["server"], client[0] if client else None, scope["scheme"],
                                  scope.get(PROXIED_ENDPOINT)))

    def trusts(self, peer: str) -> bool:
        """Whether ``peer`` may say with a PROXY v2 header whom it relays."""
        return self._trusted.get(peer)

    def door(self, local: Address | None) -> str | None:
        """The name of the door bound to a connection's local address (None: no door is, the public door)."""
        if local is None:
            return None
        host, port = _plain(local[0]), local[1]
        return self._exact.get((host, port)) or self._any_address.get(port)

    def _origin(self, key: tuple) -> Origin:
        local, peer, scheme, proxied = key
        config = self.network.config()
        if proxied is not None and config.endpoint(proxied) is not None:
            endpoint = proxied
        else:
            name = self.door(local)
            endpoint = next((door.endpoint for door in config.doors if door.name == name), None)
        # No peer address happens only on a socket without one (a UNIX socket, which no door is).
        return self.network.origin(endpoint, _plain(peer) if peer else "127.0.0.1", scheme == "https")

    def _trusts(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(_plain(peer))
        except ValueError:
            return False
        for cidr in self.network.config().trusted_proxies:
            try:
                if address in ipaddress.ip_network(cidr, strict=False):
                    return True
            except ValueError:  # the world file's loader refuses these; a stored one trusts no one
                continue
        return False


def _plain(host: str) -> str:
    """An IPv4 peer of a dual-stack socket (``::ffff:10.0.0.1``) as the IPv4 address it is."""
    return host[7:] if host.startswith("::ffff:") and "." in host else host
