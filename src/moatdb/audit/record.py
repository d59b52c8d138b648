"""A CloudTrail record of one answered request (CloudTrail User Guide, "CloudTrail record contents
for management, data, and network activity events" and "CloudTrail userIdentity element").

Fields are CloudTrail's, in CloudTrail's order, present when they apply: ``errorCode`` and
``errorMessage`` only for a failure, ``responseElements`` only for a call that changes something
(and for STS's calls that issue credentials, as CloudTrail shows them), ``vpcEndpointId`` only for
a request that came through a VPC endpoint. One field is moatdb's own: ``moatdbAuthorization``,
the authorization's decision and why (docs/audit.md, "Extension fields").
"""

from __future__ import annotations

import html
import itertools
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from moatdb.audit.call import Call
from moatdb.audit.redact import HIDDEN, Redactor
from moatdb.auth.authenticator import Caller
from moatdb.auth.directory import Directory
from moatdb.policy.decision import Decision
from moatdb.policy.request import Request

EVENT_VERSION = "1.11"
SOURCES = {
    "dynamodb": "dynamodb.amazonaws.com",
    "sts": "sts.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "organizations": "organizations.amazonaws.com",
    # moatdb's own API, the break-glass procedure's (signed for the service "moatdb"): no AWS name.
    # The gateway hands over none of its parameters (a sealed grant's body holds key shares).
    "moatdb": "break-glass.moatdb",
}
_API_VERSIONS = {"dynamodb": "2012-08-10"}  # CloudTrail writes apiVersion for DynamoDB's events
# DynamoDB's data events (CloudTrail User Guide, "Logging data events": AWS::DynamoDB::Table);
# everything else moatdb answers is a management event.
DATA_EVENTS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement",
    "ExecuteTransaction",
})
_READS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet")
# STS's calls that issue credentials: read-only, yet CloudTrail shows what they returned.
_ISSUES_CREDENTIALS = frozenset({"AssumeRole", "GetSessionToken"})
# Messages that may quote the values of the request (a number that is not one, the members of a
# set with duplicates): hidden when the request carried attribute values.
_QUOTING_ERRORS = frozenset({"ValidationException", "SerializationException"})
_RESOURCE_TYPES = {
    ("dynamodb", "table"): "AWS::DynamoDB::Table",
    ("iam", "user"): "AWS::IAM::User", ("iam", "role"): "AWS::IAM::Role", ("iam", "group"): "AWS::IAM::Group",
    ("iam", "policy"): "AWS::IAM::Policy",
    ("organizations", "account"): "AWS::Organizations::Account",
    ("organizations", "ou"): "AWS::Organizations::OrganizationalUnit",
    ("organizations", "policy"): "AWS::Organizations::Policy",
    ("organizations", "root"): "AWS::Organizations::Root",
}
_CREDENTIAL = re.compile(rb"Credential=([A-Z0-9]{16,128})/")
_QUERY_CREDENTIAL = re.compile(rb"X-Amz-Credential=([A-Z0-9]{16,128})(?:/|%2F)")
_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")
_MAX_USER_AGENT = 1024
_MAX_CACHED = 10_000


class Recorder:
    """One per worker: builds each call's record, keeping what callers share (their userIdentity)
    and the services' models from one record to the next."""

    def __init__(self, directory: Directory, *, region: str, account: str,
                 clock: Callable[[], float] = time.time):
        self.directory = directory
        self.region = region
        self.account = account  # the trail's: recipient of what no other account can be named for
        self._clock = clock
        self._redactors = {service: Redactor(service) for service in SOURCES}
        self._identities: dict[str, tuple[object, dict]] = {}
        self._kinds: dict[tuple[str, str | None], _Kind] = {}
        self._decisions: dict[tuple[int, int], tuple[Decision, Request, _Decided]] = {}
        # eventIDs shaped like UUIDs: a random prefix per worker, then a counter (unique, and
        # cheaper than a random UUID per record).
        h = os.urandom(10).hex()
        self._ids = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-"
        self._counter = itertools.count()
        self._second = -1
        self._time = ""

    def event_time(self) -> str:
        now = int(self._clock())
        if now != self._second:  # formatted once a second
            self._second, self._time = now, datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._time

    def event_id(self) -> str:
        return f"{self._ids}{next(self._counter):012x}"

    def parameters(self, call: Call) -> object:
        """The call's requestParameters (``redact``): None for a call without any, as CloudTrail writes it."""
        operation = call.operation
        if call.params is None or operation is None:
            return None
        redactor = self._redactors[call.service]
        if call.service in ("sts", "iam"):
            parameters = redactor.form(operation, call.params)  # type: ignore[arg-type]
        else:
            parameters = redactor.request(operation, call.params)
        return parameters or None

    def record(self, call: Call) -> dict:
        service, operation, caller, origin, status = \
            call.service, call.operation, call.caller, call.origin, call.status
        parameters = self.parameters(call)
        kind = self._kind(service, operation)
        record: dict = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": self.user_identity(caller) if caller is not None else _unknown(call.scope),
            "eventTime": self.event_time(),
            "eventSource": kind.source,
            "eventName": operation,
            "awsRegion": self.region,
            "sourceIPAddress": origin.source_ip if origin is not None else None,
            "userAgent": _user_agent(call.scope),
        }
        if status != 200:
            code, message = _error(call.reply)
            if service == "dynamodb" and code in _QUOTING_ERRORS and _holds_hidden(parameters):
                message = HIDDEN
            record["errorCode"] = code
            record["errorMessage"] = message
        record["requestParameters"] = parameters
        record["responseElements"] = self._redactors[service].response(operation, call.result) \
            if status == 200 and kind.responds and type(call.result) is dict else None
        record["requestID"] = call.request_id
        record["eventID"] = self.event_id()
        record["readOnly"] = kind.read_only
        decided = self._decided(call.decisions) if caller is not None else _UNAUTHENTICATED
        if decided.resources:
            record["resources"] = decided.resources
        record["eventType"] = "AwsApiCall"
        if kind.api_version is not None:
            record["apiVersion"] = kind.api_version
        record["managementEvent"] = kind.management
        record["recipientAccountId"] = decided.recipient or \
            (caller.account if caller is not None else self.account)
        if origin is not None and origin.vpc_endpoint is not None:
            record["vpcEndpointId"] = origin.vpc_endpoint
        record["eventCategory"] = kind.category
        if decided.authorization is not None:
            record["moatdbAuthorization"] = decided.authorization
        return record

    def _kind(self, service: str, operation: str | None) -> _Kind:
        key = (service, operation)
        kind = self._kinds.get(key)
        if kind is None:
            if len(self._kinds) >= _MAX_CACHED:  # operation names come from clients
                self._kinds.clear()
            kind = self._kinds[key] = _Kind.of(service, operation)
        return kind

    def _decided(self, decisions: list[tuple[Decision, Request]]) -> _Decided:
        """What a record says of the decisions: one decision's made once, while the authorizer
        keeps handing out the same (cached) Decision and Request."""
        if len(decisions) != 1:
            return _Decided.of(decisions)
        decision, request = decisions[0]
        key = (id(decision), id(request))
        cached = self._decisions.get(key)
        # Held by the cache, the two cannot be freed and their ids reused while the entry lives.
        if cached is None or cached[0] is not decision or cached[1] is not request:
            if len(self._decisions) >= _MAX_CACHED:
                self._decisions.clear()
            cached = self._decisions[key] = (decision, request, _Decided.of(decisions))
        return cached[2]

    def user_identity(self, caller: Caller) -> dict:
        """CloudTrail's userIdentity of a verified caller, made once per key and identity."""
        identity = caller.identity
        cached = self._identities.get(caller.access_key)
        if cached is not None and cached[0] is identity:
            return cached[1]
        if len(self._identities) >= _MAX_CACHED:
            self._identities.clear()
        found = {"type": "AssumedRole" if identity.is_role_session else "IAMUser",
                 "principalId": identity.principal_id, "arn": identity.arn, "accountId": identity.account,
                 "accessKeyId": caller.access_key}
        if not identity.is_role_session:
            found["userName"] = identity.arn.rsplit("/", 1)[-1]
        if identity.temporary:
            found["sessionContext"] = self._session_context(identity)
        self._identities[caller.access_key] = (identity, found)
        return found

    def _session_context(self, identity) -> dict:
        session = self.directory.session(identity.session) if identity.session else None
        context: dict = {}
        if identity.is_role_session:
            role_arn = identity.principal_arn
            context["sessionIssuer"] = {"type": "Role", "principalId": identity.principal_id.split(":", 1)[0],
                                        "arn": role_arn, "accountId": role_arn.split(":")[4],
                                        "userName": role_arn.rsplit("/", 1)[-1]}
        if session is not None:
            context["attributes"] = {"creationDate": datetime.fromtimestamp(session.issued, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "mfaAuthenticated": "false"}
            if session.source_identity is not None:
                context["sourceIdentity"] = session.source_identity
        return context


@dataclass(frozen=True, slots=True)
class _Kind:
    """What an operation's records share, whoever calls it."""

    source: str
    read_only: bool
    management: bool
    category: str
    responds: bool  # whether responseElements are written (on success)
    api_version: str | None

    @classmethod
    def of(cls, service: str, operation: str | None) -> _Kind:
        read_only = service == "sts" or (operation or "").startswith(_READS)
        data = service == "dynamodb" and operation in DATA_EVENTS
        responds = not data and (not read_only or operation in _ISSUES_CREDENTIALS)
        return cls(SOURCES[service], read_only, not data, "Data" if data else "Management", responds,
                   _API_VERSIONS.get(service))


@dataclass(frozen=True, slots=True)
class _Decided:
    """What a record says of a request's decisions."""

    resources: list[dict]
    authorization: dict | None
    recipient: str | None  # the account of the resource first decided on

    @classmethod
    def of(cls, decisions: list[tuple[Decision, Request]]) -> _Decided:
        return cls(_resources(decisions), _authorization(decisions),
                   decisions[0][1].resource_account if decisions else None)


_UNAUTHENTICATED = _Decided([], {"decision": "unauthenticated"}, None)


def _unknown(scope: dict) -> dict:
    """The userIdentity of a request nobody was authenticated for: CloudTrail's ``Unknown`` type, with
    the access key it claimed when that looks like one (never anything else from the credential)."""
    found = {"type": "Unknown", "principalId": ""}
    claimed = _claimed_key(scope)
    if claimed is not None:
        found["accessKeyId"] = claimed
    return found


def _claimed_key(scope: dict) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            match = _CREDENTIAL.search(value)
            return match[1].decode() if match else None
    match = _QUERY_CREDENTIAL.search(scope.get("query_string") or b"")
    return match[1].decode() if match else None


def _user_agent(scope: dict) -> str | None:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value[:_MAX_USER_AGENT].decode("latin-1")
    return None


def _error(reply: bytes) -> tuple[str | None, str | None]:
    """The errorCode and errorMessage the client was sent: JSON (``__type``, ``message``) or the
    Query protocol's XML (``<Code>``, ``<Message>``)."""
    if reply.startswith(b"<"):
        code, message = _XML_CODE.search(reply), _XML_MESSAGE.search(reply)
        return (html.unescape(code[1].decode()) if code else None,
                html.unescape(message[1].decode()) if message else None)
    try:
        body = orjson.loads(reply)
    except orjson.JSONDecodeError:
        return None, None
    if type(body) is not dict:
        return None, None
    return str(body.get("__type", "")).rsplit("#", 1)[-1] or None, body.get("message", body.get("Message"))


def _holds_hidden(value: object) -> bool:
    if value == HIDDEN:
        return True
    if type(value) is dict:
        return any(_holds_hidden(each) for each in value.values())
    if type(value) is list:
        return any(_holds_hidden(each) for each in value)
    return False


def _resources(decisions: list[tuple[Decision, Request]]) -> list[dict]:
    found: dict[str, dict] = {}
    for _, request in decisions:
        arn = request.resource
        parts = arn.split(":", 5)
        if len(parts) != 6 or arn in found:
            continue
        kind = parts[5].split("/", 1)[0]
        resource_type = _RESOURCE_TYPES.get((parts[2], kind))
        if resource_type is None or parts[5].endswith("/*"):
            continue
        if resource_type == "AWS::DynamoDB::Table":
            arn = "/".join(arn.split("/", 2)[:2])  # an index's requests are its table's
            if arn in found:
                continue
        found[arn] = {"accountId": request.resource_account, "type": resource_type, "ARN": arn}
    return list(found.values())


def _authorization(decisions: list[tuple[Decision, Request]]) -> dict | None:
    """The deciding evaluation (the one that denied, else the last), with every evaluation when
    there were several (a batch: one per table). None when nothing was evaluated."""
    if not decisions:
        return None
    deciding = next((pair for pair in decisions if not pair[0].allowed), decisions[-1])
    found = _evaluation(*deciding)
    if len(decisions) > 1:
        found["evaluations"] = [_evaluation(*pair) for pair in decisions]
    return found


def _evaluation(decision: Decision, request: Request) -> dict:
    reason = decision.reason
    if reason is None:
        return {"decision": "allowed", "action": request.action, "resource": request.resource,
                "basis": decision.basis}
    found = {"decision": "explicitDeny" if reason.explicit else "implicitDeny", "action": request.action,
             "resource": request.resource, "policyType": reason.policy_type, "policyId": reason.policy,
             "statement": reason.statement}
    if reason.detail is not None:
        found["detail"] = reason.detail
    return found
