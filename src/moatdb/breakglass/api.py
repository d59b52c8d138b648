"""The procedure over HTTP, for the command, a chat bot or a web page: ``POST
/moatdb/break-glass/OPERATION`` with a JSON object, answered with one (docs/break-glass.md lists
every operation and its fields).

Each request is SigV4-signed like every other request to moatdb (service ``moatdb``, the server's
region) and authenticated by the same verifier; each operation is then an IAM action decided by the
policy engine (``access``), before the procedure's own rules have their say. Refusals are
``{"__type": CODE, "message": ...}`` with the status of their kind: 400, 403, 404, 405 or 409.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.principals import Session
from moatdb.breakglass import access, durations
from moatdb.breakglass.actors import Actor
from moatdb.breakglass.errors import AccessDenied, MethodNotAllowed, NotFound, ValidationError
from moatdb.breakglass.events import iso, journal
from moatdb.breakglass.grants import PENDING, Grant
from moatdb.breakglass.procedure import Procedure
from moatdb.breakglass.report import audited, render
from moatdb.breakglass.sealing import Seals
from moatdb.errors import (
    AwsError,
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

PREFIX = "/moatdb/break-glass/"
SERVICE = "moatdb"  # the SigV4 service its requests are signed for
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/[\x21-\x7e]{1,575}")
# Failures to authenticate: 403, as STS answers them, rather than DynamoDB's 400.
_UNAUTHENTICATED = (ExpiredTokenException, IncompleteSignatureException, InvalidSignatureException,
                    MissingAuthenticationTokenException, UnrecognizedClientException)

Handler = Callable[[Caller, dict], dict]


class Api:
    def __init__(self, procedure: Procedure, seals: Seals, authorizer: Authorizer, directory: Directory, *,
                 region: str, data_dir: Path | None = None):
        self.procedure = procedure
        self.data_dir = data_dir  # where the audit trail is, for the report
        self.seals = seals
        self.authorizer = authorizer
        self.directory = directory
        self.region = region
        self._operations: dict[str, Handler] = {
            "request": self.request, "approve": self.approve, "deny": self.deny, "revoke": self.revoke,
            "get": self.get, "list": self.list, "credentials": self.credentials, "report": self.report,
            "unseal": self.unseal,
        }

    def handle(self, method: str, path: str, body: bytes, authenticate: Callable[[], Caller]) -> tuple[int, bytes]:
        """The answer's status and JSON body; ``authenticate`` verifies the request's signature."""
        try:
            operation = self._operations.get(path[len(PREFIX):])
            if operation is None:
                raise NotFound(f"No break-glass operation {path}.")
            if method != "POST":
                raise MethodNotAllowed("The break-glass API takes a POST with a JSON object.")
            caller = authenticate()
            try:
                params = orjson.loads(body) if body else {}
            except orjson.JSONDecodeError:
                raise ValidationError("The body is not JSON.") from None
            if not isinstance(params, dict):
                raise ValidationError("The body is a JSON object.")
            return 200, orjson.dumps(operation(caller, params))
        except AwsError as error:
            status = 403 if isinstance(error, _UNAUTHENTICATED) else error.status
            return status, orjson.dumps({"__type": error.code, "message": error.message})

    # --- the operations -----------------------------------------------------------------------

    def request(self, caller: Caller, params: dict) -> dict:
        role = _role_arn(params)
        self._authorize(caller, access.REQUEST, role, role)
        duration = params.get("Duration")
        try:
            seconds = None if duration is None else durations.parse(duration)
        except ValueError as error:
            raise ValidationError(f"Duration: {error}.") from None
        grant = self.procedure.request(self._actor(caller), role, reason=_text(params, "Reason"),
                                       ticket=_text(params, "Ticket"), duration=seconds)
        return {"Grant": self.view(grant)}

    def approve(self, caller: Caller, params: dict) -> dict:
        grant = self._grant(caller, access.APPROVE, params)
        approved = self.procedure.approve(self._actor(caller), grant.id, _text(params, "Comment"))
        return {"Grant": self.view(approved)}

    def deny(self, caller: Caller, params: dict) -> dict:
        grant = self._grant(caller, access.DENY, params)
        return {"Grant": self.view(self.procedure.deny(self._actor(caller), grant.id, _text(params, "Reason")))}

    def revoke(self, caller: Caller, params: dict) -> dict:
        grant = self._grant(caller, access.REVOKE, params)
        return {"Grant": self.view(self.procedure.revoke(self._actor(caller), grant.id, _text(params, "Reason")))}

    def get(self, caller: Caller, params: dict) -> dict:
        return {"Grant": self.view(self._grant(caller, access.GET, params))}

    def list(self, caller: Caller, params: dict) -> dict:
        """The grants the caller may see (moatdb:GetBreakGlass on each), newest first."""
        status, role = _text(params, "Status"), _text(params, "RoleArn")
        now = self.procedure.clock()
        found = [grant for grant in self.procedure.grants()
                 if (not status or grant.status(now) == status) and (not role or grant.role == role)
                 and self._allowed(caller, access.GET, self.arn(grant), grant.role, grant.requester)]
        return {"Grants": [self.view(grant) for grant in sorted(found, key=lambda g: -g.requested)]}

    def credentials(self, caller: Caller, params: dict) -> dict:
        grant = self._grant(caller, access.CREDENTIALS, params)
        grant, session = self.procedure.credentials(self._actor(caller), grant.id)
        return issued(self.view(grant), session)

    def report(self, caller: Caller, params: dict) -> dict:
        grant = self._grant(caller, access.REPORT, params)
        trail = None if self.data_dir is None else audited(self.data_dir, grant)
        return {"GrantId": grant.id, "Markdown": render(grant, journal(self.procedure.store, grant.id),
                                                        self.procedure.clock(), trail)}

    def unseal(self, caller: Caller, params: dict) -> dict:
        shares = params.get("Shares")
        if not isinstance(shares, list) or not all(isinstance(share, str) for share in shares):
            raise ValidationError("Shares: a list of shares, each one line of text.")
        grant, session = self.seals.unseal(
            self._actor(caller), shares, reason=_text(params, "Reason"), ticket=_text(params, "Ticket"),
            authorize=lambda role: self._authorize(caller, access.UNSEAL, role, role))
        return issued(self.view(grant), session)

    # --- helpers ------------------------------------------------------------------------------

    def view(self, grant: Grant) -> dict:
        return view(grant, self.region, self.procedure.clock())

    def arn(self, grant: Grant) -> str:
        return access.grant_arn(self.region, grant.role, grant.id)

    def _grant(self, caller: Caller, action: str, params: dict) -> Grant:
        grant = self.procedure.grant(_text(params, "GrantId", required=True))
        self._authorize(caller, action, self.arn(grant), grant.role, grant.requester)
        return grant

    def _authorize(self, caller: Caller, action: str, resource: str, role_arn: str,
                   requester: str | None = None) -> None:
        decision, request = self._decide(caller, action, resource, role_arn, requester)
        if not decision.allowed:
            raise AccessDenied(decision.message(request))

    def _allowed(self, caller: Caller, action: str, resource: str, role_arn: str, requester: str) -> bool:
        return self._decide(caller, action, resource, role_arn, requester)[0].allowed

    def _decide(self, caller: Caller, action: str, resource: str, role_arn: str, requester: str | None):
        role = self.procedure.settings.get().role(role_arn)
        return self.authorizer.decide(caller, action, resource, role_arn.split(":")[4],
                                      access.context(role_arn, requester),
                                      resource_policy=None if role is None else access.resource_policy(role))

    def _actor(self, caller: Caller) -> Actor:
        return Actor.of(caller.identity, self.directory)


def view(grant: Grant, region: str, now: float) -> dict:
    """A grant as the API shows it: times in ISO 8601, UTC."""
    status = grant.status(now)
    shown: dict[str, Any] = {
        "GrantId": grant.id, "Arn": access.grant_arn(region, grant.role, grant.id), "RoleArn": grant.role,
        "Status": status, "Requester": grant.requester, "SourceIdentity": grant.source_identity,
        "Reason": grant.reason, "Ticket": grant.ticket, "Duration": durations.show(grant.duration),
        "DurationSeconds": grant.duration, "RequestedAt": iso(grant.requested),
        "ApprovalsRequired": grant.approvals_required,
        "Approvals": [{"Approver": approval.by, "At": iso(approval.at), "Comment": approval.comment}
                      for approval in grant.approvals]}
    if status == PENDING:
        shown["RequestExpiresAt"] = iso(grant.request_expires)
    if grant.starts is not None:
        shown |= {"StartsAt": iso(grant.starts), "EndsAt": iso(grant.ends)}
    if grant.ended is not None:
        shown |= {"EndedAt": iso(grant.ended), "EndedBy": grant.ended_by, "EndReason": grant.end_reason}
    if grant.sealed is not None:
        shown["Seal"] = grant.sealed
    return shown


def issued(shown: dict, session: Session) -> dict:
    """What the requester receives: the grant, and its role session's credentials as STS gives them."""
    return {"Grant": shown, "Credentials": {
        "AccessKeyId": session.id, "SecretAccessKey": session.secret, "SessionToken": session.token,
        "Expiration": iso(session.expires)},
        "AssumedRoleUser": {"Arn": session.principal_arn, "AssumedRoleId": session.principal_id},
        "SourceIdentity": session.source_identity}


def _text(params: dict, name: str, *, required: bool = False) -> str:
    value = params.get(name)
    if value is None:
        if required:
            raise ValidationError(f"{name} is required.")
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{name} is a string.")
    return value


def _role_arn(params: dict) -> str:
    arn = _text(params, "RoleArn", required=True)
    if not _ROLE_ARN.fullmatch(arn):
        raise ValidationError(f"RoleArn: {arn!r} is not a role's ARN.")
    return arn
