"""Principals kept in storage: accounts, IAM users and their access keys, and temporary sessions.

Each is a storage document (``iam/<kind>``). What a request needs on its hot path (the secret of
an access key id, and who it belongs to) is cached per worker and dropped when any document
changes, so a key deactivated through one worker is refused by every worker on its next request.

Secrets are stored in the database, which only its owner can read (mode 0600): SigV4 needs the
secret itself to recompute a signature, so it cannot be kept as a one-way hash. They never appear
in logs, errors or listings; only ``create_access_key``, ``create_session`` and the credentials
file a user asks for carry them.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from dataclasses import asdict, dataclass, field

import orjson

from moatdb.auth.sigv4 import SigningKeyRecord
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

ACCOUNT, USER, ACCESS_KEY, SESSION = "iam/account", "iam/user", "iam/access-key", "iam/session"
# IAM's quotas: two access keys per user.
MAX_ACCESS_KEYS_PER_USER = 2
# IAM's CreateUser: UserName is 1 to 64 of [\w+=,.@-] (ASCII word characters, as Java's \w); names
# are unique in an account regardless of case (IAM User Guide, "IAM identifiers"). The name ends up
# in ARNs and in AWS profile files, where a space, a slash or a bracket would break them.
USER_NAME_PATTERN = r"[\w+=,.@-]+"
_USER_NAME = re.compile(USER_NAME_PATTERN, re.ASCII)
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_id(prefix: str, length: int = 16) -> str:
    """An IAM-style identifier: AKIA… (access key), ASIA… (temporary key), AIDA… (user)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_secret() -> str:
    """A 40-character secret access key, as IAM issues them."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


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

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user{self.path}{self.name}"


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
    """Temporary credentials (GetSessionToken now, AssumeRole with the policy engine)."""

    id: str  # ASIA…
    secret: str
    token: str
    account: str
    principal_arn: str
    principal_id: str
    expires: float


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signs with a key: what GetCallerIdentity reports, and what authorization will use."""

    account: str
    arn: str
    principal_id: str  # AIDA… for a user
    temporary: bool  # signed with a session's temporary credentials


class Directory:
    def __init__(self, store: Store):
        self.store = store
        self._keys: DocumentCache[str, tuple[SigningKeyRecord, Identity] | None] = DocumentCache(
            store, self._load_key)

    # --- the hot path -------------------------------------------------------------------------

    def signing_key(self, access_key_id: str) -> tuple[SigningKeyRecord, Identity] | None:
        """What SigV4 needs to check a signature made with this key id, and whose key it is; None
        for an unknown or inactive key."""
        return self._keys.get(access_key_id)

    def _load_key(self, access_key_id: str) -> tuple[SigningKeyRecord, Identity] | None:
        reader = self.store.read()
        if access_key_id.startswith("ASIA"):
            raw = reader.document(SESSION, access_key_id)
            if raw is None:
                return None
            session = Session(**orjson.loads(raw))
            identity = Identity(session.account, session.principal_arn, session.principal_id, True)
            return SigningKeyRecord(session.secret, session.token, session.expires), identity
        raw = reader.document(ACCESS_KEY, access_key_id)
        if raw is None:
            return None
        key = AccessKey(**orjson.loads(raw))
        user = self.user(key.account, key.user)
        if key.status != "Active" or user is None:
            return None
        return SigningKeyRecord(key.secret), Identity(user.account, user.arn, user.id, False)

    # --- reading ------------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        return [Account(**orjson.loads(raw)) for _, raw in self.store.read().documents(ACCOUNT)]

    def user(self, account: str, name: str) -> User | None:
        raw = self.store.read().document(USER, f"{account}:{name}")
        return None if raw is None else User(**orjson.loads(raw))

    def users(self, account: str | None = None) -> list[User]:
        found = [User(**orjson.loads(raw)) for _, raw in self.store.read().documents(USER)]
        return [user for user in found if account is None or user.account == account]

    def access_keys(self, account: str | None = None, user: str | None = None) -> list[AccessKey]:
        """Access keys, secrets included: for the credentials file only, never for a listing."""
        found = [AccessKey(**orjson.loads(raw)) for _, raw in self.store.read().documents(ACCESS_KEY)]
        return [key for key in found
                if (account is None or key.account == account) and (user is None or key.user == user)]

    # --- changing -----------------------------------------------------------------------------

    def create_account(self, account_id: str, name: str) -> Account:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"an account id is 12 digits, not {account_id!r}")
        account = Account(account_id, name)
        with self.store.write() as txn:
            txn.put_document(ACCOUNT, account_id, orjson.dumps(asdict(account)))
        return account

    def create_user(self, account: str, name: str, *, path: str = "/",
                    tags: dict[str, str] | None = None) -> User:
        _check_user_name(name)
        with self.store.write() as txn:
            if txn.document(ACCOUNT, account) is None:
                raise LookupError(f"no account {account}")
            if txn.document(USER, f"{account}:{name}") is not None or any(
                    other["account"] == account and other["name"].lower() == name.lower()
                    for other in (orjson.loads(raw) for _, raw in txn.documents(USER))):
                raise ValueError(f"user {name} already exists in account {account}")
            user = User(account, name, new_id("AIDA", 17), path, dict(tags or {}), time.time())
            txn.put_document(USER, f"{account}:{name}", orjson.dumps(asdict(user)))
        return user

    def create_access_key(self, account: str, user: str, *, key_id: str | None = None,
                          secret: str | None = None) -> AccessKey:
        """A new active key for the user (IAM allows two). ``key_id``/``secret`` import known
        credentials instead of issuing new ones (for tests and for replaying a setup)."""
        with self.store.write() as txn:
            if txn.document(USER, f"{account}:{user}") is None:
                raise LookupError(f"no user {user} in account {account}")
            mine = [key for key in self._keys_in(txn) if key.account == account and key.user == user]
            if len(mine) >= MAX_ACCESS_KEYS_PER_USER:
                raise ValueError(f"user {user} already has {MAX_ACCESS_KEYS_PER_USER} access keys")
            key = AccessKey(key_id or new_id("AKIA"), secret or new_secret(), account, user, "Active", time.time())
            if txn.document(ACCESS_KEY, key.id) is not None:
                raise ValueError(f"access key {key.id} exists")
            txn.put_document(ACCESS_KEY, key.id, orjson.dumps(asdict(key)))
        return key

    def set_access_key_status(self, key_id: str, status: str) -> None:
        if status not in ("Active", "Inactive"):
            raise ValueError("status is Active or Inactive")
        with self.store.write() as txn:
            raw = txn.document(ACCESS_KEY, key_id)
            if raw is None:
                raise LookupError(f"no access key {key_id}")
            key = AccessKey(**orjson.loads(raw))
            txn.put_document(ACCESS_KEY, key_id, orjson.dumps(asdict(key) | {"status": status}))

    def delete_access_key(self, key_id: str) -> None:
        with self.store.write() as txn:
            if txn.document(ACCESS_KEY, key_id) is None:
                raise LookupError(f"no access key {key_id}")
            txn.delete_document(ACCESS_KEY, key_id)

    def create_session(self, identity: Identity, duration_seconds: int) -> Session:
        """Temporary credentials for a principal, valid for ``duration_seconds``. Sessions that
        expired a day ago or more are forgotten at the same time."""
        now = time.time()
        session = Session(new_id("ASIA"), new_secret(), base64.b64encode(secrets.token_bytes(96)).decode(),
                          identity.account, identity.arn, identity.principal_id, now + duration_seconds)
        with self.store.write() as txn:
            for key_id, raw in list(txn.documents(SESSION)):
                if orjson.loads(raw)["expires"] < now - 86_400:
                    txn.delete_document(SESSION, key_id)
            txn.put_document(SESSION, session.id, orjson.dumps(asdict(session)))
        return session

    @staticmethod
    def _keys_in(txn) -> list[AccessKey]:
        return [AccessKey(**orjson.loads(raw)) for _, raw in txn.documents(ACCESS_KEY)]


def _check_user_name(name: str) -> None:
    """IAM's constraints on a user name, refused in IAM's (Coral's) words."""
    if not name:
        raise ValueError("1 validation error detected: Value '' at 'userName' failed to satisfy constraint: "
                         "Member must have length greater than or equal to 1")
    if len(name) > 64:
        raise ValueError(f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
                         "constraint: Member must have length less than or equal to 64")
    if not _USER_NAME.fullmatch(name):
        raise ValueError(f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
                         f"constraint: Member must satisfy regular expression pattern: {USER_NAME_PATTERN}")
