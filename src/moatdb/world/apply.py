"""Writing a loaded world into a data directory's store: IAM (accounts, managed policies, groups,
users and their access keys, roles), the organization (root, OUs, member accounts, SCPs and RCPs
attached where the file says), the network, and the break-glass settings.

A world is applied once, to a store that holds none: the store then carries a ``world/meta``
document naming the file and its hash, and from then on the data directory is the truth (IAM
calls change it; the file is not read again). Everything apply could refuse was refused when the
world was loaded, so apply runs through; should the store refuse anyway, the error says the store
now holds part of the world.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import orjson

from moatdb.auth.directory import GROUP, ROLE, USER, Directory
from moatdb.auth.network import NETWORK, Network, NetworkConfig
from moatdb.auth.organization import FULL_ACCESS, RCP, SCP, Organization
from moatdb.breakglass import durations
from moatdb.breakglass import settings as break_glass
from moatdb.errors import AwsError
from moatdb.storage.base import Store
from moatdb.world import model, tables
from moatdb.world.errors import WorldError

META = "world/meta"
_TYPES = {"SCP": SCP, "RCP": RCP}


@dataclass(frozen=True)
class AppliedWorld:
    """What a store remembers of the world applied to it."""

    file: str
    sha256: str
    applied: float  # when, in seconds since the epoch


def applied(store: Store) -> AppliedWorld | None:
    """The world this store was made from, if any."""
    raw = store.read().document(META, "world")
    return None if raw is None else AppliedWorld(**orjson.loads(raw))


def apply(world: model.World, store: Store) -> list[str]:
    """Write ``world`` into ``store``, which must hold no world, organization or network, nor any of
    the world's accounts. Returns what was created, a line each (secrets never appear)."""
    _refuse_unless_empty(world, store)
    log: list[str] = []
    try:
        directory = Directory(store)
        for account in world.accounts:
            log += _account(directory, account)
        if world.organization is not None:
            log += _organization(Organization(store), world.organization, {a.id: a.name for a in world.accounts})
        Network(store).set(world.network)
        log += _network(world.network)
        # After IAM: a table's resource policy may name the world's principals.
        for account in world.accounts:
            log += [f"table {tables.create(directory, world.region, account.id, table)}" for table in account.tables]
        if world.break_glass is not None:
            break_glass.save(store, world.break_glass)
            log += _break_glass(world.break_glass)
    except (AwsError, ValueError) as error:
        reason = getattr(error, "message", None) or str(error)
        raise WorldError(world.source, None, f"the data directory refused the world halfway, and now holds part "
                                             f"of it (start over with a new data directory): {reason}") from None
    with store.write() as txn:
        txn.put_document(META, "world", orjson.dumps(asdict(AppliedWorld(world.source, world.digest, time.time()))))
    return log


def _refuse_unless_empty(world: model.World, store: Store) -> None:
    def refuse(reason: str) -> WorldError:
        return WorldError(world.source, None, f"the data directory already holds {reason}: a world is applied "
                                              "to a new data directory only")

    earlier = applied(store)
    if earlier is not None:
        raise refuse(f"the world of {earlier.file} (sha256 {earlier.sha256[:12]}...)")
    organization = Organization(store).organization()
    if organization is not None:
        raise refuse(f"an organization ({organization.id})")
    if store.read().document(NETWORK, "network") is not None:
        raise refuse("a network")
    existing = {account.id for account in Directory(store).accounts()}
    for account in world.accounts:
        if account.id in existing:
            raise refuse(f"account {account.id}")


def _account(directory: Directory, account: model.Account) -> list[str]:
    directory.create_account(account.id, account.name)
    log = [f"account {account.id} ({account.name})"]
    for policy in account.managed_policies:
        created = directory.create_policy(account.id, policy.name, policy.document, path=policy.path,
                                          description=policy.description)
        log.append(f"managed policy {created.arn}")
    for group in account.groups:
        arn = directory.create_group(account.id, group.name, path=group.path).arn
        _policies(directory, GROUP, account.id, group)
        log.append(f"group {arn}")
    for user in account.users:
        arn = directory.create_user(account.id, user.name, path=user.path, tags=user.tags, boundary=user.boundary).arn
        _policies(directory, USER, account.id, user)
        for group_name in user.groups:
            directory.add_user_to_group(account.id, group_name, user.name)
        if user.access_keys is None:
            key = directory.create_access_key(account.id, user.name)
            log.append(f"user {arn}, access key {key.id} (generated)")
            continue
        for given in user.access_keys:
            directory.create_access_key(account.id, user.name, key_id=given.id, secret=given.secret)
        keys = ", ".join(given.id for given in user.access_keys)
        log.append(f"user {arn}, " + (f"access keys {keys} (from the world file)" if keys else "no access key"))
    for role in account.roles:
        arn = directory.create_role(account.id, role.name, role.trust, path=role.path, description=role.description,
                                    max_session_duration=role.max_session_duration, tags=role.tags,
                                    boundary=role.boundary).arn
        _policies(directory, ROLE, account.id, role)
        log.append(f"role {arn}")
    return log


def _policies(directory: Directory, kind: str, account: str, entity: model.User | model.Group | model.Role) -> None:
    for name, document in entity.policies.items():
        directory.put_inline_policy(kind, account, entity.name, name, document)
    for arn in entity.managed_policies:
        directory.attach_policy(kind, account, entity.name, arn)


def _organization(organizations: Organization, spec: model.Organization, names: dict[str, str]) -> list[str]:
    management = spec.management_account
    record = organizations.create(management, name=names[management], org_id=spec.id, root_id=spec.root.id)
    log = [f"organization {record.id}, management account {management}, root {record.root}"]
    policy_ids = {}
    for policy in spec.policies:
        created = organizations.create_policy(policy.name, _TYPES[policy.type], policy.document,
                                              description=policy.description, policy_id=policy.id)
        policy_ids[policy.name] = created.id
        log.append(f"{policy.type} {policy.name} ({created.id})")

    def attach(target: str, shown: str, policies: tuple[str, ...], full_aws_access: bool) -> None:
        for name in policies:
            organizations.attach(policy_ids[name], target)
            log.append(f"{name} attached to {shown}")
        if not full_aws_access:  # after the others: Organizations keeps one SCP on every target
            organizations.detach(FULL_ACCESS[SCP][0], target)
            log.append(f"FullAWSAccess detached from {shown}")

    def place(unit: model.Unit, unit_id: str, shown: str) -> None:
        attach(unit_id, shown, unit.policies, unit.full_aws_access)
        for member in unit.accounts:
            if member.account == management:
                if unit_id != record.root:
                    organizations.move_account(management, record.root, unit_id)
            else:
                organizations.add_account(member.account, names[member.account], unit_id)
            log.append(f"account {member.account} in {shown}")
            attach(member.account, f"account {member.account}", member.policies, member.full_aws_access)
        for child in unit.units:
            created = organizations.create_unit(unit_id, child.name, unit_id=child.id)
            log.append(f"OU {shown}/{child.name} ({created.id})")
            place(child, created.id, f"{shown}/{child.name}")

    place(spec.root, record.root, "Root")
    members = {member.id for member in organizations.members()}
    log += [f"account {account} is outside the organization" for account in names if account not in members]
    return log


def _network(network: NetworkConfig) -> list[str]:
    log = [f"VPC {vpc.id} ({vpc.cidr}) in account {vpc.account}" for vpc in network.vpcs]
    log += [f"VPC endpoint {endpoint.id} in {endpoint.vpc}, "
            + ("its policy from the world file" if endpoint.policy is not None else "full access (the default policy)")
            for endpoint in network.endpoints]
    for door in network.doors:
        address = f"[{door.host}]:{door.port}" if ":" in door.host else f"{door.host}:{door.port}"
        log.append(f"door {door.name} on {address}: " + (f"VPC endpoint {door.endpoint}" if door.endpoint
                                                          else "the public endpoint"))
    log += [f"route {route.cidr} through {route.endpoint}" for route in network.routes]
    log += [f"trusted proxy range {cidr}" for cidr in network.trusted_proxies]
    return log


def _break_glass(settings: break_glass.Settings) -> list[str]:
    log = []
    for role in settings.roles:
        approvers = ", ".join(role.approvers) or "any principal IAM allows"
        requesters = ", ".join(role.requesters) or "any principal IAM allows"
        log.append(f"break-glass role {role.arn}: asked by {requesters}; {role.approvals} approval(s) of "
                   f"{approvers}; at most {durations.show(role.max_duration)}")
    log += [f"break-glass alarms to {webhook.url}" for webhook in settings.webhooks]
    return log
