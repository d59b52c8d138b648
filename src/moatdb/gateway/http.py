"""uvicorn's httptools protocol, with each reply sent in one write.

uvicorn writes a response's status line and headers when the app sends ``http.response.start``
and its body when the app sends ``http.response.body``: two ``send()`` system calls per reply,
which cost a small request about as much as everything moatdb does for it (bench/README.md). Here
the connection's transport holds what is written during one turn of the event loop and hands it
to the socket at the end of that turn, as one write: the bytes and their order are unchanged, the
reply only leaves a few microseconds later, and a connection that is closed or aborted first sends
(or drops, for an abort) what it holds, as a transport does with its own buffer.

A connection's first bytes may be a PROXY protocol v2 header (``proxy_protocol``). It is believed
only from a peer the network trusts (``Doors.trusts``): its source becomes the connection's peer and
its VPC endpoint TLV the connection's endpoint. A header from anyone else, or a malformed one, ends
the connection without a reply: it is not HTTP. The check costs one call per connection: the
opening bytes go to ``_opening``, which then hands the connection to uvicorn's ``data_received``.
"""

from __future__ import annotations

import asyncio
import logging

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from moatdb.gateway import proxy_protocol
from moatdb.gateway.doors import PROXIED_ENDPOINT

log = logging.getLogger("moatdb.gateway")


class CoalescingTransport:
    """A transport whose writes of one event-loop turn reach the socket as one write."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._held = [data]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._held or ()))

    def __getattr__(self, name: str):
        # Everything else (is_closing, get_extra_info, pause_reading, ...) is the real transport's.
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a CoalescingTransport, reading a trusted proxy's PROXY v2
    header first (``uvicorn.Config(http=HttpProtocol)``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A transport reads its protocol's data_received when it is given the protocol (uvloop keeps
        # the bound method), which happens after this: the connection's first bytes go to _opening.
        self.data_received = self._opening  # type: ignore[method-assign]
        self._held_opening = b""
        self._vpc_endpoint: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def _opening(self, data: bytes) -> None:
        """The first bytes: PROXY headers while they last (from trusted peers only), then HTTP."""
        if self.transport.is_closing():
            return
        data = self._held_opening + data
        while proxy_protocol.could_start(data):
            if len(data) >= len(proxy_protocol.SIGNATURE) and not self._trusts_peer():
                self._refuse("a PROXY protocol header from a peer that is not a trusted proxy")
                return
            try:
                header = proxy_protocol.parse(data)
            except proxy_protocol.MalformedHeader as error:
                self._refuse(f"a malformed PROXY protocol header ({error})")
                return
            if header is None:
                self._held_opening = data  # the rest is on its way
                return
            self._through_proxy(header)
            data = data[header.length:]
            if not data:
                self._held_opening = b""
                return
        # Not (or no longer) a header: the connection is HTTP from here on, at uvicorn's own cost.
        del self.data_received
        self._held_opening = b""
        self.transport.set_protocol(self)
        self.data_received(data)

    def _trusts_peer(self) -> bool:
        doors = getattr(self.app, "doors", None)  # the Gateway's (uvicorn's loaded app)
        return doors is not None and self.client is not None and doors.trusts(self.client[0])

    def _through_proxy(self, header: proxy_protocol.Header) -> None:
        if header.source is not None:
            self.client = header.source
        if header.vpc_endpoint is not None and header.vpc_endpoint != self._vpc_endpoint:
            self._vpc_endpoint = header.vpc_endpoint
            # httptools binds a protocol's callbacks when a parser is made: this connection's
            # requests begin with _begin_through_endpoint, and no other connection pays for it.
            self.on_message_begin = self._begin_through_endpoint  # type: ignore[method-assign]
            self.parser = httptools.HttpRequestParser(self)
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)  # as uvicorn sets it

    def _begin_through_endpoint(self) -> None:
        super().on_message_begin()
        self.scope[PROXIED_ENDPOINT] = self._vpc_endpoint  # type: ignore[literal-required]

    def _refuse(self, why: str) -> None:
        log.info("closed a connection from %s: %s", self.client[0] if self.client else "?", why)
        self.transport.close()
