"""What a policy decision is asked about: who, what, on which resource, in which context.

Context keys are kept lower-cased (AWS matches condition key names case-insensitively) and every
value is a tuple of strings: a single-valued key is a 1-tuple, a multivalued one (``aws:TagKeys``,
``dynamodb:LeadingKeys``, ``dynamodb:Attributes``, ``aws:PrincipalOrgPaths``, ``aws:CalledVia``, ...)
holds all its values. A key absent from the mapping is absent from the request, which the
condition operators treat as AWS does (negated operators and ``...IfExists`` match, and so on).
Booleans are ``"true"``/``"false"``, numbers and dates are their text, as AWS compares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# aws:PrincipalType's values (IAM User Guide, "AWS global condition context keys").
ACCOUNT, USER, ASSUMED_ROLE, FEDERATED_USER, ANONYMOUS = "Account", "User", "AssumedRole", "FederatedUser", "Anonymous"

Context = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, as policies see it."""

    arn: str  # aws:PrincipalArn: the user's ARN; the *role's* ARN for a role session; arn:aws:iam::ACCT:root
    account: str  # aws:PrincipalAccount
    type: str  # aws:PrincipalType: ACCOUNT, USER, ASSUMED_ROLE, FEDERATED_USER, ANONYMOUS
    session_arn: str | None = None  # a role session's arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
    service_linked: bool = False  # a service-linked role's session: not bound by SCPs

    @property
    def caller_arn(self) -> str:
        """The ARN AWS names in a denial (``User: ARN is not authorized ...``)."""
        return self.session_arn or self.arn


@dataclass(frozen=True, slots=True)
class Request:
    principal: Principal
    action: str  # "dynamodb:GetItem": service prefix and action, matched case-insensitively
    resource: str  # the resource's ARN
    resource_account: str  # the account that owns the resource
    context: Context  # every condition key the request carries, names lower-cased
