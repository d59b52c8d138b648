"""A decision as a value: allowed or not, why, and (when traced) every statement that took part.

The denial message is AWS's (IAM User Guide, "Troubleshoot access denied error messages"):
``User: ARN is not authorized to perform: ACTION on resource: RESOURCE`` followed by ``with an
explicit deny in a TYPE`` or ``because no TYPE allows the ACTION action``. An SCP's denial is
always worded as explicit, even when no SCP allowed (the same page); RCPs, Organizations' other
authorization policy, are worded the same way. Since 2025 AWS appends the denying policy's ARN to
an explicit deny in an SCP, an RCP, a permissions boundary, a session policy or an identity-based
policy, only within one account or one organization (AWS Security Blog, "Enhanced access denied
error messages with policy ARNs").
"""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.policy.request import Request

# AWS's name of each kind of policy, as its messages use it.
POLICY_TYPES = {
    "identity": "identity-based policy",
    "resource": "resource-based policy",
    "trust": "role trust policy",
    "scp": "service control policy",
    "rcp": "resource control policy",
    "endpoint": "VPC endpoint policy",
    "session": "session policy",
    "boundary": "permissions boundary",
}
_ALWAYS_EXPLICIT = frozenset({"scp", "rcp"})
_ARN_SHOWN = frozenset({"scp", "rcp", "boundary", "session", "identity"})


@dataclass(frozen=True, slots=True)
class Match:
    """A statement whose action, resource and principal matched the request."""

    policy: str  # the policy's id
    kind: str
    sid: str | None
    index: int
    effect: str
    failed: str | None = None  # the condition that did not hold (the statement then did not apply)

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"#{self.index}"

    def to_json(self) -> dict:
        return {"policyId": self.policy, "policyType": POLICY_TYPES[self.kind], "sid": self.sid,
                "index": self.index, "effect": self.effect, "applied": self.failed is None,
                "failedCondition": self.failed}


@dataclass(frozen=True, slots=True)
class Denial:
    kind: str  # the deciding policy type, as a kind of ``document.KINDS``
    explicit: bool
    policy: str | None = None  # the policy holding the explicit Deny
    statement: str | None = None  # that statement's Sid or #index
    detail: str | None = None  # for an implicit deny by SCPs or RCPs: the level that allowed nothing

    @property
    def policy_type(self) -> str:
        return POLICY_TYPES[self.kind]


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one request, as a value (as Cedar's authorizer returns one): what was decided,
    why, and which statements took part; the same whoever asks, the server or ``moatdb simulate``."""

    allowed: bool
    reason: Denial | None = None  # why a request was denied
    basis: str | None = None  # what allowed an allowed request
    matches: tuple[Match, ...] | None = None  # None: not traced (``evaluate(..., explain=False)``)

    def message(self, request: Request) -> str:
        """The AccessDenied message AWS gives for this denial of ``request``."""
        if self.reason is None:
            raise ValueError("an allowed request has no denial message")
        reason = self.reason
        name = reason.policy_type
        head = (f"User: {request.principal.caller_arn} is not authorized to perform: {request.action} "
                f"on resource: {request.resource}")
        if not reason.explicit and reason.kind not in _ALWAYS_EXPLICIT:
            return f"{head} because no {name} allows the {request.action} action"
        message = f"{head} with an explicit deny in {_a(name)}"
        if (reason.explicit and reason.kind in _ARN_SHOWN and reason.policy
                and reason.policy.startswith("arn:") and _one_organization(request)):
            message += f": {reason.policy}"
        return message

    def explain(self) -> str:
        """The decision in readable lines: the verdict, then the statements that took part."""
        lines = [self._verdict()]
        if self.matches is None:
            lines.append("(statements not traced: evaluate with explain=True to list them)")
            return "\n".join(lines)
        applied = [m for m in self.matches if m.failed is None]
        failed = [m for m in self.matches if m.failed is not None]
        lines.append("Statements that applied:" if applied else "No statement applied.")
        lines += [f"  {m.effect:<5} {POLICY_TYPES[m.kind]} {m.policy}, statement {m.label}" for m in applied]
        if failed:
            lines.append("Statements whose condition did not hold:")
            lines += [f"  {m.effect:<5} {POLICY_TYPES[m.kind]} {m.policy}, statement {m.label}: {m.failed}"
                      for m in failed]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """For ``moatdb simulate --json``; decisions are named as IAM's policy simulator names them."""
        reason = self.reason
        body: dict = {
            "allowed": self.allowed,
            "decision": "allowed" if self.allowed else "explicitDeny" if reason.explicit else "implicitDeny",
        }
        if self.allowed:
            body["basis"] = self.basis
        else:
            body |= {"policyType": reason.policy_type, "policyId": reason.policy,
                     "statement": reason.statement, "detail": reason.detail}
        if self.matches is not None:
            body["matches"] = [m.to_json() for m in self.matches]
        return body

    def _verdict(self) -> str:
        if self.allowed:
            return f"Allowed by {self.basis}." if self.basis else "Allowed."
        reason = self.reason
        if reason.explicit:
            where = f" ({reason.policy}, statement {reason.statement})" if reason.policy else ""
            return f"Denied: an explicit deny in {_a(reason.policy_type)}{where}."
        detail = f" ({reason.detail})" if reason.detail else ""
        return f"Denied: no {reason.policy_type} allows the request{detail}."


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _one_organization(request: Request) -> bool:
    """Whether caller and resource share an account or an organization, the only case in which
    AWS names the denying policy."""
    if request.principal.account == request.resource_account:
        return True
    principal_org = request.context.get("aws:principalorgid")
    return principal_org is not None and principal_org == request.context.get("aws:resourceorgid")
