"""uvicorn's httptools protocol, with each reply sent in one write.

uvicorn writes a response's status line and headers when the app sends ``http.response.start``
and its body when the app sends ``http.response.body``: two ``send()`` system calls per reply,
which cost a small request about as much as everything moatdb does for it (bench/README.md). Here
the connection's transport holds what is written during one turn of the event loop and hands it
to the socket at the end of that turn, as one write: the bytes and their order are unchanged, the
reply only leaves a few microseconds later, and a connection that is closed or aborted first sends
(or drops, for an abort) what it holds, as a transport does with its own buffer.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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
    """uvicorn's httptools protocol over a CoalescingTransport (``uvicorn.run(http=HttpProtocol)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
