"""What an account of a world holds, as AWS names it: ARNs of its own managed policies, its VPCs and
endpoints, the break-glass roles; shared by the exporters and the deployer."""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.auth.network import Endpoint, Vpc
from moatdb.world.model import Account, ManagedPolicy, Role, World

# What deploy tags a break-glass role with, so import finds it again (IAM knows no such thing).
BREAK_GLASS_TAG = "moatdb:break-glass"


def policy_arn(account: str, policy: ManagedPolicy) -> str:
    return f"arn:aws:iam::{account}:policy{policy.path}{policy.name}"


def own_policies(account: Account) -> dict[str, ManagedPolicy]:
    """The account's customer managed policies by ARN (the world resolves every reference to one)."""
    return {policy_arn(account.id, policy): policy for policy in account.managed_policies}


def role_arn(account: str, role: Role) -> str:
    return f"arn:aws:iam::{account}:role{role.path}{role.name}"


def break_glass_roles(world: World) -> set[str]:
    return set() if world.break_glass is None else {role.arn for role in world.break_glass.roles}


@dataclass(frozen=True)
class Network:
    """An account's VPCs, each with its DynamoDB gateway endpoints and their route tables."""

    vpc: Vpc
    endpoints: tuple[tuple[Endpoint, tuple[str, ...]], ...]


def networks(world: World, account: str) -> list[Network]:
    return [Network(vpc, tuple((endpoint, world.route_tables.get(endpoint.id, ()))
                               for endpoint in world.network.endpoints if endpoint.vpc == vpc.id))
            for vpc in world.network.vpcs if vpc.account == account]


def service_name(region: str) -> str:
    """The DynamoDB gateway endpoint's service."""
    return f"com.amazonaws.{region}.dynamodb"
