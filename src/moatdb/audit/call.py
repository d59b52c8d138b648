"""What the gateway knows of one request it answered: everything its record is made of."""

from __future__ import annotations

from moatdb.auth.authenticator import Caller
from moatdb.auth.origin import Origin
from moatdb.policy.decision import Decision
from moatdb.policy.request import Request


class Call:
    """Filled in by the gateway as the request goes (``gateway/app.py``), then recorded once."""

    __slots__ = ("service", "scope", "request_id", "operation", "params", "caller", "origin", "result",
                 "status", "reply", "decisions")

    def __init__(self, service: str, scope: dict, request_id: str):
        self.service = service  # "dynamodb", "sts", "iam", "organizations"
        self.scope = scope  # the ASGI scope: headers (User-Agent, the credential a failure claimed)
        self.request_id = request_id
        self.operation: str | None = None  # as the request named it, known or not
        self.params: object = None  # the parsed JSON body, or the Query protocol's form
        self.caller: Caller | None = None  # None: nobody was authenticated
        self.origin: Origin | None = None  # the caller's, or the socket's when there is no caller
        self.result: object = None  # what the operation returned, before it was written on the wire
        self.status = 200
        self.reply: bytes = b""  # the body sent, read for errorCode and errorMessage
        # Every decision the authorizer took for the request, in order (it appends to this list).
        self.decisions: list[tuple[Decision, Request]] = []
