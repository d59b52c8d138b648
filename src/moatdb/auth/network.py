"""The network a world declares: VPCs, their DynamoDB VPC endpoints with endpoint policies, the
doors moatdb listens on, source ranges routed to an endpoint, and the proxies trusted to say who
is behind them. One storage document; what requests need is cached per worker and dropped when it
changes.

A request's origin is decided here, from the socket only: the door it arrived at (a VPC endpoint's
door, or the public one) and its peer address. A peer inside a range routed to an endpoint comes
through that endpoint whatever door it used, as traffic from a subnet whose route table sends
DynamoDB's prefix list to a gateway endpoint does (Amazon VPC User Guide, "Gateway endpoints").
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field

import orjson

from moatdb.auth.origin import Origin
from moatdb.policy.document import Policy, parse_policy
from moatdb.policy.errors import MalformedPolicy
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

NETWORK = "world/network"
# A VPC endpoint's policy when none is given: full access (Amazon VPC User Guide, "Control access to
# VPC endpoints using endpoint policies": "the default policy allows full access through the endpoint").
DEFAULT_ENDPOINT_POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
                           '"Action":"*","Resource":"*"}]}')


@dataclass(frozen=True)
class Vpc:
    id: str  # vpc-…
    account: str
    cidr: str


@dataclass(frozen=True)
class Endpoint:
    id: str  # vpce-…
    vpc: str
    policy: str | None = None  # None: the default, full access


@dataclass(frozen=True)
class Door:
    name: str
    host: str
    port: int
    endpoint: str | None = None  # None: the public endpoint


@dataclass(frozen=True)
class Route:
    cidr: str  # peers in this range reach DynamoDB through the endpoint
    endpoint: str


@dataclass(frozen=True)
class NetworkConfig:
    vpcs: tuple[Vpc, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    doors: tuple[Door, ...] = ()
    routes: tuple[Route, ...] = ()
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # CIDRs allowed to send PROXY v2

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.id == endpoint_id), None)

    def vpc(self, vpc_id: str) -> Vpc | None:
        return next((v for v in self.vpcs if v.id == vpc_id), None)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes) -> NetworkConfig:
        fields = orjson.loads(raw)
        return cls(tuple(Vpc(**v) for v in fields["vpcs"]), tuple(Endpoint(**e) for e in fields["endpoints"]),
                   tuple(Door(**d) for d in fields["doors"]), tuple(Route(**r) for r in fields["routes"]),
                   tuple(fields["trusted_proxies"]))


class Network:
    def __init__(self, store: Store):
        self.store = store
        self._config: DocumentCache[None, NetworkConfig] = DocumentCache(store, self._load)
        self._origins: DocumentCache[tuple[str | None, str, bool], Origin] = DocumentCache(store, self._origin)
        self._policies: DocumentCache[str, Policy | None] = DocumentCache(store, self._endpoint_policy)

    def config(self) -> NetworkConfig:
        return self._config.get(None)

    def set(self, config: NetworkConfig) -> None:
        """Replace the whole network (the world file's ``network`` part)."""
        for endpoint in config.endpoints:
            if endpoint.policy is not None:
                check_endpoint_policy(endpoint.policy)
        with self.store.write() as txn:
            txn.put_document(NETWORK, "network", config.to_json())

    def origin(self, door_endpoint: str | None, peer: str, secure: bool = False) -> Origin:
        """The origin of a request from ``peer`` at a door (``door_endpoint``: the VPC endpoint the
        door is, None for the public door)."""
        return self._origins.get((door_endpoint, peer, secure))

    def endpoint_policy(self, endpoint_id: str) -> Policy | None:
        """The compiled policy of a VPC endpoint (its default, full access, when it has none); None
        for an endpoint the network does not know."""
        return self._policies.get(endpoint_id)

    def _load(self, _: None) -> NetworkConfig:
        raw = self.store.read().document(NETWORK, "network")
        return NetworkConfig() if raw is None else NetworkConfig.from_json(raw)

    def _origin(self, key: tuple[str | None, str, bool]) -> Origin:
        door_endpoint, peer, secure = key
        config = self.config()
        endpoint_id = door_endpoint or _routed(config, peer)
        endpoint = config.endpoint(endpoint_id) if endpoint_id else None
        if endpoint is None:
            return Origin(peer, secure=secure)
        return Origin(peer, endpoint.vpc, endpoint.id, secure)

    def _endpoint_policy(self, endpoint_id: str) -> Policy | None:
        endpoint = self.config().endpoint(endpoint_id)
        if endpoint is None:
            return None
        try:
            return parse_policy(endpoint.policy or DEFAULT_ENDPOINT_POLICY, "endpoint", id=endpoint.id,
                                max_size=1 << 30)
        except MalformedPolicy:  # a stored policy that no longer compiles allows nothing
            return Policy(endpoint.id, "endpoint")


def _routed(config: NetworkConfig, peer: str) -> str | None:
    """The endpoint whose routed range holds ``peer`` (the most specific range wins)."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return None
    best: tuple[int, str] | None = None
    for route in config.routes:
        network = ipaddress.ip_network(route.cidr, strict=False)
        if address.version == network.version and address in network:
            if best is None or network.prefixlen > best[0]:
                best = (network.prefixlen, route.endpoint)
    return None if best is None else best[1]


def check_endpoint_policy(document: str) -> None:
    """Raise MalformedPolicy for an endpoint policy AWS would refuse."""
    parse_policy(document, "endpoint", id="endpoint policy")
