"""The policies of users, groups and roles, alike for the three (IAM API Reference): inline
policies (Put/Get/List/Delete{User,Group,Role}Policy), managed policies attached to them
(Attach/Detach/ListAttached{User,Group,Role}Policies) and the permissions boundaries of users and
roles (Put/Delete{User,Role}PermissionsBoundary).

Inline policies are held to IAM's quotas (IAM User Guide, "IAM and AWS STS quotas": the inline
policies of a user may total 2,048 characters, of a group 5,120, of a role 10,240, whitespace not
counted), refused as IAM refuses them: "Maximum policy size of 10240 bytes exceeded for role NAME"
(LimitExceeded, 409; as AWS answers, e.g. serverless/serverless#7643).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moatdb.auth.directory import GROUP, ROLE, USER
from moatdb.errors import NoSuchEntity
from moatdb.services.iam.call import Call, attached, page, resource_context


class Kind:
    """Users, groups or roles, as the operations about their policies name them."""

    def __init__(self, noun: str, kind: str):
        self.noun = noun  # "User"
        self.lower = noun.lower()  # "user", in ARNs and messages
        self.kind = kind  # the directory's kind
        self.param = f"{noun}Name"

    def record(self, call: Call, name: str) -> Any:
        return getattr(call.directory, self.lower)(call.account, name)

    def target(self, call: Call) -> tuple[str, Any]:
        """The name the call gives, and the entity of that name (None if there is none)."""
        name = call.params[self.param]
        return name, self.record(call, name)

    def authorize(self, call: Call, record: Any, name: str, context: dict | None = None) -> None:
        arn = record.arn if record is not None else call.arn(self.lower, name)
        call.require(arn, {**resource_context(record), **(context or {})})

    def existing(self, record: Any, name: str) -> Any:
        if record is None:
            raise NoSuchEntity(f"The {self.lower} with name {name} cannot be found.")
        return record


USERS = Kind("User", USER)
GROUPS = Kind("Group", GROUP)
ROLES = Kind("Role", ROLE)


# --- inline policies --------------------------------------------------------------------------


def put_policy(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        record = kind.existing(record, name)
        # The entity's quota, shared by its inline policies, is the directory's to hold.
        call.directory.put_inline_policy(kind.kind, call.account, name, call.params["PolicyName"],
                                         call.params["PolicyDocument"])
    return operation


def get_policy(kind: Kind) -> Callable[[Call], dict]:
    def operation(call: Call) -> dict:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        policy_name = call.params["PolicyName"]
        document = kind.existing(record, name).inline_policies.get(policy_name)
        if document is None:
            raise NoSuchEntity(f"The {kind.lower} policy with name {policy_name} cannot be found.")
        return {kind.param: record.name, "PolicyName": policy_name, "PolicyDocument": document}
    return operation


def list_policies(kind: Kind) -> Callable[[Call], dict]:
    def operation(call: Call) -> dict:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        return page(call, list(kind.existing(record, name).inline_policies), str, "PolicyNames")
    return operation


def delete_policy(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        kind.existing(record, name)
        call.directory.delete_inline_policy(kind.kind, call.account, name, call.params["PolicyName"])
    return operation


# --- managed policies attached ----------------------------------------------------------------


def attach_policy(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        arn = call.policy_arn()
        kind.authorize(call, record, name, {"iam:policyarn": (arn,)})
        kind.existing(record, name)
        call.directory.attach_policy(kind.kind, call.account, name, call.attachable(arn))
    return operation


def detach_policy(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        arn = call.policy_arn()
        kind.authorize(call, record, name, {"iam:policyarn": (arn,)})
        kind.existing(record, name)
        call.directory.detach_policy(kind.kind, call.account, name, arn)
    return operation


def list_attached(kind: Kind) -> Callable[[Call], dict]:
    def operation(call: Call) -> dict:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        arns = kind.existing(record, name).managed_policies
        prefix = call.params.get("PathPrefix")
        if prefix is not None:
            arns = [arn for arn in arns if (policy := call.directory.policy(arn)) is not None
                    and policy.path.startswith(prefix)]
        return page(call, attached(arns, call.directory), lambda p: p["PolicyName"].lower() + " " + p["PolicyArn"],
                    "AttachedPolicies")
    return operation


# --- permissions boundaries -------------------------------------------------------------------


def put_boundary(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        arn = call.policy_arn("PermissionsBoundary")
        kind.authorize(call, record, name, {"iam:permissionsboundary": (arn,)})
        kind.existing(record, name)
        call.directory.set_boundary(kind.kind, call.account, name, call.attachable(arn))
    return operation


def delete_boundary(kind: Kind) -> Callable[[Call], None]:
    def operation(call: Call) -> None:
        name, record = kind.target(call)
        kind.authorize(call, record, name)
        kind.existing(record, name)
        call.directory.set_boundary(kind.kind, call.account, name, None)
    return operation


OPERATIONS: dict[str, Callable[[Call], dict | None]] = {}
for _kind in (USERS, GROUPS, ROLES):
    _noun = _kind.noun
    OPERATIONS.update({
        f"Put{_noun}Policy": put_policy(_kind),
        f"Get{_noun}Policy": get_policy(_kind),
        f"List{_noun}Policies": list_policies(_kind),
        f"Delete{_noun}Policy": delete_policy(_kind),
        f"Attach{_noun}Policy": attach_policy(_kind),
        f"Detach{_noun}Policy": detach_policy(_kind),
        f"ListAttached{_noun}Policies": list_attached(_kind),
    })
    if _kind is not GROUPS:
        OPERATIONS[f"Put{_noun}PermissionsBoundary"] = put_boundary(_kind)
        OPERATIONS[f"Delete{_noun}PermissionsBoundary"] = delete_boundary(_kind)
