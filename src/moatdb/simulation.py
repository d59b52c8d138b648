"""``moatdb simulate``: one request decided offline, exactly as the server would decide it.

The principal comes from a data directory (its users and roles, with every policy attached to
them); the rest of the request is described by its asker: the action, the resource, where it comes
from (the public door or a VPC endpoint), extra condition keys, and the policies that are not the
principal's: the resource's policy, the SCPs and RCPs of each level of the organization path, the
VPC endpoint's policy. The decision goes through the server's own ``Authorizer``, so what is
simulated is what is enforced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.policy.decision import Decision
from moatdb.policy.document import Policy, parse_policy
from moatdb.policy.request import Request
from moatdb.services.dynamodb import resource_policies
from moatdb.services.dynamodb.catalog import Catalog, Table
from moatdb.services.dynamodb.operations import tags

SESSION_NAME = "simulated"
_TABLE = re.compile(r"arn:aws:dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):table/(?P<name>[a-zA-Z0-9_.-]+)"
                    r"(/index/.*)?")


@dataclass
class Simulation:
    principal: str  # a user's ARN, a role's ARN (a session of it), or a role session's assumed-role ARN
    action: str
    resource: str
    resource_account: str | None = None  # the resource ARN's account by default
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)  # extra condition keys, any case
    source_ip: str = "203.0.113.10"  # the public door's default peer (a documentation address)
    vpc: str | None = None
    vpc_endpoint: str | None = None
    resource_policy: str | None = None
    scps: Sequence[Sequence[str]] | None = None  # documents attached at each level, root first
    rcps: Sequence[Sequence[str]] | None = None
    endpoint_policy: str | None = None


def simulate(directory: Directory, simulation: Simulation, *, region: str) -> tuple[Decision, Request]:
    """The decision, and the request as the engine saw it. Raises LookupError for an unknown principal."""
    identity = _identity(directory, simulation.principal)
    origin = Origin(simulation.source_ip, simulation.vpc, simulation.vpc_endpoint)
    caller = Caller("", identity.account, region, identity, origin)
    context = {name.lower(): tuple(values) for name, values in simulation.context.items()}
    resource_account = simulation.resource_account or _account_of(simulation.resource) or identity.account
    # What the asker gives replaces the world's; what it does not comes from the data directory's
    # organization and network, as on the server.
    given = {}
    if simulation.scps is not None:
        given["scps"] = _levels(simulation.scps, "scp")
    if simulation.rcps is not None:
        given["rcps"] = _levels(simulation.rcps, "rcp")
    if simulation.endpoint_policy is not None:
        given["endpoint"] = _compiled(simulation.endpoint_policy, "endpoint", "VPC endpoint policy")
    resource_policy = _compiled(simulation.resource_policy, "resource", "resource-based policy")
    table = _stored_table(directory, simulation.resource)
    if table is not None:
        # The table's tags are its aws:ResourceTag/* keys, as on the server, unless the asker gives them.
        context = {**tags.resource_tags(table), **context}
        if simulation.resource_policy is None:
            resource_policy = resource_policies.compiled(table.policy, table.arn)
    return Authorizer(directory, region=region).decide(
        caller, simulation.action, simulation.resource, resource_account, context,
        resource_policy=resource_policy, explain=True, **given)


def _stored_table(directory: Directory, resource: str) -> Table | None:
    """The DynamoDB table ``resource`` names (the table, or one of its indexes), if it exists."""
    match = _TABLE.fullmatch(resource)
    if match is None:
        return None
    return Catalog(directory.store).find((match["account"], match["region"], match["name"]))


def _identity(directory: Directory, arn: str) -> Identity:
    role = directory.role_by_arn(arn)
    if role is None and ":assumed-role/" in arn:
        account, _, rest = arn.removeprefix("arn:aws:sts::").partition(":assumed-role/")
        name = rest.split("/", 1)[0]
        role = directory.role(account, name)
    if role is not None:
        session_arn = arn if ":assumed-role/" in arn else \
            f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{SESSION_NAME}"
        session_name = session_arn.rsplit("/", 1)[-1]
        return Identity(role.account, session_arn, f"{role.id}:{session_name}", True, role.arn)
    account, _, rest = arn.removeprefix("arn:aws:iam::").partition(":user/")
    user = directory.user(account, rest.rsplit("/", 1)[-1]) if rest else None
    if user is None or user.arn != arn:
        raise LookupError(f"no user or role {arn}")
    return Identity(user.account, user.arn, user.id, False, user.arn)


def _compiled(document: str | None, kind: str, label: str) -> Policy | None:
    return None if document is None else compile_strict(document, kind, label)


def _levels(levels: Sequence[Sequence[str]] | None, kind: str) -> tuple[tuple[Policy, ...], ...] | None:
    if levels is None:
        return None
    return tuple(tuple(compile_strict(document, kind, f"{kind.upper()} {depth}.{index}")
                       for index, document in enumerate(level, 1))
                 for depth, level in enumerate(levels, 1))


def compile_strict(document: str, kind: str, label: str) -> Policy:
    """A policy the asker wrote: refused (MalformedPolicy) rather than failed closed, so a typo is
    reported, not silently simulated as a policy that allows nothing."""
    return parse_policy(document, kind, id=label)


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else None

