"""Where a request came from: the door it entered by and the peer at the other end of the socket.

The origin is built by the gateway from the socket alone (the listening door, the peer address,
whether TLS was used), never from anything the client writes, and it becomes the network keys of
the request context: ``aws:SourceIp`` for a request from the public door, ``aws:SourceVpc``,
``aws:SourceVpce`` and ``aws:VpcSourceIp`` for one through a VPC endpoint (IAM User Guide, "AWS
global condition context keys": aws:SourceIp is not present when a request comes through a VPC
endpoint, aws:VpcSourceIp only then).
"""

from __future__ import annotations


class Origin:
    """Immutable; its condition keys are computed once, as every request from it reads them."""

    __slots__ = ("source_ip", "vpc", "vpc_endpoint", "secure", "context")

    def __init__(self, source_ip: str, vpc: str | None = None, vpc_endpoint: str | None = None,
                 secure: bool = False):
        self.source_ip = source_ip
        self.vpc = vpc  # vpc-… when the request came through a VPC endpoint
        self.vpc_endpoint = vpc_endpoint  # vpce-…
        self.secure = secure  # arrived over TLS
        # The network condition keys, lower-cased, as the request context carries them.
        self.context: dict[str, tuple[str, ...]] = {"aws:securetransport": ("true" if secure else "false",)}
        if vpc_endpoint is None:
            self.context["aws:sourceip"] = (source_ip,)
        else:
            self.context["aws:sourcevpce"] = (vpc_endpoint,)
            self.context["aws:vpcsourceip"] = (source_ip,)
            if vpc is not None:
                self.context["aws:sourcevpc"] = (vpc,)

    def __repr__(self) -> str:
        return f"Origin({self.source_ip!r}, vpc={self.vpc!r}, vpc_endpoint={self.vpc_endpoint!r}, secure={self.secure})"


