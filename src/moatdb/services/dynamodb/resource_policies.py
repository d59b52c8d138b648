"""A table's resource-based policy document: validated, kept and compiled as DynamoDB does.

DynamoDB refuses a document in its own words (``One or more parameter values were invalid: ...``,
ValidationException), counts its size in bytes with white space (API Reference, PutResourcePolicy:
"DynamoDB counts whitespaces when calculating the size of a policy against this limit"), refuses a
policy granting access to everyone (Developer Guide, "Blocking public access with resource-based
policies") and a principal that does not exist, and keeps the document in a canonical form: the one
GetResourcePolicy returns and the one PutResourcePolicy compares to decide that a document is the
one already attached, whose RevisionId then does not change. The wordings and the canonical form are
what the real service answers (ack-api-quirks DDB-TABLE-207, -208, -211, -351 to -356, live AWS 2026).

The grammar itself is the policy engine's (``moatdb.policy``): what it refuses, DynamoDB refuses,
with the engine's IAM wording except where DynamoDB's is known to differ.
"""

from __future__ import annotations

import re

import orjson

from moatdb.auth.directory import Directory
from moatdb.errors import ValidationException
from moatdb.policy.document import TABLE_POLICY_SIZE, Policy, parse_policy
from moatdb.policy.errors import MalformedPolicy
from moatdb.services.dynamodb.catalog import StoredPolicy

INVALID = "One or more parameter values were invalid: "
INVALID_DOCUMENT = INVALID + "Invalid policy document: "
# GetResourcePolicy shows a document sent without Version with IAM's default one, while the
# comparison with the next PutResourcePolicy still treats it as absent (DDB-TABLE-354).
DEFAULT_VERSION = "2008-10-17"
PUBLIC = ("Resource-based policy grants unbounded access in one or more elements. Please revise the policy to"
          " ensure least-privilege form of access")
UNKNOWN_PRINCIPAL = INVALID + "Invalid principal in policy document."
# Where DynamoDB words a refusal otherwise than IAM (DDB-TABLE-211, -356).
_DYNAMODB_WORDING = {
    "Policy statement must contain resources.": "Missing required field Resource",
    "Statement IDs (SID) in a single policy must be unique.":
        "The Statement Ids in the policy are not unique",
}
# The canonical order of a document's and a statement's elements (DDB-TABLE-351).
_TOP_ELEMENTS = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                       "NotResource", "Condition")
_LISTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
_ACCOUNT_ID = re.compile(r"\d{12}")
# "Trusted condition keys": a statement granting "*" that one of them restricts, with a value that
# holds no wildcard and no variable, is not public (Developer Guide, "Blocking public access with
# resource-based policies"). Only operators that require the value can restrict: a negated one, an
# ...IfExists one or ForAllValues holds for a caller without the key.
_TRUSTED_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:UserId",
    "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalIsAWSService",
    "aws:Ec2InstanceSourceVpc", "aws:SourceOrgID", "aws:SourceOrgPaths"))
_RESTRICTING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals",
                                    "ArnLike", "Bool"})


def check(text: str, table_arn: str, directory: Directory) -> tuple[str, Policy]:
    """The canonical form of the policy document ``text`` for the table ``table_arn``, and the policy
    compiled; raises ValidationException as DynamoDB refuses a document."""
    if len(text.encode()) > TABLE_POLICY_SIZE:
        raise ValidationException(INVALID + f"Maximum policy size of {TABLE_POLICY_SIZE} bytes exceeded")
    try:
        body = _lenient(orjson.loads(text))
    except orjson.JSONDecodeError:
        raise ValidationException(INVALID_DOCUMENT + "This policy contains invalid Json") from None
    if type(body) is dict and body.get("Statement") == []:
        raise ValidationException(INVALID_DOCUMENT + "Could not parse the policy: Statement is empty!")
    try:
        policy = parse_policy(body, "resource", id=table_arn)
    except MalformedPolicy as refused:
        message = _DYNAMODB_WORDING.get(refused.message, refused.message)
        raise ValidationException(INVALID_DOCUMENT + message) from None
    canonical = _canonical(body)
    if any(_public(statement) for statement in canonical["Statement"]):
        raise ValidationException(PUBLIC)
    if not all(_exists(principal, directory) for principal in _principals(policy)):
        raise ValidationException(UNKNOWN_PRINCIPAL)
    return orjson.dumps(canonical).decode(), policy


# What a stored policy that no longer compiles becomes: it denies everything but managing the policy
# itself, so authorization fails closed (a Deny it held is not lost) and the owner can repair it.
_BROKEN = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":['
           '"dynamodb:GetResourcePolicy","dynamodb:PutResourcePolicy","dynamodb:DeleteResourcePolicy"],'
           '"Resource":"*"}]}')


def compiled(stored: StoredPolicy | None, arn: str) -> Policy | None:
    """The policy a table or stream (``arn``) keeps, as authorization applies it; None for none."""
    if stored is None:
        return None
    try:
        return parse_policy(stored.document, "resource", id=arn, max_size=1 << 30)
    except MalformedPolicy:
        return parse_policy(_BROKEN, "resource", id=arn)


def shown(stored: StoredPolicy) -> str:
    """The document as GetResourcePolicy returns it: the canonical form, with the default Version."""
    body = orjson.loads(stored.document)
    if "Version" in body:
        return stored.document
    return orjson.dumps({"Version": DEFAULT_VERSION, **body}).decode()


def next_revision(previous: StoredPolicy | None, now: float) -> str:
    """A new RevisionId: the time of the change in epoch milliseconds, 13 digits, strictly greater
    than the one it replaces (DDB-TABLE-207; AWS only promises a string to compare for equality)."""
    revision = int(now * 1000)
    if previous is not None:
        revision = max(revision, int(previous.revision_id) + 1)
    return str(revision)


def _lenient(body: object) -> object:
    """The document with what DynamoDB accepts and IAM's grammar does not put right: an Effect in
    any case ("allow" reads back as "Allow", DDB-TABLE-355)."""
    if type(body) is not dict:
        return body
    statements = body.get("Statement")
    for statement in statements if type(statements) is list else [statements]:
        if type(statement) is dict and type(statement.get("Effect")) is str:
            effect = statement["Effect"]
            if effect.lower() in ("allow", "deny"):
                statement["Effect"] = effect.capitalize()
    return body


def _canonical(body: dict) -> dict:
    """The canonical form of a document the engine accepted: elements in DynamoDB's order, one
    statement object as a list, one-element Action and Resource lists as strings (longer lists as
    given), AWS principals given by account id as the account's root ARN, each principal once and
    alone as a string (DDB-TABLE-351, -352, -353, -355)."""
    statements = body["Statement"]
    canonical = {element: body[element] for element in _TOP_ELEMENTS[:2] if element in body}
    canonical["Statement"] = [_canonical_statement(statement)
                              for statement in (statements if type(statements) is list else [statements])]
    return canonical


def _canonical_statement(statement: dict) -> dict:
    canonical = {}
    for element in _STATEMENT_ELEMENTS:
        if element not in statement:
            continue
        value = statement[element]
        if element in _LISTS:
            value = _alone(value)
        elif element in ("Principal", "NotPrincipal") and type(value) is dict:
            value = {kind: _alone(list(dict.fromkeys(_root(entry) if kind == "AWS" else entry
                                                     for entry in _listed(entries))))
                     for kind, entries in value.items()}
        canonical[element] = value
    return canonical


def _alone(value: object) -> object:
    return value[0] if type(value) is list and len(value) == 1 else value


def _listed(value: object) -> list:
    return value if type(value) is list else [value]


def _root(entry: str) -> str:
    return f"arn:aws:iam::{entry}:root" if _ACCOUNT_ID.fullmatch(entry) else entry


def _public(statement: dict) -> bool:
    """Whether an Allow statement grants everyone ("*") access that no trusted condition restricts."""
    principal = statement.get("Principal")
    everyone = principal == "*" or (type(principal) is dict and "*" in _listed(principal.get("AWS")))
    return statement["Effect"] == "Allow" and everyone and not _restricted(statement.get("Condition"))


def _restricted(block: object) -> bool:
    for operator, keys in (block or {}).items():
        operator = operator.removeprefix("ForAnyValue:")
        if operator not in _RESTRICTING_OPERATORS:
            continue
        for key, values in keys.items():
            key = key.lower()
            values = [str(value) for value in _listed(values)]
            if key not in _TRUSTED_KEYS:
                continue
            if key == "aws:principalisawsservice":
                if all(value.lower() == "true" for value in values):
                    return True
            elif not any("*" in value or "?" in value or "${" in value for value in values):
                return True
    return False


def _principals(policy: Policy) -> set[str]:
    """Every AWS principal the policy names: account ids and user, role and session ARNs."""
    named: set[str] = set()
    for statement in policy.statements:
        if statement.principals is not None:
            named |= statement.principals.accounts | statement.principals.arns
    return named


def _exists(principal: str, directory: Directory) -> bool:
    """Whether an account id or principal ARN names someone: DynamoDB, as IAM, refuses a principal
    that does not exist (DDB-TABLE-210, -352)."""
    if _ACCOUNT_ID.fullmatch(principal):
        return directory.account(principal) is not None
    fields = principal.split(":", 5)  # the engine let through ARNs of six fields only
    account = fields[4]
    kind, _, rest = fields[5].partition("/")
    if directory.account(account) is None:
        return False
    if kind == "user":
        user = directory.user(account, rest.rsplit("/", 1)[-1])
        return user is not None and user.arn == principal
    if kind == "role":
        return directory.role_by_arn(principal) is not None
    if kind == "assumed-role":
        return directory.role(account, rest.split("/", 1)[0]) is not None
    return kind == "federated-user"
