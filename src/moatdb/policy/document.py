"""A policy document, validated as AWS validates it and compiled once into matchers.

One grammar serves every policy type; what differs between them is a table of rules (``_RULES``):
whether a statement names a principal, whether it has resources, which effects it may use, how big
the document may be. The wording of refusals is IAM's (IAM User Guide, "IAM JSON policy element
reference", and the messages ``MalformedPolicyDocument`` carries); Organizations answers every
malformed SCP or RCP with one message, so those kinds do too.

Matching is compiled here so that evaluation only compares: actions are lower-cased literals or
one case-insensitive glob each, resources are literals or globs (rendered per request only where
they hold policy variables), principals are sets of account ids and ARNs. A policy also remembers,
per action asked about, which of its statements cover it, so evaluation skips the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NoReturn

import orjson

from moatdb.policy.conditions import Conditions, compile_conditions
from moatdb.policy.errors import MalformedPolicy
from moatdb.policy.request import ACCOUNT, ANONYMOUS, Context, Principal
from moatdb.policy.variables import Template, compile_template

KINDS = ("identity", "resource", "trust", "scp", "rcp", "endpoint", "session", "boundary")
ALLOW, DENY = "Allow", "Deny"
VERSIONS = ("2008-10-17", "2012-10-17")

# AWS's managed organization policies (Organizations User Guide, "Service control policies" and
# "Resource control policies"): attached everywhere when the policy type is enabled, allowing all.
FULL_AWS_ACCESS_ARN = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
FULL_AWS_ACCESS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
RCP_FULL_AWS_ACCESS_ARN = "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
RCP_FULL_AWS_ACCESS = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*",'
                       '"Resource":"*"}]}')

# Sizes (IAM User Guide, "IAM and AWS STS quotas"; Organizations User Guide, "Quotas"; Amazon VPC,
# "Control access to VPC endpoints using endpoint policies"; DynamoDB, "Resource-based policy
# considerations"). An inline policy's quota is on the sum of its entity's inline policies: the
# caller adds up ``policy_size`` and passes what is left as ``max_size``.
MANAGED_POLICY_SIZE = 6_144
USER_INLINE_SIZE = 2_048
GROUP_INLINE_SIZE = 5_120
ROLE_INLINE_SIZE = 10_240
TRUST_POLICY_SIZE = 2_048
SESSION_POLICY_SIZE = 2_048
ORGANIZATION_POLICY_SIZE = 5_120
ENDPOINT_POLICY_SIZE = 20_480
TABLE_POLICY_SIZE = 20_480

_ORGANIZATIONS_MESSAGE = ("The provided policy document doesn't meet the requirements of the specified "
                          "policy type.")
_SYNTAX = "Syntax errors in policy."
_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
                         "aws-eusc"})
_VENDOR = re.compile(r"[A-Za-z0-9-]+")
_SID = re.compile(r"[0-9A-Za-z]*")
_ACCOUNT_ID = re.compile(r"\d{12}")
_IAM_PRINCIPAL = re.compile(r"arn:([a-z-]+):iam::(\d{12}):(root|user/.+|role/.+)")
_STS_PRINCIPAL = re.compile(r"arn:([a-z-]+):sts::(\d{12}):(assumed-role/[^/]+/.+|federated-user/.+)")
_CANONICAL_USER = re.compile(r"[0-9a-f]{64}")
_ELEMENTS = frozenset({"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                       "NotResource", "Condition"})


class Reach(IntEnum):
    """How a statement's Principal names the caller, weakest first. Evaluation needs it: within an
    account, a resource-based policy that names the caller's own ARN grants on its own, one that
    names the account only delegates to the account's identity-based policies (IAM User Guide,
    "Policy evaluation logic")."""

    NONE = 0
    ACCOUNT = 1  # the account id or arn:aws:iam::ACCT:root
    ANYONE = 2  # "*"
    ENTITY = 3  # the user's or the role's ARN
    SESSION = 4  # the role session's (or federated user's) own ARN


@dataclass(frozen=True, slots=True)
class _Rules:
    validator: str  # who validates it: "iam", "organizations" or the service ("service")
    principal: bool  # statements must name a principal (False: they must not)
    resource: str  # "required", "optional" or "prohibited"
    version_required: bool
    size: int
    whitespace_counts: bool


_RULES = {
    "identity": _Rules("iam", False, "required", False, MANAGED_POLICY_SIZE, False),
    "boundary": _Rules("iam", False, "required", False, MANAGED_POLICY_SIZE, False),
    "session": _Rules("iam", False, "required", False, SESSION_POLICY_SIZE, True),
    "trust": _Rules("iam", True, "prohibited", False, TRUST_POLICY_SIZE, False),
    # DynamoDB counts every byte of a resource policy, whitespace included (Developer Guide, "Resource-based
    # policy considerations": 20 KB).
    "resource": _Rules("service", True, "required", False, TABLE_POLICY_SIZE, True),
    "endpoint": _Rules("service", True, "required", False, ENDPOINT_POLICY_SIZE, True),
    "scp": _Rules("organizations", False, "optional", True, ORGANIZATION_POLICY_SIZE, True),
    "rcp": _Rules("organizations", True, "required", True, ORGANIZATION_POLICY_SIZE, True),
}


@dataclass(frozen=True, slots=True)
class Actions:
    """An Action or NotAction element: request actions are compared lower-cased."""

    literals: frozenset[str]
    glob: re.Pattern | None  # every pattern with * or ?, as one alternation
    every: bool
    negated: bool  # NotAction

    def matches(self, action: str) -> bool:
        """``action`` lower-cased, e.g. ``dynamodb:getitem``."""
        if self.every or action in self.literals:
            return not self.negated
        return (self.glob is not None and self.glob.fullmatch(action) is not None) is not self.negated


@dataclass(frozen=True, slots=True)
class Resources:
    """A Resource or NotResource element: ARNs compared case-sensitively, as IAM does."""

    literals: frozenset[str]
    globs: tuple[re.Pattern, ...]
    templates: tuple[Template, ...]  # entries with policy variables, rendered per request
    every: bool
    negated: bool  # NotResource

    def matches(self, resource: str, context: Context) -> bool:
        if self.every or resource in self.literals:
            return not self.negated
        for glob in self.globs:
            if glob.fullmatch(resource) is not None:
                return not self.negated
        for template in self.templates:
            # A variable whose key the request lacks (and has no default) makes its entry match
            # nothing (IAM User Guide, "IAM policy elements: Variables and tags").
            pattern = template.pattern(context)
            if pattern is not None and pattern.fullmatch(resource) is not None:
                return not self.negated
        return self.negated


@dataclass(frozen=True, slots=True)
class Principals:
    """A Principal or NotPrincipal element. Only AWS principals can be a request's caller here;
    service, federated and canonical-user principals are kept for display and match no one."""

    anyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]  # user, role, assumed-role session and federated-user ARNs
    negated: bool  # NotPrincipal

    def reach(self, principal: Principal) -> Reach:
        """How this element names ``principal``; for NotPrincipal, ANYONE unless it is excluded."""
        if self.negated:
            return Reach.NONE if self._excludes(principal) else Reach.ANYONE
        if principal.session_arn is not None and principal.session_arn in self.arns:
            return Reach.SESSION
        if principal.arn in self.arns:
            return Reach.ENTITY
        if self.anyone:
            return Reach.ANYONE
        if principal.account in self.accounts:
            return Reach.ACCOUNT
        return Reach.NONE

    def _excludes(self, principal: Principal) -> bool:
        # AWS may check the account, then the role, then the session, each on its own (IAM User
        # Guide, "AWS JSON policy elements: NotPrincipal"): a caller escapes the statement only if
        # every one of them is named.
        if self.anyone:
            return True
        if principal.type == ANONYMOUS or principal.account not in self.accounts:
            return False
        if principal.type != ACCOUNT and principal.arn not in self.arns:
            return False
        return principal.session_arn is None or principal.session_arn in self.arns


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # ALLOW or DENY
    actions: Actions
    resources: Resources | None  # None: the statement has no Resource element (trust, some SCPs)
    principals: Principals | None  # None: the policy's own principal (identity-based kinds)
    conditions: Conditions | None
    keys: frozenset[str]
    # True when the statement covers every resource, so evaluation need not look (derived).
    anywhere: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        resources = self.resources
        object.__setattr__(self, "anywhere", resources is None or (resources.every and not resources.negated))

    @property
    def label(self) -> str:
        """How a decision names this statement: its Sid, or its position."""
        return self.sid if self.sid else f"#{self.index}"

    def targets(self, action: str, resource: str, context: Context) -> bool:
        """Whether the statement is about this action (lower-cased) on this resource."""
        return self.actions.matches(action) and (self.anywhere or self.resources.matches(resource, context))

    def holds(self, context: Context) -> bool:
        """Whether the Condition block holds (or there is none): evaluation's question."""
        return self.conditions is None or self.conditions.holds(context)

    def failure(self, context: Context) -> str | None:
        """None when the Condition block holds (or there is none); else what failed: the trace's question."""
        return None if self.conditions is None else self.conditions.failure(context)


# Distinct actions remembered per policy; a service has a few dozen.
_ACTIONS_KEPT = 512


@dataclass(frozen=True, slots=True)
class Policy:
    id: str  # a managed policy's or an SCP's ARN, or a label such as "inline policy P of role R"
    kind: str
    statements: tuple[Statement, ...] = ()
    keys: frozenset[str] = frozenset()  # lower-cased context keys any statement reads
    # Derived from ``statements``, for evaluation to skip work on every request: whether any
    # statement denies (most boundaries and SCPs do not), and whether one allows every action on
    # every resource to everyone, unconditionally (FullAWSAccess, the default endpoint policy).
    denies: bool = field(init=False, repr=False, compare=False)
    allows_all: bool = field(init=False, repr=False, compare=False)
    _by_action: dict[str, tuple[tuple[Statement, ...], tuple[Statement, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "denies", any(s.effect == DENY for s in self.statements))
        object.__setattr__(self, "allows_all", any(map(_allows_all, self.statements)))

    def for_action(self, action: str) -> tuple[tuple[Statement, ...], tuple[Statement, ...]]:
        """The Allow and the Deny statements whose Action element covers ``action`` (in any case),
        remembered: evaluation then looks only at the statements about the request's action."""
        found = self._by_action.get(action)
        if found is None:
            lowered = action.lower()
            about = [s for s in self.statements if s.actions.matches(lowered)]
            found = (tuple(s for s in about if s.effect == ALLOW),
                     tuple(s for s in about if s.effect == DENY))
            if len(self._by_action) >= _ACTIONS_KEPT:
                self._by_action.clear()
            self._by_action[action] = found
        return found


def _allows_all(statement: Statement) -> bool:
    """Whether ``statement`` allows every action on every resource to everyone, unconditionally."""
    actions, principals = statement.actions, statement.principals
    return (statement.effect == ALLOW and actions.every and not actions.negated and statement.anywhere
            and statement.conditions is None and (principals is None or principals.anyone))


def policy_size(document: str | bytes | dict, kind: str) -> int:
    """The size AWS counts against the kind's quota: IAM and DynamoDB do not count white space,
    Organizations, STS and VPC endpoints count every character."""
    text = _text(document)
    return len(text) if _RULES[kind].whitespace_counts else len("".join(text.split()))


def parse_policy(document: str | bytes | dict, kind: str, *, id: str, max_size: int | None = None) -> Policy:
    """Validate and compile ``document`` as a policy of ``kind`` (one of ``KINDS``); ``max_size``
    overrides the kind's quota (an inline policy's is what its entity's other inline policies leave).
    Raises ``MalformedPolicy`` with AWS's message."""
    rules = _RULES[kind]
    refuse = _Refusal(rules)
    if isinstance(document, dict):
        body = document
    else:
        try:
            body = orjson.loads(document)
        except orjson.JSONDecodeError:
            refuse("This policy contains invalid Json")
    limit = rules.size if max_size is None else max_size
    if policy_size(document, kind) > limit:
        refuse(f"Cannot exceed quota for {'ACLSizePerRole' if kind == 'trust' else 'PolicySize'}: {limit}")
    if not isinstance(body, dict) or not set(body) <= {"Version", "Id", "Statement"}:
        refuse(_SYNTAX)
    version = body.get("Version")
    if version is None:
        if rules.version_required:
            refuse("The policy must contain a valid version string")
        version = "2008-10-17"  # the element reference: without Version, the 2008 rules apply
    if version not in VERSIONS or (rules.version_required and version != "2012-10-17"):
        # IAM words a bad version in a permissions policy as a syntax error, elsewhere as this.
        refuse(_SYNTAX if rules.validator == "iam" and not rules.principal else
               "The policy must contain a valid version string")
    if "Id" in body and not isinstance(body["Id"], str):
        refuse(_SYNTAX)
    raw = body.get("Statement")
    raw = [raw] if isinstance(raw, dict) else raw
    if not isinstance(raw, list) or not raw:
        refuse("Could not parse the policy: Statement is empty!" if kind == "trust" else _SYNTAX)
    variables = version == "2012-10-17"
    statements = tuple(_statement(index, element, kind, id, rules, refuse, variables)
                       for index, element in enumerate(raw))
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        refuse("Statement IDs (SID) in a single policy must be unique.")
    return Policy(id, kind, statements, frozenset().union(*(s.keys for s in statements)))


class _Refusal:
    """Raises ``MalformedPolicy``: in IAM's words, or Organizations' one message for its kinds."""

    def __init__(self, rules: _Rules):
        self.organizations = rules.validator == "organizations"

    def __call__(self, message: str) -> NoReturn:
        raise MalformedPolicy(_ORGANIZATIONS_MESSAGE if self.organizations else message)


def _text(document: str | bytes | dict) -> str:
    if isinstance(document, dict):
        return orjson.dumps(document).decode()
    return document.decode("utf-8", "replace") if isinstance(document, bytes) else document


def _statement(index: int, element: object, kind: str, policy_id: str, rules: _Rules, refuse: _Refusal,
               variables: bool) -> Statement:
    if not isinstance(element, dict) or not set(element) <= _ELEMENTS:
        refuse(_SYNTAX)
    for positive in ("Action", "Resource", "Principal"):
        if positive in element and f"Not{positive}" in element:
            refuse(_SYNTAX)
    sid = element.get("Sid")
    if sid is not None and (not isinstance(sid, str)
                            or (rules.validator == "iam" and not _SID.fullmatch(sid))):
        refuse("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
               "expression [0-9A-Za-z]*")
    effect = element.get("Effect")
    if effect is None:
        refuse("Missing required field Effect")
    if effect not in (ALLOW, DENY):
        refuse(f"Invalid effect: {effect}")
    if kind == "rcp" and effect == ALLOW and policy_id != RCP_FULL_AWS_ACCESS_ARN:
        refuse(_ORGANIZATIONS_MESSAGE)  # Allow is RCPFullAWSAccess's alone (Organizations, "RCP syntax")

    principals = _principal_element(element, kind, effect, rules, refuse)
    actions = _actions(element, kind, refuse)
    resources = _resources(element, kind, rules, refuse, variables)
    conditions = None
    if "Condition" in element:
        conditions = compile_conditions(element["Condition"], variables=variables)
    keys = frozenset()
    if conditions is not None:
        keys |= conditions.keys
    if resources is not None:
        keys = keys.union(*(template.keys for template in resources.templates))
    return Statement(index, sid or None, effect, actions, resources, principals, conditions, keys)


def _principal_element(element: dict, kind: str, effect: str, rules: _Rules,
                       refuse: _Refusal) -> Principals | None:
    named = "Principal" in element or "NotPrincipal" in element
    if not rules.principal:
        if named:
            refuse("Policy document should not specify a principal.")
        return None
    if not named:
        refuse("Missing required field Principal")
    if "NotPrincipal" in element:
        # NotPrincipal only denies, and never in a trust policy or an RCP (IAM User Guide, "AWS JSON
        # policy elements: NotPrincipal"; Organizations User Guide, "RCP syntax").
        if kind == "trust":
            refuse("AssumeRole policy must not contain NotPrincipal field.")
        if kind == "rcp":
            refuse(_ORGANIZATIONS_MESSAGE)
        if effect == ALLOW:
            refuse("Allow with NotPrincipal is not allowed.")
        return _principals(element["NotPrincipal"], True, refuse)
    if kind == "rcp" and element["Principal"] != "*":
        refuse(_ORGANIZATIONS_MESSAGE)  # an RCP's Principal is always "*" (Organizations, "RCP syntax")
    return _principals(element["Principal"], False, refuse)


def _principals(value: object, negated: bool, refuse: _Refusal) -> Principals:
    if value == "*":
        return Principals(True, frozenset(), frozenset(), negated)
    if not isinstance(value, dict) or not value:
        refuse("Missing required field Principal cannot be empty!" if value in ({}, [], "") else _SYNTAX)
    anyone, accounts, arns = False, set(), set()
    for key, entries in value.items():
        for entry in _strings(entries, refuse):
            invalid = f'Invalid principal in policy: "{key}":"{entry}"'
            if key == "AWS":
                if entry == "*":
                    anyone = True
                elif _ACCOUNT_ID.fullmatch(entry):
                    accounts.add(entry)
                elif found := _IAM_PRINCIPAL.fullmatch(entry) or _STS_PRINCIPAL.fullmatch(entry):
                    # A principal ARN names one principal: no wildcard in it (IAM User Guide, "AWS
                    # JSON policy elements: Principal").
                    if found[1] not in _PARTITIONS or "*" in entry or "?" in entry:
                        refuse(invalid)
                    if found[3] == "root":
                        accounts.add(found[2])
                    else:
                        arns.add(entry)
                else:
                    refuse(invalid)
            elif key == "CanonicalUser":
                if not _CANONICAL_USER.fullmatch(entry):
                    refuse(invalid)
            elif key in ("Service", "Federated"):
                if not entry or "*" in entry:
                    refuse(invalid)
            else:
                refuse(f'Invalid principal in policy: "{key}"')
    return Principals(anyone, frozenset(accounts), frozenset(arns), negated)


def _actions(element: dict, kind: str, refuse: _Refusal) -> Actions:
    negated = "NotAction" in element
    if kind == "rcp" and negated:
        refuse(_ORGANIZATIONS_MESSAGE)  # not among an RCP's elements (Organizations, "RCP syntax")
    entries = _strings(element.get("NotAction" if negated else "Action", []), refuse)
    if not entries:
        refuse("Policy statement must contain actions.")
    literals, globs = set(), []
    for entry in entries:
        if entry != "*":
            vendor, colon, _ = entry.partition(":")
            if not colon:
                refuse("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            if not _VENDOR.fullmatch(vendor):
                refuse(f"Vendor {vendor} is not valid")
            if kind == "trust" and vendor.lower() != "sts":
                refuse("AssumeRole policy may only specify STS AssumeRole actions.")
        elif kind == "trust":
            refuse("AssumeRole policy may only specify STS AssumeRole actions.")
        lowered = entry.lower()
        if "*" in lowered or "?" in lowered:
            globs.append(re.escape(lowered).replace(r"\*", ".*").replace(r"\?", "."))
        else:
            literals.add(lowered)
    glob = re.compile("|".join(globs), re.DOTALL) if globs else None
    return Actions(frozenset(literals), glob, "*" in entries, negated)


def _resources(element: dict, kind: str, rules: _Rules, refuse: _Refusal,
               variables: bool) -> Resources | None:
    negated = "NotResource" in element
    named = negated or "Resource" in element
    if rules.resource == "prohibited":
        if named:
            refuse("AssumeRole policy must not contain resources." if negated
                   else "Has prohibited field Resource")
        return None
    if not named:
        if rules.resource == "required":
            refuse("Policy statement must contain resources.")
        return None
    entries = _strings(element["NotResource" if negated else "Resource"], refuse)
    if not entries:
        refuse("Policy statement must contain resources.")
    literals, globs, templates = set(), [], []
    for entry in entries:
        _check_arn(entry, refuse)
        if "*" not in entry and "?" not in entry and "${" not in entry:
            literals.add(entry)
            continue
        template = compile_template(entry, variables=variables)
        if template.keys:
            templates.append(template)
        elif entry != "*":
            globs.append(template.pattern({}))
    return Resources(frozenset(literals), tuple(globs), tuple(templates), "*" in entries, negated)


def _check_arn(entry: str, refuse: _Refusal) -> None:
    """A resource is "*" or an ARN: arn:partition:service:region:account:resource."""
    if entry == "*":
        return
    if ":" not in entry:
        refuse(f'Resource {entry} must be in ARN format or "*".')
    fields = entry.split(":", 5)
    if fields[0] != "arn":
        # IAM reads "service:..." as an ARN missing its head, and names the partition it found.
        fields = (["arn", *fields] + ["*"] * 5)[:6]
        refuse(f'Partition "{fields[1]}" is not valid for resource "{":".join(fields)}".')
    if len(fields) < 6:
        refuse("The policy failed legacy parsing")
    if fields[1] not in _PARTITIONS:
        refuse(f'Partition "{fields[1]}" is not valid for resource "{entry}".')


def _strings(value: object, refuse: _Refusal) -> tuple[str, ...]:
    """An element that is a string or a list of strings."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        refuse(_SYNTAX)
    return tuple(value)
