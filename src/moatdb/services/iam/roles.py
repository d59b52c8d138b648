"""Roles (IAM API Reference: CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole,
UpdateRoleDescription, UpdateAssumeRolePolicy, TagRole, UntagRole, ListRoleTags, ListInstanceProfilesForRole).

A role's trust policy (AssumeRolePolicyDocument) is checked by the policy engine as a trust policy
and held to IAM's quota on it: 2,048 characters, whitespace not counted, refused as "Cannot exceed
quota for ACLSizePerRole: 2048" (LimitExceeded). STS's AssumeRole evaluates it from the next
request on. moatdb has no instance profiles: ListInstanceProfilesForRole answers none, which is
what Terraform asks before it deletes a role.
"""

from __future__ import annotations

from dataclasses import replace

from moatdb.auth.directory import ROLE, check_policy
from moatdb.auth.principals import Role
from moatdb.errors import IamLimitExceeded, NoSuchEntity
from moatdb.policy.document import TRUST_POLICY_SIZE, policy_size
from moatdb.services.iam.call import (
    Call,
    by_name,
    merge_tags,
    page,
    resource_context,
    role_members,
    tag_context,
    tag_list,
    tags_given,
    under,
    without_tags,
)

TRUST_POLICY_LIMIT = TRUST_POLICY_SIZE  # 2,048 characters


def _role(call: Call) -> tuple[str, Role | None, str]:
    name = call.params["RoleName"]
    role = call.directory.role(call.account, name)
    return name, role, role.arn if role is not None else call.arn("role", name)


def _existing(role: Role | None, name: str) -> Role:
    if role is None:
        raise NoSuchEntity(f"The role with name {name} cannot be found.")
    return role


def _check_trust_policy(document: str) -> None:
    # The quota is IAM's LimitExceeded (409), before the document's syntax is judged.
    if policy_size(document, "trust") > TRUST_POLICY_LIMIT:
        raise IamLimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}")
    check_policy(document, "trust")


def create_role(call: Call) -> dict:
    p = call.params
    name, path = p["RoleName"], p.get("Path", "/")
    tags = tags_given(call)
    context = tag_context(tags)
    boundary = p.get("PermissionsBoundary")
    if boundary is not None:
        context["iam:permissionsboundary"] = (boundary,)
    call.require(call.arn("role", name, path), context)
    if boundary is not None:
        call.attachable(call.policy_arn("PermissionsBoundary"))
    _check_trust_policy(p["AssumeRolePolicyDocument"])
    role = call.directory.create_role(
        call.account, name, p["AssumeRolePolicyDocument"], path=path, description=p.get("Description", ""),
        max_session_duration=p.get("MaxSessionDuration", 3600), tags=tags, boundary=boundary)
    members = role_members(role, full=True)
    del members["RoleLastUsed"]  # CreateRole's Role carries none
    return {"Role": members}


def get_role(call: Call) -> dict:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    return {"Role": role_members(_existing(role, name), full=True)}


def list_roles(call: Call) -> dict:
    call.require("*")
    found = under(call.directory.roles(call.account), call.params.get("PathPrefix"))
    return page(call, found, by_name, "Roles", role_members)


def delete_role(call: Call) -> None:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    call.directory.delete(ROLE, call.account, name)


def update_role(call: Call) -> dict:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    p = call.params

    def change(record: Role) -> Role:
        if "Description" in p:
            record = replace(record, description=p["Description"])
        if "MaxSessionDuration" in p:
            record = replace(record, max_session_duration=p["MaxSessionDuration"])
        return record
    call.directory.update(ROLE, call.account, name, change)
    return {}


def update_role_description(call: Call) -> dict:
    """UpdateRoleDescription: UpdateRole's older form (what Terraform calls), answering the role."""
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    description = call.params["Description"]
    role = call.directory.update(ROLE, call.account, name, lambda r: replace(r, description=description))
    return {"Role": role_members(role, full=True)}


def update_assume_role_policy(call: Call) -> None:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    _existing(role, name)
    document = call.params["PolicyDocument"]
    _check_trust_policy(document)
    call.directory.update(ROLE, call.account, name, lambda r: replace(r, trust_policy=document))


def tag_role(call: Call) -> None:
    name, role, arn = _role(call)
    tags = tags_given(call)
    call.require(arn, {**resource_context(role), **tag_context(tags)})
    call.directory.update(ROLE, call.account, name, lambda r: replace(r, tags=merge_tags(r.tags, tags, "Role")))


def untag_role(call: Call) -> None:
    name, role, arn = _role(call)
    keys = call.params["TagKeys"]
    call.require(arn, {**resource_context(role), **({"aws:tagkeys": tuple(keys)} if keys else {})})
    call.directory.update(ROLE, call.account, name, lambda r: replace(r, tags=without_tags(r.tags, keys)))


def list_role_tags(call: Call) -> dict:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    return page(call, tag_list(_existing(role, name).tags), lambda tag: tag["Key"].lower(), "Tags")


def list_instance_profiles_for_role(call: Call) -> dict:
    name, role, arn = _role(call)
    call.require(arn, resource_context(role))
    _existing(role, name)
    return page(call, [], str, "InstanceProfiles")


OPERATIONS = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "DeleteRole": delete_role,
    "UpdateRole": update_role,
    "UpdateRoleDescription": update_role_description,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "TagRole": tag_role,
    "UntagRole": untag_role,
    "ListRoleTags": list_role_tags,
    "ListInstanceProfilesForRole": list_instance_profiles_for_role,
}
