"""SCPs and RCPs: creating, changing and deleting them, attaching them to the root, OUs and
accounts, and the policy types enabled on the root.

The documents are validated by the policy engine as SCPs or RCPs (``moatdb.auth.organization``
refuses one with ``MalformedPolicyDocumentException``), and a change binds every worker from its
next request. Sources: the Organizations API Reference, one page per operation; the User Guide's
"Service control policies (SCPs)" and "Resource control policies (RCPs)".
"""

from __future__ import annotations

import secrets
import string

from moatdb.auth.organization import RCP, SCP, OrgPolicy
from moatdb.errors import OrganizationsError
from moatdb.services.organizations.call import Call, page, policy_members, policy_summary, root_members
from moatdb.services.organizations.tags import given, request_context

# The policy types moatdb serves; AWS's others (tag, backup, ... policies) are refused as AWS
# refuses a type the organization cannot use.
SERVED = frozenset({SCP, RCP})
_ID_ALPHABET = string.ascii_lowercase + string.digits


def create_policy(call: Call) -> dict:
    params = call.params
    policy_type = _served(params["Type"])
    tags = given(params.get("Tags"))
    # The new policy's ARN is what CreatePolicy is authorized on, so its id is chosen first.
    policy_id = "p-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
    call.require(call.policy_arn(OrgPolicy(policy_id, params["Name"], policy_type, params["Content"])),
                 policy_type=policy_type, context=request_context(tags))
    policy = call.organization.create_policy(params["Name"], policy_type, params["Content"],
                                             description=params["Description"], policy_id=policy_id)
    if tags:
        call.tags.set(policy.id, tags)
    return {"Policy": policy_members(call, policy)}


def update_policy(call: Call) -> dict:
    params = call.params
    policy = _authorized_policy(call)
    changed = call.organization.update_policy(policy.id, name=params.get("Name"), content=params.get("Content"),
                                              description=params.get("Description"))
    return {"Policy": policy_members(call, changed)}


def delete_policy(call: Call) -> None:
    policy = _authorized_policy(call)
    call.organization.delete_policy(policy.id)
    call.tags.set(policy.id, {})


def describe_policy(call: Call) -> dict:
    return {"Policy": policy_members(call, _authorized_policy(call))}


def list_policies(call: Call) -> dict:
    policy_type = call.params["Filter"]
    call.require("*", policy_type=policy_type)
    return page(call, call.organization.policies(policy_type), _id, "Policies",
                lambda policy: policy_summary(call, policy))


def attach_policy(call: Call) -> None:
    policy, target = _authorized_attachment(call)
    call.organization.attach(policy.id, target)


def detach_policy(call: Call) -> None:
    policy, target = _authorized_attachment(call)
    call.organization.detach(policy.id, target)


def list_policies_for_target(call: Call) -> dict:
    target, policy_type = call.params["TargetId"], call.params["Filter"]
    call.require(call.target_arn(target), policy_type=policy_type)
    if call.organization.chain(target) is None:
        raise OrganizationsError("TargetNotFoundException", "We can't find a root, OU, account, or policy with "
                                 "the TargetId that you specified.")
    attached = [policy for policy in call.organization.policies(policy_type) if target in policy.targets]
    return page(call, attached, _id, "Policies", lambda policy: policy_summary(call, policy))


def list_targets_for_policy(call: Call) -> dict:
    policy = _authorized_policy(call)
    organization = call.organization

    def target(target_id: str) -> dict:
        if target_id == call.record.root:
            name, kind = "Root", "ROOT"
        elif target_id.startswith("ou-"):
            unit = organization.unit(target_id)
            name, kind = (unit.name if unit else target_id), "ORGANIZATIONAL_UNIT"
        else:
            member = organization.member(target_id)
            name, kind = (member.name if member else target_id), "ACCOUNT"
        return {"TargetId": target_id, "Arn": call.target_arn(target_id), "Name": name, "Type": kind}

    return page(call, policy.targets, str, "Targets", target)


def enable_policy_type(call: Call) -> dict:
    call.record = call.organization.enable_policy_type(_served(_root(call)))
    return {"Root": root_members(call)}


def disable_policy_type(call: Call) -> dict:
    call.record = call.organization.disable_policy_type(_root(call))
    return {"Root": root_members(call)}


def _authorized_policy(call: Call) -> OrgPolicy:
    """The PolicyId parameter's policy, which the caller may act on. A policy's ARN names its type,
    so a policy that does not exist is refused as not found before anything is authorized (the
    caller is known by then to be of the management account, which owns every policy)."""
    policy = call.policy(call.params["PolicyId"])
    call.require(call.policy_arn(policy), policy_type=policy.type)
    return policy


def _authorized_attachment(call: Call) -> tuple[OrgPolicy, str]:
    """AttachPolicy and DetachPolicy act on the policy and on the target: both are authorized."""
    policy = call.policy(call.params["PolicyId"])
    target = call.params["TargetId"]
    call.require(call.policy_arn(policy), call.target_arn(target), policy_type=policy.type)
    return policy, target


def _root(call: Call) -> str:
    """EnablePolicyType's and DisablePolicyType's RootId, authorized and found: their PolicyType."""
    root, policy_type = call.params["RootId"], call.params["PolicyType"]
    call.require(call.target_arn(root), policy_type=policy_type)
    if root != call.record.root:
        raise OrganizationsError("RootNotFoundException", "We can't find a root with the RootId that you "
                                 "specified.")
    return policy_type


def _served(policy_type: str) -> str:
    if policy_type not in SERVED:
        raise OrganizationsError("PolicyTypeNotAvailableForOrganizationException", "You can't use the specified "
                                 "policy type with the feature set currently enabled for this organization.")
    return policy_type


def _id(policy: OrgPolicy) -> str:
    return policy.id


OPERATIONS = {
    "CreatePolicy": create_policy, "UpdatePolicy": update_policy, "DeletePolicy": delete_policy,
    "DescribePolicy": describe_policy, "ListPolicies": list_policies, "AttachPolicy": attach_policy,
    "DetachPolicy": detach_policy, "ListPoliciesForTarget": list_policies_for_target,
    "ListTargetsForPolicy": list_targets_for_policy, "EnablePolicyType": enable_policy_type,
    "DisablePolicyType": disable_policy_type,
}
