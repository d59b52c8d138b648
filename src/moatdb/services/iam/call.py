"""What every IAM operation shares: the call (its parameters, its caller, the directory), its
authorization, paging, tags, and the records rendered as IAM's model names their members.

Authorization: each operation asks ``iam:<Action>`` on the resource the Service Authorization
Reference names for it ("Actions, resources, and condition keys for AWS Identity and Access
Management"): ``arn:aws:iam::ACCOUNT:user/PATH/NAME`` and the like, with the entity's path when
it exists (and ``/`` when it does not yet), ``*`` for the account-wide listings. It is asked after
the parameters are valid and before anything is looked up, so a caller who may not ask learns
nothing, not even whether the entity exists.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import NO_CONTEXT, Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.principals import Group, ManagedPolicy, Role, User
from moatdb.errors import IamAccessDenied, IamLimitExceeded, IamValidationError, InvalidInput, NoSuchEntity

# IAM's quotas (IAM User Guide, "IAM and AWS STS quotas"): tags per user, role or policy.
MAX_TAGS = 50
# Lists answer 100 items unless MaxItems says otherwise (IAM API Reference, ListUsers: MaxItems).
DEFAULT_MAX_ITEMS = 100
# A policy ARN a request may name: a customer managed policy of an account, or an AWS managed one.
_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]+", re.ASCII)


@dataclass
class Call:
    action: str
    params: dict
    caller: Caller
    directory: Directory
    authorizer: Authorizer

    @property
    def account(self) -> str:
        return self.caller.account

    def require(self, resource: str, context: Mapping[str, tuple[str, ...]] = NO_CONTEXT, *,
                owner: str | None = None) -> None:
        """Refuse with IAM's AccessDenied, in AWS's words, unless the caller may do this to
        ``resource`` (of the caller's account, unless ``owner`` names another)."""
        self.authorizer.require(self.caller, f"iam:{self.action}", resource, owner or self.account, context,
                                denied=IamAccessDenied)

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.account}:{kind}{path}{name}"

    def policy_arn(self, name: str = "PolicyArn") -> str:
        """A policy ARN parameter, refused as IAM refuses one that is no policy ARN at all."""
        arn = self.params[name]
        if not _POLICY_ARN.fullmatch(arn):
            raise InvalidInput(f"ARN {arn} is not valid.")
        return arn

    def attachable(self, arn: str) -> str:
        """``arn``, if it names a policy the caller's account may attach (or make a boundary): one of
        its own or an AWS managed one; another account's policy is not attachable."""
        if arn.split(":")[4] not in (self.account, "aws") or self.directory.policy(arn) is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return arn


# --- paging (Marker, MaxItems, IsTruncated) -------------------------------------------------------


def page(call: Call, items: Sequence, key: Callable[[Any], str], member: str,
         render: Callable[[Any], Any] = lambda item: item) -> dict:
    """One page of ``items`` (sorted here by ``key``) as ``{member: [...], "IsTruncated": ...}``,
    with the ``Marker`` of the next page when there is one. A marker is the key of the first item
    of the next page, so a page never repeats or skips an item that stayed while others changed."""
    ordered = sorted(items, key=key)
    limit = call.params.get("MaxItems", DEFAULT_MAX_ITEMS)
    start = 0
    marker = call.params.get("Marker")
    if marker is not None:
        try:
            after = base64.b64decode(marker.encode("latin-1"), altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise IamValidationError("Invalid Marker.") from None
        start = next((index for index, item in enumerate(ordered) if key(item) >= after), len(ordered))
    chosen = ordered[start:start + limit]
    result = {member: [render(item) for item in chosen], "IsTruncated": start + limit < len(ordered)}
    if result["IsTruncated"]:
        result["Marker"] = base64.urlsafe_b64encode(key(ordered[start + limit]).encode()).decode()
    return result


def by_name(record: Any) -> str:
    # Names are unique in an account regardless of case; listings are in alphabetical order.
    return record.name.lower()


def under(records: Sequence, prefix: str | None) -> list:
    """The records whose path starts with ``prefix`` (a PathPrefix parameter)."""
    return [record for record in records if prefix is None or record.path.startswith(prefix)]


# --- tags -----------------------------------------------------------------------------------------


def tags_given(call: Call, member: str = "Tags") -> dict[str, str]:
    """A Tags parameter as a dict, refused as IAM refuses two keys that differ only in case."""
    tags: dict[str, str] = {}
    for tag in call.params.get(member, ()):
        if tag["Key"].lower() in {key.lower() for key in tags}:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        tags[tag["Key"]] = tag["Value"]
    return tags


def tag_context(tags: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The request's tag keys (IAM User Guide, "Controlling access during AWS requests"):
    aws:RequestTag/KEY for each tag and aws:TagKeys for all of them."""
    if not tags:
        return {}
    return {"aws:tagkeys": tuple(tags),
            **{f"aws:requesttag/{key.lower()}": (value,) for key, value in tags.items()}}


def resource_context(record: Any) -> dict[str, tuple[str, ...]]:
    """An existing user's or role's keys: its tags (aws:ResourceTag/KEY, and iam:ResourceTag/KEY,
    which IAM's Service Authorization Reference lists for both) and its permissions boundary."""
    if record is None:
        return {}
    context = {}
    for key, value in getattr(record, "tags", {}).items():
        context[f"aws:resourcetag/{key.lower()}"] = (value,)
        context[f"iam:resourcetag/{key.lower()}"] = (value,)
    if getattr(record, "boundary", None):
        context["iam:permissionsboundary"] = (record.boundary,)
    return context


def merge_tags(current: Mapping[str, str], new: Mapping[str, str], noun: str) -> dict[str, str]:
    """``current`` with ``new`` added, a key given again (in any case) replaced; at most MAX_TAGS."""
    merged = {key: value for key, value in current.items() if key.lower() not in {k.lower() for k in new}}
    merged.update(new)
    if len(merged) > MAX_TAGS:
        raise IamLimitExceeded(f"Cannot exceed quota for TagsPer{noun}: {MAX_TAGS}")
    return merged


def without_tags(current: Mapping[str, str], keys: Sequence[str]) -> dict[str, str]:
    gone = {key.lower() for key in keys}
    return {key: value for key, value in current.items() if key.lower() not in gone}


def tag_list(tags: Mapping[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# --- records as IAM's model names them ------------------------------------------------------------

BOUNDARY_TYPE = "PermissionsBoundaryPolicy"


def boundary(record: Any) -> dict | None:
    arn = getattr(record, "boundary", None)
    return None if arn is None else {"PermissionsBoundaryType": BOUNDARY_TYPE, "PermissionsBoundaryArn": arn}


def user_members(user: User, *, full: bool = False) -> dict:
    """A User: GetUser and CreateUser (``full``) add the boundary and tags a listing leaves out."""
    members = {"Path": user.path, "UserName": user.name, "UserId": user.id, "Arn": user.arn,
               "CreateDate": user.created}
    if full:
        members["PermissionsBoundary"] = boundary(user)
        if user.tags:
            members["Tags"] = tag_list(user.tags)
    return members


def group_members(group: Group) -> dict:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.id, "Arn": group.arn,
            "CreateDate": group.created}


def role_members(role: Role, *, full: bool = False) -> dict:
    members = {"Path": role.path, "RoleName": role.name, "RoleId": role.id, "Arn": role.arn,
               "CreateDate": role.created, "AssumeRolePolicyDocument": role.trust_policy,
               "Description": role.description or None, "MaxSessionDuration": role.max_session_duration}
    if full:
        members["PermissionsBoundary"] = boundary(role)
        if role.tags:
            members["Tags"] = tag_list(role.tags)
        members["RoleLastUsed"] = {}
    return members


def attached(arns: Sequence[str], directory: Directory) -> list[dict]:
    """AttachedPolicies: each ARN with its policy's name."""
    found = []
    for arn in arns:
        policy: ManagedPolicy | None = directory.policy(arn)
        found.append({"PolicyName": policy.name if policy else arn.rsplit("/", 1)[-1], "PolicyArn": arn})
    return found
