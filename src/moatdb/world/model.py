"""A world as loaded: what a world file declares, validated, every reference resolved.

Policy documents are JSON text (as IAM and Organizations keep them); managed policy references
are ARNs; the network part is the ``NetworkConfig`` the server's doors and origins read, and the
break-glass part the ``Settings`` the break-glass procedure reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moatdb.auth.network import NetworkConfig
from moatdb.breakglass.settings import Settings as BreakGlass


@dataclass(frozen=True)
class ManagedPolicy:
    """A customer managed policy of an account."""

    name: str
    document: str
    path: str = "/"
    description: str = ""


@dataclass(frozen=True)
class AccessKey:
    id: str
    secret: str


@dataclass(frozen=True)
class User:
    name: str
    path: str = "/"
    policies: dict[str, str] = field(default_factory=dict)  # inline: policy name -> document
    managed_policies: tuple[str, ...] = ()  # ARNs
    groups: tuple[str, ...] = ()
    boundary: str | None = None  # ARN
    tags: dict[str, str] = field(default_factory=dict)
    access_keys: tuple[AccessKey, ...] | None = None  # None: one key, generated when applied


@dataclass(frozen=True)
class Group:
    name: str
    path: str = "/"
    policies: dict[str, str] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    name: str
    trust: str
    path: str = "/"
    description: str = ""
    max_session_duration: int = 3600
    policies: dict[str, str] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()
    boundary: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Index:
    """A secondary index: its key (partition attribute, then sort attribute if any) and projection."""

    name: str
    key: tuple[str, ...]
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    non_key_attributes: tuple[str, ...] = ()  # INCLUDE's attributes


@dataclass(frozen=True)
class Table:
    """A DynamoDB table as CreateTable takes it (world/tables.py): created locally, exported, deployed."""

    name: str
    attributes: dict[str, str]  # attribute name -> S, N or B
    key: tuple[str, ...]  # partition attribute, then sort attribute if any
    billing_mode: str = "PAY_PER_REQUEST"
    capacity: tuple[int, int] | None = None  # (read, write) units, PROVISIONED only
    global_indexes: tuple[Index, ...] = ()
    local_indexes: tuple[Index, ...] = ()
    ttl: str | None = None  # the time-to-live attribute
    stream: str | None = None  # the stream's view type
    deletion_protection: bool = False
    policy: str | None = None  # the resource-based policy
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    managed_policies: tuple[ManagedPolicy, ...] = ()
    groups: tuple[Group, ...] = ()
    users: tuple[User, ...] = ()
    roles: tuple[Role, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class OrganizationPolicy:
    """An SCP or RCP, by the name the world file gives it."""

    name: str
    type: str  # "SCP" or "RCP"
    document: str
    description: str = ""
    id: str | None = None  # p-…; None: made up when applied


@dataclass(frozen=True)
class Member:
    """An account placed in the organization tree, with what is attached to it."""

    account: str
    policies: tuple[str, ...] = ()  # organization policy names
    full_aws_access: bool = True  # False: the FullAWSAccess SCP is detached (an allow-list strategy)


@dataclass(frozen=True)
class Unit:
    """The root or an organizational unit."""

    name: str
    id: str | None = None
    policies: tuple[str, ...] = ()
    full_aws_access: bool = True
    accounts: tuple[Member, ...] = ()
    units: tuple[Unit, ...] = ()


@dataclass(frozen=True)
class Organization:
    management_account: str
    root: Unit
    policies: tuple[OrganizationPolicy, ...] = ()
    id: str | None = None  # o-…


@dataclass(frozen=True)
class World:
    source: str  # the file it was loaded from
    digest: str  # sha256 of the file's bytes, hex
    region: str
    accounts: tuple[Account, ...]
    network: NetworkConfig
    organization: Organization | None = None
    break_glass: BreakGlass | None = None  # None: no role is a break-glass role
    # The route tables of each gateway endpoint (by endpoint id), for export and deploy only.
    route_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def management_account(self) -> str | None:
        return None if self.organization is None else self.organization.management_account
