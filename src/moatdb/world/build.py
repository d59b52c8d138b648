"""From schema-valid data to a ``World``: every reference resolved, every policy document parsed
by the policy engine for its kind, and every refusal JSON Schema cannot express (names unique
where AWS keeps them unique, addresses that can all be listened on, the organization's own rules)
collected with the path it concerns.

What is refused here is what applying the world would otherwise refuse halfway, so a world that
loads applies whole.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

import orjson

from moatdb.auth import aws_managed
from moatdb.auth.network import Door, Endpoint, NetworkConfig, Route, Vpc
from moatdb.breakglass import durations
from moatdb.breakglass import settings as break_glass
from moatdb.policy.document import (
    GROUP_INLINE_SIZE,
    ROLE_INLINE_SIZE,
    USER_INLINE_SIZE,
    parse_policy,
    policy_size,
)
from moatdb.policy.errors import MalformedPolicy
from moatdb.world import model
from moatdb.world.source import Path, show_path

# Organizations nests OUs five levels deep under the root (Organizations User Guide, "Quotas").
MAX_UNIT_DEPTH = 5
_AWS_MANAGED_POLICY = "arn:aws:iam::aws:policy/"
_CUSTOMER_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}):policy/")
# Organizations' own policies: attached to every root, OU and account already, and never redefined.
_RESERVED_POLICIES = {"FullAWSAccess": "p-FullAWSAccess", "RCPFullAWSAccess": "p-RCPFullAWSAccess"}
_KIND = {"SCP": "scp", "RCP": "rcp"}
# The longest break-glass grant: the longest role session STS gives (a role's MaxSessionDuration).
MAX_GRANT_SECONDS = 43_200
# Resolves a managed_policies or boundary entry (at a path) to the ARN it names.
Attachable = Callable[[Path, str], str]


def build(data: dict, line: Callable[[Path], int], *, source: str,
          digest: str) -> tuple[model.World, list[tuple[Path, str]]]:
    """The world, and every problem found in it (with its path): a world with problems is refused.
    ``line`` orders the places a thing is given twice, so the later one is refused."""
    builder = _Builder(data, line)
    world = builder.world(source, digest)
    return world, builder.problems


class _Builder:
    def __init__(self, data: dict, line: Callable[[Path], int]):
        self.data = data
        self.line = line
        self.problems: list[tuple[Path, str]] = []
        self.access_keys: dict[str, Path] = {}
        self.vpcs: dict[str, Path] = {}
        self.endpoints: dict[str, Path] = {}

    def refuse(self, path: Path, reason: str) -> None:
        self.problems.append((path, reason))

    def world(self, source: str, digest: str) -> model.World:
        accounts = tuple(self.account(account_id, spec) for account_id, spec in self.data["accounts"].items())
        organization = self.organization()
        network = self.network()
        return model.World(source, digest, self.data["region"], accounts, network, organization,
                           self.break_glass(accounts), self.route_tables())

    # --- policy documents ---------------------------------------------------------------------

    def document(self, path: Path, value: str | dict, kind: str, noun: str, *, max_size: int | None = None) -> str:
        """The document as JSON text (a string is kept as written), refused with the engine's words."""
        try:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
        except orjson.JSONEncodeError as error:
            self.refuse(path, f"{noun} cannot be written as JSON: {error}")
            return ""
        try:
            parse_policy(text, kind, id=noun, max_size=max_size)
        except MalformedPolicy as refused:
            self.refuse(path, f"malformed {noun}: {refused.message}")
        return text

    def inline(self, path: Path, policies: dict[str, Any], quota: int, entity: str) -> dict[str, str]:
        """Inline policies, within the quota their entity shares among them (white space not counted)."""
        documents = {name: self.document((*path, name), document, "identity", "inline policy", max_size=quota)
                     for name, document in policies.items()}
        total = sum(policy_size(document, "identity") for document in documents.values() if document)
        if total > quota:
            self.refuse(path, f"the inline policies of this {entity} add up to {total} characters; IAM allows "
                              f"{quota} per {entity}")
        return documents

    # --- accounts -----------------------------------------------------------------------------

    def account(self, account_id: str, spec: dict) -> model.Account:
        path: Path = ("accounts", account_id)
        policies = tuple(self.managed_policy((*path, "managed_policies", index), policy)
                         for index, policy in enumerate(spec.get("managed_policies", [])))
        self.unique_names((*path, "managed_policies"), spec.get("managed_policies", []), "managed policy")
        # The account's own policies, by name and by ARN.
        own = {_policy_arn(account_id, p.path, p.name): _policy_arn(account_id, p.path, p.name) for p in policies}
        own |= {p.name: _policy_arn(account_id, p.path, p.name) for p in policies}

        def attachable(where: Path, reference: str) -> str:
            return self.managed_reference(where, reference, account_id, own)

        groups = tuple(self.group((*path, "groups", index), group, attachable)
                       for index, group in enumerate(spec.get("groups", [])))
        self.unique_names((*path, "groups"), spec.get("groups", []), "group")
        group_names = {group.name for group in groups}
        users = tuple(self.user((*path, "users", index), user, attachable, group_names)
                      for index, user in enumerate(spec.get("users", [])))
        self.unique_names((*path, "users"), spec.get("users", []), "user")
        roles = tuple(self.role((*path, "roles", index), role, attachable)
                      for index, role in enumerate(spec.get("roles", [])))
        self.unique_names((*path, "roles"), spec.get("roles", []), "role")
        tables = tuple(self.table((*path, "tables", index), table)
                       for index, table in enumerate(spec.get("tables", [])))
        names: dict[str, Path] = {}
        for index, table in enumerate(tables):
            self.once(names, table.name, (*path, "tables", index, "name"), "table")
        return model.Account(account_id, spec["name"], policies, groups, users, roles, tables)

    def unique_names(self, path: Path, entries: list[dict], noun: str) -> None:
        # IAM keeps names unique within an account regardless of case (IAM User Guide, "IAM identifiers").
        seen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            name = entry["name"]
            if name.lower() in seen:
                self.refuse((*path, index, "name"), f"a {noun} named {seen[name.lower()]!r} is already in this "
                                                    "account (IAM names are unique regardless of case)")
            seen.setdefault(name.lower(), name)

    def managed_policy(self, path: Path, spec: dict) -> model.ManagedPolicy:
        document = self.document((*path, "document"), spec["document"], "identity", "managed policy")
        return model.ManagedPolicy(spec["name"], document, spec.get("path", "/"), spec.get("description", ""))

    def managed_reference(self, path: Path, reference: str, account_id: str, own: dict[str, str]) -> str:
        """The ARN a managed_policies or boundary entry names: an AWS managed policy, or one of the
        account's own (IAM attaches no other account's customer managed policy)."""
        if reference.startswith(_AWS_MANAGED_POLICY):
            if reference not in aws_managed.POLICIES:
                known = ", ".join(sorted(policy.name for policy in aws_managed.POLICIES.values()))
                self.refuse(path, f"moatdb knows no AWS managed policy {reference} (it knows {known})")
            return reference
        if reference in own:
            return own[reference]
        other = _CUSTOMER_POLICY_ARN.match(reference)
        if other is not None and other.group(1) != account_id:
            self.refuse(path, f"{reference} belongs to account {other.group(1)}: a user, group or role can "
                              "only be given its own account's managed policies and AWS managed ones")
        else:
            self.refuse(path, f"no managed policy {reference!r} in this account's managed_policies, and not "
                              f"an AWS managed policy ({_AWS_MANAGED_POLICY}NAME)")
        return reference

    def references(self, path: Path, references: list[str], attachable: Attachable) -> tuple[str, ...]:
        return tuple(attachable((*path, index), reference) for index, reference in enumerate(references))

    def group(self, path: Path, spec: dict, attachable: Attachable) -> model.Group:
        return model.Group(
            spec["name"], spec.get("path", "/"),
            self.inline((*path, "policies"), spec.get("policies", {}), GROUP_INLINE_SIZE, "group"),
            self.references((*path, "managed_policies"), spec.get("managed_policies", []), attachable))

    def user(self, path: Path, spec: dict, attachable: Attachable, groups: set[str]) -> model.User:
        for index, group in enumerate(spec.get("groups", [])):
            if group not in groups:
                self.refuse((*path, "groups", index), f"no group {group!r} in this account's groups")
        keys = None
        if "access_keys" in spec:
            keys = tuple(model.AccessKey(key["id"], key["secret"]) for key in spec["access_keys"])
            for index, key in enumerate(keys):
                where = (*path, "access_keys", index, "id")
                if key.id in self.access_keys:
                    self.refuse(where, f"access key {key.id} is already given at {show_path(self.access_keys[key.id])}")
                self.access_keys.setdefault(key.id, where)
        boundary = spec.get("boundary")
        return model.User(
            spec["name"], spec.get("path", "/"),
            self.inline((*path, "policies"), spec.get("policies", {}), USER_INLINE_SIZE, "user"),
            self.references((*path, "managed_policies"), spec.get("managed_policies", []), attachable),
            tuple(spec.get("groups", [])),
            None if boundary is None else attachable((*path, "boundary"), boundary),
            dict(spec.get("tags", {})), keys)

    def role(self, path: Path, spec: dict, attachable: Attachable) -> model.Role:
        boundary = spec.get("boundary")
        return model.Role(
            spec["name"], self.document((*path, "trust"), spec["trust"], "trust", "trust policy"),
            spec.get("path", "/"), spec.get("description", ""), spec.get("max_session_duration", 3600),
            self.inline((*path, "policies"), spec.get("policies", {}), ROLE_INLINE_SIZE, "role"),
            self.references((*path, "managed_policies"), spec.get("managed_policies", []), attachable),
            None if boundary is None else attachable((*path, "boundary"), boundary),
            dict(spec.get("tags", {})))

    # --- tables -------------------------------------------------------------------------------

    def table(self, path: Path, spec: dict) -> model.Table:
        """A table, refused here where CreateTable would refuse it (the wording is moatdb's)."""
        attributes = dict(spec["attributes"])
        key = tuple(spec["key"])
        used = set(key)
        self.key((*path, "key"), key, attributes)
        indexes: dict[str, Path] = {}
        built: dict[str, list[model.Index]] = {"global_indexes": [], "local_indexes": []}
        for side, found in built.items():
            for index, spec_index in enumerate(spec.get(side, [])):
                where = (*path, side, index)
                self.once(indexes, spec_index["name"], (*where, "name"), "index")
                index_key = tuple(spec_index["key"])
                self.key((*where, "key"), index_key, attributes)
                used |= set(index_key)
                if side == "local_indexes" and (len(index_key) != 2 or len(key) != 2 or index_key[0] != key[0]):
                    self.refuse((*where, "key"), "a local index has the table's partition key and a sort key, "
                                                 "on a table that has a sort key")
                projection = spec_index.get("projection", "ALL")
                found.append(model.Index(spec_index["name"], index_key,
                                         "INCLUDE" if isinstance(projection, list) else projection,
                                         tuple(projection) if isinstance(projection, list) else ()))
        for name in attributes:
            if name not in used:
                self.refuse((*path, "attributes", name), f"attribute {name!r} is in no key of the table or its "
                                                         "indexes: DynamoDB defines key attributes only")
        billing = spec.get("billing_mode", "PAY_PER_REQUEST")
        capacity = spec.get("capacity")
        if (billing == "PROVISIONED") != (capacity is not None):
            self.refuse((*path, "capacity") if capacity is not None else path,
                        "a PROVISIONED table needs capacity, and a PAY_PER_REQUEST one takes none")
        policy = spec.get("policy")
        if policy is not None:
            policy = self.document((*path, "policy"), policy, "resource", "table policy")
        return model.Table(
            spec["name"], attributes, key, billing,
            None if capacity is None else (capacity["read"], capacity["write"]),
            tuple(built["global_indexes"]), tuple(built["local_indexes"]), spec.get("ttl"), spec.get("stream"),
            spec.get("deletion_protection", False), policy, dict(spec.get("tags", {})))

    def key(self, path: Path, key: tuple[str, ...], attributes: dict[str, str]) -> None:
        for index, name in enumerate(key):
            if name not in attributes:
                self.refuse((*path, index), f"key attribute {name!r} is not in the table's attributes")
        if len(set(key)) != len(key):
            self.refuse(path, "the partition and sort keys are one attribute")

    # --- the organization ---------------------------------------------------------------------

    def organization(self) -> model.Organization | None:
        spec = self.data.get("organization")
        policies = self.organization_policies(spec is not None)
        if spec is None:
            return None
        management = spec["management_account"]
        if management not in self.data["accounts"]:
            self.refuse(("organization", "management_account"), f"account {management} is not in accounts")
        tree = _Tree(self, {policy.name: policy for policy in policies}, management)
        root = tree.unit(("organization", "root"), {"name": "Root"} | spec.get("root", {}), 0)
        for account, places in tree.placed.items():
            first, *others = sorted(places, key=self.line)
            for place in others:
                self.refuse(place, f"account {account} is already placed at {show_path(first)}")
        return model.Organization(management, root, policies, spec.get("id"))

    def organization_policies(self, organized: bool) -> tuple[model.OrganizationPolicy, ...]:
        declared = self.data.get("policies", {})
        if declared and not organized:
            self.refuse(("policies",), "SCPs and RCPs need an organization: add organization, or remove policies")
            return ()
        policies: list[model.OrganizationPolicy] = []
        ids: dict[str, Path] = {}
        for name, spec in declared.items():
            path = ("policies", name)
            if name in _RESERVED_POLICIES:
                self.refuse(path, f"{name} is AWS's own policy, already attached to every root, OU and account")
            policy_id = spec.get("id")
            if policy_id in _RESERVED_POLICIES.values():
                self.refuse((*path, "id"), f"{policy_id} is the id of AWS's own policy")
            elif policy_id is not None:
                self.once(ids, policy_id, (*path, "id"), "policy id")
            kind = spec["type"]
            document = self.document((*path, "document"), spec["document"], _KIND[kind], kind)
            policies.append(model.OrganizationPolicy(name, kind, document, spec.get("description", ""), policy_id))
        return tuple(policies)

    # --- the network --------------------------------------------------------------------------

    def network(self) -> NetworkConfig:
        vpcs, endpoints = [], []
        for account_id, spec in self.data["accounts"].items():
            for index, vpc in enumerate(spec.get("vpcs", [])):
                path = ("accounts", account_id, "vpcs", index)
                self.once(self.vpcs, vpc["id"], (*path, "id"), "VPC")
                self.cidr((*path, "cidr"), vpc["cidr"])
                vpcs.append(Vpc(vpc["id"], account_id, vpc["cidr"]))
                for number, endpoint in enumerate(vpc.get("endpoints", [])):
                    where = (*path, "endpoints", number)
                    self.once(self.endpoints, endpoint["id"], (*where, "id"), "VPC endpoint")
                    policy = endpoint.get("policy")
                    if policy is not None:
                        policy = self.document((*where, "policy"), policy, "endpoint", "VPC endpoint policy")
                    endpoints.append(Endpoint(endpoint["id"], vpc["id"], policy))
        doors = self.doors()
        routes, sources = [], {}
        for index, route in enumerate(self.data.get("routes", [])):
            path = ("routes", index)
            self.known_endpoint((*path, "endpoint"), route["endpoint"])
            network = self.cidr((*path, "source"), route["source"])
            if network is not None:
                self.once(sources, network, (*path, "source"), "route from")
            routes.append(Route(route["source"], route["endpoint"]))
        proxies: dict = {}
        for index, proxy in enumerate(self.data.get("trusted_proxies", [])):
            network = self.cidr(("trusted_proxies", index), proxy)
            if network is not None:
                self.once(proxies, network, ("trusted_proxies", index), "trusted proxy range")
        return NetworkConfig(tuple(vpcs), tuple(endpoints), doors, tuple(routes),
                             tuple(self.data.get("trusted_proxies", [])))

    def route_tables(self) -> dict[str, tuple[str, ...]]:
        return {endpoint["id"]: tuple(endpoint["route_tables"])
                for spec in self.data["accounts"].values() for vpc in spec.get("vpcs", [])
                for endpoint in vpc.get("endpoints", []) if endpoint.get("route_tables")}

    def doors(self) -> tuple[Door, ...]:
        doors: list[Door] = []
        names: dict[str, Path] = {}
        bound: list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int, str]] = []
        public: str | None = None
        for index, spec in enumerate(self.data["doors"]):
            path = ("doors", index)
            self.once(names, spec["name"], (*path, "name"), "door")
            endpoint = spec.get("endpoint")
            if endpoint is None:
                if public is not None:
                    self.refuse(path, f"a second public door (door {public!r} is the public one): every other "
                                      "door names the VPC endpoint it is")
                public = public or spec["name"]
            else:
                self.known_endpoint((*path, "endpoint"), endpoint)
            address = self.listen((*path, "listen"), spec["listen"])
            if address is None:
                continue
            host, port = address
            for other_host, other_port, other in bound:
                # A wildcard address takes the port on every address (of both families, on Linux);
                # port 0 is a free port chosen at start, never one another door has.
                if port == other_port != 0 and (host == other_host or host.is_unspecified
                                                or other_host.is_unspecified):
                    self.refuse((*path, "listen"), f"{spec['listen']} cannot be listened on beside door "
                                                   f"{other!r}, which has port {port} on {other_host}")
                    break
            bound.append((host, port, spec["name"]))
            doors.append(Door(spec["name"], str(host), port, endpoint))
        return tuple(doors)

    def listen(self, path: Path, listen: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int] | None:
        text, _, port = listen.rpartition(":")
        bracketed = text.startswith("[")
        try:
            host = ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            self.refuse(path, f"{text!r} is not an IP address")
            return None
        if bracketed != (host.version == 6):
            self.refuse(path, "write an IPv6 address in brackets ([::1]:8000), and an IPv4 address without")
            return None
        if int(port) > 65535:
            self.refuse(path, f"port {int(port)} is not from 0 to 65535")
            return None
        return host, int(port)

    def cidr(self, path: Path, text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        try:
            return ipaddress.ip_network(text)
        except ValueError as error:
            self.refuse(path, f"{text!r} is not an address range: {error}")
            return None

    # --- break glass --------------------------------------------------------------------------

    def break_glass(self, accounts: tuple[model.Account, ...]) -> break_glass.Settings | None:
        spec = self.data.get("break_glass")
        if spec is None:
            return None
        users = {f"arn:aws:iam::{account.id}:user{user.path}{user.name}" for account in accounts
                 for user in account.users}
        roles = {f"arn:aws:iam::{account.id}:role{role.path}{role.name}" for account in accounts
                 for role in account.roles}
        path: Path = ("break_glass",)
        minimum = self.duration((*path, "minimum_duration"),
                                spec.get("minimum_duration", break_glass.DEFAULT_MINIMUM_DURATION))
        timeout = self.duration((*path, "request_timeout"),
                                spec.get("request_timeout", break_glass.DEFAULT_REQUEST_TIMEOUT))
        chosen: dict[str, Path] = {}
        found = []
        for index, role in enumerate(spec["roles"]):
            where = (*path, "roles", index)
            if role["role"] not in roles:
                self.refuse((*where, "role"), f"no role {role['role']} in accounts")
            self.once(chosen, role["role"], (*where, "role"), "break-glass role")
            for side in ("approvers", "requesters"):
                for number, principal in enumerate(role.get(side, [])):
                    if principal not in users and principal not in roles:
                        self.refuse((*where, side, number), f"no user or role {principal} in accounts")
            approvals = role.get("approvals", break_glass.DEFAULT_APPROVALS)
            approvers = tuple(role.get("approvers", ()))
            if approvers and approvals > len(approvers):
                self.refuse((*where, "approvals"), f"{approvals} approvals cannot come from {len(approvers)} "
                                                   f"approver{'s' if len(approvers) > 1 else ''}")
            longest = self.duration((*where, "max_duration"),
                                    role.get("max_duration", break_glass.DEFAULT_MAX_DURATION))
            if longest > MAX_GRANT_SECONDS:
                self.refuse((*where, "max_duration"), f"a grant lasts at most {durations.show(MAX_GRANT_SECONDS)}")
            elif longest < minimum:
                self.refuse((*where, "max_duration"), f"{durations.show(longest)} is shorter than "
                                                      f"minimum_duration ({durations.show(minimum)})")
            found.append(break_glass.Role(role["role"], approvals, approvers, tuple(role.get("requesters", ())),
                                          longest, role.get("require_reason", True),
                                          role.get("require_ticket", True)))
        urls: dict[str, Path] = {}
        for index, webhook in enumerate(spec.get("webhooks", [])):
            self.once(urls, webhook["url"], (*path, "webhooks", index, "url"), "webhook")
        webhooks = tuple(break_glass.Webhook(webhook["url"], webhook.get("secret"))
                         for webhook in spec.get("webhooks", []))
        return break_glass.Settings(tuple(found), webhooks, timeout, minimum)

    def duration(self, path: Path, value: int | str) -> int:
        """Seconds, at least one (the schema has checked the form)."""
        seconds = durations.parse(value)
        if seconds < 1:
            self.refuse(path, "expected a duration of at least 1 second")
        return seconds

    def known_endpoint(self, path: Path, endpoint: str) -> None:
        if endpoint not in self.endpoints:  # every VPC's endpoints are gathered before doors and routes
            self.refuse(path, f"no VPC endpoint {endpoint} in any account's vpcs")

    def once(self, seen: dict, key: Any, path: Path, noun: str) -> None:
        if key in seen:
            self.refuse(path, f"{noun} {key} is already declared at {show_path(seen[key])}")
        seen.setdefault(key, path)


class _Tree:
    """The root and OUs: where each account sits and what is attached where."""

    def __init__(self, builder: _Builder, policies: dict[str, model.OrganizationPolicy], management: str):
        self.builder = builder
        self.policies = policies
        self.management = management
        self.placed: dict[str, list[Path]] = {}  # where each account is placed (once, unless refused)
        self.unit_ids: dict[str, Path] = {}

    def unit(self, path: Path, spec: dict, depth: int) -> model.Unit:
        refuse = self.builder.refuse
        if depth > MAX_UNIT_DEPTH:
            refuse((*path, "name"), f"OUs nest at most {MAX_UNIT_DEPTH} levels deep under the root")
        if "id" in spec:
            self.builder.once(self.unit_ids, spec["id"], (*path, "id"), "OU id")
        policies = self.attachments(path, spec)
        names: set[str] = set()
        units = []
        for index, child in enumerate(spec.get("units", [])):
            where = (*path, "units", index)
            if child["name"] in names:
                refuse((*where, "name"), f"an OU named {child['name']!r} is already under this parent")
            names.add(child["name"])
            units.append(self.unit(where, child, depth + 1))
        members = tuple(self.member((*path, "accounts", index), entry)
                        for index, entry in enumerate(spec.get("accounts", [])))
        return model.Unit(spec["name"], spec.get("id"), policies, spec.get("full_aws_access", True), members,
                          tuple(units))

    def member(self, path: Path, entry: str | dict) -> model.Member:
        spec = {"id": entry} if isinstance(entry, str) else entry
        account = spec["id"]
        where = path if isinstance(entry, str) else (*path, "id")
        if account not in self.builder.data["accounts"]:
            self.builder.refuse(where, f"account {account} is not in accounts")
        self.placed.setdefault(account, []).append(where)
        return model.Member(account, self.attachments(path, spec), spec.get("full_aws_access", True))

    def attachments(self, path: Path, spec: dict) -> tuple[str, ...]:
        names = spec.get("policies", [])
        for index, name in enumerate(names):
            if name not in self.policies:
                hint = " (attached everywhere already)" if name in _RESERVED_POLICIES else ""
                self.builder.refuse((*path, "policies", index), f"no policy {name!r} in policies{hint}")
        if spec.get("full_aws_access", True) is False and not any(
                name in self.policies and self.policies[name].type == "SCP" for name in names):
            self.builder.refuse((*path, "full_aws_access"), "FullAWSAccess can only be detached where another SCP "
                                "is attached: Organizations keeps at least one SCP on every root, OU and account")
        return tuple(names)


def _policy_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:policy{path}{name}"
