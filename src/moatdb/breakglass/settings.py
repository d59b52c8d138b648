"""What the world says about break glass: which roles are break-glass roles, who may ask for them
and who approves, how long a grant may last, how long a request waits, where alarms go.

The settings are kept in the store (``breakglass/config``), written when a world is applied, so every
worker and every command reads the same; ``Current`` re-reads them only when a document changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import orjson

from moatdb.storage.base import Store

CONFIG = "breakglass/config"
_NAME = "settings"

# Without a world's word: one approval, a grant of at most an hour, requests that wait 15 minutes.
DEFAULT_APPROVALS = 1
DEFAULT_MAX_DURATION = 3600
DEFAULT_REQUEST_TIMEOUT = 900
DEFAULT_MINIMUM_DURATION = 1


@dataclass(frozen=True)
class Webhook:
    url: str  # http:// or https://; every alarm is POSTed there as JSON
    secret: str | None = None  # given: each POST carries X-Moatdb-Signature, an HMAC-SHA256 of its body


@dataclass(frozen=True)
class Role:
    """One break-glass role and its procedure."""

    arn: str
    approvals: int = DEFAULT_APPROVALS  # M: distinct approvers a request needs
    approvers: tuple[str, ...] = ()  # the N who may approve (user or role ARNs); empty: any IAM allows
    requesters: tuple[str, ...] = ()  # who may ask; empty: whoever IAM allows moatdb:RequestBreakGlass
    max_duration: int = DEFAULT_MAX_DURATION  # seconds
    require_reason: bool = True
    require_ticket: bool = True


@dataclass(frozen=True)
class Settings:
    roles: tuple[Role, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    request_timeout: int = DEFAULT_REQUEST_TIMEOUT  # seconds a request waits for its approvals
    minimum_duration: int = DEFAULT_MINIMUM_DURATION  # the shortest grant anyone may ask for

    def role(self, arn: str) -> Role | None:
        return next((role for role in self.roles if role.arn == arn), None)

    @property
    def role_arns(self) -> frozenset[str]:
        return frozenset(role.arn for role in self.roles)


def save(store: Store, settings: Settings) -> None:
    with store.write() as txn:
        txn.put_document(CONFIG, _NAME, orjson.dumps(asdict(settings)))


def load(store: Store) -> Settings:
    """The store's settings; none (no break-glass role) when no world gave any."""
    raw = store.read().document(CONFIG, _NAME)
    if raw is None:
        return Settings()
    fields = orjson.loads(raw)
    roles = tuple(Role(**role | {"approvers": tuple(role["approvers"]), "requesters": tuple(role["requesters"])})
                  for role in fields.pop("roles"))
    webhooks = tuple(Webhook(**webhook) for webhook in fields.pop("webhooks"))
    return Settings(roles, webhooks, **fields)


@dataclass
class Current:
    """The settings as of the store's current document generation, read again when it changes."""

    store: Store
    _generation: int = -1
    _settings: Settings = field(default_factory=Settings)

    def get(self) -> Settings:
        generation = self.store.generation()
        if generation != self._generation:
            self._settings = load(self.store)
            self._generation = generation
        return self._settings
