"""Authorization of one request: the caller's permissions and the request's context, put to the
policy engine, with the decision cached by everything it depends on.

The engine (``moatdb.policy``) is pure; this module gathers what it needs. A decision depends on
the principal's policies (and the resource's policy, when it has one), the action, the resource,
and the values of the condition keys those policies read, nothing else; so the cache key is exactly
that, and a request whose policies read no condition key is decided once per (principal, action,
resource). The cache is dropped whole when any document changes, in this worker or another, so a
policy changed through one worker holds in every worker from its next request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from moatdb.auth import permissions
from moatdb.auth.authenticator import Caller
from moatdb.auth.directory import Directory
from moatdb.auth.permissions import Permissions
from moatdb.errors import AwsError
from moatdb.policy.decision import Decision
from moatdb.policy.document import Policy
from moatdb.policy.evaluate import PolicySet, evaluate
from moatdb.policy.request import Request

NO_CONTEXT: Mapping[str, tuple[str, ...]] = {}
Levels = tuple[tuple[Policy, ...], ...]  # the policies attached at each level of an organization path
# Decisions kept per worker: a flood of distinct requests (say, every LeadingKeys value, when a policy
# reads it) cannot grow the cache further; it starts over.
_DECISIONS = 50_000


class Authorizer:
    def __init__(self, directory: Directory, *, region: str, clock: Callable[[], float] = time.time):
        self.directory = directory
        self.region = region
        self._clock = clock
        # Both caches hold for one document generation of the store (see _current).
        self._permissions: dict[tuple[str, str | None], Permissions | None] = {}
        self._decisions: dict[tuple, tuple[tuple | None, Decision, Request]] = {}
        self._generation = -1

    def _current(self) -> None:
        """Drop both caches when any principal, policy or other document changed, in any worker."""
        generation = self.directory.store.generation()
        if generation != self._generation:
            self._permissions.clear()
            self._decisions.clear()
            self._generation = generation

    def permissions(self, caller: Caller) -> Permissions | None:
        self._current()
        identity = caller.identity
        key = (identity.arn, identity.session)
        try:
            return self._permissions[key]
        except KeyError:
            found = self._permissions[key] = permissions.load(self.directory, identity)
            return found

    def condition_keys(self, caller: Caller) -> frozenset[str]:
        """The condition keys the caller's own policies read: a service computes its costly keys
        (DynamoDB's LeadingKeys, Attributes) only when they are read."""
        found = self.permissions(caller)
        return frozenset() if found is None else found.keys

    def decide(self, caller: Caller, action: str, resource: str, resource_account: str | None = None,
               context: Mapping[str, tuple[str, ...]] = NO_CONTEXT, *, resource_policy: Policy | None = None,
               scps: Levels | None = None, rcps: Levels | None = None, endpoint: Policy | None = None,
               explain: bool = False) -> tuple[Decision, Request]:
        """The decision on ``caller`` doing ``action`` on ``resource`` (owned by ``resource_account``,
        the caller's own when not given), with the service's condition keys ``context``; beside the
        caller's own policies, the resource's policy, the SCPs and RCPs of the organization path
        (root first) and the VPC endpoint's policy, where they apply. ``explain`` traces every
        statement that took part (for ``moatdb simulate``; never cached, never on the hot path)."""
        found = self.permissions(caller)
        if found is None:  # the principal was deleted since its key was looked up
            raise LookupError("the caller's principal no longer exists")
        resource_account = resource_account or caller.account
        origin = caller.origin.context
        others = (resource_policy, scps, rcps, endpoint)
        plain = resource_policy is None and scps is None and rcps is None and endpoint is None
        if plain:  # the caller's own policies only
            keys = found.sorted_keys
            key = (caller.identity.arn, caller.identity.session, action, resource, resource_account)
        else:
            keys = tuple(sorted(found.keys.union(*(policy.keys for policy in _each(others)))))
            key = (caller.identity.arn, caller.identity.session, action, resource, resource_account,
                   *map(id, others))
        if keys:  # most policies read no condition key, and then nothing else is looked up
            key += tuple(self._value(name, found, origin, context, resource_account) for name in keys)
        cached = None if explain else self._decisions.get(key)
        if cached is not None and (plain or all(a is b for a, b in zip(cached[0], others, strict=True))):
            return cached[1], cached[2]
        request = Request(found.principal, action, resource, resource_account,
                          self._context(found, origin, context, resource_account))
        policies = PolicySet(identity=found.identity, resource=resource_policy, boundary=found.boundary,
                             session=found.session, scps=scps, rcps=rcps, endpoint=endpoint)
        decision = evaluate(request, policies, explain=explain)
        if explain:
            return decision, request
        if len(self._decisions) >= _DECISIONS:
            self._decisions.clear()
        # The policies are kept with the entry, so their id() cannot be reused while the entry lives.
        self._decisions[key] = (None if plain else others, decision, request)
        return decision, request

    def require(self, caller: Caller, action: str, resource: str, resource_account: str | None = None,
                context: Mapping[str, tuple[str, ...]] = NO_CONTEXT, *, resource_policy: Policy | None = None,
                denied: type[AwsError]) -> None:
        """Raise ``denied`` with AWS's message unless the request is allowed."""
        decision, request = self.decide(caller, action, resource, resource_account, context,
                                        resource_policy=resource_policy)
        if not decision.allowed:
            raise denied(decision.message(request))

    def _value(self, name: str, found: Permissions, origin: Mapping, context: Mapping,
               resource_account: str) -> tuple[str, ...] | None:
        value = context.get(name) or origin.get(name) or found.context.get(name)
        if value is None:
            value = self._request_keys(resource_account).get(name)
        return value

    def _context(self, found: Permissions, origin: Mapping, context: Mapping,
                 resource_account: str) -> dict[str, tuple[str, ...]]:
        return {**self._request_keys(resource_account), **found.context, **origin, **context}

    def _request_keys(self, resource_account: str) -> dict[str, tuple[str, ...]]:
        """The keys of the request itself (IAM User Guide, "AWS global condition context keys")."""
        now = self._clock()
        return {
            "aws:currenttime": (datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),),
            "aws:epochtime": (str(int(now)),),
            "aws:requestedregion": (self.region,),
            "aws:resourceaccount": (resource_account,),
        }


def _each(others: tuple) -> list[Policy]:
    """Every policy among a resource policy, two organization paths and an endpoint policy."""
    resource_policy, scps, rcps, endpoint = others
    found = [policy for policy in (resource_policy, endpoint) if policy is not None]
    for levels in (scps, rcps):
        for level in levels or ():
            found.extend(level)
    return found
