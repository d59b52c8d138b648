"""The organization's shape: the organization, its root, OUs and accounts, and where each sits.

Sources: the Organizations API Reference, one page per operation (its parameters, output and
errors, worded here as the reference words them).
"""

from __future__ import annotations

from moatdb.auth.organization import Member, Unit
from moatdb.errors import OrganizationsError
from moatdb.services.organizations.call import (
    Call,
    account_members,
    page,
    root_members,
    unit_members,
)
from moatdb.services.organizations.tags import given, request_context


def describe_organization(call: Call) -> dict:
    call.require("*")
    record = call.record
    management = call.organization.member(record.management_account)
    return {"Organization": {
        "Id": record.id, "Arn": record.arn, "FeatureSet": "ALL",
        "MasterAccountArn": call.account_arn(record.management_account),
        "MasterAccountId": record.management_account,
        "MasterAccountEmail": management.email if management else "",
        # Deprecated (API Reference, Organization): AWS lists only SCPs here, whatever is enabled;
        # ListRoots tells the policy types enabled.
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
    }}


def describe_account(call: Call) -> dict:
    account = call.params["AccountId"]
    call.require(call.account_arn(account))
    member = call.organization.member(account)
    if member is None:
        raise OrganizationsError("AccountNotFoundException", "We can't find an AWS account with the AccountId that "
                                 "you specified, or the account whose credentials you used to make this request "
                                 "isn't a member of an organization.")
    return {"Account": account_members(call, member)}


def describe_organizational_unit(call: Call) -> dict:
    unit_id = call.params["OrganizationalUnitId"]
    call.require(call.unit_arn(unit_id))
    unit = call.organization.unit(unit_id)
    if unit is None:
        raise OrganizationsError("OrganizationalUnitNotFoundException", "We can't find an OU with the "
                                 "OrganizationalUnitId that you specified.")
    return {"OrganizationalUnit": unit_members(call, unit)}


def list_roots(call: Call) -> dict:
    call.require("*")
    return page(call, [call.record.root], str, "Roots", lambda _: root_members(call))


def list_accounts(call: Call) -> dict:
    call.require("*")
    return page(call, call.organization.members(), _id, "Accounts", lambda member: account_members(call, member))


def list_accounts_for_parent(call: Call) -> dict:
    parent = _parent(call, "ParentId")
    members = [member for member in call.organization.members() if member.parent == parent]
    return page(call, members, _id, "Accounts", lambda member: account_members(call, member))


def list_organizational_units_for_parent(call: Call) -> dict:
    parent = _parent(call, "ParentId")
    units = [unit for unit in call.organization.units() if unit.parent == parent]
    return page(call, units, _id, "OrganizationalUnits", lambda unit: unit_members(call, unit))


def list_children(call: Call) -> dict:
    parent = _parent(call, "ParentId")
    child_type = call.params["ChildType"]
    records = call.organization.members() if child_type == "ACCOUNT" else call.organization.units()
    children = [record for record in records if record.parent == parent]
    return page(call, children, _id, "Children", lambda child: {"Id": child.id, "Type": child_type})


def list_parents(call: Call) -> dict:
    child = call.params["ChildId"]
    call.require(call.target_arn(child))
    chain = call.organization.chain(child)
    if chain is None:
        raise OrganizationsError("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS "
                                 "account with the ChildId that you specified.")
    parent = chain[-2]  # a child's chain is the root, the OUs above it, and itself
    kind = "ROOT" if parent == call.record.root else "ORGANIZATIONAL_UNIT"
    return page(call, [parent], str, "Parents", lambda found: {"Id": found, "Type": kind})


def list_aws_service_access_for_organization(call: Call) -> dict:
    """No AWS service is integrated with moatdb's organization; Terraform's organization data
    source asks all the same."""
    call.require("*")
    return {"EnabledServicePrincipals": []}


def create_organizational_unit(call: Call) -> dict:
    parent = call.params["ParentId"]
    tags = given(call.params.get("Tags"))
    call.require(call.target_arn(parent), context=request_context(tags))
    unit = call.organization.create_unit(parent, call.params["Name"])
    if tags:
        call.tags.set(unit.id, tags)
    return {"OrganizationalUnit": unit_members(call, unit)}


def move_account(call: Call) -> None:
    params = call.params
    account, source, destination = params["AccountId"], params["SourceParentId"], params["DestinationParentId"]
    call.require(call.account_arn(account), call.target_arn(source), call.target_arn(destination))
    call.organization.move_account(account, source, destination)


def _parent(call: Call, name: str) -> str:
    """A root or OU parameter, authorized and found."""
    parent = call.params[name]
    call.require(call.target_arn(parent))
    if not call.is_parent(parent):
        raise OrganizationsError("ParentNotFoundException", "We can't find a root or OU with the ParentId that "
                                 "you specified.")
    return parent


def _id(record: Member | Unit) -> str:
    return record.id


OPERATIONS = {
    "DescribeOrganization": describe_organization, "DescribeAccount": describe_account,
    "DescribeOrganizationalUnit": describe_organizational_unit, "ListRoots": list_roots,
    "ListAccounts": list_accounts, "ListAccountsForParent": list_accounts_for_parent,
    "ListOrganizationalUnitsForParent": list_organizational_units_for_parent,
    "ListChildren": list_children, "ListParents": list_parents,
    "ListAWSServiceAccessForOrganization": list_aws_service_access_for_organization,
    "CreateOrganizationalUnit": create_organizational_unit, "MoveAccount": move_account,
}
