"""The ASGI application: one plain callable on uvicorn, no framework on the hot path.

Two protocols share the door, told apart as AWS's endpoints tell them apart:

- DynamoDB's JSON 1.0: read the body -> check the HTTP envelope (method, content type, size) ->
  parse JSON -> find the operation from ``X-Amz-Target`` -> authenticate -> the service.
- The Query protocol of STS and IAM: a form-encoded POST (or a presigned GET) naming an
  ``Action``, answered in XML (``query_protocol``). The service is the one the credential scope
  names (``Credential=AKID/DATE/REGION/iam/aws4_request``), as AWS's one-service endpoints need
  not ask; a request that names none (unsigned, or unparseable) is STS's, which answers its
  authentication error as AWS would.

The break-glass procedure's HTTP API lives under ``/moatdb/break-glass/`` (JSON, SigV4-signed for
the service ``moatdb``), and every request made with a break-glass session is reported to its
monitor with its outcome (docs/break-glass.md).

Every failure on the way is an ``AwsError`` written in the protocol's wire form; anything else is
logged and answered with an internal error that reveals nothing.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

import orjson

from moatdb.audit.call import Call
from moatdb.audit.trail import Trail
from moatdb.auth.authenticator import Authenticator, credential_scope
from moatdb.breakglass import api as break_glass_api
from moatdb.breakglass.monitor import WATCHED
from moatdb.breakglass.service import BreakGlass
from moatdb.errors import (
    AwsError,
    InternalFailure,
    InternalServerError,
    RequestEntityTooLarge,
    SerializationException,
    Throttling,
    ThrottlingException,
    UnknownOperationException,
)
from moatdb.gateway import query_protocol
from moatdb.gateway.doors import Doors
from moatdb.gateway.request_id import new_request_id
from moatdb.services.dynamodb.expiry import Sweeper
from moatdb.services.dynamodb.service import DynamoDB
from moatdb.services.dynamodbstreams.service import DynamoDBStreams
from moatdb.services.iam.service import IAM
from moatdb.services.organizations.service import Organizations
from moatdb.services.sts.service import STS
from moatdb.storage.base import Busy, Store

log = logging.getLogger("moatdb.gateway")

JSON_10 = b"application/x-amz-json-1.0"
JSON_CONTENT_TYPES = (JSON_10, b"application/json")
TARGET_PREFIX = b"DynamoDB_20120810."
# DynamoDB Streams shares DynamoDB's door, protocol and signing name, told apart by its target prefix.
STREAMS_PREFIX = b"DynamoDBStreams_20120810."
# Organizations speaks JSON 1.1 on the same door, told apart by its target prefix.
JSON_11 = b"application/x-amz-json-1.1"
ORGANIZATIONS_PREFIX = b"AWSOrganizationsV20161128."
# DynamoDB refuses bodies over 16 MB (BatchWriteItem's 25 x 400 KB fit well below).
MAX_BODY = 16 * 1024 * 1024

# Coral's answer to anything that is not a JSON POST: a bare XML body with no Content-Type.
_UNKNOWN_OPERATION_404 = b"<UnknownOperationException/>\n"
_CORS = ((b"access-control-allow-origin", b"*"),)
# The break-glass API's answer to what it did not foresee.
_INTERNAL_FAILURE = b'{"__type":"InternalFailure","message":"An internal error occurred."}'
# How long a browser may cache a preflight answer: DynamoDB's two days.
_PREFLIGHT_MAX_AGE = (b"access-control-max-age", b"172800")


class Gateway:
    def __init__(self, dynamodb: DynamoDB, sts: STS, authenticator: Authenticator, store: Store,
                 iam: IAM | None = None, organizations: Organizations | None = None, *, doors: Doors,
                 audit: Trail, breakglass: BreakGlass | None = None, expiry: Sweeper | None = None):
        self.dynamodb = dynamodb
        self.streams = DynamoDBStreams(dynamodb)
        self.sts = sts
        self.iam = iam
        self.organizations = organizations
        self.authenticator = authenticator
        self.store = store
        self.doors = doors  # which door each request came through, and so its network origin
        self.audit = audit  # a record of every API request answered (docs/audit.md)
        self.breakglass = breakglass
        self.expiry = expiry  # the time-to-live sweeper, which deletes expired items
        self._health = f"healthy: dynamodb.{authenticator.region}.amazonaws.com ".encode()

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send, self._start, self._stop)

    def _start(self) -> None:
        self.store.group_commits(asyncio.get_running_loop())
        self.audit.start(asyncio.get_running_loop())
        if self.breakglass is not None:
            self.breakglass.start(asyncio.get_running_loop())
        if self.expiry is not None:
            self.expiry.start(asyncio.get_running_loop())

    async def _http(self, scope, receive, send):
        target = content_type = origin = None
        for name, value in scope["headers"]:
            if name == b"x-amz-target":
                target = value
            elif name == b"content-type":
                content_type = value
            elif name == b"origin":
                origin = value
        request_id = new_request_id()
        # DynamoDB allows browsers from any origin; what they may do is for authorization to say.
        cors = _CORS if origin is not None else ()
        try:
            body = await _read_body(receive)
        except AwsError as error:
            await _reply(send, request_id, error.status, orjson.dumps(error.body()), cors, close=True)
            return

        method = scope["method"]
        if (self.breakglass is not None and method != "OPTIONS"
                and scope["path"].startswith(break_glass_api.PREFIX)):
            await self._break_glass(scope, body, cors, send)
            return
        if (method == "POST" and content_type is not None and content_type.startswith(query_protocol.FORM)) \
                or (method == "GET" and b"Action=" in scope["query_string"]):
            await self._query(scope, body, cors, send)
            return
        if method != "POST":
            if method == "GET":
                # DynamoDB's health answer, on any path, which load balancers and SDK tooling probe.
                await _reply(send, request_id, 200, self._health, cors, content_type=b"text/plain")
            elif method == "OPTIONS" and origin is not None:
                await _reply(send, request_id, 200, b"", cors + _preflight(scope["headers"]), content_type=None)
            else:
                await _reply(send, request_id, 404, _UNKNOWN_OPERATION_404, cors, content_type=None)
            return
        if target is not None and target.startswith(ORGANIZATIONS_PREFIX) and self.organizations is not None:
            await self._organizations(scope, target, body, cors, send)
            return
        if content_type is None or content_type not in JSON_CONTENT_TYPES:
            if body and not _is_json_type(content_type):
                await _reply(send, request_id, 404, _UNKNOWN_OPERATION_404, cors, content_type=None)
                return
        writes = self.store.writes
        call = self._call("dynamodb", scope, request_id)
        status, payload = self._dispatch(scope, target, body, request_id, call)
        self._watched(scope, status, payload)
        if not await self._durable(writes, request_id):
            error = InternalServerError("Internal server error")
            status, payload = error.status, orjson.dumps(error.body())
        self._record(call, status, payload)
        # The reply is typed as the request was: application/json is answered as application/json.
        await _reply(send, request_id, status, payload, cors,
                     content_type=JSON_10 if content_type == JSON_10 else b"application/json")

    async def _query(self, scope, body: bytes, cors: tuple, send) -> None:
        """A Query-protocol request: IAM's when its credential scope names IAM, else STS's."""
        request_id = query_protocol.new_request_id()
        writes = self.store.writes
        named = credential_scope(scope["headers"], scope["query_string"])
        if named is not None and named[1] == "iam" and self.iam is not None:
            xmlns = query_protocol.IAM_XMLNS
            call = self._call("iam", scope, request_id)
            status, payload = self._iam(scope, body, request_id, call)
        else:
            xmlns = query_protocol.STS_XMLNS
            call = self._call("sts", scope, request_id)
            status, payload = self._sts(scope, body, request_id, call)
        self._watched(scope, status, payload)
        if not await self._durable(writes, request_id):
            status, payload = query_protocol.error(InternalFailure("An internal error occurred."), request_id,
                                                   xmlns=xmlns)
        self._record(call, status, payload)
        await _reply(send, request_id, status, payload, cors, content_type=query_protocol.CONTENT_TYPE)

    async def _organizations(self, scope, target: bytes, body: bytes, cors: tuple, send) -> None:
        """A JSON 1.1 request to Organizations, answered in JSON 1.1 (errors as ``__type`` and
        ``Message``) with a UUID request id, as Organizations answers."""
        request_id = query_protocol.new_request_id()
        writes = self.store.writes
        call = self._call("organizations", scope, request_id)
        status, payload = self._organizations_call(scope, target[len(ORGANIZATIONS_PREFIX):].decode("latin-1"),
                                                   body, request_id, call)
        self._watched(scope, status, payload)
        if not await self._durable(writes, request_id):
            error = InternalFailure("An internal error occurred.")
            status, payload = error.status, orjson.dumps(error.body())
        self._record(call, status, payload)
        await _reply(send, request_id, status, payload, cors, content_type=JSON_11)

    async def _break_glass(self, scope, body: bytes, cors: tuple, send) -> None:
        """The break-glass procedure's HTTP API: JSON in and out, refusals as JSON too."""
        request_id = query_protocol.new_request_id()
        writes = self.store.writes
        call = self._call(break_glass_api.SERVICE, scope, request_id)
        call.operation = scope["path"][len(break_glass_api.PREFIX):]

        def authenticate():
            call.caller = self._authenticate(break_glass_api.SERVICE, scope, body)
            return call.caller

        try:
            status, payload = self.breakglass.api.handle(scope["method"], scope["path"], body, authenticate)
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            status, payload = 500, _INTERNAL_FAILURE
        self._watched(scope, status, payload)
        if not await self._durable(writes, request_id):
            status, payload = 500, _INTERNAL_FAILURE
        self._record(call, status, payload)
        await _reply(send, request_id, status, payload, cors, content_type=b"application/json")

    async def _durable(self, writes: int, request_id: str) -> bool:
        """Whether what the request wrote is durable: a request that wrote is answered only once the
        group commit holding its writes has committed (False when that commit failed)."""
        if self.store.writes == writes:
            return True
        pending = self.store.committed()
        if pending is None:
            return True
        try:
            await pending
        except Exception:
            log.exception("request %s: commit failed", request_id)
            return False
        return True

    def _watched(self, scope, status: int, payload: bytes) -> None:
        # A request made with a break-glass session: its monitor alarms it with its outcome.
        if WATCHED in scope:
            self.breakglass.monitor.finished(scope, status, payload)

    def _organizations_call(self, scope, operation: str, body: bytes, request_id: str,
                            call: Call) -> tuple[int, bytes]:
        call.operation = operation
        try:
            try:
                params = call.params = orjson.loads(body) if body else {}
            except orjson.JSONDecodeError:
                raise SerializationException() from None
            if not self.organizations.has_operation(operation):
                raise UnknownOperationException()
            caller = call.caller = self._authenticate("organizations", scope, body)
            call.result = self.organizations.handle(operation, params, caller)
            return 200, orjson.dumps(call.result)
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s failed: %s", request_id, error.code)
            return error.status, orjson.dumps(error.body())
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            error = InternalFailure("An internal error occurred.")
            return error.status, orjson.dumps(error.body())

    def _iam(self, scope, body: bytes, request_id: str, call: Call) -> tuple[int, bytes]:
        xmlns = query_protocol.IAM_XMLNS
        try:
            params = query_protocol.parse(body if scope["method"] == "POST" else scope["query_string"])
            call.params = params
            call.operation = params.get("Action")
            caller = call.caller = self._authenticate("iam", scope, body)
            action = params.get("Action", "")
            output = call.result = self.iam.handle(action, params, caller)
            return 200, query_protocol.render(action, self.iam.output_shape(action), output, request_id,
                                              xmlns=xmlns)
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s failed: %s", request_id, error.code)
            return query_protocol.error(error, request_id, xmlns=xmlns)
        except Busy:
            log.warning("request %s: write lock busy, answered Throttling", request_id)
            return query_protocol.error(Throttling("Rate exceeded"), request_id, xmlns=xmlns)
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            return query_protocol.error(InternalFailure("An internal error occurred."), request_id, xmlns=xmlns)

    def _sts(self, scope, body: bytes, request_id: str, call: Call) -> tuple[int, bytes]:
        try:
            params = query_protocol.parse(body if scope["method"] == "POST" else scope["query_string"])
            call.params = params
            call.operation = params.get("Action")
            caller = call.caller = self._authenticate("sts", scope, body)
            action = params.get("Action", "")
            call.result = self.sts.handle(action, params, caller)
            return 200, query_protocol.result(action, call.result, request_id)
        except AwsError as error:
            return query_protocol.error(error, request_id)
        except Busy:
            log.warning("request %s: write lock busy, answered Throttling", request_id)
            return query_protocol.error(Throttling("Rate exceeded"), request_id)
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            return query_protocol.error(InternalFailure("An internal error occurred."), request_id)

    def _call(self, service: str, scope, request_id: str) -> Call:
        """The audit trail's account of a request about to be handled: the authorizer (one for every
        service, deciding one request at a time) adds its decisions to it."""
        call = Call(service, scope, request_id)
        self.dynamodb.authorizer.decisions = call.decisions
        return call

    def _record(self, call: Call, status: int, payload: bytes) -> None:
        """Record the answered request, before its reply is written (docs/audit.md, "Durability")."""
        call.status, call.reply = status, payload
        call.origin = call.caller.origin if call.caller is not None else self.doors.origin(call.scope)
        self.audit.record(call)

    def _stop(self) -> None:
        # The sweepers stop before the store they sweep closes.
        if self.expiry is not None:
            self.expiry.stop()
        if self.breakglass is not None:
            self.breakglass.stop()
        self.audit.close()
        self.dynamodb.close()

    def _authenticate(self, service: str, scope, body: bytes):
        # The signature covers the path as the client sent it, percent-encoding included.
        caller = self.authenticator.authenticate(
            service=service, method=scope["method"], path=scope.get("raw_path") or scope["path"].encode(),
            query=scope["query_string"], headers=scope["headers"], body=body, origin=self.doors.origin(scope))
        if self.breakglass is not None:
            self.breakglass.monitor.watch(scope, service, caller, body)
        return caller

    def _dispatch(self, scope, target, body: bytes, request_id: str, call: Call) -> tuple[int, bytes]:
        try:
            try:
                params = orjson.loads(body) if body else None
            except orjson.JSONDecodeError:
                raise SerializationException() from None
            if target is not None and target.startswith(TARGET_PREFIX):
                service, prefix = self.dynamodb, TARGET_PREFIX
            elif target is not None and target.startswith(STREAMS_PREFIX):
                service, prefix = self.streams, STREAMS_PREFIX
            else:
                raise UnknownOperationException()
            operation = call.operation = target[len(prefix):].decode("latin-1")
            call.params = params
            if not service.has_operation(operation):
                raise UnknownOperationException()
            caller = call.caller = self._authenticate("dynamodb", scope, body)
            if params is None:
                raise SerializationException()
            result = call.result = service.handle(operation, params, caller)
            return 200, result if type(result) is bytes else orjson.dumps(result)
        except AwsError as error:
            if error.status >= 500:
                log.error("request %s failed: %s", request_id, error.code)
            return error.status, orjson.dumps(error.body())
        except Busy:
            # Other writers held the write lock for the whole wait: nothing was written, and the
            # client is told what DynamoDB tells a client it cannot serve now, which SDKs retry.
            # (Type, 400 and message from the Developer Guide's "Error handling": "OK to retry? Yes".)
            log.warning("request %s: write lock busy, answered ThrottlingException", request_id)
            error = ThrottlingException("Rate of requests exceeds the allowed throughput.")
            return error.status, orjson.dumps(error.body())
        except Exception:
            # Never a stack trace to the client; the log keeps it, keyed by the request id.
            log.exception("request %s failed unexpectedly", request_id)
            error = InternalServerError("Internal server error")
            return error.status, orjson.dumps(error.body())


def _is_json_type(content_type: bytes | None) -> bool:
    # "application/x-amz-json-1.0; charset=utf-8" is what some SDKs send.
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() in JSON_CONTENT_TYPES


async def _read_body(receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body") and len(body) <= MAX_BODY:
        return body  # the common case: the whole request in one message
    chunks = [body]
    size = len(body)
    while True:
        if size > MAX_BODY:
            raise RequestEntityTooLarge("Request Entity Too Large")
        if not message.get("more_body"):
            return b"".join(chunks)
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)


def _preflight(headers) -> tuple:
    """A CORS preflight's answer: the headers and method the browser asked for, allowed."""
    allowed = [_PREFLIGHT_MAX_AGE]
    for name, value in headers:
        if name == b"access-control-request-headers":
            allowed.append((b"access-control-allow-headers", value))
        elif name == b"access-control-request-method":
            allowed.append((b"access-control-allow-methods", value))
    return tuple(allowed)


async def _reply(send, request_id: str, status: int, body: bytes, extra: tuple = (), *,
                 content_type: bytes | None = JSON_10, close: bool = False) -> None:
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
        # botocore checks this checksum of the body on every DynamoDB reply.
        (b"x-amz-crc32", str(zlib.crc32(body)).encode()),
        *extra,
    ]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send, on_startup, on_shutdown) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            on_startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
