"""AWS Organizations as moatdb keeps it: one organization, its root, organizational units, member
accounts, and its SCPs and RCPs with where they are attached, all storage documents.

What authorization needs on every request, the policies of each level of an account's path (root,
each OU, the account), compiled, is cached per worker and dropped when any document changes, so
an SCP detached through one worker stops binding every worker from its next request.

Rules kept here because they are Organizations' own (AWS Organizations User Guide, "Service
control policies", "Resource control policies"): a new root, OU or account gets the AWS managed
FullAWSAccess SCP and RCPFullAWSAccess RCP attached; the management account is not bound by SCPs
or RCPs; RCPFullAWSAccess cannot be detached; a policy still attached cannot be deleted.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import orjson

from moatdb.errors import OrganizationsError
from moatdb.policy.document import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ARN,
    RCP_FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS_ARN,
    Policy,
    parse_policy,
)
from moatdb.policy.errors import MalformedPolicy
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

ORGANIZATION, UNIT, MEMBER, ORG_POLICY = "org/organization", "org/unit", "org/account", "org/policy"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
_KIND = {SCP: "scp", RCP: "rcp"}
# The AWS managed policies every new target gets, by type: (id, name, ARN, document).
FULL_ACCESS = {
    SCP: ("p-FullAWSAccess", "FullAWSAccess", FULL_AWS_ACCESS_ARN, FULL_AWS_ACCESS),
    RCP: ("p-RCPFullAWSAccess", "RCPFullAWSAccess", RCP_FULL_AWS_ACCESS_ARN, RCP_FULL_AWS_ACCESS),
}
_LOWER = string.ascii_lowercase + string.digits
# OUs nest five deep under the root (Organizations User Guide, "Quotas for AWS Organizations").
MAX_OU_DEPTH = 5

Levels = tuple[tuple[Policy, ...], ...]


def _token(length: int) -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(length))


@dataclass(frozen=True)
class OrganizationRecord:
    id: str  # o-…
    management_account: str
    root: str  # r-…
    policy_types: tuple[str, ...] = (SCP, RCP)  # enabled on the root

    @property
    def arn(self) -> str:
        return f"arn:aws:organizations::{self.management_account}:organization/{self.id}"


@dataclass(frozen=True)
class Unit:
    id: str  # ou-…
    name: str
    parent: str  # the root's or another OU's id


@dataclass(frozen=True)
class Member:
    id: str  # the 12-digit account id
    name: str
    parent: str
    email: str = ""
    joined: float = 0.0


@dataclass(frozen=True)
class OrgPolicy:
    id: str  # p-…
    name: str
    type: str  # SCP or RCP
    content: str
    description: str = ""
    aws_managed: bool = False
    targets: tuple[str, ...] = field(default_factory=tuple)  # root, OU and account ids


class Organization:
    def __init__(self, store: Store):
        self.store = store
        self._paths: DocumentCache[tuple[str, str], Levels | None] = DocumentCache(store, self._load_path)
        self._contexts: DocumentCache[str, dict[str, tuple[str, ...]]] = DocumentCache(store, self._load_context)

    # --- the hot path -------------------------------------------------------------------------

    def path(self, account: str, policy_type: str) -> Levels | None:
        """The compiled policies of one type attached at each level of the account's path, root
        first; None when the account is in no organization, is its management account (SCPs and
        RCPs do not bind it), or the type is not enabled."""
        return self._paths.get((account, policy_type))

    def context(self, account: str) -> dict[str, tuple[str, ...]]:
        """``orgid`` and ``orgpaths`` of the account (empty outside an organization): the values of
        aws:PrincipalOrgID / aws:PrincipalOrgPaths, or of aws:ResourceOrgID / aws:ResourceOrgPaths."""
        return self._contexts.get(account)

    def _load_path(self, key: tuple[str, str]) -> Levels | None:
        account, policy_type = key
        organization = self.organization()
        if organization is None or account == organization.management_account \
                or policy_type not in organization.policy_types:
            return None
        chain = self.chain(account)
        if chain is None:
            return None
        attached: dict[str, list[OrgPolicy]] = {target: [] for target in chain}
        for policy in self.policies(policy_type):
            for target in policy.targets:
                if target in attached:
                    attached[target].append(policy)
        return tuple(tuple(_compiled(policy, organization) for policy in attached[target]) for target in chain)

    def _load_context(self, account: str) -> dict[str, tuple[str, ...]]:
        organization = self.organization()
        chain = self.chain(account) if organization is not None else None
        if chain is None:
            return {}
        # aws:PrincipalOrgPaths: o-id/r-root/ou-a/ou-b/ (the account itself is not in the path).
        path = "/".join((organization.id, *chain[:-1])) + "/"
        return {"orgid": (organization.id,), "orgpaths": (path,)}

    # --- reading ------------------------------------------------------------------------------

    def organization(self) -> OrganizationRecord | None:
        raw = self.store.read().document(ORGANIZATION, "organization")
        if raw is None:
            return None
        fields = orjson.loads(raw)
        return OrganizationRecord(**fields | {"policy_types": tuple(fields["policy_types"])})

    def units(self) -> list[Unit]:
        return [Unit(**orjson.loads(raw)) for _, raw in self.store.read().documents(UNIT)]

    def unit(self, unit_id: str) -> Unit | None:
        raw = self.store.read().document(UNIT, unit_id)
        return None if raw is None else Unit(**orjson.loads(raw))

    def members(self) -> list[Member]:
        return [Member(**orjson.loads(raw)) for _, raw in self.store.read().documents(MEMBER)]

    def member(self, account: str) -> Member | None:
        raw = self.store.read().document(MEMBER, account)
        return None if raw is None else Member(**orjson.loads(raw))

    def policies(self, policy_type: str | None = None) -> list[OrgPolicy]:
        found = [_policy(raw) for _, raw in self.store.read().documents(ORG_POLICY)]
        return [policy for policy in found if policy_type is None or policy.type == policy_type]

    def policy(self, policy_id: str) -> OrgPolicy | None:
        raw = self.store.read().document(ORG_POLICY, policy_id)
        return None if raw is None else _policy(raw)

    def chain(self, target: str) -> list[str] | None:
        """The ids from the root down to ``target`` (a root, OU or account id), or None if it is not
        in the organization."""
        organization = self.organization()
        if organization is None:
            return None
        chain = []
        current: str | None = target
        while current is not None:
            chain.append(current)
            if current == organization.root:
                return chain[::-1]
            node = self.member(current) if current.isdigit() else self.unit(current)
            current = None if node is None else node.parent
            if len(chain) > 10:  # Organizations nests OUs five deep at most
                return None
        return None

    # --- changing -----------------------------------------------------------------------------

    def create(self, management_account: str, *, name: str = "management", org_id: str | None = None,
               root_id: str | None = None) -> OrganizationRecord:
        """A new organization with all features: its root, with FullAWSAccess and
        RCPFullAWSAccess attached, and the management account under it."""
        if self.organization() is not None:
            raise OrganizationsError("AlreadyInOrganizationException",
                                     "The AWS account is already a member of an organization.")
        record = OrganizationRecord(org_id or f"o-{_token(10)}", management_account, root_id or f"r-{_token(4)}")
        with self.store.write() as txn:
            txn.put_document(ORGANIZATION, "organization", orjson.dumps(asdict(record)))
            for policy_type, (policy_id, policy_name, _, document) in FULL_ACCESS.items():
                txn.put_document(ORG_POLICY, policy_id, orjson.dumps(asdict(OrgPolicy(
                    policy_id, policy_name, policy_type, document, f"AWS managed {policy_name}", True,
                    (record.root,)))))
        self.add_account(management_account, name, record.root)
        return record

    def create_unit(self, parent: str, name: str, *, unit_id: str | None = None) -> Unit:
        organization = self._required()
        if parent != organization.root and self.unit(parent) is None:
            raise OrganizationsError("ParentNotFoundException", "We can't find a root or OU with the ParentId "
                                     "that you specified.")
        if len(self.chain(parent) or ()) > MAX_OU_DEPTH:  # the root, then five OUs at most
            raise OrganizationsError("ConstraintViolationException", "You attempted to create an OU tree that is "
                                     "too many levels deep.", reason="OU_DEPTH_LIMIT_EXCEEDED")
        if any(unit.parent == parent and unit.name == name for unit in self.units()):
            raise OrganizationsError("DuplicateOrganizationalUnitException",
                                     "An OU with the same name already exists.")
        unit = Unit(unit_id or f"ou-{organization.root[2:]}-{_token(8)}", name, parent)
        with self.store.write() as txn:
            txn.put_document(UNIT, unit.id, orjson.dumps(asdict(unit)))
        self._attach_full_access(unit.id)
        return unit

    def add_account(self, account: str, name: str, parent: str, *, email: str = "", joined: float = 0.0) -> Member:
        organization = self._required()
        if parent != organization.root and self.unit(parent) is None:
            raise OrganizationsError("ParentNotFoundException", "We can't find a root or OU with the ParentId "
                                     "that you specified.")
        member = Member(account, name, parent, email or f"{name}@example.com", joined)
        with self.store.write() as txn:
            txn.put_document(MEMBER, account, orjson.dumps(asdict(member)))
        self._attach_full_access(account)
        return member

    def move_account(self, account: str, source: str, destination: str) -> None:
        member = self.member(account)
        if member is None:
            raise OrganizationsError("AccountNotFoundException",
                                     "You specified an account that doesn't exist.")
        if member.parent != source:
            raise OrganizationsError("SourceParentNotFoundException",
                                     "We can't find a source root or OU with the ParentId that you specified.")
        organization = self._required()
        if destination != organization.root and self.unit(destination) is None:
            raise OrganizationsError("DestinationParentNotFoundException",
                                     "We can't find a destination root or OU with the ParentId that you specified.")
        if destination == source:
            raise OrganizationsError("DuplicateAccountException",
                                     "That account is already present in the specified destination.")
        with self.store.write() as txn:
            txn.put_document(MEMBER, account, orjson.dumps(asdict(replace(member, parent=destination))))

    def create_policy(self, name: str, policy_type: str, content: str, *, description: str = "",
                      policy_id: str | None = None) -> OrgPolicy:
        self._required()
        if policy_type not in _KIND:
            raise OrganizationsError("InvalidInputException", "You provided a value that isn't valid.")
        _check(content, policy_type)
        if any(policy.name == name and policy.type == policy_type for policy in self.policies()):
            raise OrganizationsError("DuplicatePolicyException",
                                     "A policy with the same name already exists.")
        policy = OrgPolicy(policy_id or f"p-{_token(8)}", name, policy_type, content, description)
        with self.store.write() as txn:
            txn.put_document(ORG_POLICY, policy.id, orjson.dumps(asdict(policy)))
        return policy

    def update_policy(self, policy_id: str, *, name: str | None = None, content: str | None = None,
                      description: str | None = None) -> OrgPolicy:
        policy = self._existing_policy(policy_id)
        if policy.aws_managed:
            raise OrganizationsError("AccessDeniedException",
                                     "You don't have permissions to perform the requested operation. The AWS "
                                     "managed policy cannot be modified.")
        if content is not None:
            _check(content, policy.type)
        changed = replace(policy, name=name if name is not None else policy.name,
                          content=content if content is not None else policy.content,
                          description=description if description is not None else policy.description)
        with self.store.write() as txn:
            txn.put_document(ORG_POLICY, policy_id, orjson.dumps(asdict(changed)))
        return changed

    def delete_policy(self, policy_id: str) -> None:
        policy = self._existing_policy(policy_id)
        if policy.aws_managed:
            raise OrganizationsError("AccessDeniedException", "You don't have permissions to perform the requested "
                                     "operation. The AWS managed policy cannot be deleted.")
        if policy.targets:
            raise OrganizationsError("PolicyInUseException", "The policy is attached to one or more entities. You "
                                     "must detach it from all roots, OUs, and accounts before performing this "
                                     "operation.")
        with self.store.write() as txn:
            txn.delete_document(ORG_POLICY, policy_id)

    def attach(self, policy_id: str, target: str) -> None:
        policy = self._existing_policy(policy_id)
        self._existing_target(target)
        organization = self._required()
        if policy.type not in organization.policy_types:
            raise OrganizationsError("PolicyTypeNotEnabledException", "The specified policy type isn't currently "
                                     "enabled in this root. You can't attach policies of the specified type to "
                                     "entities in a root until you enable that type in the root.")
        if target in policy.targets:
            raise OrganizationsError("DuplicatePolicyAttachmentException",
                                     "The selected policy is already attached to the specified target.")
        self._retarget(policy.id, lambda targets: targets if target in targets else (*targets, target))

    def detach(self, policy_id: str, target: str) -> None:
        policy = self._existing_policy(policy_id)
        self._existing_target(target)
        if target not in policy.targets:
            raise OrganizationsError("PolicyNotAttachedException",
                                     "The policy isn't attached to the specified target in the specified root.")
        if policy.type == RCP and policy.aws_managed:
            # Organizations API Reference, DetachPolicy: InvalidInputException, NON_DETACHABLE_POLICY.
            raise OrganizationsError("InvalidInputException", "You can't detach this AWS Managed Policy.",
                                     reason="NON_DETACHABLE_POLICY")
        if policy.type == SCP and sum(target in p.targets for p in self.policies(SCP)) == 1:
            # Organizations keeps at least one SCP on every target.
            raise OrganizationsError("ConstraintViolationException", "You can't detach the last SCP from a "
                                     "target.", reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
        self._retarget(policy.id, lambda targets: tuple(t for t in targets if t != target))

    def enable_policy_type(self, policy_type: str) -> OrganizationRecord:
        organization = self._required()
        if policy_type in organization.policy_types:
            raise OrganizationsError("PolicyTypeAlreadyEnabledException",
                                     "The specified policy type is already enabled.")
        changed = replace(organization, policy_types=(*organization.policy_types, policy_type))
        with self.store.write() as txn:
            txn.put_document(ORGANIZATION, "organization", orjson.dumps(asdict(changed)))
        # Every root, OU and account starts with the type's AWS managed full-access policy again.
        for target in (organization.root, *(unit.id for unit in self.units()), *(m.id for m in self.members())):
            self._attach_full_access(target, policy_type)
        return changed

    def disable_policy_type(self, policy_type: str) -> OrganizationRecord:
        """Disabling a type detaches every policy of that type from every target (User Guide,
        "Disabling a policy type")."""
        organization = self._required()
        if policy_type not in organization.policy_types:
            raise OrganizationsError("PolicyTypeNotEnabledException", "The specified policy type isn't currently "
                                     "enabled in this root. You can't attach policies of the specified type to "
                                     "entities in a root until you enable that type in the root.")
        changed = replace(organization, policy_types=tuple(t for t in organization.policy_types if t != policy_type))
        with self.store.write() as txn:
            txn.put_document(ORGANIZATION, "organization", orjson.dumps(asdict(changed)))
            # Read inside the write, as _retarget does: an attachment of this very turn is detached too.
            for policy in [_policy(raw) for _, raw in txn.documents(ORG_POLICY)]:
                if policy.type == policy_type and policy.targets:
                    txn.put_document(ORG_POLICY, policy.id, orjson.dumps(asdict(replace(policy, targets=()))))
        return changed

    # --- helpers ------------------------------------------------------------------------------

    def _required(self) -> OrganizationRecord:
        organization = self.organization()
        if organization is None:
            raise OrganizationsError("AWSOrganizationsNotInUseException",
                                     "Your account is not a member of an organization.")
        return organization

    def _existing_policy(self, policy_id: str) -> OrgPolicy:
        policy = self.policy(policy_id)
        if policy is None:
            raise OrganizationsError("PolicyNotFoundException", "We can't find a policy with the PolicyId that "
                                     "you specified.")
        return policy

    def _existing_target(self, target: str) -> None:
        organization = self._required()
        if target != organization.root and self.unit(target) is None and self.member(target) is None:
            raise OrganizationsError("TargetNotFoundException",
                                     "We can't find a root, OU, account, or policy with the TargetId that you "
                                     "specified.")

    def _attach_full_access(self, target: str, *policy_types: str) -> None:
        for policy_type in policy_types or FULL_ACCESS:
            self._retarget(FULL_ACCESS[policy_type][0],
                           lambda targets: targets if target in targets else (*targets, target))

    def _retarget(self, policy_id: str, change: Callable[[tuple[str, ...]], tuple[str, ...]]) -> None:
        """Change where a policy is attached, reading it inside the write: the store's reader sees
        only committed data, so two changes in one group commit (or from two workers) would
        otherwise undo each other."""
        with self.store.write() as txn:
            raw = txn.document(ORG_POLICY, policy_id)
            if raw is not None:
                policy = _policy(raw)
                txn.put_document(ORG_POLICY, policy_id,
                                 orjson.dumps(asdict(replace(policy, targets=change(policy.targets)))))


def _policy(raw: bytes) -> OrgPolicy:
    fields = orjson.loads(raw)
    return OrgPolicy(**fields | {"targets": tuple(fields["targets"])})


def policy_arn(policy: OrgPolicy, organization: OrganizationRecord) -> str:
    """The ARN Organizations gives a policy (AWS managed ones have their own)."""
    if policy.aws_managed:
        return FULL_ACCESS[policy.type][2]
    return (f"arn:aws:organizations::{organization.management_account}:policy/{organization.id}/"
            f"{policy.type.lower()}/{policy.id}")


def _compiled(policy: OrgPolicy, organization: OrganizationRecord) -> Policy:
    """The policy compiled, named by its ARN (which AWS appends to an explicit deny's message)."""
    arn = policy_arn(policy, organization)
    try:
        return parse_policy(policy.content, _KIND[policy.type], id=arn, max_size=1 << 30)
    except MalformedPolicy:  # a stored policy that no longer compiles allows nothing
        return Policy(arn, _KIND[policy.type])


def _check(content: str, policy_type: str) -> None:
    try:
        parse_policy(content, _KIND[policy_type], id="new policy")
    except MalformedPolicy as refused:
        raise OrganizationsError("MalformedPolicyDocumentException", refused.message) from None
