"""The IAM directory: principals and policies kept in storage, read and changed as IAM does.

Every record is a storage document (``iam/<kind>``, named ``account:name``, a managed policy by its
ARN). What a request needs on its hot path, the secret of an access key id and whose it is, is
cached per worker and dropped when any document changes, so a key deactivated or a policy changed
through one worker holds in every worker from its next request.

Refusals are IAM's own errors (``NoSuchEntity``, ``EntityAlreadyExists``, ``LimitExceeded``,
``DeleteConflict``, ``MalformedPolicyDocument``) in IAM's words, so the IAM API and the ``moatdb``
command say the same thing.

Secrets are stored in the database, which only its owner can read (mode 0600): SigV4 needs the
secret itself to recompute a signature, so it cannot be kept as a one-way hash. They never appear
in logs, errors or listings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from typing import Any

import orjson

from moatdb.auth import aws_managed
from moatdb.auth.principals import (
    MAX_ACCESS_KEYS_PER_USER,
    MAX_GROUPS_PER_USER,
    MAX_MANAGED_POLICIES_PER_IDENTITY,
    AccessKey,
    Account,
    Group,
    Identity,
    ManagedPolicy,
    Role,
    Session,
    User,
    check_name,
    check_path,
    new_id,
    new_secret,
    new_session_token,
)
from moatdb.auth.sigv4 import SigningKeyRecord
from moatdb.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    IamLimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from moatdb.policy.document import (
    GROUP_INLINE_SIZE,
    ROLE_INLINE_SIZE,
    USER_INLINE_SIZE,
    parse_policy,
    policy_size,
)
from moatdb.policy.errors import MalformedPolicy
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

ACCOUNT, USER, GROUP, ROLE, POLICY = "iam/account", "iam/user", "iam/group", "iam/role", "iam/policy"
ACCESS_KEY, SESSION = "iam/access-key", "iam/session"
_RECORDS: dict[str, type] = {USER: User, GROUP: Group, ROLE: Role}
_INLINE_QUOTA = {USER: USER_INLINE_SIZE, GROUP: GROUP_INLINE_SIZE, ROLE: ROLE_INLINE_SIZE}
# How IAM names each kind in its messages ("The role with name X cannot be found.").
_NOUN = {USER: "user", GROUP: "group", ROLE: "role"}


def _load(kind: str, raw: bytes) -> Any:
    fields = orjson.loads(raw)
    for name in ("managed_policies", "members", "policy_arns", "transitive_tag_keys"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return {**_RECORDS, POLICY: ManagedPolicy, SESSION: Session, ACCESS_KEY: AccessKey,
            ACCOUNT: Account}[kind](**fields)


def check_policy(document: str, kind: str, *, max_size: int | None = None) -> None:
    """Refuse a document IAM would refuse, in its words (``kind``: the policy engine's kind)."""
    try:
        parse_policy(document, kind, id="new policy", max_size=max_size)
    except MalformedPolicy as refused:
        raise MalformedPolicyDocument(refused.message) from None


class Directory:
    def __init__(self, store: Store):
        self.store = store
        self._keys: DocumentCache[str, tuple[SigningKeyRecord, Identity] | None] = DocumentCache(
            store, self._load_key)

    # --- the hot path -------------------------------------------------------------------------

    def signing_key(self, access_key_id: str) -> tuple[SigningKeyRecord, Identity] | None:
        """What SigV4 needs to check a signature made with this key id, and whose key it is; None
        for an unknown or inactive key (or one whose principal is gone)."""
        return self._keys.get(access_key_id)

    def _load_key(self, access_key_id: str) -> tuple[SigningKeyRecord, Identity] | None:
        if access_key_id.startswith("ASIA"):
            session = self.session(access_key_id)
            if session is None or (session.role_arn is not None and self.role_by_arn(session.role_arn) is None):
                return None  # a deleted role's sessions end with it
            identity = Identity(session.account, session.principal_arn, session.principal_id, True,
                                session.role_arn or session.principal_arn, session.id)
            return SigningKeyRecord(session.secret, session.token, session.expires), identity
        raw = self.store.read().document(ACCESS_KEY, access_key_id)
        if raw is None:
            return None
        key: AccessKey = _load(ACCESS_KEY, raw)
        user = self.user(key.account, key.user)
        if key.status != "Active" or user is None:
            return None
        return SigningKeyRecord(key.secret), Identity(user.account, user.arn, user.id, False, user.arn)

    # --- reading ------------------------------------------------------------------------------

    def _get(self, kind: str, name: str) -> Any:
        raw = self.store.read().document(kind, name)
        return None if raw is None else _load(kind, raw)

    def _all(self, kind: str, account: str | None = None) -> list:
        found = [_load(kind, raw) for _, raw in self.store.read().documents(kind)]
        return [record for record in found if account is None or record.account == account]

    def accounts(self) -> list[Account]:
        return self._all(ACCOUNT)

    def account(self, account_id: str) -> Account | None:
        return self._get(ACCOUNT, account_id)

    def user(self, account: str, name: str) -> User | None:
        return self._get(USER, f"{account}:{name}")

    def users(self, account: str | None = None) -> list[User]:
        return self._all(USER, account)

    def group(self, account: str, name: str) -> Group | None:
        return self._get(GROUP, f"{account}:{name}")

    def groups(self, account: str | None = None) -> list[Group]:
        return self._all(GROUP, account)

    def groups_of(self, account: str, user: str) -> list[Group]:
        return [group for group in self.groups(account) if user in group.members]

    def role(self, account: str, name: str) -> Role | None:
        return self._get(ROLE, f"{account}:{name}")

    def roles(self, account: str | None = None) -> list[Role]:
        return self._all(ROLE, account)

    def role_by_arn(self, arn: str) -> Role | None:
        account, _, rest = arn.removeprefix("arn:aws:iam::").partition(":role/")
        role = self.role(account, rest.rsplit("/", 1)[-1]) if rest else None
        return role if role is not None and role.arn == arn else None

    def policy(self, arn: str) -> ManagedPolicy | None:
        """A managed policy by ARN: the account's own, or one of the AWS managed policies."""
        return aws_managed.POLICIES.get(arn) or self._get(POLICY, arn)

    def policies(self, account: str | None = None) -> list[ManagedPolicy]:
        """Customer managed policies (of one account, or all)."""
        return self._all(POLICY, account)

    def access_keys(self, account: str | None = None, user: str | None = None) -> list[AccessKey]:
        """Access keys, secrets included: for the credentials file only, never for a listing."""
        return [key for key in self._all(ACCESS_KEY, account) if user is None or key.user == user]

    def session(self, key_id: str) -> Session | None:
        return self._get(SESSION, key_id)

    def attachments(self, arn: str) -> Iterator[User | Group | Role]:
        """Every user, group and role a managed policy is attached to (or is the boundary of)."""
        for kind in (USER, GROUP, ROLE):
            for record in self._all(kind):
                if arn in record.managed_policies or getattr(record, "boundary", None) == arn:
                    yield record

    # --- accounts, users, groups, roles -------------------------------------------------------

    def create_account(self, account_id: str, name: str) -> Account:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"an account id is 12 digits, not {account_id!r}")
        account = Account(account_id, name)
        with self.store.write() as txn:
            txn.put_document(ACCOUNT, account_id, orjson.dumps(asdict(account)))
        return account

    def create_user(self, account: str, name: str, *, path: str = "/", tags: dict[str, str] | None = None,
                    boundary: str | None = None) -> User:
        check_name(name, "userName")
        check_path(path)
        user = User(account, name, new_id("AIDA", 17), path, dict(tags or {}), time.time(), boundary=boundary)
        self._create(USER, user)
        return user

    def create_group(self, account: str, name: str, *, path: str = "/") -> Group:
        check_name(name, "groupName", longest=128)
        check_path(path)
        group = Group(account, name, new_id("AGPA", 17), path, time.time())
        self._create(GROUP, group)
        return group

    def create_role(self, account: str, name: str, trust_policy: str, *, path: str = "/", description: str = "",
                    max_session_duration: int = 3600, tags: dict[str, str] | None = None,
                    boundary: str | None = None) -> Role:
        check_name(name, "roleName")
        check_path(path)
        check_policy(trust_policy, "trust")
        role = Role(account, name, new_id("AROA", 17), trust_policy, path, description, max_session_duration,
                    dict(tags or {}), time.time(), boundary=boundary)
        self._create(ROLE, role)
        return role

    def _create(self, kind: str, record: Any) -> None:
        noun = _NOUN[kind]
        with self.store.write() as txn:
            if txn.document(ACCOUNT, record.account) is None:
                raise NoSuchEntity(f"The account {record.account} cannot be found.")
            # Names are unique in an account regardless of case.
            if any(other["account"] == record.account and other["name"].lower() == record.name.lower()
                   for other in (orjson.loads(raw) for _, raw in txn.documents(kind))):
                raise EntityAlreadyExists(f"{noun.capitalize()} with name {record.name} already exists.")
            if getattr(record, "boundary", None) is not None:
                self._attachable(txn, record.boundary)
            txn.put_document(kind, f"{record.account}:{record.name}", orjson.dumps(asdict(record)))

    def update(self, kind: str, account: str, name: str, change: Callable[[Any], Any]) -> Any:
        """Apply ``change`` (record -> new record) to a user, group or role, in one transaction."""
        with self.store.write() as txn:
            raw = txn.document(kind, f"{account}:{name}")
            if raw is None:
                raise NoSuchEntity(f"The {_NOUN[kind]} with name {name} cannot be found.")
            record = change(_load(kind, raw))
            txn.put_document(kind, f"{account}:{name}", orjson.dumps(asdict(record)))
            return record

    def delete(self, kind: str, account: str, name: str) -> None:
        """Delete a user, group or role; as IAM, only once nothing hangs from it."""
        with self.store.write() as txn:
            raw = txn.document(kind, f"{account}:{name}")
            if raw is None:
                raise NoSuchEntity(f"The {_NOUN[kind]} with name {name} cannot be found.")
            record = _load(kind, raw)
            if record.inline_policies:
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if record.managed_policies:
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            if kind == USER:
                if any(key["account"] == account and key["user"] == name
                       for key in (orjson.loads(raw) for _, raw in txn.documents(ACCESS_KEY))):
                    raise DeleteConflict("Cannot delete entity, must delete access keys first.")
                if any(name in group["members"] for group in
                       (orjson.loads(raw) for _, raw in txn.documents(GROUP)) if group["account"] == account):
                    raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            if kind == GROUP and record.members:
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            txn.delete_document(kind, f"{account}:{name}")

    def add_user_to_group(self, account: str, group: str, user: str) -> None:
        if self.user(account, user) is None:
            raise NoSuchEntity(f"The user with name {user} cannot be found.")
        if len(self.groups_of(account, user)) >= MAX_GROUPS_PER_USER:
            raise IamLimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
        self.update(GROUP, account, group, lambda g: g if user in g.members else replace(
            g, members=(*g.members, user)))

    def remove_user_from_group(self, account: str, group: str, user: str) -> None:
        def remove(record: Group) -> Group:
            if user not in record.members:
                raise NoSuchEntity(f"The user with name {user} cannot be found.")
            return replace(record, members=tuple(m for m in record.members if m != user))
        self.update(GROUP, account, group, remove)

    # --- policies of users, groups and roles --------------------------------------------------

    def put_inline_policy(self, kind: str, account: str, name: str, policy_name: str, document: str) -> None:
        """Add or replace an inline policy. Its quota is its entity's, shared by all of that entity's
        inline policies, whitespace not counted: 2,048 characters for a user, 5,120 for a group,
        10,240 for a role (IAM User Guide, "IAM and AWS STS quotas")."""
        check_name(policy_name, "policyName", longest=128)
        quota, size = _INLINE_QUOTA[kind], policy_size(document, "identity")
        too_large = IamLimitExceeded(f"Maximum policy size of {quota} bytes exceeded for {_NOUN[kind]} {name}")
        if size > quota:
            raise too_large
        check_policy(document, "identity", max_size=quota)

        def put(record):
            others = sum(policy_size(other, "identity") for other_name, other in record.inline_policies.items()
                         if other_name != policy_name)
            if others + size > quota:
                raise too_large
            return replace(record, inline_policies={**record.inline_policies, policy_name: document})
        self.update(kind, account, name, put)

    def delete_inline_policy(self, kind: str, account: str, name: str, policy_name: str) -> None:
        def remove(record):
            if policy_name not in record.inline_policies:
                raise NoSuchEntity(f"The {_NOUN[kind]} policy with name {policy_name} cannot be found.")
            return replace(record, inline_policies={
                n: d for n, d in record.inline_policies.items() if n != policy_name})
        self.update(kind, account, name, remove)

    def attach_policy(self, kind: str, account: str, name: str, arn: str) -> None:
        with self.store.write() as txn:
            self._attachable(txn, arn)

        def attach(record):
            if arn in record.managed_policies:
                return record
            if len(record.managed_policies) >= MAX_MANAGED_POLICIES_PER_IDENTITY:
                noun = {USER: "PoliciesPerUser", GROUP: "PoliciesPerGroup", ROLE: "PoliciesPerRole"}[kind]
                raise IamLimitExceeded(f"Cannot exceed quota for {noun}: {MAX_MANAGED_POLICIES_PER_IDENTITY}")
            return replace(record, managed_policies=(*record.managed_policies, arn))
        self.update(kind, account, name, attach)

    def detach_policy(self, kind: str, account: str, name: str, arn: str) -> None:
        def detach(record):
            if arn not in record.managed_policies:
                raise NoSuchEntity(f"Policy {arn} was not found.")
            return replace(record, managed_policies=tuple(p for p in record.managed_policies if p != arn))
        self.update(kind, account, name, detach)

    def set_boundary(self, kind: str, account: str, name: str, arn: str | None) -> None:
        """Set (or, with None, remove) the permissions boundary of a user or role."""
        if arn is not None:
            with self.store.write() as txn:
                self._attachable(txn, arn)
        self.update(kind, account, name, lambda r: replace(r, boundary=arn))

    def _attachable(self, txn, arn: str) -> None:
        if arn not in aws_managed.POLICIES and txn.document(POLICY, arn) is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")

    # --- managed policies ---------------------------------------------------------------------

    def create_policy(self, account: str, name: str, document: str, *, path: str = "/",
                      description: str = "") -> ManagedPolicy:
        check_name(name, "policyName", longest=128)
        check_path(path)
        check_policy(document, "identity")
        policy = ManagedPolicy(account, name, new_id("ANPA", 17), {"v1": document}, "v1", path, description,
                               time.time())
        with self.store.write() as txn:
            if any(other.account == account and other.name == name
                   for other in (_load(POLICY, raw) for _, raw in txn.documents(POLICY))):
                raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            txn.put_document(POLICY, policy.arn, orjson.dumps(asdict(policy)))
        return policy

    def update_policy(self, arn: str, change: Callable[[ManagedPolicy], ManagedPolicy]) -> ManagedPolicy:
        with self.store.write() as txn:
            raw = txn.document(POLICY, arn)
            if raw is None:
                raise NoSuchEntity(f"Policy {arn} was not found.")
            policy = change(_load(POLICY, raw))
            txn.put_document(POLICY, arn, orjson.dumps(asdict(policy)))
            return policy

    def delete_policy(self, arn: str) -> None:
        if self.policy(arn) is None or arn in aws_managed.POLICIES:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        if next(self.attachments(arn), None) is not None:
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        with self.store.write() as txn:
            txn.delete_document(POLICY, arn)

    # --- access keys --------------------------------------------------------------------------

    def create_access_key(self, account: str, user: str, *, key_id: str | None = None,
                          secret: str | None = None) -> AccessKey:
        """A new active key for the user (IAM allows two). ``key_id``/``secret`` import known
        credentials instead of issuing new ones (for tests and for replaying a setup)."""
        with self.store.write() as txn:
            if txn.document(USER, f"{account}:{user}") is None:
                raise NoSuchEntity(f"The user with name {user} cannot be found.")
            mine = [key for key in (_load(ACCESS_KEY, raw) for _, raw in txn.documents(ACCESS_KEY))
                    if key.account == account and key.user == user]
            if len(mine) >= MAX_ACCESS_KEYS_PER_USER:
                raise IamLimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS_PER_USER}")
            key = AccessKey(key_id or new_id("AKIA"), secret or new_secret(), account, user, "Active", time.time())
            if txn.document(ACCESS_KEY, key.id) is not None:
                raise EntityAlreadyExists(f"Access key {key.id} already exists.")
            txn.put_document(ACCESS_KEY, key.id, orjson.dumps(asdict(key)))
        return key

    def set_access_key_status(self, key_id: str, status: str) -> None:
        if status not in ("Active", "Inactive"):
            raise ValueError("status is Active or Inactive")
        with self.store.write() as txn:
            raw = txn.document(ACCESS_KEY, key_id)
            if raw is None:
                raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
            txn.put_document(ACCESS_KEY, key_id, orjson.dumps(orjson.loads(raw) | {"status": status}))

    def delete_access_key(self, key_id: str) -> None:
        with self.store.write() as txn:
            if txn.document(ACCESS_KEY, key_id) is None:
                raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
            txn.delete_document(ACCESS_KEY, key_id)

    # --- temporary sessions -------------------------------------------------------------------

    def create_session(self, identity: Identity, duration_seconds: int, **role_session: Any) -> Session:
        """Temporary credentials valid for ``duration_seconds``: for ``identity`` itself
        (GetSessionToken), or, given ``role_arn``, ``session_name``, ``principal_arn`` and
        ``principal_id`` and the rest of a role session (AssumeRole), for a role session. Sessions
        that expired a day ago or more are forgotten at the same time."""
        now = time.time()
        fields = {"principal_arn": identity.arn, "principal_id": identity.principal_id} | role_session
        session = Session(new_id("ASIA"), new_secret(), new_session_token(), fields.pop("account", identity.account),
                          expires=now + duration_seconds, issued=now, **fields)
        with self.store.write() as txn:
            for key_id, raw in list(txn.documents(SESSION)):
                if orjson.loads(raw)["expires"] < now - 86_400:
                    txn.delete_document(SESSION, key_id)
            txn.put_document(SESSION, session.id, orjson.dumps(asdict(session)))
        return session

    # --- for the IAM API (services/iam): managed policy versions, dates and tags ---------------
    #
    # A managed policy's record keeps its versions' documents; what IAM also reports about them
    # (each version's creation date, the policy's last update, its tags, the next version id) is
    # kept beside it in a POLICY_DETAILS document of the same name, written in the same
    # transaction as the policy. A policy without one (created before, or by the `moatdb`
    # command) reads as never updated, with no tags.

    def policy_details(self, arn: str) -> dict:
        """{"tags", "version_dates", "updated", "next_version"} of a customer managed policy (or
        an AWS managed one: no tags, dated as created)."""
        raw = self.store.read().document(POLICY_DETAILS, arn)
        policy = self.policy(arn)
        return _details(raw, policy)

    def set_policy_tags(self, arn: str, change: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Apply ``change`` (tags -> new tags) to a customer managed policy's tags."""
        with self.store.write() as txn:
            policy = self._stored_policy(txn, arn)
            details = _details(txn.document(POLICY_DETAILS, arn), policy)
            details["tags"] = change(details["tags"])
            txn.put_document(POLICY_DETAILS, arn, orjson.dumps(details))
            return details["tags"]

    def create_policy_version(self, arn: str, document: str, *, set_as_default: bool,
                              max_versions: int = 5) -> tuple[ManagedPolicy, str, float]:
        """A new version of a customer managed policy (IAM keeps at most five): the policy, the new
        version's id and its creation time."""
        check_policy(document, "identity")
        now = time.time()
        with self.store.write() as txn:
            policy = self._stored_policy(txn, arn)
            if len(policy.versions) >= max_versions:
                raise IamLimitExceeded(f"A managed policy can have up to {max_versions} versions. Before you "
                                       "create a new version, you must delete an existing version.")
            details = _details(txn.document(POLICY_DETAILS, arn), policy)
            version = f"v{details['next_version']}"
            policy = replace(policy, versions={**policy.versions, version: document},
                             default_version=version if set_as_default else policy.default_version)
            details["next_version"] += 1
            details["version_dates"][version] = now
            if set_as_default:
                details["updated"] = now
            txn.put_document(POLICY, arn, orjson.dumps(asdict(policy)))
            txn.put_document(POLICY_DETAILS, arn, orjson.dumps(details))
            return policy, version, now

    def delete_policy_version(self, arn: str, version: str) -> None:
        with self.store.write() as txn:
            policy = self._stored_policy(txn, arn)
            if version not in policy.versions:
                raise NoSuchEntity(f"Policy {arn} version {version} does not exist or is not attachable.")
            if version == policy.default_version:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            details = _details(txn.document(POLICY_DETAILS, arn), policy)
            details["version_dates"].pop(version, None)
            txn.put_document(POLICY, arn, orjson.dumps(asdict(replace(
                policy, versions={v: d for v, d in policy.versions.items() if v != version}))))
            txn.put_document(POLICY_DETAILS, arn, orjson.dumps(details))

    def set_default_policy_version(self, arn: str, version: str) -> None:
        with self.store.write() as txn:
            policy = self._stored_policy(txn, arn)
            if version not in policy.versions:
                raise NoSuchEntity(f"Policy {arn} version {version} does not exist or is not attachable.")
            details = _details(txn.document(POLICY_DETAILS, arn), policy)
            details["updated"] = time.time()
            txn.put_document(POLICY, arn, orjson.dumps(asdict(replace(policy, default_version=version))))
            txn.put_document(POLICY_DETAILS, arn, orjson.dumps(details))

    def delete_policy_and_details(self, arn: str) -> None:
        """DeletePolicy as IAM does it: only once its other versions are deleted and it is attached
        to nothing; its details go with it."""
        policy = self.policy(arn)
        if policy is not None and arn not in aws_managed.POLICIES and len(policy.versions) > 1:
            raise DeleteConflict("This policy has more than one version. Before you delete a policy, you must "
                                 "delete the policy's versions. The default version is deleted with the policy.")
        self.delete_policy(arn)
        with self.store.write() as txn:
            txn.delete_document(POLICY_DETAILS, arn)

    def _stored_policy(self, txn, arn: str) -> ManagedPolicy:
        raw = txn.document(POLICY, arn)
        if raw is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return _load(POLICY, raw)


POLICY_DETAILS = "iam/policy-details"


def _details(raw: bytes | None, policy: ManagedPolicy | None) -> dict:
    created = policy.created if policy is not None else 0.0
    details = {"tags": {}, "version_dates": {}, "updated": created,
               "next_version": 1 + max((int(v[1:]) for v in policy.versions if v[1:].isdigit()), default=0)
               if policy is not None else 1}
    if raw is not None:
        details.update(orjson.loads(raw))
    return details
