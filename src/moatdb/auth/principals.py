"""The principals of IAM as moatdb keeps them: accounts, users, groups, roles, managed policies,
access keys and temporary sessions, each a frozen record stored as a JSON document.

Names follow IAM's rules and are checked here in IAM's (Coral's) words; identifiers look like
IAM's (AIDA… for a user, AROA… for a role, AGPA… for a group, ANPA… for a managed policy, AKIA… and
ASIA… for access keys). ``Identity`` is what one verified request carries about its signer.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field

from moatdb.errors import IamValidationError

# IAM's quotas (IAM User Guide, "IAM and AWS STS quotas").
MAX_ACCESS_KEYS_PER_USER = 2
MAX_GROUPS_PER_USER = 10
MAX_MANAGED_POLICIES_PER_IDENTITY = 10
# A role's MaxSessionDuration: 1 to 12 hours, 1 hour by default (IAM API Reference, CreateRole).
MAX_SESSION_DURATION = (3600, 43_200, 3600)

# IAM names: 1 to 64 (users, groups, roles) or 128 (policies) of [\w+=,.@-] (ASCII word characters,
# as Java's \w); unique in an account regardless of case (IAM User Guide, "IAM identifiers"). A name
# ends up in ARNs and in AWS profile files, where a space, a slash or a bracket would break them.
NAME_PATTERN = r"[\w+=,.@-]+"
_NAME = re.compile(NAME_PATTERN, re.ASCII)
# A path: "/" or "/a/b/" (IAM API Reference, CreateUser: Path, pattern (\u002F)|(\u002F[\u0021-\u007E]+\u002F)).
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
_PATH = re.compile(r"/|/[\x21-\x7e]+/")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_id(prefix: str, length: int = 16) -> str:
    """An IAM-style identifier: AKIA… (access key), ASIA… (temporary key), AIDA… (user)…"""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_secret() -> str:
    """A 40-character secret access key, as IAM issues them."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


def new_session_token() -> str:
    return base64.b64encode(secrets.token_bytes(96)).decode()


@dataclass(frozen=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True)
class User:
    account: str
    name: str
    id: str
    path: str = "/"
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    inline_policies: dict[str, str] = field(default_factory=dict)  # policy name -> document
    managed_policies: tuple[str, ...] = ()  # attached policy ARNs
    boundary: str | None = None  # the permissions boundary's policy ARN

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user{self.path}{self.name}"


@dataclass(frozen=True)
class Group:
    account: str
    name: str
    id: str
    path: str = "/"
    created: float = 0.0
    members: tuple[str, ...] = ()  # user names
    inline_policies: dict[str, str] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:group{self.path}{self.name}"


@dataclass(frozen=True)
class Role:
    account: str
    name: str
    id: str
    trust_policy: str  # the AssumeRolePolicyDocument, as given
    path: str = "/"
    description: str = ""
    max_session_duration: int = MAX_SESSION_DURATION[2]
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    inline_policies: dict[str, str] = field(default_factory=dict)
    managed_policies: tuple[str, ...] = ()
    boundary: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.path}{self.name}"


@dataclass(frozen=True)
class ManagedPolicy:
    """A customer managed policy (account = the owner) or an AWS managed one (account = "aws")."""

    account: str
    name: str
    id: str
    versions: dict[str, str]  # version id ("v1") -> document
    default_version: str = "v1"
    path: str = "/"
    description: str = ""
    created: float = 0.0

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:policy{self.path}{self.name}"

    @property
    def document(self) -> str:
        return self.versions[self.default_version]


@dataclass(frozen=True)
class AccessKey:
    id: str
    secret: str
    account: str
    user: str  # the user's name
    status: str = "Active"  # or "Inactive"
    created: float = 0.0


@dataclass(frozen=True)
class Session:
    """Temporary credentials: GetSessionToken's (an IAM user's own permissions) or AssumeRole's (a
    role session, with what the caller passed: session policies, tags, source identity)."""

    id: str  # ASIA…
    secret: str
    token: str
    account: str
    principal_arn: str  # the user's ARN, or the role session's arn:aws:sts::…:assumed-role/ROLE/NAME
    principal_id: str  # AIDA… for a user; AROA…:NAME for a role session
    expires: float
    issued: float = 0.0
    role_arn: str | None = None  # set for a role session
    session_name: str | None = None
    session_policy: str | None = None  # the inline session policy passed as Policy
    policy_arns: tuple[str, ...] = ()  # the managed session policies passed as PolicyArns
    tags: dict[str, str] = field(default_factory=dict)  # session tags
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    chained: bool = False  # assumed with a role session's credentials (role chaining)

    @property
    def has_session_policies(self) -> bool:
        return self.session_policy is not None or bool(self.policy_arns)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signs with a key: what GetCallerIdentity reports, and whom authorization asks about."""

    account: str
    arn: str  # the caller's ARN: a user's, or a role session's assumed-role ARN
    principal_id: str  # aws:userid: AIDA… for a user, AROA…:NAME for a role session
    temporary: bool  # signed with temporary credentials
    principal_arn: str = ""  # aws:PrincipalArn: the user's ARN, or the role's ARN for a role session
    session: str | None = None  # the session's access key id, for temporary credentials

    @property
    def is_role_session(self) -> bool:
        return self.principal_arn != self.arn


def check_name(name: str, member: str, *, longest: int = 64) -> None:
    """IAM's constraints on a name, refused in Coral's words (``member`` as IAM names the field)."""
    problems = []
    if not name:
        problems.append("Member must have length greater than or equal to 1")
    if len(name) > longest:
        problems.append(f"Member must have length less than or equal to {longest}")
    if name and not _NAME.fullmatch(name):
        problems.append(f"Member must satisfy regular expression pattern: {NAME_PATTERN}")
    if problems:
        raise IamValidationError(_validation(name, member, problems))


def check_path(path: str) -> None:
    if len(path) > 512 or not _PATH.fullmatch(path):
        raise IamValidationError(_validation(path, "path", [f"Member must satisfy regular expression pattern: {PATH_PATTERN}"]))


def _validation(value: str, member: str, problems: list[str]) -> str:
    count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
    return count + "; ".join(f"Value '{value}' at '{member}' failed to satisfy constraint: {p}" for p in problems)
