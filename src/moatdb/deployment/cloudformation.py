"""An account of a world as a CloudFormation template: its IAM managed policies, groups, users and
roles (trust, inline and managed policies, boundaries), its DynamoDB gateway endpoints with their
policies and route tables, and its DynamoDB tables with their resource policies.

What a template cannot hold is left out, and said at its top: access keys (secrets belong to no
template), VPCs (referenced by id, as the world does). The organization has a template of its own.
"""

from __future__ import annotations

import re

from moatdb.deployment import accounts, yamltext
from moatdb.deployment.documents import as_object
from moatdb.deployment.names import Names
from moatdb.world import tables as world_tables
from moatdb.world.model import Account, Group, Role, Table, User, World

FORMAT_VERSION = "2010-09-09"
_POLICY_TYPES = {"SCP": "SERVICE_CONTROL_POLICY", "RCP": "RESOURCE_CONTROL_POLICY"}
# A VPC id as EC2 gives them (and as cfn-lint checks them): 8 or 17 hexadecimal digits.
_REAL_VPC_ID = re.compile(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})\Z")


def template(world: World, account: Account) -> dict | None:
    """The account's template, or None when the account holds nothing a template declares."""
    names = Names()
    resources: dict[str, dict] = {}
    own = accounts.own_policies(account)
    policy_ids: dict[str, str] = {}
    for arn, policy in own.items():
        logical = policy_ids[arn] = names.logical("Policy", policy.name)
        properties = {"ManagedPolicyName": policy.name, "Path": policy.path}
        if policy.description:
            properties["Description"] = policy.description
        resources[logical] = {"Type": "AWS::IAM::ManagedPolicy",
                              "Properties": properties | {"PolicyDocument": as_object(policy.document)}}

    def managed(arns: tuple[str, ...]) -> list:
        # Ref of an AWS::IAM::ManagedPolicy is its ARN; naming it also orders its creation first.
        return [{"Ref": policy_ids[arn]} if arn in policy_ids else arn for arn in arns]

    group_ids: dict[str, str] = {}
    for group in account.groups:
        logical = group_ids[group.name] = names.logical("Group", group.name)
        resources[logical] = {"Type": "AWS::IAM::Group",
                              "Properties": {"GroupName": group.name, "Path": group.path}
                              | _identity(group, managed)}
    for user in account.users:
        properties = {"UserName": user.name, "Path": user.path} | _identity(user, managed)
        if user.groups:
            properties["Groups"] = [{"Ref": group_ids[name]} for name in user.groups]
        if user.boundary:
            properties["PermissionsBoundary"] = managed((user.boundary,))[0]
        if user.tags:
            properties["Tags"] = _tags(user.tags)
        resources[names.logical("User", user.name)] = {"Type": "AWS::IAM::User", "Properties": properties}
    break_glass = accounts.break_glass_roles(world)
    for role in account.roles:
        resources[names.logical("Role", role.name)] = _role(account, role, managed, break_glass)
    parameters: dict[str, dict] = {}
    for network in accounts.networks(world, account.id):
        vpc = names.logical("Vpc", network.vpc.id)
        parameters[vpc] = {"Type": "AWS::EC2::VPC::Id", "Description": f"The world's VPC {network.vpc.id}"}
        if _REAL_VPC_ID.match(network.vpc.id):
            parameters[vpc]["Default"] = network.vpc.id
        else:  # a made-up id (a local world's), which AWS would refuse: the stack asks for the real one
            parameters[vpc]["Description"] += " (give its real id)"
        for endpoint, route_tables in network.endpoints:
            properties = {"VpcId": {"Ref": vpc}, "ServiceName": accounts.service_name(world.region),
                          "VpcEndpointType": "Gateway"}
            if endpoint.policy is not None:
                properties["PolicyDocument"] = as_object(endpoint.policy)
            if route_tables:
                properties["RouteTableIds"] = list(route_tables)
            resources[names.logical("Endpoint", endpoint.id)] = {"Type": "AWS::EC2::VPCEndpoint",
                                                                 "Properties": properties}
    for table in account.tables:
        resources[names.logical("Table", table.name)] = _table(table)
    if not resources:
        return None
    return {"AWSTemplateFormatVersion": FORMAT_VERSION,
            "Description": f"moatdb world: account {account.id} ({account.name}). Access keys are not "
                           "in it: create them after the stack.",
            **({"Parameters": parameters} if parameters else {}),
            "Resources": resources}


def organization_template(world: World) -> dict | None:
    """The organization's OUs, SCPs and RCPs with their targets, for a stack in the management
    account. What a template cannot do is said in its description: move accounts, detach
    FullAWSAccess (``moatdb deploy`` does both)."""
    organization = world.organization
    if organization is None:
        return None
    names = Names()
    resources: dict[str, dict] = {}
    targets: dict[str, list] = {policy.name: [] for policy in organization.policies}
    notes: list[str] = []

    def attach(target, shown: str, attached: tuple[str, ...], full_aws_access: bool) -> None:
        for name in attached:
            targets[name].append(target)
        if not full_aws_access:
            notes.append(f"detach FullAWSAccess from {shown}")

    def place(unit, target, shown: str) -> None:
        attach(target, shown, unit.policies, unit.full_aws_access)
        for member in unit.accounts:
            notes.append(f"account {member.account} belongs in {shown}")
            attach(member.account, f"account {member.account}", member.policies, member.full_aws_access)
        for child in unit.units:
            logical = names.logical("Ou", shown, child.name)
            resources[logical] = {"Type": "AWS::Organizations::OrganizationalUnit",
                                  "Properties": {"Name": child.name, "ParentId": target}}
            place(child, {"Ref": logical}, f"{shown}/{child.name}")

    place(organization.root, {"Ref": "RootId"}, "Root")
    for policy in organization.policies:
        properties = {"Name": policy.name, "Type": _POLICY_TYPES[policy.type]}
        if policy.description:
            properties["Description"] = policy.description
        properties["Content"] = as_object(policy.document)
        if targets[policy.name]:
            properties["TargetIds"] = targets[policy.name]
        resources[names.logical(policy.type.capitalize(), policy.name)] = {"Type": "AWS::Organizations::Policy",
                                                                          "Properties": properties}
    if not resources:
        return None
    root = {"Type": "String", "AllowedPattern": "^r-[0-9a-z]{4,32}$",
            "Description": "The organization's root (aws organizations list-roots)"}
    if organization.root.id:
        root["Default"] = organization.root.id
    description = (f"moatdb world: the organization of management account {organization.management_account}, "
                   "for a stack in that account.")
    if notes:
        description += " Not in it (moatdb deploy does it): " + "; ".join(notes) + "."
    return {"AWSTemplateFormatVersion": FORMAT_VERSION, "Description": description[:1024],
            "Parameters": {"RootId": root}, "Resources": resources}


def render(template: dict) -> str:
    """The template as YAML, the same text for the same template."""
    return yamltext.dump(template)


def _identity(entity: User | Group | Role, managed) -> dict:
    properties: dict = {}
    if entity.policies:
        properties["Policies"] = [{"PolicyName": name, "PolicyDocument": as_object(document)}
                                  for name, document in entity.policies.items()]
    if entity.managed_policies:
        properties["ManagedPolicyArns"] = managed(entity.managed_policies)
    return properties


def _role(account: Account, role: Role, managed, break_glass: set[str]) -> dict:
    properties: dict = {"RoleName": role.name, "Path": role.path,
                        "AssumeRolePolicyDocument": as_object(role.trust)}
    if role.description:
        properties["Description"] = role.description
    if role.max_session_duration != 3600:
        properties["MaxSessionDuration"] = role.max_session_duration
    properties |= _identity(role, managed)
    if role.boundary:
        properties["PermissionsBoundary"] = managed((role.boundary,))[0]
    tags = dict(role.tags)
    if accounts.role_arn(account.id, role) in break_glass:
        tags[accounts.BREAK_GLASS_TAG] = "true"
    if tags:
        properties["Tags"] = _tags(tags)
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _table(table: Table) -> dict:
    request = world_tables.create_table_request(table)
    properties: dict = {name: request[name] for name in
                        ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
                         "GlobalSecondaryIndexes", "LocalSecondaryIndexes") if name in request}
    if table.stream:  # CloudFormation's StreamSpecification has the view type alone
        properties["StreamSpecification"] = {"StreamViewType": table.stream}
    if table.ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl, "Enabled": True}
    properties["DeletionProtectionEnabled"] = table.deletion_protection
    if table.policy is not None:
        properties["ResourcePolicy"] = {"PolicyDocument": as_object(table.policy)}
    if table.tags:
        properties["Tags"] = _tags(table.tags)
    # A stack deleted, or a change that replaces the table, keeps the data: tables hold what no
    # template can bring back.
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def _tags(tags: dict[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
