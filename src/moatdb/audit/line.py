"""A record as the JSON line it is written as, at a cost the data plane can carry.

Most requests repeat what their caller did just before: the same operation, decided the same way,
from the same address with the same agent. Their records differ in four fields only: eventTime,
requestParameters, requestID and eventID. Such a record is written from a template, and the
template is made by ``Recorder.record`` itself, from the first such request, so the two cannot
differ: it is that record serialized with a marker in each of the four fields, cut at the markers.
Anything else (a failure, several decisions, a response worth recording) is serialized whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from moatdb.audit.call import Call
from moatdb.audit.record import Recorder
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.policy.decision import Decision
from moatdb.policy.request import Request

_TIME, _PARAMETERS, _REQUEST, _EVENT = "\x00T", "\x00P", "\x00R", "\x00E"
_MAX_TEMPLATES = 10_000


@dataclass(frozen=True, slots=True)
class _Template:
    # What the template was made for: the objects the authenticator and authorizer hand out again
    # for as long as nothing changed (held here, so their ids cannot be reused while it lives).
    identity: Identity
    decision: Decision
    request: Request
    origin: Origin | None
    parts: tuple[bytes, bytes, bytes, bytes, bytes]


class Lines:
    def __init__(self, recorder: Recorder):
        self.recorder = recorder
        self._templates: dict[tuple, _Template | None] = {}

    def line(self, call: Call) -> tuple[bytes, str]:
        """The record of ``call`` as a JSON line, newline included, and its eventTime."""
        caller, decisions = call.caller, call.decisions
        if call.status != 200 or caller is None or len(decisions) != 1:
            return self._whole(call)
        decision, request = decisions[0]
        key = (call.service, call.operation, caller.access_key, _agent(call.scope))
        template = self._templates.get(key)
        if template is None or template.identity is not caller.identity or template.decision is not decision \
                or template.request is not request or template.origin is not call.origin:
            made = self._template(call, key)
            if type(made) is dict:  # nothing to template: this record, whole
                return orjson.dumps(made, default=str, option=orjson.OPT_APPEND_NEWLINE), made["eventTime"]
            template = made
        recorder = self.recorder
        parameters = recorder.parameters(call)
        event_time = recorder.event_time()
        time, before_parameters, before_request, before_event, end = template.parts
        return b"".join((time, event_time.encode(), before_parameters,
                         orjson.dumps(parameters) if parameters else b"null", before_request,
                         call.request_id.encode(), before_event, recorder.event_id().encode(), end)), \
            event_time

    def _whole(self, call: Call) -> tuple[bytes, str]:
        record = self.recorder.record(call)
        return orjson.dumps(record, default=str, option=orjson.OPT_APPEND_NEWLINE), record["eventTime"]

    def _template(self, call: Call, key: tuple) -> _Template | dict:
        """The template of ``call``'s records, or its record when that has more than the four fields
        to vary (a response is recorded)."""
        record = self.recorder.record(call)
        if record["responseElements"] is not None or "errorCode" in record:
            return record
        record.update(eventTime=_TIME, requestParameters=_PARAMETERS, requestID=_REQUEST, eventID=_EVENT)
        data = orjson.dumps(record, default=str, option=orjson.OPT_APPEND_NEWLINE)
        time, rest = data.split(_mark(_TIME), 1)
        before_parameters, rest = rest.split(b'"' + _mark(_PARAMETERS) + b'"', 1)
        before_request, rest = rest.split(_mark(_REQUEST), 1)
        before_event, end = rest.split(_mark(_EVENT), 1)
        if len(self._templates) >= _MAX_TEMPLATES:
            self._templates.clear()
        decision, request = call.decisions[0]
        parts = (time, before_parameters, before_request, before_event, end)
        identity = call.caller.identity  # type: ignore[union-attr]
        template = self._templates[key] = _Template(identity, decision, request, call.origin, parts)
        return template


def _mark(mark: str) -> bytes:
    return orjson.dumps(mark)[1:-1]  # as JSON writes it inside a string: \u0000T


def _agent(scope: dict) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value
    return None
