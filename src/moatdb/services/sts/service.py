"""STS operations, as the STS API Reference defines them: GetCallerIdentity, GetSessionToken and
AssumeRole.

AssumeRole is authorized as AWS authorizes it: ``sts:AssumeRole`` on the role, with the role's
trust policy as the resource-based policy (so a trust policy naming a user of the same account is
enough on its own, while one naming the account defers to the caller's identity policies), plus
``sts:TagSession`` when session tags are passed and ``sts:SetSourceIdentity`` when a source
identity is. A role that does not exist is refused exactly like one the caller may not assume.
A break-glass role is assumed through the break-glass procedure only: a ``guard`` (the procedure's)
refuses a direct AssumeRole of it in the same words, whatever the trust policy says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.permissions import compile_policy
from moatdb.auth.principals import Session
from moatdb.errors import (
    StsAccessDenied,
    StsInvalidAction,
    StsMalformedPolicyDocument,
    StsPackedPolicyTooLarge,
    StsValidationError,
)
from moatdb.policy.document import parse_policy
from moatdb.policy.errors import MalformedPolicy

if TYPE_CHECKING:
    from moatdb.breakglass.guard import Guard

VERSION = "2011-06-15"
# GetSessionToken's bounds for an IAM user (STS API Reference, GetSessionToken: 900 s to 129,600 s,
# 43,200 s by default).
SESSION_SECONDS = (900, 129_600, 43_200)
# AssumeRole: at least 900 s, at most the role's MaxSessionDuration, 3,600 s by default; a role
# session assuming a role (role chaining) is held to one hour (STS API Reference, AssumeRole).
ROLE_SESSION_SECONDS = (900, 43_200, 3_600)
CHAINED_SECONDS = 3_600
# AssumeRole's parameters (STS API Reference, AssumeRole: "Request Parameters").
_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*", re.ASCII)
MAX_POLICY_ARNS = 10
MAX_SESSION_TAGS = 50
# The packed limit of the inline session policy and session tags together (STS API Reference,
# AssumeRole: PackedPolicyTooLarge). moatdb packs nothing, so the plain length stands for it.
MAX_PACKED = 2048


class STS:
    def __init__(self, directory: Directory, authorizer: Authorizer, guard: Guard | None = None):
        self.directory = directory
        self.authorizer = authorizer
        self.guard = guard
        self._operations: dict[str, Callable[[dict, Caller], dict]] = {
            "GetCallerIdentity": self.get_caller_identity,
            "GetSessionToken": self.get_session_token,
            "AssumeRole": self.assume_role,
        }

    def handle(self, action: str, params: dict, caller: Caller) -> dict:
        operation = self._operations.get(action)
        if operation is None:
            raise StsInvalidAction(f"Could not find operation {action} for version {VERSION}")
        return operation(params, caller)

    def get_caller_identity(self, params: dict, caller: Caller) -> dict:
        identity = caller.identity
        return {"UserId": identity.principal_id, "Account": identity.account, "Arn": identity.arn}

    def get_session_token(self, params: dict, caller: Caller) -> dict:
        if caller.identity.temporary:
            raise StsAccessDenied("Cannot call GetSessionToken with session credentials")
        duration = _duration(params, *SESSION_SECONDS)
        session = self.directory.create_session(caller.identity, duration)
        return {"Credentials": _credentials(session)}

    def assume_role(self, params: dict, caller: Caller) -> dict:
        role_arn = _required(params, "RoleArn", "roleArn")
        name = _required(params, "RoleSessionName", "roleSessionName")
        _check(name, "roleSessionName", 2, 64, _SESSION_NAME)
        external_id = params.get("ExternalId")
        if external_id is not None:
            _check(external_id, "externalId", 2, 1224, _EXTERNAL_ID)
        source_identity = params.get("SourceIdentity")
        if source_identity is not None:
            _check(source_identity, "sourceIdentity", 2, 64, _SESSION_NAME)
        policy = params.get("Policy")
        policy_arns = _members(params, "PolicyArns", "arn")
        tags = dict(zip(_members(params, "Tags", "Key"), _members(params, "Tags", "Value"), strict=False))
        transitive = _members(params, "TransitiveTagKeys")
        if len(policy_arns) > MAX_POLICY_ARNS:
            raise StsValidationError(f"1 validation error detected: Value '{policy_arns}' at 'policyArns' failed to "
                                     f"satisfy constraint: Member must have length less than or equal to "
                                     f"{MAX_POLICY_ARNS}")
        if len(tags) > MAX_SESSION_TAGS:
            raise StsValidationError(f"1 validation error detected: Value at 'tags' failed to satisfy constraint: "
                                     f"Member must have length less than or equal to {MAX_SESSION_TAGS}")
        if policy is not None:
            _check_session_policy(policy)
        chained = caller.identity.is_role_session
        previous = self.directory.session(caller.identity.session) if caller.identity.session else None
        if previous is not None and previous.source_identity is not None:
            # A source identity, once set, stays with every session chained from it (IAM User Guide,
            # "Monitor and control actions taken with assumed roles").
            if source_identity is not None and source_identity != previous.source_identity:
                raise StsAccessDenied(_not_authorized(caller, "sts:SetSourceIdentity", role_arn))
            source_identity = previous.source_identity

        if self.guard is not None and not self.guard.may_assume(caller, role_arn):
            raise StsAccessDenied(_not_authorized(caller, "sts:AssumeRole", role_arn))
        role = self.directory.role_by_arn(role_arn)
        low, high, default = ROLE_SESSION_SECONDS
        duration = _duration(params, low, high, default)
        context = {"sts:rolesessionname": (name,)}
        if external_id is not None:
            context["sts:externalid"] = (external_id,)
        if source_identity is not None:
            context["sts:sourceidentity"] = (source_identity,)
        if tags:
            context["aws:tagkeys"] = tuple(tags)
            context.update({f"aws:requesttag/{key.lower()}": (value,) for key, value in tags.items()})
        if transitive:
            context["sts:transitivetagkeys"] = tuple(transitive)
        actions = ["sts:AssumeRole"]
        if tags or transitive:
            actions.append("sts:TagSession")
        if params.get("SourceIdentity") is not None:
            actions.append("sts:SetSourceIdentity")
        for action in actions:
            if role is None:
                raise StsAccessDenied(_not_authorized(caller, action, role_arn))
            trust = compile_policy(role.trust_policy, "trust", f"trust policy of {role.arn}")
            decision, _ = self.authorizer.decide(caller, action, role.arn, role.account, context,
                                                 resource_policy=trust)
            if not decision.allowed:
                raise StsAccessDenied(_not_authorized(caller, action, role_arn))
        if duration > role.max_session_duration:
            raise StsValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        if chained and duration > CHAINED_SECONDS:
            raise StsValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                     "assumed by role chaining.")
        for arn in policy_arns:
            if self.directory.policy(arn) is None:
                raise StsValidationError(f"Policy {arn} does not exist or is not attachable.")
        if previous is not None:
            # Transitive session tags pass to the next session of a chain (IAM User Guide, "Chaining
            # roles with session tags").
            inherited = {key: value for key, value in previous.tags.items() if key in previous.transitive_tag_keys}
            tags = inherited | tags
            transitive = list(dict.fromkeys([*previous.transitive_tag_keys, *transitive]))

        session_arn = f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{name}"
        session = self.directory.create_session(
            caller.identity, duration, account=role.account, principal_arn=session_arn,
            principal_id=f"{role.id}:{name}", role_arn=role.arn, session_name=name, session_policy=policy,
            policy_arns=tuple(policy_arns), tags=tags, transitive_tag_keys=tuple(transitive),
            source_identity=source_identity, chained=chained)
        result = {"Credentials": _credentials(session),
                  "AssumedRoleUser": {"AssumedRoleId": session.principal_id, "Arn": session_arn}}
        if policy is not None or tags:
            result["PackedPolicySize"] = max(1, (len(policy or "") + sum(map(len, (*tags, *tags.values())))) * 100
                                             // MAX_PACKED)
        if source_identity is not None:
            result["SourceIdentity"] = source_identity
        return result


def _not_authorized(caller: Caller, action: str, resource: str) -> str:
    # STS's wording, with no reason appended (as STS answers AssumeRole today).
    return f"User: {caller.identity.arn} is not authorized to perform: {action} on resource: {resource}"


def _credentials(session: Session) -> dict:
    expiration = datetime.fromtimestamp(session.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"AccessKeyId": session.id, "SecretAccessKey": session.secret, "SessionToken": session.token,
            "Expiration": expiration}


def _required(params: dict, name: str, member: str) -> str:
    value = params.get(name)
    if value is None:
        raise StsValidationError(f"1 validation error detected: Value null at '{member}' failed to satisfy "
                                 f"constraint: Member must not be null")
    return value


def _check(value: str, member: str, shortest: int, longest: int, pattern: re.Pattern) -> None:
    problems = []
    if len(value) < shortest:
        problems.append(f"Member must have length greater than or equal to {shortest}")
    if len(value) > longest:
        problems.append(f"Member must have length less than or equal to {longest}")
    if not pattern.fullmatch(value):
        problems.append(f"Member must satisfy regular expression pattern: {pattern.pattern}")
    if problems:
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
        raise StsValidationError(count + "; ".join(
            f"Value '{value}' at '{member}' failed to satisfy constraint: {problem}" for problem in problems))


def _check_session_policy(policy: str) -> None:
    if len(policy) > MAX_PACKED:
        raise StsPackedPolicyTooLarge("Packed size of consumed session policies and session tags exceeds "
                                      "the limit.")
    try:
        parse_policy(policy, "session", id="session policy")
    except MalformedPolicy as refused:
        raise StsMalformedPolicyDocument(refused.message) from None


def _members(params: dict, name: str, field: str | None = None) -> list[str]:
    """A list parameter in the Query protocol: ``Name.member.1[.field]``, ``Name.member.2``…"""
    found = []
    for index in range(1, 1001):
        value = params.get(f"{name}.member.{index}" + (f".{field}" if field else ""))
        if value is None:
            return found
        found.append(value)
    return found


def _duration(params: dict, low: int, high: int, default: int) -> int:
    raw = params.get("DurationSeconds")
    try:
        duration = default if raw is None else int(raw)
    except ValueError:
        raise StsValidationError(f"Value '{raw}' at 'durationSeconds' failed to satisfy constraint: Member"
                                 " must be a number") from None
    if duration < low:
        raise StsValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds'"
                                 f" failed to satisfy constraint: Member must have value greater than or equal"
                                 f" to {low}")
    if duration > high:
        raise StsValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds'"
                                 f" failed to satisfy constraint: Member must have value less than or equal"
                                 f" to {high}")
    return duration
