"""Who may do what in the procedure, put to the policy engine like any other request.

Every step of the HTTP API is an IAM action on a resource: asking on the role's ARN, the others on
the grant's (``arn:aws:moatdb:REGION:ACCOUNT:grant/ROLE/ID``), with the condition keys
``moatdb:RoleArn`` and ``moatdb:Requester``. Beside the caller's own policies the engine weighs a
resource-based policy made from the role's settings: it names the requesters and the approvers (so
an approver in another account, the management account's ``admin`` say, is allowed across accounts
as AWS allows it: both sides must), and denies asking to anyone but the requesters and approving to
anyone but the approvers, whatever their own policies allow.
"""

from __future__ import annotations

import functools

import orjson

from moatdb.auth.permissions import compile_policy
from moatdb.breakglass.settings import Role
from moatdb.policy.document import Policy

REQUEST = "moatdb:RequestBreakGlass"
APPROVE = "moatdb:ApproveBreakGlass"
DENY = "moatdb:DenyBreakGlass"
REVOKE = "moatdb:RevokeBreakGlass"
GET = "moatdb:GetBreakGlass"
CREDENTIALS = "moatdb:GetBreakGlassCredentials"
REPORT = "moatdb:GetBreakGlassReport"
UNSEAL = "moatdb:UnsealBreakGlass"

# What each side is granted by the role's resource policy (their own policies may add to it, within
# their account).
_REQUESTERS = (REQUEST, GET, CREDENTIALS, REVOKE, REPORT, UNSEAL)
_APPROVERS = (APPROVE, DENY, REVOKE, GET, REPORT, UNSEAL)


def grant_arn(region: str, role_arn: str, grant_id: str) -> str:
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return f"arn:aws:moatdb:{region}:{account}:grant/{name}/{grant_id}"


def context(role_arn: str, requester: str | None = None) -> dict[str, tuple[str, ...]]:
    keys = {"moatdb:rolearn": (role_arn,)}
    if requester is not None:
        keys["moatdb:requester"] = (requester,)
    return keys


@functools.lru_cache(maxsize=64)
def resource_policy(role: Role) -> Policy | None:
    """The role's procedure as a resource-based policy; None when it names nobody. One object per
    role's settings, so the authorizer's decision cache keeps working across requests."""
    statements = []
    if role.requesters:
        statements += [
            {"Sid": "Requesters", "Effect": "Allow", "Principal": {"AWS": list(role.requesters)},
             "Action": list(_REQUESTERS), "Resource": "*"},
            {"Sid": "OnlyRequestersAsk", "Effect": "Deny", "Principal": "*", "Action": REQUEST, "Resource": "*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(role.requesters)}}},
        ]
    if role.approvers:
        statements += [
            {"Sid": "Approvers", "Effect": "Allow", "Principal": {"AWS": list(role.approvers)},
             "Action": list(_APPROVERS), "Resource": "*"},
            {"Sid": "OnlyApproversDecide", "Effect": "Deny", "Principal": "*", "Action": [APPROVE, DENY],
             "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(role.approvers)}}},
        ]
    if not statements:
        return None
    document = orjson.dumps({"Version": "2012-10-17", "Statement": statements}).decode()
    return compile_policy(document, "resource", f"break-glass procedure of {role.arn}")
