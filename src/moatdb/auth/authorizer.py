"""Authorization of one request: the caller's permissions and the request's context, put to the
policy engine, with the decision cached by everything it depends on.

The engine (``moatdb.policy``) is pure; this module gathers what it needs: the principal's
policies, the organization's SCPs and RCPs, the VPC endpoint's policy, the resource's policy. A
decision depends on those policies, the action, the resource, and the values of the condition keys
those policies read, nothing else; so the cache key is exactly that, and a request whose policies read no condition key is decided once per (principal, action,
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
from moatdb.auth.network import Network
from moatdb.auth.organization import RCP, SCP, Organization
from moatdb.auth.permissions import Permissions
from moatdb.errors import AwsError
from moatdb.policy.decision import Decision
from moatdb.policy.document import Policy
from moatdb.policy.evaluate import PolicySet, evaluate
from moatdb.policy.request import Request

NO_CONTEXT: Mapping[str, tuple[str, ...]] = {}
# Decisions kept per worker: a flood of distinct requests (say, every LeadingKeys value, when a policy
# reads it) cannot grow the cache further; it starts over.
_DECISIONS = 50_000


# "Take it from the world": the organization's SCPs and RCPs, the endpoint's policy (the default of
# decide's arguments); None given explicitly means "none apply".
FROM_WORLD: object = object()


class Authorizer:
    def __init__(self, directory: Directory, *, region: str, organization: Organization | None = None,
                 network: Network | None = None, clock: Callable[[], float] = time.time):
        self.directory = directory
        self.region = region
        self.organization = organization or Organization(directory.store)
        self.network = network or Network(directory.store)
        self._clock = clock
        # All hold for one document generation of the store (see _current).
        self._permissions: dict[tuple[str, str | None], Permissions | None] = {}
        self._decisions: dict[tuple, tuple[tuple | None, Decision, Request]] = {}
        self._keys: dict[tuple, tuple[tuple, tuple[str, ...]]] = {}
        self._organization_keys: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
        self._generation = -1
        # Where the audit trail collects the decisions of the request being answered: the gateway
        # hands over a list per request (requests are decided one at a time); None: nobody listens.
        self.decisions: list[tuple[Decision, Request]] | None = None

    def _current(self) -> None:
        """Drop every cache when any principal, policy or other document changed, in any worker."""
        generation = self.directory.store.generation()
        if generation != self._generation:
            self._permissions.clear()
            self._decisions.clear()
            self._keys.clear()
            self._organization_keys.clear()
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
        """The condition keys the policies in play for the caller read (its own, its organization's,
        its endpoint's): a service computes its costly keys (DynamoDB's LeadingKeys, Attributes) only
        when they are read. A resource's own policy adds its keys at the service."""
        found = self.permissions(caller)
        if found is None:
            return frozenset()
        others = self._world(caller, caller.account, None, FROM_WORLD, FROM_WORLD, FROM_WORLD)
        return frozenset(self._sorted_keys(found, others))

    def decide(self, caller: Caller, action: str, resource: str, resource_account: str | None = None,
               context: Mapping[str, tuple[str, ...]] = NO_CONTEXT, *, resource_policy: Policy | None = None,
               scps=FROM_WORLD, rcps=FROM_WORLD, endpoint=FROM_WORLD,
               explain: bool = False) -> tuple[Decision, Request]:
        """The decision on ``caller`` doing ``action`` on ``resource`` (owned by ``resource_account``,
        the caller's own when not given), with the service's condition keys ``context``. Beside the
        caller's own policies: the resource's policy, and, from the world unless given, the SCPs of
        the caller's account path and the RCPs of the resource's (root first; None where they do not
        bind: no organization, the management account) and the policy of the VPC endpoint the
        request came through. ``explain`` traces every statement that took part (for ``moatdb
        simulate``; never cached, never on the hot path)."""
        found = self.permissions(caller)
        if found is None:  # the principal was deleted since its key was looked up
            raise LookupError("the caller's principal no longer exists")
        resource_account = resource_account or caller.account
        origin = caller.origin.context
        others = self._world(caller, resource_account, resource_policy, scps, rcps, endpoint)
        plain = others is None
        keys = found.sorted_keys if plain else self._sorted_keys(found, others)
        key = (caller.identity.arn, caller.identity.session, action, resource, resource_account)
        if not plain:
            key += tuple(map(id, others))
        if keys:  # most policies read no condition key, and then nothing else is looked up
            organization = self._organization_context(caller.account, resource_account)
            key += tuple(self._value(name, found, origin, context, organization, resource_account)
                         for name in keys)
        cached = None if explain else self._decisions.get(key)
        if cached is not None and (plain or all(a is b for a, b in zip(cached[0], others, strict=True))):
            if self.decisions is not None:
                self.decisions.append((cached[1], cached[2]))
            return cached[1], cached[2]
        request = Request(found.principal, action, resource, resource_account, self._context(
            found, origin, context, self._organization_context(caller.account, resource_account),
            resource_account))
        resource_policy, scps, rcps, endpoint = others or (None, None, None, None)
        policies = PolicySet(identity=found.identity, resource=resource_policy, boundary=found.boundary,
                             session=found.session, scps=scps, rcps=rcps, endpoint=endpoint)
        decision = evaluate(request, policies, explain=explain)
        if explain:
            return decision, request
        if len(self._decisions) >= _DECISIONS:
            self._decisions.clear()
        # The policies are kept with the entry, so their id() cannot be reused while the entry lives.
        self._decisions[key] = (others, decision, request)
        if self.decisions is not None:
            self.decisions.append((decision, request))
        return decision, request

    def require(self, caller: Caller, action: str, resource: str, resource_account: str | None = None,
                context: Mapping[str, tuple[str, ...]] = NO_CONTEXT, *, resource_policy: Policy | None = None,
                denied: type[AwsError]) -> None:
        """Raise ``denied`` with AWS's message unless the request is allowed."""
        decision, request = self.decide(caller, action, resource, resource_account, context,
                                        resource_policy=resource_policy)
        if not decision.allowed:
            raise denied(decision.message(request))

    def _world(self, caller: Caller, resource_account: str, resource_policy, scps, rcps, endpoint) -> tuple | None:
        """(resource policy, SCP path, RCP path, endpoint policy), None when none applies. Cached
        objects (one per document generation), so their identity keys the decision cache."""
        if scps is FROM_WORLD:
            scps = self.organization.path(caller.account, SCP)
        if rcps is FROM_WORLD:
            rcps = self.organization.path(resource_account, RCP)
        if endpoint is FROM_WORLD:
            vpce = caller.origin.vpc_endpoint
            endpoint = None if vpce is None else self.network.endpoint_policy(vpce)
        if resource_policy is None and scps is None and rcps is None and endpoint is None:
            return None
        return resource_policy, scps, rcps, endpoint

    def _sorted_keys(self, found: Permissions, others: tuple | None) -> tuple[str, ...]:
        if others is None:
            return found.sorted_keys
        key = (id(found), *map(id, others))
        cached = self._keys.get(key)
        if cached is None or cached[0][0] is not found:
            keys = tuple(sorted(found.keys.union(*(policy.keys for policy in _each(others)))))
            cached = self._keys[key] = ((found, others), keys)  # kept alive with their id()s
        return cached[1]

    def _organization_context(self, principal_account: str, resource_account: str) -> dict[str, tuple[str, ...]]:
        """aws:PrincipalOrgID/OrgPaths and aws:ResourceOrgID/OrgPaths, present only for accounts in an
        organization (IAM User Guide, "AWS global condition context keys")."""
        key = (principal_account, resource_account)
        found = self._organization_keys.get(key)
        if found is None:
            principal = self.organization.context(principal_account)
            resource = self.organization.context(resource_account)
            found = self._organization_keys[key] = {
                **{f"aws:principal{name}": value for name, value in principal.items()},
                **{f"aws:resource{name}": value for name, value in resource.items()},
            }
        return found

    def _value(self, name: str, found: Permissions, origin: Mapping, context: Mapping, organization: Mapping,
               resource_account: str) -> tuple[str, ...] | None:
        value = context.get(name) or origin.get(name) or found.context.get(name) or organization.get(name)
        if value is None:
            value = self._request_keys(resource_account).get(name)
        return value

    def _context(self, found: Permissions, origin: Mapping, context: Mapping, organization: Mapping,
                 resource_account: str) -> dict[str, tuple[str, ...]]:
        return {**self._request_keys(resource_account), **organization, **found.context, **origin, **context}

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
