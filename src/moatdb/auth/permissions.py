"""What one principal brings to a decision: its compiled policies and the context keys it carries.

For an IAM user: its inline and attached policies, those of its groups, its permissions boundary.
For a role session: the role's policies and boundary, plus the session policies passed when it was
assumed (they can only narrow what the role allows). Policies are compiled once here; a stored
document that no longer parses (it cannot happen through moatdb, which validates on write) is
replaced by one that allows nothing, so a broken policy fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from moatdb.auth.directory import Directory
from moatdb.auth.principals import Identity, Role, Session, User
from moatdb.policy.document import Policy, parse_policy
from moatdb.policy.errors import MalformedPolicy
from moatdb.policy.request import ASSUMED_ROLE, USER, Principal

# A stored policy was checked against its quota when it was stored; compiling it again checks no size.
_NO_QUOTA = 1 << 30



@dataclass(frozen=True, slots=True)
class Permissions:
    principal: Principal
    identity: tuple[Policy, ...]
    boundary: Policy | None
    session: tuple[Policy, ...] | None  # None: no session policies were passed
    context: dict[str, tuple[str, ...]]  # the principal's condition keys, names lower-cased
    keys: frozenset[str]  # every condition key these policies read: a decision depends on no other
    sorted_keys: tuple[str, ...]  # the same, in a fixed order (for the decision cache's key)


def _permissions(principal: Principal, identity: tuple[Policy, ...], boundary: Policy | None,
                 session: tuple[Policy, ...] | None, context: dict[str, tuple[str, ...]]) -> Permissions:
    every = (*identity, *(session or ()), *((boundary,) if boundary else ()))
    keys = frozenset().union(*(policy.keys for policy in every))
    return Permissions(principal, identity, boundary, session, context, keys, tuple(sorted(keys)))


def compile_policy(document: str | None, kind: str, id: str) -> Policy:
    """The compiled policy; one that allows nothing when the document is missing (a managed policy
    deleted under an attachment) or no longer compiles: a broken policy fails closed."""
    if document is None:
        return Policy(id, kind)
    try:
        return parse_policy(document, kind, id=id, max_size=_NO_QUOTA)
    except MalformedPolicy:
        return Policy(id, kind)


def load(directory: Directory, identity: Identity) -> Permissions | None:
    """The permissions of whoever signs as ``identity``; None when that principal no longer exists."""
    session = directory.session(identity.session) if identity.session else None
    if identity.is_role_session:
        role = directory.role_by_arn(identity.principal_arn)
        if role is None or (identity.session is not None and session is None):
            return None
        return _role_session(directory, role, session, identity)
    account, _, name = identity.arn.removeprefix("arn:aws:iam::").partition(":user/")
    user = directory.user(account, name.rsplit("/", 1)[-1])
    if user is None or user.arn != identity.arn:
        return None
    return _user(directory, user, session, identity)


def _user(directory: Directory, user: User, session: Session | None, identity: Identity) -> Permissions:
    policies = _identity_policies(directory, user.arn, user.inline_policies, user.managed_policies)
    for group in directory.groups_of(user.account, user.name):
        policies += _identity_policies(directory, group.arn, group.inline_policies, group.managed_policies)
    context = _common(identity, session) | {"aws:username": (user.name,)} | _tags(user.tags)
    return _permissions(Principal(user.arn, user.account, USER), tuple(policies),
                        _boundary(directory, user.boundary), None, context)


def _role_session(directory: Directory, role: Role, session: Session | None, identity: Identity) -> Permissions:
    """A session of ``role``; with no ``session`` record, one assumed with nothing passed (what
    ``moatdb simulate`` asks about when it is given a role)."""
    session = session or Session("", "", "", role.account, identity.arn, identity.principal_id, 0.0)
    policies = _identity_policies(directory, role.arn, role.inline_policies, role.managed_policies)
    passed = None
    if session.has_session_policies:
        passed = [compile_policy(_document(directory, arn), "session", arn) for arn in session.policy_arns]
        if session.session_policy is not None:
            passed.append(compile_policy(session.session_policy, "session", "session policy"))
    context = _common(identity, session) | _tags(role.tags | session.tags)
    if session.source_identity is not None:
        context["aws:sourceidentity"] = (session.source_identity,)
    principal = Principal(role.arn, role.account, ASSUMED_ROLE, session_arn=identity.arn)
    return _permissions(principal, tuple(policies), _boundary(directory, role.boundary),
                        None if passed is None else tuple(passed), context)


def _identity_policies(directory: Directory, owner: str, inline: dict[str, str],
                       managed: tuple[str, ...]) -> list[Policy]:
    policies = [compile_policy(document, "identity", f"inline policy {name} of {owner}")
                for name, document in inline.items()]
    policies += [compile_policy(_document(directory, arn), "identity", arn) for arn in managed]
    return policies


def _boundary(directory: Directory, arn: str | None) -> Policy | None:
    return None if arn is None else compile_policy(_document(directory, arn), "boundary", arn)


def _document(directory: Directory, arn: str) -> str | None:
    policy = directory.policy(arn)
    return None if policy is None else policy.document


def _common(identity: Identity, session: Session | None) -> dict[str, tuple[str, ...]]:
    """The keys every request of this principal carries (IAM User Guide, "AWS global condition
    context keys"): aws:TokenIssueTime and aws:MultiFactorAuthPresent only with temporary
    credentials, as AWS sets them."""
    context = {
        "aws:principalarn": (identity.principal_arn,),
        "aws:principalaccount": (identity.account,),
        "aws:principaltype": (ASSUMED_ROLE if identity.is_role_session else USER,),
        "aws:userid": (identity.principal_id,),
        "aws:principalisawsservice": ("false",),
        "aws:viaawsservice": ("false",),
    }
    if session is not None and session.id:
        issued = datetime.fromtimestamp(session.issued, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        context["aws:tokenissuetime"] = (issued,)
        context["aws:multifactorauthpresent"] = ("false",)
    return context


def _tags(tags: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {f"aws:principaltag/{key.lower()}": (value,) for key, value in tags.items()}
