"""AWS's policy evaluation logic, across every policy type that can apply to one request.

The order is the flow chart of the IAM User Guide ("How AWS enforcement code logic evaluates
requests to allow or deny access"): an explicit Deny in any applicable policy decides first; then
RCPs, SCPs, the resource-based policy, identity-based policies, the permissions boundary and the
session policies each may end the evaluation with an implicit deny. A VPC endpoint policy, which
the chart does not show, is one more policy that must allow (Amazon VPC, "Control access to VPC
endpoints using endpoint policies"); it comes last.

When several policy types would deny, AWS names one of them (IAM User Guide, "Troubleshoot access
denied error messages"); moatdb names the first in that order: for explicit denies the first policy
holding an applicable Deny, for implicit ones the first step that fails.

The resource-based policy's part depends on whom it names (IAM User Guide, "Policy evaluation
logic" and "Permissions boundaries for IAM entities"). Within one account, a grant to the caller's
own ARN (the IAM user, the role session, the federated user) is enough: no identity-based policy,
boundary or session policy has to allow. A grant to the role a session belongs to spares the
identity-based policies but not the boundary nor the session policies. A grant to the account only
delegates: identity-based policies must allow, as if there were no resource-based policy. AWS does
not say what a grant to "*" is; moatdb reads it as a grant to the user or the role (not to a role
session), the narrower of the readings. Across accounts both sides must allow. A role trust policy
must always allow, whoever it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from moatdb.policy.decision import Decision, Denial, Match
from moatdb.policy.document import Policy, Reach, Statement
from moatdb.policy.request import ACCOUNT, FEDERATED_USER, Context, Principal, Request


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that can apply to one request."""

    identity: tuple[Policy, ...] = ()  # the principal's identity-based policies (inline, managed, via groups)
    # The resource's policy: a table's, or the role's trust policy for sts:AssumeRole.
    resource: Policy | None = None
    boundary: Policy | None = None  # the principal's permissions boundary
    session: tuple[Policy, ...] | None = None  # session policies passed at AssumeRole; None: none were passed
    # The principal's account's organization path, root first, account last; None: not bound (no
    # organization, or the management account, which SCPs do not affect).
    scps: tuple[tuple[Policy, ...], ...] | None = None
    rcps: tuple[tuple[Policy, ...], ...] | None = None  # the resource's account's path; None: not bound
    endpoint: Policy | None = None  # the VPC endpoint's policy, for a request that came through one


# What allowed a request; one prebuilt decision each, so an allowed request allocates nothing.
_ROOT = Decision(True, basis="the account root user, who has full access to its account")
_ROOT_ABROAD = Decision(True, basis="a resource-based policy naming another account, whose root user is "
                                    "the caller")
_DIRECT = Decision(True, basis="a resource-based policy naming the caller itself")
_ROLE = Decision(True, basis="a resource-based policy naming the caller's role, within its permissions "
                             "boundary and session policies")
_IDENTITY = Decision(True, basis="an identity-based policy")
_BOTH = Decision(True, basis="a resource-based policy and an identity-based policy, as a request across "
                             "accounts needs")


def evaluate(request: Request, policies: PolicySet, *, explain: bool = False) -> Decision:
    """The decision on ``request``; with ``explain``, it also lists every statement that took part."""
    decision = _decide(request, policies)
    if explain:
        return replace(decision, matches=tuple(_trace(request, policies)))
    return decision


def _decide(request: Request, policies: PolicySet) -> Decision:
    principal = request.principal
    action = request.action
    resource = request.resource
    context = request.context
    bounded = policies.boundary is not None
    # Neither SCPs nor RCPs restrict service-linked roles (Organizations User Guide, "Service control
    # policies (SCPs)" and "Resource control policies (RCPs)").
    scps = None if principal.service_linked else policies.scps
    rcps = None if principal.service_linked else policies.rcps
    resource_policy = policies.resource

    # 1. Deny evaluation: any applicable Deny, in any policy, decides. (Presence and "has a Deny at
    # all" are tested here rather than in helpers: this runs on every request.)
    for path in (rcps, scps):
        if path is not None:
            for level in path:
                for policy in level:
                    if policy.denies and (
                            denied := _deny(policy, action, resource, context, principal, bounded)):
                        return denied
    if resource_policy is not None and resource_policy.denies and (
            denied := _deny(resource_policy, action, resource, context, principal, bounded)):
        return denied
    for policy in policies.identity:
        if policy.denies and (denied := _deny(policy, action, resource, context, principal, bounded)):
            return denied
    if bounded and policies.boundary.denies and (
            denied := _deny(policies.boundary, action, resource, context, principal, bounded)):
        return denied
    for policy in policies.session or ():
        if policy.denies and (denied := _deny(policy, action, resource, context, principal, bounded)):
            return denied
    endpoint = policies.endpoint
    if endpoint is not None and endpoint.denies and (
            denied := _deny(endpoint, action, resource, context, principal, bounded)):
        return denied

    # 2-3. RCPs of the resource's account, then SCPs of the caller's: every level of the path, from
    # the root to the account, must allow (Organizations User Guide, "SCP evaluation", "RCP evaluation").
    if rcps is not None and (denied := _path_allows("rcp", rcps, action, resource, context, principal)):
        return denied
    if scps is not None and (denied := _path_allows("scp", scps, action, resource, context, principal)):
        return denied

    # 4. The resource-based policy: how it names the caller decides what else must allow.
    grant = _NONE
    if resource_policy is not None:
        grant = _reach(resource_policy, action, resource, context, principal)
    same_account = principal.account == request.resource_account
    trust = resource_policy is not None and resource_policy.kind == "trust"
    if grant is _NONE and (trust or not same_account):
        return Decision(False, Denial("trust" if trust else "resource", False))
    if same_account and (grant is _SESSION or (grant >= _ANYONE and principal.session_arn is None)):
        allowed = _DIRECT
    elif same_account and grant >= _ANYONE:
        allowed = _ROLE
    else:
        # 5. Identity-based policies; the account root user needs none.
        if principal.type == ACCOUNT:
            allowed = _ROOT if same_account else _ROOT_ABROAD
        elif _allows_any(policies.identity, action, resource, context, principal):
            allowed = _IDENTITY if same_account else _BOTH
        else:
            return Decision(False, Denial("identity", False))
    if allowed is not _DIRECT:
        # 6. The permissions boundary.
        if bounded and not _allows(policies.boundary, action, resource, context, principal):
            return Decision(False, Denial("boundary", False))
        # 7. Session policies; a federated user's session has no permissions without one (IAM User
        # Guide, "Session policies").
        session = policies.session
        if session is None:
            if principal.type == FEDERATED_USER:
                return Decision(False, Denial("session", False))
        elif not _allows_any(session, action, resource, context, principal):
            return Decision(False, Denial("session", False))
    # 8. The VPC endpoint's policy.
    if endpoint is not None and not _allows(endpoint, action, resource, context, principal):
        return Decision(False, Denial("endpoint", False))
    return allowed


_NONE, _ANYONE, _SESSION = Reach.NONE, Reach.ANYONE, Reach.SESSION


def _applies(statement: Statement, resource: str, context: Context, principal: Principal) -> bool:
    """Whether a statement already known to cover the action applies to the request."""
    principals = statement.principals
    return ((statement.anywhere or statement.resources.matches(resource, context))
            and (principals is None or principals.reach(principal) is not _NONE)
            and statement.holds(context))


def _deny(policy: Policy, action: str, resource: str, context: Context, principal: Principal,
          bounded: bool) -> Decision | None:
    for statement in policy.for_action(action)[1]:
        principals = statement.principals
        # A Deny with NotPrincipal denies every principal that has a permissions boundary, whatever
        # it lists (IAM User Guide, "Permissions boundaries for IAM entities").
        if principals is not None and principals.negated and bounded:
            principals = None
        if ((statement.anywhere or statement.resources.matches(resource, context))
                and (principals is None or principals.reach(principal) is not _NONE)
                and statement.holds(context)):
            return Decision(False, Denial(policy.kind, True, policy.id, statement.label))
    return None


def _allows(policy: Policy, action: str, resource: str, context: Context, principal: Principal) -> bool:
    if policy.allows_all:
        return True
    for statement in policy.for_action(action)[0]:
        if _applies(statement, resource, context, principal):
            return True
    return False


def _allows_any(policies: tuple[Policy, ...], action: str, resource: str, context: Context,
                principal: Principal) -> bool:
    for policy in policies:
        if _allows(policy, action, resource, context, principal):
            return True
    return False


def _path_allows(kind: str, path: tuple[tuple[Policy, ...], ...], action: str, resource: str,
                 context: Context, principal: Principal) -> Decision | None:
    """The implicit deny of the first level of ``path`` that allows nothing; None when all allow."""
    for depth, level in enumerate(path):
        if not _allows_any(level, action, resource, context, principal):
            return Decision(False, Denial(kind, False, detail=_level(depth, len(path))))
    return None


def _reach(policy: Policy, action: str, resource: str, context: Context, principal: Principal) -> Reach:
    """The closest way an applicable Allow of ``policy`` names the caller."""
    best = _NONE
    for statement in policy.for_action(action)[0]:
        reach = statement.principals.reach(principal)
        if (reach > best and (statement.anywhere or statement.resources.matches(resource, context))
                and statement.holds(context)):
            best = reach
            if best is _SESSION:
                break
    return best


def _level(depth: int, levels: int) -> str:
    where = "the root" if depth == 0 else "the account" if depth == levels - 1 else f"the OU at depth {depth}"
    return f"no policy attached to {where} allows it"


def _trace(request: Request, policies: PolicySet) -> Iterator[Match]:
    """Every statement of an applicable policy whose action, resource and principal match, in the
    evaluation's order, with the condition that failed, if one did."""
    action, principal, context = request.action.lower(), request.principal, request.context
    bounded = policies.boundary is not None
    organizations = () if principal.service_linked else (policies.rcps or (), policies.scps or ())
    applicable = [policy for path in organizations for level in path for policy in level]
    applicable += [policies.resource, *policies.identity, policies.boundary, *(policies.session or ()),
                   policies.endpoint]
    for policy in applicable:
        if policy is None:
            continue
        for statement in policy.statements:
            principals = statement.principals
            named = (principals is None or (principals.negated and bounded)
                     or principals.reach(principal) is not Reach.NONE)
            if named and statement.targets(action, request.resource, context):
                yield Match(policy.id, policy.kind, statement.sid, statement.index, statement.effect,
                            statement.failure(context))
