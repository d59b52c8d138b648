"""Users, their tags and their access keys (IAM API Reference: CreateUser, GetUser, ListUsers,
DeleteUser, TagUser, UntagUser, ListUserTags, CreateAccessKey, ListAccessKeys, UpdateAccessKey,
DeleteAccessKey)."""

from __future__ import annotations

from dataclasses import replace

from moatdb.auth.directory import USER
from moatdb.auth.principals import User
from moatdb.errors import IamValidationError, InvalidInput, NoSuchEntity
from moatdb.services.iam.call import (
    Call,
    by_name,
    merge_tags,
    page,
    resource_context,
    tag_context,
    tag_list,
    tags_given,
    under,
    user_members,
    without_tags,
)

# IAM's answer to a call that names no user, made with a role's credentials (GetUser,
# CreateAccessKey, ListAccessKeys... act on the calling user when UserName is left out).
NOT_A_USER = "Must specify userName when calling with non-User credentials"


def user_arn(call: Call, name: str) -> tuple[User | None, str]:
    """The user named ``name`` (None when there is none) and the ARN a request about it names."""
    user = call.directory.user(call.account, name)
    return user, user.arn if user is not None else call.arn("user", name)


def existing(user: User | None, name: str) -> User:
    if user is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return user


def named_or_caller(call: Call) -> str:
    """The UserName parameter, or, left out, the calling user's own name."""
    name = call.params.get("UserName")
    if name is not None:
        return name
    identity = call.caller.identity
    if identity.is_role_session or ":user/" not in identity.arn:
        raise IamValidationError(NOT_A_USER)
    return identity.arn.rsplit("/", 1)[-1]


# --- users ----------------------------------------------------------------------------------------


def create_user(call: Call) -> dict:
    p = call.params
    name, path = p["UserName"], p.get("Path", "/")
    tags = tags_given(call)
    context = tag_context(tags)
    boundary = p.get("PermissionsBoundary")
    if boundary is not None:
        context["iam:permissionsboundary"] = (boundary,)
    call.require(call.arn("user", name, path), context)
    if boundary is not None:
        call.attachable(call.policy_arn("PermissionsBoundary"))
    user = call.directory.create_user(call.account, name, path=path, tags=tags, boundary=boundary)
    return {"User": user_members(user, full=True)}


def get_user(call: Call) -> dict:
    name = named_or_caller(call)
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    return {"User": user_members(existing(user, name), full=True)}


def list_users(call: Call) -> dict:
    call.require("*")
    found = under(call.directory.users(call.account), call.params.get("PathPrefix"))
    return page(call, found, by_name, "Users", user_members)


def delete_user(call: Call) -> None:
    name = call.params["UserName"]
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    call.directory.delete(USER, call.account, name)


def tag_user(call: Call) -> None:
    name = call.params["UserName"]
    tags = tags_given(call)
    user, arn = user_arn(call, name)
    call.require(arn, {**resource_context(user), **tag_context(tags)})
    call.directory.update(USER, call.account, name, lambda u: replace(u, tags=merge_tags(u.tags, tags, "User")))


def untag_user(call: Call) -> None:
    name, keys = call.params["UserName"], call.params["TagKeys"]
    user, arn = user_arn(call, name)
    call.require(arn, {**resource_context(user), **({"aws:tagkeys": tuple(keys)} if keys else {})})
    call.directory.update(USER, call.account, name, lambda u: replace(u, tags=without_tags(u.tags, keys)))


def list_user_tags(call: Call) -> dict:
    name = call.params["UserName"]
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    tags = tag_list(existing(user, name).tags)
    return page(call, tags, lambda tag: tag["Key"].lower(), "Tags")


# --- access keys ----------------------------------------------------------------------------------


def create_access_key(call: Call) -> dict:
    name = named_or_caller(call)
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    key = call.directory.create_access_key(call.account, name)
    return {"AccessKey": {"UserName": key.user, "AccessKeyId": key.id, "Status": key.status,
                          "SecretAccessKey": key.secret, "CreateDate": key.created}}


def list_access_keys(call: Call) -> dict:
    name = named_or_caller(call)
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    existing(user, name)
    keys = call.directory.access_keys(call.account, name)
    return page(call, keys, lambda key: key.id, "AccessKeyMetadata", lambda key: {
        "UserName": key.user, "AccessKeyId": key.id, "Status": key.status, "CreateDate": key.created})


def _own_key(call: Call, name: str) -> None:
    """The AccessKeyId parameter must name a key of the user (IAM answers a key of another user as
    one that does not exist)."""
    key_id = call.params["AccessKeyId"]
    if not any(key.id == key_id for key in call.directory.access_keys(call.account, name)):
        raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


def update_access_key(call: Call) -> None:
    name = named_or_caller(call)
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    status = call.params["Status"]
    if status not in ("Active", "Inactive"):
        # The model's statusType also holds "Expired", which a caller cannot set.
        raise InvalidInput(f"Status {status} is not valid: an access key is made Active or Inactive.")
    existing(user, name)
    _own_key(call, name)
    call.directory.set_access_key_status(call.params["AccessKeyId"], status)


def delete_access_key(call: Call) -> None:
    name = named_or_caller(call)
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    existing(user, name)
    _own_key(call, name)
    call.directory.delete_access_key(call.params["AccessKeyId"])


OPERATIONS = {
    "CreateUser": create_user,
    "GetUser": get_user,
    "ListUsers": list_users,
    "DeleteUser": delete_user,
    "TagUser": tag_user,
    "UntagUser": untag_user,
    "ListUserTags": list_user_tags,
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
}
