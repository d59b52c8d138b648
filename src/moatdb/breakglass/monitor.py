"""Every call made with a break-glass session, in any service, alarmed with its outcome and kept in
the grant's journal: what the report of the grant lists.

The gateway hands each authenticated request to ``watch``; for the rare caller that is a
break-glass session (a session of a role the world marks, whose session name is its grant's id) it
notes the operation and its parameters' names in the request's ASGI scope, and ``finished`` sounds
the alarm once the answer is known. Anyone else costs a membership test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson

from moatdb.auth.authenticator import Caller
from moatdb.breakglass import events
from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.events import Event
from moatdb.breakglass.settings import Current
from moatdb.storage.base import Store

WATCHED = "moatdb.break-glass.call"  # the scope key of a watched request
_XML_CODE = re.compile(rb"<Code>([^<]{1,128})</Code>")
# Query-protocol parameters that say how a request is made, not what it asks.
_PROTOCOL = ("Action", "Version", "X-Amz-")


@dataclass(frozen=True)
class _Call:
    grant: str
    role: str
    actor: str
    service: str
    operation: str
    parameters: tuple[str, ...]
    source_ip: str
    vpc_endpoint: str | None


class Monitor:
    def __init__(self, store: Store, settings: Current, alarms: Alarms):
        self.store = store
        self.settings = settings
        self.alarms = alarms

    def watch(self, scope: dict, service: str, caller: Caller, body: bytes) -> None:
        identity = caller.identity
        if identity.session is None or identity.principal_arn not in self.settings.get().role_arns:
            return
        operation, parameters = _request(service, scope, body)
        scope[WATCHED] = _Call(identity.arn.rsplit("/", 1)[-1], identity.principal_arn, identity.arn, service,
                               operation, parameters, caller.origin.source_ip, caller.origin.vpc_endpoint)

    def finished(self, scope: dict, status: int, payload: bytes) -> None:
        call: _Call = scope.pop(WATCHED)
        outcome = "Success" if status < 300 else _error_code(payload) or f"HTTP {status}"
        event = Event(events.CALL, f"{call.actor} called {call.service}:{call.operation} under {call.grant}: "
                      f"{outcome}", call.grant, call.role, call.actor,
                      {"service": call.service, "operation": call.operation, "parameters": list(call.parameters),
                       "status": status, "outcome": outcome, "source_ip": call.source_ip,
                       "vpc_endpoint": call.vpc_endpoint})
        with self.store.write() as txn:
            events.append(txn, event)
        self.alarms.sound(event)


def _request(service: str, scope: dict, body: bytes) -> tuple[str, tuple[str, ...]]:
    """The operation a request names and its parameters' names (never their values)."""
    if service in ("sts", "iam"):
        encoded = body if scope["method"] == "POST" else scope["query_string"]
        pairs = parse_qsl(encoded.decode("utf-8", "replace"), keep_blank_values=True)
        operation = dict(pairs).get("Action", "")
        # Tags.member.1.Key is the parameter Tags.
        names = (name.split(".", 1)[0] for name, _ in pairs if not name.startswith(_PROTOCOL))
        return operation, tuple(dict.fromkeys(names))
    if service == "moatdb":
        operation = scope["path"].rsplit("/", 1)[-1]
    else:
        target = next((value for name, value in scope["headers"] if name == b"x-amz-target"), b"")
        operation = target.decode("latin-1").rsplit(".", 1)[-1]
    try:
        params = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        params = {}
    return operation, tuple(params) if isinstance(params, dict) else ()


def _error_code(payload: bytes) -> str | None:
    """The error type of an answer: JSON's ``__type`` (namespace dropped) or XML's ``<Code>``."""
    try:
        found = orjson.loads(payload)
    except orjson.JSONDecodeError:
        code = _XML_CODE.search(payload)
        return code.group(1).decode("utf-8", "replace") if code else None
    kind = found.get("__type") if isinstance(found, dict) else None
    return kind.rsplit("#", 1)[-1] if isinstance(kind, str) else None
