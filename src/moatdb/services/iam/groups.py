"""Groups and their members (IAM API Reference: CreateGroup, GetGroup, ListGroups, DeleteGroup,
AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser). A user's permissions include its groups'
policies from its next request on."""

from __future__ import annotations

from moatdb.auth.directory import GROUP
from moatdb.auth.principals import Group
from moatdb.errors import NoSuchEntity
from moatdb.services.iam.call import Call, by_name, group_members, page, resource_context, under, user_members
from moatdb.services.iam.users import existing as existing_user
from moatdb.services.iam.users import user_arn


def _group(call: Call) -> tuple[str, Group | None, str]:
    name = call.params["GroupName"]
    group = call.directory.group(call.account, name)
    return name, group, group.arn if group is not None else call.arn("group", name)


def _existing(group: Group | None, name: str) -> Group:
    if group is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return group


def create_group(call: Call) -> dict:
    name, path = call.params["GroupName"], call.params.get("Path", "/")
    call.require(call.arn("group", name, path))
    return {"Group": group_members(call.directory.create_group(call.account, name, path=path))}


def get_group(call: Call) -> dict:
    name, group, arn = _group(call)
    call.require(arn)
    group = _existing(group, name)
    members = [user for user in call.directory.users(call.account) if user.name in group.members]
    return {"Group": group_members(group), **page(call, members, by_name, "Users", user_members)}


def list_groups(call: Call) -> dict:
    call.require("*")
    found = under(call.directory.groups(call.account), call.params.get("PathPrefix"))
    return page(call, found, by_name, "Groups", group_members)


def delete_group(call: Call) -> None:
    name, _, arn = _group(call)
    call.require(arn)
    call.directory.delete(GROUP, call.account, name)


def add_user_to_group(call: Call) -> None:
    name, group, arn = _group(call)
    call.require(arn)
    _existing(group, name)
    call.directory.add_user_to_group(call.account, name, call.params["UserName"])


def remove_user_from_group(call: Call) -> None:
    name, group, arn = _group(call)
    call.require(arn)
    _existing(group, name)
    user = call.params["UserName"]
    existing_user(call.directory.user(call.account, user), user)
    call.directory.remove_user_from_group(call.account, name, user)


def list_groups_for_user(call: Call) -> dict:
    name = call.params["UserName"]
    user, arn = user_arn(call, name)
    call.require(arn, resource_context(user))
    existing_user(user, name)
    return page(call, call.directory.groups_of(call.account, name), by_name, "Groups", group_members)


OPERATIONS = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "ListGroups": list_groups,
    "DeleteGroup": delete_group,
    "AddUserToGroup": add_user_to_group,
    "RemoveUserFromGroup": remove_user_from_group,
    "ListGroupsForUser": list_groups_for_user,
}
