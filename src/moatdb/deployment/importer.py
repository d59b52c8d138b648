"""``moatdb import``: an organization read with boto3 and written as a world file that ``moatdb serve
--world`` takes: the organization's tree, SCPs and RCPs and their attachments, each account's IAM
managed policies, groups, users and roles, its DynamoDB gateway endpoints and their VPCs, its tables.

What a world cannot hold is left out and said in the file's header: AWS managed policies moatdb
does not know, accounts that cannot be reached, roles AWS manages for its services, access keys
(each user gets a new one when the world is served). The doors are made up: the public one on
127.0.0.1:8000, then one per endpoint.
"""

from __future__ import annotations

import ipaddress
import json
import re

from moatdb.auth import aws_managed
from moatdb.deployment import accounts, yamltext
from moatdb.deployment.aws import FAILURES, AccessError, Aws, error_code, pages
from moatdb.deployment.documents import DEFAULT_ENDPOINT_POLICY, as_object, same

_AWS_MANAGED = "arn:aws:iam::aws:policy/"
_ORGANIZATION_TYPES = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}
# Roles AWS creates and manages for its services: not the organization's to declare.
_AWS_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/aws-")
_ROUTE_TABLE = re.compile(r"rtb-([0-9a-f]{8}|[0-9a-f]{17})\Z")
# What deploy tags things with for itself; not the world's.
_BOOKKEEPING = "moatdb:"


class Importer:
    def __init__(self, aws: Aws):
        self.aws = aws
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def world(self) -> dict:
        organizations = self.aws.client("organizations")
        data: dict = {"version": 1, "region": self.aws.region}
        try:
            organization = organizations.describe_organization()["Organization"]
        except FAILURES as error:
            if error_code(error) != "AWSOrganizationsNotInUseException":
                raise
            organization = None
        if organization is None:
            members = {self.aws.account: self.aws.account}
            self.warn(f"account {self.aws.account} is in no organization: it is imported alone")
        else:
            members = {account["Id"]: account["Name"] for account in
                       pages(organizations, "list_accounts", "Accounts") if account.get("Status") == "ACTIVE"}
            policies, names = self.organization_policies(organizations)
            data["organization"] = {"id": organization["Id"], "management_account": organization["MasterAccountId"],
                                    "root": self.root(organizations, names, organization["MasterAccountId"])}
            if policies:
                data["policies"] = policies
        data["accounts"] = {}
        break_glass: list[str] = []
        endpoints: list[tuple[str, str]] = []  # (endpoint, the VPC's range)
        for account_id in sorted(members):
            spec, found_roles, found_endpoints = self.account(account_id, members[account_id])
            data["accounts"][account_id] = spec
            break_glass += found_roles
            endpoints += found_endpoints
        data["doors"] = [{"name": "public", "listen": "127.0.0.1:8000"}] + [
            {"name": endpoint, "listen": f"127.0.0.1:{8001 + index}", "endpoint": endpoint}
            for index, (endpoint, _) in enumerate(endpoints)]
        routes, seen = [], set()
        for endpoint, cidr in endpoints:
            if cidr in seen:  # the first endpoint of a range takes it (two VPCs may share a range)
                self.warn(f"{cidr} is routed to the first endpoint found in it, not to {endpoint}")
                continue
            seen.add(cidr)
            routes.append({"source": cidr, "endpoint": endpoint})
        if routes:
            data["routes"] = routes
        if break_glass:
            data["break_glass"] = {"roles": [{"role": arn} for arn in sorted(break_glass)]}
        return data

    # --- the organization ---------------------------------------------------------------------

    def organization_policies(self, organizations) -> tuple[dict, dict[str, str]]:
        """The SCPs and RCPs by name, and the names by policy id."""
        policies: dict[str, dict] = {}
        names: dict[str, str] = {}
        for policy_type, kind in _ORGANIZATION_TYPES.items():
            for summary in sorted(pages(organizations, "list_policies", "Policies", Filter=policy_type),
                                  key=lambda summary: summary["Name"]):
                if summary.get("AwsManaged"):
                    continue
                if summary["Name"] in policies:
                    self.warn(f"{kind} {summary['Name']} ({summary['Id']}) has the name of another policy: left out")
                    continue
                content = organizations.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                spec = {"type": kind, "id": summary["Id"]}
                if summary.get("Description"):
                    spec["description"] = summary["Description"]
                policies[summary["Name"]] = spec | {"document": as_object(content)}
                names[summary["Id"]] = summary["Name"]
        return policies, names

    def attachments(self, organizations, target: str, names: dict[str, str]) -> dict:
        attached, full_access = [], True
        for policy_type in _ORGANIZATION_TYPES:
            try:
                found = pages(organizations, "list_policies_for_target", "Policies", TargetId=target,
                              Filter=policy_type)
            except FAILURES as error:
                if error_code(error) == "PolicyTypeNotEnabledException":
                    continue
                raise
            ids = {policy["Id"] for policy in found}
            if policy_type == "SERVICE_CONTROL_POLICY":
                full_access = "p-FullAWSAccess" in ids
            attached += sorted(names[policy_id] for policy_id in ids if policy_id in names)
        spec: dict = {}
        if attached:
            spec["policies"] = attached
        if not full_access:
            spec["full_aws_access"] = False
        return spec

    def root(self, organizations, names: dict[str, str], management: str) -> dict:
        root = organizations.list_roots()["Roots"][0]
        return {"id": root["Id"], **self.unit(organizations, root["Id"], names, management)}

    def unit(self, organizations, parent: str, names: dict[str, str], management: str) -> dict:
        spec = self.attachments(organizations, parent, names)
        members = []
        for account in sorted(pages(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent),
                              key=lambda account: account["Id"]):
            attached = self.attachments(organizations, account["Id"], names)
            if account["Id"] == management and parent.startswith("r-") and not attached:
                continue  # where the management account is anyway, bound by no SCP
            members.append({"id": account["Id"], **attached} if attached else account["Id"])
        if members:
            spec["accounts"] = members
        units = []
        for child in sorted(pages(organizations, "list_organizational_units_for_parent", "OrganizationalUnits",
                                  ParentId=parent), key=lambda unit: unit["Name"]):
            units.append({"name": child["Name"], "id": child["Id"],
                          **self.unit(organizations, child["Id"], names, management)})
        if units:
            spec["units"] = units
        return spec

    # --- an account ---------------------------------------------------------------------------

    def account(self, account_id: str, name: str) -> tuple[dict, list[str], list[tuple[str, str]]]:
        spec: dict = {"name": name[:50]}
        try:
            iam = self.aws.client("iam", account_id)
            policies = self.managed_policies(iam, account_id)
            own = {policy["arn"]: policy for policy in policies}
            if policies:
                spec["managed_policies"] = [{k: v for k, v in policy.items() if k != "arn"} for policy in policies]
            groups = self.groups(iam, own)
            users = self.users(iam, own)
            roles, break_glass = self.roles(iam, own)
            vpcs, endpoints = self.vpcs(account_id)
            tables = self.tables(account_id)
        except (AccessError, *FAILURES) as error:
            self.warn(f"account {account_id} ({name}) could not be read, and holds nothing here: {error}")
            return spec, [], []
        for key, value in (("groups", groups), ("users", users), ("roles", roles), ("vpcs", vpcs),
                           ("tables", tables)):
            if value:
                spec[key] = value
        return spec, break_glass, endpoints

    def managed_policies(self, iam, account_id: str) -> list[dict]:
        found = []
        for summary in sorted(pages(iam, "list_policies", "Policies", Scope="Local"), key=lambda p: p["Arn"]):
            version = iam.get_policy_version(PolicyArn=summary["Arn"], VersionId=summary["DefaultVersionId"])
            policy = {"arn": summary["Arn"], "name": summary["PolicyName"]}
            if summary.get("Path", "/") != "/":
                policy["path"] = summary["Path"]
            description = iam.get_policy(PolicyArn=summary["Arn"])["Policy"].get("Description")
            if description:
                policy["description"] = description
            found.append(policy | {"document": _document(version["PolicyVersion"]["Document"])})
        return found

    def references(self, attached: list[dict], own: dict[str, dict], where: str) -> list[str]:
        """Attached managed policies as the world names them; AWS managed ones moatdb does not know
        are left out, and said."""
        found = []
        for policy in sorted(attached, key=lambda policy: policy["PolicyArn"]):
            arn = policy["PolicyArn"]
            if arn.startswith(_AWS_MANAGED) and arn not in aws_managed.POLICIES:
                self.warn(f"{where}: AWS managed policy {arn} left out (moatdb does not know it)")
            elif arn in own:
                found.append(own[arn]["name"] if "path" not in own[arn] else arn)
            else:
                found.append(arn)
        return found

    def boundary(self, entity: dict, own: dict[str, dict], where: str) -> str | None:
        arn = entity.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if arn is None:
            return None
        found = self.references([{"PolicyArn": arn}], own, f"{where}'s boundary")
        return found[0] if found else None

    def inline(self, iam, kind: str, name: str) -> dict:
        key = {"group": "GroupName", "user": "UserName", "role": "RoleName"}[kind]
        return {policy: _document(getattr(iam, f"get_{kind}_policy")(**{key: name, "PolicyName": policy})
                                  ["PolicyDocument"])
                for policy in sorted(pages(iam, f"list_{kind}_policies", "PolicyNames", **{key: name}))}

    def identity(self, iam, kind: str, name: str, own: dict[str, dict], where: str) -> dict:
        key = {"group": "GroupName", "user": "UserName", "role": "RoleName"}[kind]
        spec: dict = {}
        inline = self.inline(iam, kind, name)
        if inline:
            spec["policies"] = inline
        attached = self.references(pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **{key: name}),
                                   own, where)
        if attached:
            spec["managed_policies"] = attached
        return spec

    def groups(self, iam, own: dict[str, dict]) -> list[dict]:
        return [{"name": group["GroupName"], **_path(group),
                 **self.identity(iam, "group", group["GroupName"], own, f"group {group['Arn']}")}
                for group in sorted(pages(iam, "list_groups", "Groups"), key=lambda group: group["GroupName"])]

    def users(self, iam, own: dict[str, dict]) -> list[dict]:
        found = []
        for summary in sorted(pages(iam, "list_users", "Users"), key=lambda user: user["UserName"]):
            name = summary["UserName"]
            user = iam.get_user(UserName=name)["User"]
            spec = {"name": name, **_path(user), **self.identity(iam, "user", name, own, f"user {user['Arn']}")}
            groups = sorted(group["GroupName"] for group in pages(iam, "list_groups_for_user", "Groups", UserName=name))
            if groups:
                spec["groups"] = groups
            boundary = self.boundary(user, own, f"user {user['Arn']}")
            if boundary:
                spec["boundary"] = boundary
            tags = _tags(pages(iam, "list_user_tags", "Tags", UserName=name))
            if tags:
                spec["tags"] = tags
            found.append(spec)
        return found

    def roles(self, iam, own: dict[str, dict]) -> tuple[list[dict], list[str]]:
        found, break_glass = [], []
        for summary in sorted(pages(iam, "list_roles", "Roles"), key=lambda role: role["RoleName"]):
            if summary.get("Path", "/").startswith(_AWS_ROLE_PATHS):
                continue
            name = summary["RoleName"]
            role = iam.get_role(RoleName=name)["Role"]
            spec = {"name": name, **_path(role), "trust": _document(role["AssumeRolePolicyDocument"])}
            if role.get("Description"):
                spec["description"] = role["Description"]
            if role.get("MaxSessionDuration", 3600) != 3600:
                spec["max_session_duration"] = role["MaxSessionDuration"]
            spec |= self.identity(iam, "role", name, own, f"role {role['Arn']}")
            boundary = self.boundary(role, own, f"role {role['Arn']}")
            if boundary:
                spec["boundary"] = boundary
            every_tag = pages(iam, "list_role_tags", "Tags", RoleName=name)
            if any(tag["Key"] == accounts.BREAK_GLASS_TAG and tag["Value"] == "true" for tag in every_tag):
                break_glass.append(role["Arn"])
            tags = _tags(every_tag)
            if tags:
                spec["tags"] = tags
            found.append(spec)
        return found, break_glass

    def vpcs(self, account_id: str) -> tuple[list[dict], list[tuple[str, str]]]:
        ec2 = self.aws.client("ec2", account_id)
        endpoints = [endpoint for endpoint in pages(
            ec2, "describe_vpc_endpoints", "VpcEndpoints",
            Filters=[{"Name": "service-name", "Values": [accounts.service_name(self.aws.region)]}])
            if endpoint.get("VpcEndpointType", "Gateway") == "Gateway"
            and endpoint.get("State", "available").lower() not in ("deleted", "deleting", "failed", "rejected")]
        if not endpoints:
            return [], []
        ranges = {vpc["VpcId"]: vpc["CidrBlock"] for vpc in
                  pages(ec2, "describe_vpcs", "Vpcs", VpcIds=sorted({e["VpcId"] for e in endpoints}))}
        vpcs, found = [], []
        for vpc_id in sorted(ranges):
            specs = []
            for endpoint in sorted((e for e in endpoints if e["VpcId"] == vpc_id), key=lambda e: e["VpcEndpointId"]):
                spec: dict = {"id": endpoint["VpcEndpointId"]}
                policy = endpoint.get("PolicyDocument")
                if policy and not same(policy, DEFAULT_ENDPOINT_POLICY):
                    spec["policy"] = as_object(policy)
                tables = sorted(t for t in endpoint.get("RouteTableIds", []) if _ROUTE_TABLE.match(t))
                if tables:
                    spec["route_tables"] = tables
                specs.append(spec)
                found.append((endpoint["VpcEndpointId"], str(ipaddress.ip_network(ranges[vpc_id], strict=False))))
            vpcs.append({"id": vpc_id, "cidr": ranges[vpc_id], "endpoints": specs})
        return vpcs, found

    def tables(self, account_id: str) -> list[dict]:
        dynamodb = self.aws.client("dynamodb", account_id)
        return [self.table(dynamodb, name) for name in sorted(pages(dynamodb, "list_tables", "TableNames"))]

    def table(self, dynamodb, name: str) -> dict:
        table = dynamodb.describe_table(TableName=name)["Table"]
        spec: dict = {"name": name,
                      "attributes": {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]},
                      "key": _key(table["KeySchema"])}
        billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        throughput = table.get("ProvisionedThroughput", {})
        if billing == "PROVISIONED" and throughput.get("ReadCapacityUnits"):
            spec["billing_mode"] = "PROVISIONED"
            spec["capacity"] = {"read": throughput["ReadCapacityUnits"], "write": throughput["WriteCapacityUnits"]}
        for side, key in (("global_indexes", "GlobalSecondaryIndexes"), ("local_indexes", "LocalSecondaryIndexes")):
            indexes = [_index(index) for index in sorted(table.get(key, []), key=lambda index: index["IndexName"])]
            if indexes:
                spec[side] = indexes
        ttl = dynamodb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName"):
            spec["ttl"] = ttl["AttributeName"]
        stream = table.get("StreamSpecification", {})
        if stream.get("StreamEnabled"):
            spec["stream"] = stream["StreamViewType"]
        if table.get("DeletionProtectionEnabled"):
            spec["deletion_protection"] = True
        try:
            spec["policy"] = as_object(dynamodb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"])
        except FAILURES as error:
            if error_code(error) not in ("PolicyNotFoundException", "ResourceNotFoundException"):
                raise
        tags = _tags(pages(dynamodb, "list_tags_of_resource", "Tags", ResourceArn=table["TableArn"]))
        if tags:
            spec["tags"] = tags
        return spec


def render(data: dict, warnings: list[str], source: str) -> str:
    """The world file: a header saying where it came from and what was left out, then the YAML."""
    header = [f"# A world imported by moatdb import from {source}.",
              "# Serve it with: moatdb serve --world FILE (docs/export-deploy-import.md)."]
    if warnings:
        header += ["#", "# Left out or changed:"] + [f"#   - {warning}" for warning in warnings]
    return "\n".join(header) + "\n\n" + yamltext.dump(data)


def _document(document: str | dict) -> dict:
    # boto3 decodes IAM's URL-encoded documents into objects; a stand-in may leave them as text.
    return json.loads(document) if isinstance(document, str) else document


def _path(entity: dict) -> dict:
    return {"path": entity["Path"]} if entity.get("Path", "/") != "/" else {}


def _tags(tags: list[dict]) -> dict:
    return {tag["Key"]: tag["Value"] for tag in sorted(tags, key=lambda tag: tag["Key"])
            if not tag["Key"].startswith(_BOOKKEEPING) and not tag["Key"].lower().startswith("aws:")}


def _key(schema: list[dict]) -> list[str]:
    return [entry["AttributeName"] for entry in sorted(schema, key=lambda entry: entry["KeyType"] != "HASH")]


def _index(index: dict) -> dict:
    spec: dict = {"name": index["IndexName"], "key": _key(index["KeySchema"])}
    projection = index.get("Projection", {})
    kind = projection.get("ProjectionType", "ALL")
    if kind == "INCLUDE":
        spec["projection"] = list(projection.get("NonKeyAttributes", []))
    elif kind != "ALL":
        spec["projection"] = kind
    return spec
