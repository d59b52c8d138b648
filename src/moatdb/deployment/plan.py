"""What ``moatdb deploy`` would do: a world compared with what AWS holds, read before anything is
written, as steps to create, to change, to leave alone, or blocking the deploy.

Nothing AWS holds is deleted. What deploy creates it tags (``moatdb:managed-by``) and changes on
later deploys; what it finds that it did not create it leaves as it is, however it differs from
the world (IAM groups take no tags: an existing group is always left alone). Accounts and VPCs are
AWS's to create: they must exist. A step runs later than the plan, so the ids of what earlier steps
create (the organization's root, OUs, policies, endpoints) are looked up when the step runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from moatdb.deployment import accounts
from moatdb.deployment.aws import FAILURES, AccessError, Aws, error_code, pages
from moatdb.deployment.documents import DEFAULT_ENDPOINT_POLICY, same, text
from moatdb.world import model
from moatdb.world import tables as world_tables

OWNER_TAG = "moatdb:managed-by"
OWNER = "moatdb deploy"
# What a created gateway endpoint remembers of the world: AWS gives it an id of its own.
ENDPOINT_TAG = "moatdb:endpoint"
CREATE, CHANGE, LEAVE, BLOCKED = "create", "change", "leave", "blocked"
_TYPES = {"SCP": "SERVICE_CONTROL_POLICY", "RCP": "RESOURCE_CONTROL_POLICY"}
_FULL_AWS_ACCESS = "p-FullAWSAccess"


@dataclass
class Step:
    action: str  # CREATE, CHANGE, LEAVE or BLOCKED
    what: str
    why: str = ""
    run: Callable[[], None] | None = None

    def line(self) -> str:
        return f"{self.what}" + (f": {self.why}" if self.why else "")


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    def add(self, action: str, what: str, why: str = "", run: Callable[[], None] | None = None) -> None:
        self.steps.append(Step(action, what, why, run))

    @property
    def work(self) -> list[Step]:
        return [step for step in self.steps if step.action in (CREATE, CHANGE)]

    @property
    def blocked(self) -> list[Step]:
        return [step for step in self.steps if step.action == BLOCKED]

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)


def _tags(tags: dict[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in {**tags, OWNER_TAG: OWNER}.items()]


def _owned(tags: list[dict]) -> bool:
    return any(tag["Key"] == OWNER_TAG for tag in tags)


class Planner:
    """Reads AWS once, and plans the world onto it."""

    def __init__(self, world: model.World, aws: Aws):
        self.world = world
        self.aws = aws
        self.plan = Plan()
        self.ids: dict[tuple[str, str], str] = {}  # ("ou", "Root/prod") -> id, ("policy", name) -> id, ...
        self.missing: set[str] = set()  # accounts the world places in the organization, which it lacks
        self.organized = False  # whether AWS has the organization yet (else there is nothing to read in it)

    def make(self) -> Plan:
        organization = self.world.organization
        if organization is not None:
            if self.aws.account != organization.management_account:
                self.plan.add(BLOCKED, f"organization of management account {organization.management_account}",
                              f"the profile is of account {self.aws.account}: deploy with the management "
                              "account's credentials")
                return self.plan
            self.organization(organization)
        for account in self.world.accounts:
            if account.id in self.missing:
                continue  # blocked already: not in the organization
            why = self.aws.reachable(account.id)
            if why is not None:
                self.plan.add(BLOCKED, f"account {account.id} ({account.name})", why)
                continue
            self.account(account)
        return self.plan

    # --- the organization ---------------------------------------------------------------------

    def organization(self, organization: model.Organization) -> None:
        client = self.aws.client("organizations")
        try:
            current = client.describe_organization()["Organization"]
        except FAILURES as error:
            if error_code(error) != "AWSOrganizationsNotInUseException":
                raise
            current = None
        if current is None:
            self.plan.add(CREATE, "organization", "all features, with this account as its management account",
                          lambda: client.create_organization(FeatureSet="ALL"))
            existing_accounts = {self.aws.account}
        elif current["MasterAccountId"] != self.aws.account:
            self.plan.add(BLOCKED, f"organization {current['Id']}", f"its management account is "
                          f"{current['MasterAccountId']}, not the world's {organization.management_account}")
            return
        else:
            existing_accounts = {account["Id"] for account in pages(client, "list_accounts", "Accounts")}
            self.organized = True
            self.plan.add(LEAVE, f"organization {current['Id']}", "exists")

        def root_id() -> str:
            if ("root", "Root") not in self.ids:
                self.ids[("root", "Root")] = client.list_roots()["Roots"][0]["Id"]
            return self.ids[("root", "Root")]

        root = None if current is None else client.list_roots()["Roots"][0]
        enabled = set() if root is None else {
            policy_type["Type"] for policy_type in root.get("PolicyTypes", []) if policy_type["Status"] == "ENABLED"}
        wanted = ["SERVICE_CONTROL_POLICY"] + (["RESOURCE_CONTROL_POLICY"] if any(
            policy.type == "RCP" for policy in organization.policies) else [])
        for policy_type in wanted:
            if policy_type not in enabled:
                self.plan.add(CHANGE, f"policy type {policy_type}", "enabled on the root",
                              lambda policy_type=policy_type: _enable(client, root_id(), policy_type))
        self.organization_policies(client, organization, current is not None)
        self.unit(client, organization.root, "Root", None if root is None else root["Id"], root_id, existing_accounts)

    def organization_policies(self, client, organization: model.Organization, exists: bool) -> None:
        current: dict[tuple[str, str], dict] = {}
        if exists:
            for policy_type in _TYPES.values():
                for summary in pages(client, "list_policies", "Policies", Filter=policy_type):
                    current[(policy_type, summary["Name"])] = summary
        for policy in organization.policies:
            policy_type = _TYPES[policy.type]
            what = f"{policy.type} {policy.name}"
            summary = current.get((policy_type, policy.name))
            if summary is None:
                def create(policy=policy, policy_type=policy_type) -> None:
                    created = client.create_policy(Content=text(policy.document), Description=policy.description,
                                                   Name=policy.name, Type=policy_type, Tags=_tags({}))
                    self.ids[("policy", policy.name)] = created["Policy"]["PolicySummary"]["Id"]
                self.plan.add(CREATE, what, "", create)
                continue
            self.ids[("policy", policy.name)] = summary["Id"]
            content = client.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
            differs = not same(content, policy.document) or summary.get("Description", "") != policy.description
            if not _owned(pages(client, "list_tags_for_resource", "Tags", ResourceId=summary["Id"])):
                self.plan.add(LEAVE, f"{what} ({summary['Id']})", "exists, not created by moatdb deploy"
                              + ("; it differs from the world" if differs else ""))
            elif differs:
                self.plan.add(CHANGE, f"{what} ({summary['Id']})", "its document or description",
                              lambda policy=policy, policy_id=summary["Id"]: client.update_policy(
                                  PolicyId=policy_id, Content=text(policy.document), Description=policy.description))
            else:
                self.plan.add(LEAVE, f"{what} ({summary['Id']})", "as the world says")

    def unit(self, client, unit: model.Unit, shown: str, unit_id: str | None, resolve: Callable[[], str],
             existing_accounts: set[str]) -> None:
        """Plans an existing (``unit_id``) or new root or OU: its attachments, accounts and children."""
        self.attachments(client, unit_id, resolve, shown, unit.policies, unit.full_aws_access)
        for member in unit.accounts:
            if member.account not in existing_accounts:
                self.plan.add(BLOCKED, f"account {member.account}", "not in the organization: create or invite "
                              "it (AWS chooses account ids), then give its id in the world")
                self.missing.add(member.account)
                continue
            # Before the organization exists, its one account (the management account) has no parent yet.
            parent = None if not self.organized else (
                client.list_parents(ChildId=member.account)["Parents"] or [{"Id": None}])[0]["Id"]
            if unit_id is None or parent != unit_id:
                self.plan.add(CHANGE, f"account {member.account}", f"moved into {shown}",
                              lambda account=member.account, resolve=resolve: _move(client, account, resolve()))
            else:
                self.plan.add(LEAVE, f"account {member.account}", f"in {shown}")
            self.attachments(client, member.account, lambda account=member.account: account,
                             f"account {member.account}", member.policies, member.full_aws_access)
        children = {} if unit_id is None else {
            child["Name"]: child["Id"] for child in
            pages(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=unit_id)}
        for child in unit.units:
            path = f"{shown}/{child.name}"
            child_id = children.get(child.name)
            if child_id is None:
                def create(child=child, path=path, resolve=resolve) -> None:
                    created = client.create_organizational_unit(ParentId=resolve(), Name=child.name, Tags=_tags({}))
                    self.ids[("ou", path)] = created["OrganizationalUnit"]["Id"]
                self.plan.add(CREATE, f"OU {path}", "", create)
            else:
                self.ids[("ou", path)] = child_id
                self.plan.add(LEAVE, f"OU {path} ({child_id})", "exists")
            self.unit(client, child, path, child_id, lambda path=path: self.ids[("ou", path)], existing_accounts)

    def attachments(self, client, target: str | None, resolve: Callable[[], str], shown: str,
                    policies: tuple[str, ...], full_aws_access: bool) -> None:
        attached: set[str] = set()
        if target is not None and self.organized:
            for policy_type in _TYPES.values():
                try:
                    attached |= {policy["Id"] for policy in pages(client, "list_policies_for_target", "Policies",
                                                                   TargetId=target, Filter=policy_type)}
                except FAILURES as error:
                    if error_code(error) != "PolicyTypeNotEnabledException":
                        raise
        for name in policies:
            policy_id = self.ids.get(("policy", name))
            if policy_id is not None and policy_id in attached:
                self.plan.add(LEAVE, f"{name} attached to {shown}")
                continue
            self.plan.add(CREATE, f"{name} attached to {shown}", "",
                          lambda name=name, resolve=resolve: client.attach_policy(PolicyId=self.ids[("policy", name)],
                                                                                  TargetId=resolve()))
        if not full_aws_access and (target is None or not self.organized or _FULL_AWS_ACCESS in attached):
            # After the attachments above: Organizations keeps at least one SCP on every target.
            self.plan.add(CHANGE, f"FullAWSAccess detached from {shown}", "the world's allow-list",
                          lambda resolve=resolve: client.detach_policy(PolicyId=_FULL_AWS_ACCESS, TargetId=resolve()))

    # --- an account ---------------------------------------------------------------------------

    def account(self, account: model.Account) -> None:
        iam = self.aws.client("iam", account.id)
        break_glass = accounts.break_glass_roles(self.world)
        for policy in account.managed_policies:
            self.managed_policy(iam, account, policy)
        for group in account.groups:
            self.group(iam, account, group)
        for user in account.users:
            self.user(iam, account, user)
        for role in account.roles:
            tags = dict(role.tags)
            if accounts.role_arn(account.id, role) in break_glass:
                tags[accounts.BREAK_GLASS_TAG] = "true"
            self.role(iam, account, role, tags)
        for network in accounts.networks(self.world, account.id):
            self.network(account, network)
        if account.tables:
            dynamodb = self.aws.client("dynamodb", account.id)
            for table in account.tables:
                self.table(dynamodb, account, table)

    def managed_policy(self, iam, account: model.Account, policy: model.ManagedPolicy) -> None:
        arn = accounts.policy_arn(account.id, policy)
        what = f"managed policy {arn}"
        try:
            current = iam.get_policy(PolicyArn=arn)["Policy"]
        except FAILURES as error:
            if error_code(error) != "NoSuchEntity":
                raise
            self.plan.add(CREATE, what, "", lambda: iam.create_policy(
                PolicyName=policy.name, Path=policy.path, PolicyDocument=text(policy.document),
                Description=policy.description, Tags=_tags({})))
            return
        document = iam.get_policy_version(PolicyArn=arn, VersionId=current["DefaultVersionId"])["PolicyVersion"]
        differs = not same(document["Document"], policy.document)
        if not _owned(pages(iam, "list_policy_tags", "Tags", PolicyArn=arn)):
            self.plan.add(LEAVE, what, "exists, not created by moatdb deploy"
                          + ("; it differs from the world" if differs else ""))
        elif differs:
            self.plan.add(CHANGE, what, "a new default version", lambda: _new_version(iam, arn, policy.document))
        else:
            self.plan.add(LEAVE, what, "as the world says")

    def group(self, iam, account: model.Account, group: model.Group) -> None:
        what = f"group arn:aws:iam::{account.id}:group{group.path}{group.name}"
        try:
            iam.get_group(GroupName=group.name)
        except FAILURES as error:
            if error_code(error) != "NoSuchEntity":
                raise

            def create() -> None:
                iam.create_group(GroupName=group.name, Path=group.path)
                _identity(iam, "group", group.name, group.policies, group.managed_policies)
            self.plan.add(CREATE, what, _parts(group), create)
            return
        self.plan.add(LEAVE, what, "exists (IAM groups take no tags: moatdb deploy changes no existing group)")

    def user(self, iam, account: model.Account, user: model.User) -> None:
        what = f"user arn:aws:iam::{account.id}:user{user.path}{user.name}"
        try:
            current = iam.get_user(UserName=user.name)["User"]
        except FAILURES as error:
            if error_code(error) != "NoSuchEntity":
                raise

            def create() -> None:
                extra = {"PermissionsBoundary": user.boundary} if user.boundary else {}
                iam.create_user(UserName=user.name, Path=user.path, Tags=_tags(user.tags), **extra)
                _identity(iam, "user", user.name, user.policies, user.managed_policies)
                for group in user.groups:
                    iam.add_user_to_group(GroupName=group, UserName=user.name)
            self.plan.add(CREATE, what, " ".join(filter(None, [_parts(user), "(no access key: create one with IAM)"])),
                          create)
            return
        tags = pages(iam, "list_user_tags", "Tags", UserName=user.name)
        changes = self.identity_changes(iam, "user", user.name, user, current, tags)
        groups = {g["GroupName"] for g in pages(iam, "list_groups_for_user", "Groups", UserName=user.name)}
        for group in user.groups:
            if group not in groups:
                changes.append((f"added to group {group}",
                                lambda group=group: iam.add_user_to_group(GroupName=group, UserName=user.name)))
        self.changed(what, tags, changes)

    def role(self, iam, account: model.Account, role: model.Role, tags: dict[str, str]) -> None:
        what = f"role {accounts.role_arn(account.id, role)}"
        try:
            current = iam.get_role(RoleName=role.name)["Role"]
        except FAILURES as error:
            if error_code(error) != "NoSuchEntity":
                raise

            def create() -> None:
                extra = {"PermissionsBoundary": role.boundary} if role.boundary else {}
                if role.description:
                    extra["Description"] = role.description
                iam.create_role(RoleName=role.name, Path=role.path, AssumeRolePolicyDocument=text(role.trust),
                                MaxSessionDuration=role.max_session_duration, Tags=_tags(tags), **extra)
                _identity(iam, "role", role.name, role.policies, role.managed_policies)
            self.plan.add(CREATE, what, _parts(role), create)
            return
        current_tags = pages(iam, "list_role_tags", "Tags", RoleName=role.name)
        changes = self.identity_changes(iam, "role", role.name, role, current, current_tags, tags)
        if not same(current["AssumeRolePolicyDocument"], role.trust):
            changes.insert(0, ("its trust policy", lambda: iam.update_assume_role_policy(
                RoleName=role.name, PolicyDocument=text(role.trust))))
        if (current.get("Description", ""), current.get("MaxSessionDuration", 3600)) != (
                role.description, role.max_session_duration):
            changes.insert(0, ("its description and longest session", lambda: iam.update_role(
                RoleName=role.name, Description=role.description, MaxSessionDuration=role.max_session_duration)))
        self.changed(what, current_tags, changes)

    def identity_changes(self, iam, kind: str, name: str, entity, current: dict, current_tags: list[dict],
                         tags: dict[str, str] | None = None) -> list[tuple[str, Callable[[], None]]]:
        """What differs in a user's or role's policies, boundary and tags (nothing is removed)."""
        key = {"user": "UserName", "role": "RoleName"}[kind]
        changes: list[tuple[str, Callable[[], None]]] = []
        inline = set(pages(iam, f"list_{kind}_policies", "PolicyNames", **{key: name}))
        for policy_name, document in entity.policies.items():
            if policy_name in inline:
                now = getattr(iam, f"get_{kind}_policy")(**{key: name, "PolicyName": policy_name})["PolicyDocument"]
                if same(now, document):
                    continue
            changes.append((f"inline policy {policy_name}", lambda p=policy_name, d=document: getattr(
                iam, f"put_{kind}_policy")(**{key: name, "PolicyName": p, "PolicyDocument": text(d)})))
        attached = {p["PolicyArn"] for p in pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies",
                                                  **{key: name})}
        for arn in entity.managed_policies:
            if arn not in attached:
                changes.append((f"{arn} attached", lambda arn=arn: getattr(iam, f"attach_{kind}_policy")(
                    **{key: name, "PolicyArn": arn})))
        boundary = current.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if entity.boundary and boundary != entity.boundary:
            changes.append((f"boundary {entity.boundary}", lambda: getattr(
                iam, f"put_{kind}_permissions_boundary")(**{key: name, "PermissionsBoundary": entity.boundary})))
        wanted = entity.tags if tags is None else tags
        have = {tag["Key"]: tag["Value"] for tag in current_tags}
        if any(have.get(k) != v for k, v in wanted.items()):
            changes.append(("its tags", lambda: getattr(iam, f"tag_{kind}")(**{key: name, "Tags": _tags(wanted)})))
        return changes

    def changed(self, what: str, tags: list[dict], changes: list[tuple[str, Callable[[], None]]]) -> None:
        if not _owned(tags):
            self.plan.add(LEAVE, what, "exists, not created by moatdb deploy"
                          + ("; it differs from the world" if changes else ""))
        elif changes:
            def run() -> None:
                for _, change in changes:
                    change()
            self.plan.add(CHANGE, what, ", ".join(why for why, _ in changes), run)
        else:
            self.plan.add(LEAVE, what, "as the world says")

    # --- the network and tables ---------------------------------------------------------------

    def network(self, account: model.Account, network: accounts.Network) -> None:
        ec2 = self.aws.client("ec2", account.id)
        try:
            ec2.describe_vpcs(VpcIds=[network.vpc.id])
        except FAILURES as error:
            if error_code(error) != "InvalidVpcID.NotFound":
                raise
            self.plan.add(BLOCKED, f"VPC {network.vpc.id} in account {account.id}",
                          "does not exist: VPCs are referenced, not created (give the real VPC's id in the world)")
            return
        for endpoint, route_tables in network.endpoints:
            self.endpoint(ec2, account, network.vpc.id, endpoint, route_tables)

    def endpoint(self, ec2, account: model.Account, vpc: str, endpoint, route_tables: tuple[str, ...]) -> None:
        what = f"VPC endpoint {endpoint.id} in {vpc}"
        try:
            found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint.id])["VpcEndpoints"]
        except FAILURES as error:
            if error_code(error) != "InvalidVpcEndpointId.NotFound":
                raise
            found = ec2.describe_vpc_endpoints(Filters=[{"Name": f"tag:{ENDPOINT_TAG}", "Values": [endpoint.id]},
                                                        {"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
        found = [e for e in found if e.get("State", "available").lower() not in ("deleted", "deleting")]
        if not found:
            def create() -> None:
                extra: dict = {"PolicyDocument": text(endpoint.policy)} if endpoint.policy is not None else {}
                if route_tables:
                    extra["RouteTableIds"] = list(route_tables)
                created = ec2.create_vpc_endpoint(
                    VpcId=vpc, ServiceName=accounts.service_name(self.aws.region), VpcEndpointType="Gateway",
                    TagSpecifications=[{"ResourceType": "vpc-endpoint",
                                        "Tags": _tags({ENDPOINT_TAG: endpoint.id})}], **extra)
                self.ids[("endpoint", endpoint.id)] = created["VpcEndpoint"]["VpcEndpointId"]
            self.plan.add(CREATE, what, "a DynamoDB gateway endpoint; AWS gives it an id of its own, which "
                          "aws:SourceVpce names from then on", create)
            return
        current = found[0]
        shown = what if current["VpcEndpointId"] == endpoint.id else f"{what} ({current['VpcEndpointId']})"
        changes: dict = {}
        if not same(current.get("PolicyDocument"), endpoint.policy or DEFAULT_ENDPOINT_POLICY):
            changes |= {"PolicyDocument": text(endpoint.policy)} if endpoint.policy else {"ResetPolicy": True}
        missing = sorted(set(route_tables) - set(current.get("RouteTableIds", [])))
        if missing:
            changes["AddRouteTableIds"] = missing
        if not _owned(current.get("Tags", [])):
            self.plan.add(LEAVE, shown, "exists, not created by moatdb deploy"
                          + ("; it differs from the world" if changes else ""))
        elif changes:
            self.plan.add(CHANGE, shown, " and ".join(
                {"PolicyDocument": "its policy", "ResetPolicy": "its policy (AWS's default)",
                 "AddRouteTableIds": "route tables added"}[key] for key in changes),
                lambda: ec2.modify_vpc_endpoint(VpcEndpointId=current["VpcEndpointId"], **changes))
        else:
            self.plan.add(LEAVE, shown, "as the world says")

    def table(self, dynamodb, account: model.Account, table: model.Table) -> None:
        arn = f"arn:aws:dynamodb:{self.aws.region}:{account.id}:table/{table.name}"
        what = f"table {arn}"
        try:
            current = dynamodb.describe_table(TableName=table.name)["Table"]
        except FAILURES as error:
            if error_code(error) != "ResourceNotFoundException":
                raise

            def create() -> None:
                dynamodb.create_table(**world_tables.create_table_request(table), Tags=_tags(table.tags))
                dynamodb.get_waiter("table_exists").wait(TableName=table.name,
                                                         WaiterConfig={"Delay": 2, "MaxAttempts": 150})
                if table.ttl:
                    dynamodb.update_time_to_live(TableName=table.name, TimeToLiveSpecification={
                        "Enabled": True, "AttributeName": table.ttl})
                if table.policy is not None:
                    dynamodb.put_resource_policy(ResourceArn=arn, Policy=text(table.policy))
            self.plan.add(CREATE, what, "", create)
            return
        tags = pages(dynamodb, "list_tags_of_resource", "Tags", ResourceArn=current["TableArn"])
        changes: list[tuple[str, Callable[[], None]]] = []
        ttl = dynamodb.describe_time_to_live(TableName=table.name).get("TimeToLiveDescription", {})
        ttl_now = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        if table.ttl and ttl_now != table.ttl:
            changes.append((f"time to live on {table.ttl}", lambda: dynamodb.update_time_to_live(
                TableName=table.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl})))
        if bool(current.get("DeletionProtectionEnabled")) != table.deletion_protection:
            changes.append(("deletion protection", lambda: dynamodb.update_table(
                TableName=table.name, DeletionProtectionEnabled=table.deletion_protection)))
        if table.policy is not None:
            try:
                policy = dynamodb.get_resource_policy(ResourceArn=current["TableArn"])["Policy"]
            except FAILURES as error:
                if error_code(error) not in ("PolicyNotFoundException", "ResourceNotFoundException"):
                    raise
                policy = None
            if not same(policy, table.policy):
                changes.append(("its resource policy", lambda: dynamodb.put_resource_policy(
                    ResourceArn=current["TableArn"], Policy=text(table.policy))))
        have = {tag["Key"]: tag["Value"] for tag in tags}
        if any(have.get(k) != v for k, v in table.tags.items()):
            changes.append(("its tags", lambda: dynamodb.tag_resource(ResourceArn=current["TableArn"],
                                                                      Tags=_tags(table.tags))))
        self.changed(what, tags, changes)


def make(world: model.World, aws: Aws) -> Plan:
    """The plan; raises ``AccessError`` or a boto error when AWS cannot be read."""
    return Planner(world, aws).make()


def _enable(client, root: str, policy_type: str) -> None:
    try:
        client.enable_policy_type(RootId=root, PolicyType=policy_type)
    except FAILURES as error:
        if error_code(error) != "PolicyTypeAlreadyEnabledException":
            raise


def _move(client, account: str, target: str) -> None:
    source = client.list_parents(ChildId=account)["Parents"][0]["Id"]
    if source != target:
        client.move_account(AccountId=account, SourceParentId=source, DestinationParentId=target)


def _identity(iam, kind: str, name: str, policies: dict[str, str], managed: tuple[str, ...]) -> None:
    key = {"group": "GroupName", "user": "UserName", "role": "RoleName"}[kind]
    for policy_name, document in policies.items():
        getattr(iam, f"put_{kind}_policy")(**{key: name, "PolicyName": policy_name, "PolicyDocument": text(document)})
    for arn in managed:
        getattr(iam, f"attach_{kind}_policy")(**{key: name, "PolicyArn": arn})


def _new_version(iam, arn: str, document: str) -> None:
    versions = pages(iam, "list_policy_versions", "Versions", PolicyArn=arn)
    if len(versions) >= 5:  # IAM keeps five: the oldest one deploy made before goes
        oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=text(document), SetAsDefault=True)


def _parts(entity) -> str:
    parts = [f"{len(entity.policies)} inline"] if entity.policies else []
    parts += [f"{len(entity.managed_policies)} managed"] if entity.managed_policies else []
    return ("with " + " and ".join(parts) + " policies") if parts else ""


__all__ = ["AccessError", "BLOCKED", "CHANGE", "CREATE", "LEAVE", "Plan", "Step", "make"]
