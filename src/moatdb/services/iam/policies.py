"""Managed policies and their versions (IAM API Reference: CreatePolicy, GetPolicy, DeletePolicy,
ListPolicies, ListEntitiesForPolicy, CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
DeletePolicyVersion, SetDefaultPolicyVersion, TagPolicy, UntagPolicy, ListPolicyTags).

The account's own (customer managed) policies, and the AWS managed ones moatdb knows
(``auth/aws_managed.py``), which every account may read and attach but none may change: they
belong to AWS, so a change is a request on another account's resource, which no resource-based
policy allows. A managed policy's document may be 6,144 characters, whitespace not counted (IAM
User Guide, "IAM and AWS STS quotas"; refused as "Cannot exceed quota for PolicySize: 6144", as
AWS answers in docker/docs#5815); a policy keeps at most five versions.
"""

from __future__ import annotations

from collections import Counter

from moatdb.auth import aws_managed
from moatdb.auth.principals import ManagedPolicy
from moatdb.errors import IamLimitExceeded, NoSuchEntity
from moatdb.policy.document import MANAGED_POLICY_SIZE, policy_size
from moatdb.services.iam.call import (
    Call,
    merge_tags,
    page,
    tag_context,
    tag_list,
    tags_given,
    without_tags,
)

POLICY_SIZE_LIMIT = MANAGED_POLICY_SIZE  # 6,144 characters


def _owner(arn: str) -> str:
    return arn.split(":")[4]


def _target(call: Call, *, changes: bool) -> tuple[str, ManagedPolicy | None]:
    """The PolicyArn parameter and its policy, once the caller may act on it. Reading an AWS
    managed policy is reading one's own account's view of it; changing one is not."""
    arn = call.policy_arn()
    owner = _owner(arn)
    call.require(arn, owner=owner if changes or owner != "aws" else call.account)
    return arn, call.directory.policy(arn) if owner in (call.account, "aws") else None


def _existing(policy: ManagedPolicy | None, arn: str) -> ManagedPolicy:
    if policy is None:
        raise NoSuchEntity(f"Policy {arn} was not found.")
    return policy


def _check_size(document: str) -> None:
    # The quota is IAM's LimitExceeded (409), before the document's syntax is judged.
    if policy_size(document, "identity") > POLICY_SIZE_LIMIT:
        raise IamLimitExceeded(f"Cannot exceed quota for PolicySize: {POLICY_SIZE_LIMIT}")


class _Usage:
    """How many users, groups and roles of the account each policy is attached to, or bounds."""

    def __init__(self, call: Call):
        self.attached: Counter[str] = Counter()
        self.bounds: Counter[str] = Counter()
        directory = call.directory
        for record in (*directory.users(call.account), *directory.groups(call.account),
                       *directory.roles(call.account)):
            self.attached.update(record.managed_policies)
            if getattr(record, "boundary", None):
                self.bounds[record.boundary] += 1


def _policy_members(call: Call, policy: ManagedPolicy, usage: _Usage, *, full: bool = False) -> dict:
    details = call.directory.policy_details(policy.arn)
    members = {"PolicyName": policy.name, "PolicyId": policy.id, "Arn": policy.arn, "Path": policy.path,
               "DefaultVersionId": policy.default_version, "AttachmentCount": usage.attached[policy.arn],
               "PermissionsBoundaryUsageCount": usage.bounds[policy.arn], "IsAttachable": True,
               "CreateDate": policy.created, "UpdateDate": details["updated"]}
    if full:
        members["Description"] = policy.description or None
        if details["tags"]:
            members["Tags"] = tag_list(details["tags"])
    return members


def _version_members(call: Call, policy: ManagedPolicy, version: str, *, document: bool) -> dict:
    dates = call.directory.policy_details(policy.arn)["version_dates"]
    members = {"Document": policy.versions[version] if document else None, "VersionId": version,
               "IsDefaultVersion": version == policy.default_version,
               "CreateDate": dates.get(version, policy.created)}
    return {name: value for name, value in members.items() if value is not None}


# --- policies -------------------------------------------------------------------------------------


def create_policy(call: Call) -> dict:
    p = call.params
    name, path, document = p["PolicyName"], p.get("Path", "/"), p["PolicyDocument"]
    tags = tags_given(call)
    call.require(call.arn("policy", name, path), tag_context(tags))
    _check_size(document)
    policy = call.directory.create_policy(call.account, name, document, path=path,
                                          description=p.get("Description", ""))
    if tags:
        call.directory.set_policy_tags(policy.arn, lambda _: tags)
    members = {"PolicyName": policy.name, "PolicyId": policy.id, "Arn": policy.arn, "Path": policy.path,
               "DefaultVersionId": policy.default_version, "AttachmentCount": 0,
               "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": policy.created,
               "UpdateDate": policy.created}
    if tags:
        members["Tags"] = tag_list(tags)
    return {"Policy": members}


def get_policy(call: Call) -> dict:
    arn, policy = _target(call, changes=False)
    return {"Policy": _policy_members(call, _existing(policy, arn), _Usage(call), full=True)}


def delete_policy(call: Call) -> None:
    arn, policy = _target(call, changes=True)
    _existing(policy, arn)
    call.directory.delete_policy_and_details(arn)


def list_policies(call: Call) -> dict:
    call.require("*")
    p = call.params
    scope = p.get("Scope", "All")
    found: list[ManagedPolicy] = []
    if scope in ("All", "AWS"):
        found += aws_managed.POLICIES.values()
    if scope in ("All", "Local"):
        found += call.directory.policies(call.account)
    usage = _Usage(call)
    prefix = p.get("PathPrefix")
    if prefix is not None:
        found = [policy for policy in found if policy.path.startswith(prefix)]
    if p.get("OnlyAttached"):
        found = [policy for policy in found if usage.attached[policy.arn] or usage.bounds[policy.arn]]
    used_as = p.get("PolicyUsageFilter")
    if used_as == "PermissionsPolicy":
        found = [policy for policy in found if usage.attached[policy.arn]]
    elif used_as == "PermissionsBoundary":
        found = [policy for policy in found if usage.bounds[policy.arn]]
    return page(call, found, lambda policy: f"{policy.name.lower()} {policy.account}", "Policies",
                lambda policy: _policy_members(call, policy, usage))


def list_entities_for_policy(call: Call) -> dict:
    arn, policy = _target(call, changes=False)
    _existing(policy, arn)
    p = call.params
    wanted = p.get("EntityFilter")
    aws = _owner(arn) == "aws"
    if (wanted == "LocalManagedPolicy" and aws) or (wanted == "AWSManagedPolicy" and not aws):
        kinds: tuple[str, ...] = ()
    elif wanted in ("User", "Role", "Group"):
        kinds = (wanted,)
    else:
        kinds = ("User", "Role", "Group")
    used_as = p.get("PolicyUsageFilter")
    prefix = p.get("PathPrefix")
    entities = []
    directory = call.directory
    for kind, records in (("Group", directory.groups(call.account)), ("User", directory.users(call.account)),
                          ("Role", directory.roles(call.account))):
        if kind not in kinds:
            continue
        for record in records:
            attached = arn in record.managed_policies and used_as != "PermissionsBoundary"
            bounded = getattr(record, "boundary", None) == arn and used_as != "PermissionsPolicy"
            if (attached or bounded) and (prefix is None or record.path.startswith(prefix)):
                entities.append((kind, record))
    result = page(call, entities, lambda entity: f"{entity[0]} {entity[1].name.lower()}", "Entities")
    for kind in ("Group", "User", "Role"):
        result[f"Policy{kind}s"] = [{f"{kind}Name": record.name, f"{kind}Id": record.id}
                                    for each, record in result["Entities"] if each == kind]
    del result["Entities"]
    return result


# --- versions -------------------------------------------------------------------------------------


def create_policy_version(call: Call) -> dict:
    arn, policy = _target(call, changes=True)
    _existing(policy, arn)
    document = call.params["PolicyDocument"]
    _check_size(document)
    policy, version, created = call.directory.create_policy_version(
        arn, document, set_as_default=call.params.get("SetAsDefault", False))
    return {"PolicyVersion": {"VersionId": version, "IsDefaultVersion": version == policy.default_version,
                              "CreateDate": created}}


def _version(call: Call, arn: str, policy: ManagedPolicy | None) -> tuple[ManagedPolicy, str]:
    policy = _existing(policy, arn)
    version = call.params["VersionId"]
    if version not in policy.versions:
        raise NoSuchEntity(f"Policy {arn} version {version} does not exist or is not attachable.")
    return policy, version


def get_policy_version(call: Call) -> dict:
    arn, policy = _target(call, changes=False)
    policy, version = _version(call, arn, policy)
    return {"PolicyVersion": _version_members(call, policy, version, document=True)}


def list_policy_versions(call: Call) -> dict:
    arn, policy = _target(call, changes=False)
    policy = _existing(policy, arn)
    # Newest first, as IAM lists them.
    return page(call, list(policy.versions), lambda version: f"{1_000_000_000 - int(version[1:]):010d}",
                "Versions", lambda version: _version_members(call, policy, version, document=False))


def delete_policy_version(call: Call) -> None:
    arn, policy = _target(call, changes=True)
    _existing(policy, arn)
    call.directory.delete_policy_version(arn, call.params["VersionId"])


def set_default_policy_version(call: Call) -> None:
    arn, policy = _target(call, changes=True)
    _version(call, arn, policy)
    call.directory.set_default_policy_version(arn, call.params["VersionId"])


# --- tags -----------------------------------------------------------------------------------------


def tag_policy(call: Call) -> None:
    arn = call.policy_arn()
    tags = tags_given(call)
    call.require(arn, tag_context(tags), owner=_owner(arn))
    call.directory.set_policy_tags(arn, lambda current: merge_tags(current, tags, "Policy"))


def untag_policy(call: Call) -> None:
    arn = call.policy_arn()
    keys = call.params["TagKeys"]
    call.require(arn, {"aws:tagkeys": tuple(keys)} if keys else {}, owner=_owner(arn))
    call.directory.set_policy_tags(arn, lambda current: without_tags(current, keys))


def list_policy_tags(call: Call) -> dict:
    arn, policy = _target(call, changes=False)
    _existing(policy, arn)
    tags = tag_list(call.directory.policy_details(arn)["tags"])
    return page(call, tags, lambda tag: tag["Key"].lower(), "Tags")


OPERATIONS = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "DeletePolicy": delete_policy,
    "ListPolicies": list_policies,
    "ListEntitiesForPolicy": list_entities_for_policy,
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "DeletePolicyVersion": delete_policy_version,
    "SetDefaultPolicyVersion": set_default_policy_version,
    "TagPolicy": tag_policy,
    "UntagPolicy": untag_policy,
    "ListPolicyTags": list_policy_tags,
}
