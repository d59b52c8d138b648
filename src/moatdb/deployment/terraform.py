"""A world as Terraform configurations for the AWS provider: one per account (IAM, gateway
endpoints, tables) and one for the organization (OUs, SCPs and RCPs, their attachments).

Terraform cannot move an existing account into an OU without managing the account itself, nor
detach ``FullAWSAccess`` without importing its attachment; the organization's configuration says
where each account belongs and what to detach, in comments, and ``moatdb deploy`` does both.
"""

from __future__ import annotations

from moatdb.deployment import accounts
from moatdb.deployment.documents import as_object
from moatdb.deployment.hcl import Block, Call, Ref, render
from moatdb.deployment.names import Names
from moatdb.world.model import Account, Unit, World

_POLICY_TYPES = {"SCP": "SERVICE_CONTROL_POLICY", "RCP": "RESOURCE_CONTROL_POLICY"}


def _settings(region: str, account: str | None) -> list[Block]:
    provider = Block("provider", ("aws",)).set("region", region)
    if account is not None:
        # Refuses to plan with credentials of another account: the ARNs in the policies name this one.
        provider.set("allowed_account_ids", [account])
    return [Block("terraform").add(Block("required_providers").set(
                "aws", {"source": "hashicorp/aws", "version": ">= 5.60"})),
            provider]


def account_configuration(world: World, account: Account) -> str | None:
    names = Names()
    blocks: list[Block] = []
    policy_refs: dict[str, Ref] = {}
    for arn, policy in accounts.own_policies(account).items():
        name = names.resource("policy", policy.name)
        policy_refs[arn] = Ref(f"aws_iam_policy.{name}.arn")
        block = Block("resource", ("aws_iam_policy", name)).set("name", policy.name).set("path", policy.path)
        if policy.description:
            block.set("description", policy.description)
        blocks.append(block.set("policy", _json(policy.document)))

    def arn(reference: str) -> object:
        return policy_refs.get(reference, reference)

    def identity(kind: str, label: str, entity) -> None:
        for policy_name, document in entity.policies.items():
            blocks.append(Block("resource", (f"aws_iam_{kind}_policy", names.resource(label, policy_name)))
                          .set("name", policy_name).set(kind, Ref(f"aws_iam_{kind}.{label}.name"))
                          .set("policy", _json(document)))
        for reference in entity.managed_policies:
            attachment = reference.rsplit("/", 1)[1]
            blocks.append(Block("resource", (f"aws_iam_{kind}_policy_attachment", names.resource(label, attachment)))
                          .set(kind, Ref(f"aws_iam_{kind}.{label}.name")).set("policy_arn", arn(reference)))

    group_labels = {}
    for group in account.groups:
        label = group_labels[group.name] = names.resource("group", group.name)
        blocks.append(Block("resource", ("aws_iam_group", label)).set("name", group.name).set("path", group.path))
        identity("group", label, group)
    for user in account.users:
        label = names.resource("user", user.name)
        block = Block("resource", ("aws_iam_user", label)).set("name", user.name).set("path", user.path)
        if user.boundary:
            block.set("permissions_boundary", arn(user.boundary))
        if user.tags:
            block.set("tags", dict(user.tags))
        blocks.append(block)
        identity("user", label, user)
        if user.groups:
            blocks.append(Block("resource", ("aws_iam_user_group_membership", names.resource(label, "groups")))
                          .set("user", Ref(f"aws_iam_user.{label}.name"))
                          .set("groups", [Ref(f"aws_iam_group.{group_labels[g]}.name") for g in user.groups]))
    break_glass = accounts.break_glass_roles(world)
    for role in account.roles:
        label = names.resource("role", role.name)
        block = (Block("resource", ("aws_iam_role", label)).set("name", role.name).set("path", role.path)
                 .set("assume_role_policy", _json(role.trust)))
        if role.description:
            block.set("description", role.description)
        if role.max_session_duration != 3600:
            block.set("max_session_duration", role.max_session_duration)
        if role.boundary:
            block.set("permissions_boundary", arn(role.boundary))
        tags = dict(role.tags)
        if accounts.role_arn(account.id, role) in break_glass:
            tags[accounts.BREAK_GLASS_TAG] = "true"
        if tags:
            block.set("tags", tags)
        blocks.append(block)
        identity("role", label, role)
    for network in accounts.networks(world, account.id):
        for endpoint, route_tables in network.endpoints:
            block = (Block("resource", ("aws_vpc_endpoint", names.resource("endpoint", endpoint.id)))
                     .set("vpc_id", network.vpc.id).set("service_name", accounts.service_name(world.region))
                     .set("vpc_endpoint_type", "Gateway"))
            if endpoint.policy is not None:
                block.set("policy", _json(endpoint.policy))
            if route_tables:
                block.set("route_table_ids", list(route_tables))
            blocks.append(block)
    for table in account.tables:
        blocks += _table(names, table)
    if not blocks:
        return None
    return render(_settings(world.region, account.id) + blocks,
                  f"moatdb world: account {account.id} ({account.name}).\n"
                  "Access keys are not in it: create them after applying.")


def _table(names: Names, table) -> list[Block]:
    label = names.resource("table", table.name)
    block = (Block("resource", ("aws_dynamodb_table", label)).set("name", table.name)
             .set("billing_mode", table.billing_mode).set("hash_key", table.key[0]))
    if len(table.key) > 1:
        block.set("range_key", table.key[1])
    if table.capacity:
        block.set("read_capacity", table.capacity[0]).set("write_capacity", table.capacity[1])
    for name, kind in table.attributes.items():
        block.add(Block("attribute").set("name", name).set("type", kind))
    for index in table.global_indexes:
        block.add(_index(Block("global_secondary_index"), index, table.capacity, with_hash=True))
    for index in table.local_indexes:
        block.add(_index(Block("local_secondary_index"), index, None, with_hash=False))
    if table.ttl:
        block.add(Block("ttl").set("attribute_name", table.ttl).set("enabled", True))
    if table.stream:
        block.set("stream_enabled", True).set("stream_view_type", table.stream)
    block.set("deletion_protection_enabled", table.deletion_protection)
    if table.tags:
        block.set("tags", dict(table.tags))
    blocks = [block]
    if table.policy is not None:
        blocks.append(Block("resource", ("aws_dynamodb_resource_policy", names.resource(label, "policy")))
                      .set("resource_arn", Ref(f"aws_dynamodb_table.{label}.arn")).set("policy", _json(table.policy)))
    return blocks


def _index(block: Block, index, capacity, *, with_hash: bool) -> Block:
    block.set("name", index.name)
    if with_hash:
        block.set("hash_key", index.key[0])
    if len(index.key) > 1:
        block.set("range_key", index.key[1])
    block.set("projection_type", index.projection)
    if index.non_key_attributes:
        block.set("non_key_attributes", list(index.non_key_attributes))
    if capacity:
        block.set("read_capacity", capacity[0]).set("write_capacity", capacity[1])
    return block


def organization_configuration(world: World) -> str | None:
    organization = world.organization
    if organization is None:
        return None
    names = Names()
    blocks: list[Block] = [Block("data", ("aws_organizations_organization", "this"))]
    policy_refs: dict[str, Ref] = {}
    for policy in organization.policies:
        label = names.resource(policy.type.lower(), policy.name)
        policy_refs[policy.name] = Ref(f"aws_organizations_policy.{label}.id")
        block = Block("resource", ("aws_organizations_policy", label)).set("name", policy.name)
        if policy.description:
            block.set("description", policy.description)
        blocks.append(block.set("type", _POLICY_TYPES[policy.type]).set("content", _json(policy.document)))
    notes: list[str] = []

    def attach(target: Ref | str, shown: str, attached: tuple[str, ...], full_aws_access: bool) -> None:
        for name in attached:
            blocks.append(Block("resource", ("aws_organizations_policy_attachment", names.resource(name, shown)))
                          .set("policy_id", policy_refs[name]).set("target_id", target))
        if not full_aws_access:
            notes.append(f"detach FullAWSAccess from {shown}")

    def place(unit: Unit, target: Ref, shown: str) -> None:
        attach(target, shown, unit.policies, unit.full_aws_access)
        for member in unit.accounts:
            notes.append(f"account {member.account} belongs in {shown}")
            attach(member.account, f"account {member.account}", member.policies, member.full_aws_access)
        for child in unit.units:
            label = names.resource("ou", shown, child.name)
            blocks.append(Block("resource", ("aws_organizations_organizational_unit", label))
                          .set("name", child.name).set("parent_id", target))
            place(child, Ref(f"aws_organizations_organizational_unit.{label}.id"), f"{shown}/{child.name}")

    place(organization.root, Ref("data.aws_organizations_organization.this.roots[0].id"), "Root")
    header = (f"moatdb world: the organization of management account {organization.management_account}.\n"
              "Apply with the management account's credentials. Not expressible here (moatdb deploy does it):\n"
              + "".join(f"- {note}\n" for note in notes))
    return render(_settings(world.region, organization.management_account) + blocks, header)


def _json(document: str) -> Call:
    return Call("jsonencode", as_object(document))
