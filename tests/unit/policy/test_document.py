"""Policy documents: what AWS refuses, in its words, and how each element matches a request.

Sources, cited per case:
- ELEMENTS: IAM User Guide, "IAM JSON policy element reference"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
- PRINCIPAL, NOTPRINCIPAL: ".../reference_policies_elements_principal.html", "..._notprincipal.html"
- VARIABLES: ".../reference_policies_variables.html"
- QUOTAS: IAM User Guide, "IAM and AWS STS quotas" (.../reference_iam-quotas.html)
- SCP_SYNTAX, RCP_SYNTAX: Organizations User Guide, "SCP syntax", "RCP syntax"
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
IAM's messages are those its MalformedPolicyDocument errors carry; Organizations answers every
malformed SCP or RCP with MalformedPolicyDocumentException and one message.
"""

from __future__ import annotations

import json

import pytest

from moatdb.policy.document import (
    ALLOW,
    DENY,
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ARN,
    MANAGED_POLICY_SIZE,
    ORGANIZATION_POLICY_SIZE,
    RCP_FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS_ARN,
    Reach,
    parse_policy,
    policy_size,
)
from moatdb.policy.errors import MalformedPolicy
from moatdb.policy.request import ACCOUNT, ASSUMED_ROLE, USER, Principal

ACCT = "111122223333"
OTHER = "444455556666"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCT}:table/Books"
USER_ARN = f"arn:aws:iam::{ACCT}:user/alice"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/reader"
SESSION_ARN = f"arn:aws:sts::{ACCT}:assumed-role/reader/s1"
ORGANIZATIONS = "The provided policy document doesn't meet the requirements of the specified policy type."
SYNTAX = "Syntax errors in policy."
UNIQUE_SIDS = "Statement IDs (SID) in a single policy must be unique."
SID_ALPHABET = ("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
                "expression [0-9A-Za-z]*")
NO_PRINCIPAL = "Policy document should not specify a principal."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
STS_ONLY = "AssumeRole policy may only specify STS AssumeRole actions."

ALICE = Principal(USER_ARN, ACCT, USER)
SESSION = Principal(ROLE_ARN, ACCT, ASSUMED_ROLE, session_arn=SESSION_ARN)
ROOT = Principal(f"arn:aws:iam::{ACCT}:root", ACCT, ACCOUNT)
STRANGER = Principal(f"arn:aws:iam::{OTHER}:user/mallory", OTHER, USER)


def doc(*statements: dict, version: str | None = "2012-10-17", **top) -> str:
    body = dict(top)
    if version is not None:
        body["Version"] = version
    body["Statement"] = list(statements)
    return json.dumps(body)


def stmt(**elements) -> dict:
    """A statement allowing dynamodb:GetItem on every resource, changed by ``elements`` (None drops one)."""
    base = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}
    base.update(elements)
    return {key: value for key, value in base.items() if value is not None}


def granted(**elements) -> dict:
    """``stmt`` in a resource-based policy: granted to alice unless ``elements`` names another."""
    return stmt(**{"Principal": {"AWS": USER_ARN}, **elements})


# --- Refusals ----------------------------------------------------------------------------------

REFUSALS = [
    # ELEMENTS: a document is JSON.
    ("identity", '{"Version": "2012-10-17", "Statement": [', "This policy contains invalid Json"),
    # ELEMENTS: the top level holds Version, Id and Statement only; a statement only its elements.
    ("identity", json.dumps({"Version": "2012-10-17", "Statement": [stmt()], "Comment": "x"}), SYNTAX),
    ("identity", doc(stmt(Comment="x")), SYNTAX),
    ("identity", json.dumps([stmt()]), SYNTAX),
    ("identity", doc(stmt(), Id=7), SYNTAX),
    ("identity", doc("not a statement"), SYNTAX),
    # ELEMENTS, Version: only 2008-10-17 and 2012-10-17 exist.
    ("identity", doc(stmt(), version="2012-10-18"), SYNTAX),
    ("identity", json.dumps({"Version": 2012, "Statement": [stmt()]}), SYNTAX),
    ("resource", doc(granted(), version="2013-01-01"), "The policy must contain a valid version string"),
    ("trust", doc(granted(Action="sts:AssumeRole", Resource=None), version="1"),
     "The policy must contain a valid version string"),
    # ELEMENTS, Statement: required, and not empty.
    ("identity", json.dumps({"Version": "2012-10-17"}), SYNTAX),
    ("identity", doc(), SYNTAX),
    ("trust", doc(), "Could not parse the policy: Statement is empty!"),
    # ELEMENTS, Sid: unique within the policy; IAM allows only letters and digits.
    ("identity", doc(stmt(Sid="A"), stmt(Sid="A")), UNIQUE_SIDS),
    ("resource", doc(granted(Sid="A"), granted(Sid="A")), UNIQUE_SIDS),
    ("identity", doc(stmt(Sid="read books")), SID_ALPHABET),
    ("identity", doc(stmt(Sid=3)), SID_ALPHABET),
    # ELEMENTS, Effect: required, exactly Allow or Deny.
    ("identity", doc(stmt(Effect=None)), "Missing required field Effect"),
    ("identity", doc(stmt(Effect="allow")), "Invalid effect: allow"),
    # ELEMENTS, Principal: identity-based policies (and boundaries, session policies) name none.
    ("identity", doc(stmt(Principal="*")), NO_PRINCIPAL),
    ("identity", doc(stmt(Effect="Deny", NotPrincipal={"AWS": USER_ARN})), NO_PRINCIPAL),
    ("boundary", doc(stmt(Principal={"AWS": USER_ARN})), NO_PRINCIPAL),
    ("session", doc(stmt(Principal="*")), NO_PRINCIPAL),
    # ELEMENTS, Principal: resource-based policies and trust policies must name one.
    ("resource", doc(stmt()), "Missing required field Principal"),
    ("trust", doc(stmt(Action="sts:AssumeRole", Resource=None)), "Missing required field Principal"),
    ("endpoint", doc(stmt()), "Missing required field Principal"),
    ("resource", doc(granted(Principal={})), "Missing required field Principal cannot be empty!"),
    ("resource", doc(granted(Principal=["*"])), SYNTAX),
    # PRINCIPAL: an AWS principal is "*", an account, or one user, role or session, without wildcards.
    ("resource", doc(granted(Principal={"AWS": f"arn:aws:iam::{ACCT}:user/*"})),
     f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCT}:user/*"'),
    ("resource", doc(granted(Principal={"AWS": "alice"})), 'Invalid principal in policy: "AWS":"alice"'),
    ("resource", doc(granted(Principal={"AWS": "12345"})), 'Invalid principal in policy: "AWS":"12345"'),
    ("resource", doc(granted(Principal={"AWS": f"arn:aws:iam::{ACCT}:group/readers"})),
     f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCT}:group/readers"'),
    ("resource", doc(granted(Principal={"AWS": f"arn:nope:iam::{ACCT}:root"})),
     f'Invalid principal in policy: "AWS":"arn:nope:iam::{ACCT}:root"'),
    ("resource", doc(granted(Principal={"Cat": "tom"})), 'Invalid principal in policy: "Cat"'),
    ("resource", doc(granted(Principal={"CanonicalUser": "abc"})),
     'Invalid principal in policy: "CanonicalUser":"abc"'),
    ("resource", doc(granted(Principal={"Service": "*"})), 'Invalid principal in policy: "Service":"*"'),
    # NOTPRINCIPAL: only with Deny; never in a trust policy; not with Principal.
    ("resource", doc(stmt(NotPrincipal={"AWS": USER_ARN})), "Allow with NotPrincipal is not allowed."),
    ("trust", doc(stmt(Effect="Deny", Action="sts:AssumeRole", Resource=None,
                       NotPrincipal={"AWS": USER_ARN})),
     "AssumeRole policy must not contain NotPrincipal field."),
    ("resource", doc(granted(NotPrincipal={"AWS": ROLE_ARN})), SYNTAX),
    # ELEMENTS, Action: required, a vendor prefix, and not both Action and NotAction.
    ("identity", doc(stmt(Action=None)), "Policy statement must contain actions."),
    ("identity", doc(stmt(Action=[])), "Policy statement must contain actions."),
    ("identity", doc(stmt(NotAction="dynamodb:PutItem")), SYNTAX),
    ("identity", doc(stmt(Action="GetItem")), NO_VENDOR),
    ("identity", doc(stmt(Action="dynamo db:GetItem")), "Vendor dynamo db is not valid"),
    ("identity", doc(stmt(Action=["dynamodb:GetItem", 7])), SYNTAX),
    # ELEMENTS, Resource: required in permissions policies; "*" or an ARN.
    ("identity", doc(stmt(Resource=None)), "Policy statement must contain resources."),
    ("identity", doc(stmt(Resource=[])), "Policy statement must contain resources."),
    ("identity", doc(stmt(NotResource=TABLE)), SYNTAX),
    ("identity", doc(stmt(Resource="table/Books")), 'Resource table/Books must be in ARN format or "*".'),
    ("identity", doc(stmt(Resource="arn:aws:dynamodb")), "The policy failed legacy parsing"),
    ("identity", doc(stmt(Resource="arn:aws-moon:dynamodb:us-east-1:1:table/T")),
     'Partition "aws-moon" is not valid for resource "arn:aws-moon:dynamodb:us-east-1:1:table/T".'),
    ("identity", doc(stmt(Resource="dynamodb:table")),
     'Partition "dynamodb" is not valid for resource "arn:dynamodb:table:*:*:*".'),
    ("resource", doc(granted(Resource=None)), "Policy statement must contain resources."),
    # ELEMENTS, trust policies: STS actions only, and no Resource.
    ("trust", doc(granted(Action="sts:AssumeRole")), "Has prohibited field Resource"),
    ("trust", doc(granted(Action="sts:AssumeRole", Resource=None, NotResource=TABLE)),
     "AssumeRole policy must not contain resources."),
    ("trust", doc(granted(Action="dynamodb:GetItem", Resource=None)), STS_ONLY),
    ("trust", doc(granted(Action="*", Resource=None)), STS_ONLY),
    # ELEMENTS, Condition: compiled by the condition operators, refused in IAM's words.
    ("identity", doc(stmt(Condition="aws:SourceVpc")), SYNTAX),
    # SCP_SYNTAX: no Principal; Version 2012-10-17 required; one message for every refusal.
    ("scp", doc(stmt(Principal="*")), ORGANIZATIONS),
    ("scp", doc(stmt(), version=None), ORGANIZATIONS),
    ("scp", doc(stmt(), version="2008-10-17"), ORGANIZATIONS),
    ("scp", doc(stmt(Action="GetItem")), ORGANIZATIONS),
    # RCP_SYNTAX: Principal is "*"; only RCPFullAWSAccess allows; no NotAction, no NotPrincipal.
    ("rcp", doc(stmt(Principal="*")), ORGANIZATIONS),
    ("rcp", doc(stmt(Effect="Deny", Principal={"AWS": OTHER})), ORGANIZATIONS),
    ("rcp", doc(stmt(Effect="Deny")), ORGANIZATIONS),
    ("rcp", doc(stmt(Effect="Deny", Principal="*", Action=None, NotAction="s3:GetObject")), ORGANIZATIONS),
    ("rcp", doc(stmt(Effect="Deny", NotPrincipal={"AWS": OTHER})), ORGANIZATIONS),
]


@pytest.mark.parametrize(("kind", "document", "message"), REFUSALS)
def test_a_malformed_document_is_refused_in_aws_words(kind, document, message):
    with pytest.raises(MalformedPolicy) as refused:
        parse_policy(document, kind, id="P")
    assert refused.value.message == message


VALID = [
    # ELEMENTS: Statement may be one object; Action and Resource one string or a list.
    ("identity", json.dumps({"Version": "2012-10-17", "Statement": stmt()})),
    ("identity", doc(stmt(Action=["dynamodb:GetItem", "dynamodb:Query"],
                          Resource=[TABLE, f"{TABLE}/index/*"]))),
    # ELEMENTS, Version: optional for IAM; Id: any string.
    ("identity", doc(stmt(), version=None)),
    ("identity", doc(stmt(), version="2008-10-17", Id="books-readers")),
    # ELEMENTS, Sid: a resource-based policy's may hold spaces (DynamoDB and S3 examples do).
    ("resource", doc(granted(Sid="Allow alice to read"))),
    # PRINCIPAL: every form of a principal.
    ("resource", doc(granted(Principal="*"))),
    ("resource", doc(granted(Principal={"AWS": ["*", ACCT, f"arn:aws:iam::{OTHER}:root", USER_ARN, ROLE_ARN,
                                                SESSION_ARN, f"arn:aws:sts::{ACCT}:federated-user/bob"]}))),
    ("resource", doc(granted(Principal={"Service": "dynamodb.amazonaws.com",
                                        "Federated": "cognito-identity.amazonaws.com",
                                        "CanonicalUser": "7" * 64}))),
    ("trust", doc(granted(Action=["sts:AssumeRole", "sts:TagSession"], Resource=None))),
    # NOTPRINCIPAL: with Deny, in a resource-based policy.
    ("resource", doc(stmt(Effect="Deny", NotPrincipal={"AWS": [USER_ARN, ACCT]}))),
    # ELEMENTS, NotAction and NotResource.
    ("identity", doc(stmt(Action=None, NotAction="dynamodb:Delete*", Resource=None, NotResource=TABLE))),
    # SCP_SYNTAX: Allow with NotAction, Condition, NotResource; Resource may be left out.
    ("scp", doc(stmt(Action=None, NotAction="iam:*", Resource=None, NotResource=TABLE,
                     Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))),
    ("scp", doc(stmt(Resource=None))),
    # RCP_SYNTAX: a custom RCP denies, to Principal "*".
    ("rcp", doc(stmt(Effect="Deny", Principal="*",
                     Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}))),
    ("endpoint", doc(stmt(Principal="*"), version=None)),
]


@pytest.mark.parametrize(("kind", "document"), VALID)
def test_a_well_formed_document_parses(kind, document):
    policy = parse_policy(document, kind, id="P")
    assert policy.kind == kind and policy.id == "P" and policy.statements


def test_only_rcpfullawsaccess_may_allow_in_an_rcp():
    # RCP_SYNTAX: "The effect of Allow is only supported for the RCPFullAWSAccess policy".
    policy = parse_policy(RCP_FULL_AWS_ACCESS, "rcp", id=RCP_FULL_AWS_ACCESS_ARN)
    assert policy.statements[0].effect == ALLOW
    with pytest.raises(MalformedPolicy):
        parse_policy(RCP_FULL_AWS_ACCESS, "rcp", id="arn:aws:organizations::1:policy/o-1/rcp/p")


def test_a_dict_and_bytes_parse_like_text():
    text = doc(stmt(Sid="Read"))
    for document in (json.loads(text), text.encode()):
        assert parse_policy(document, "identity", id="P").statements[0].sid == "Read"


# --- Sizes ---------------------------------------------------------------------------------------


def padded(kind: str, size: int, *, whitespace: int = 0) -> str:
    """A policy of exactly ``size`` counted characters, plus ``whitespace`` uncounted blanks (for IAM)."""
    base = doc(stmt(Sid="S"))
    sid = "S" * (size - policy_size(base, kind) + 1)
    return doc(stmt(Sid=sid)).replace('{"Version"', "{" + " " * whitespace + '"Version"', 1)


def test_a_managed_policy_holds_6144_characters_not_counting_white_space():
    # QUOTAS: managed policy size 6,144 characters; "IAM does not count white space".
    fits = padded("identity", MANAGED_POLICY_SIZE, whitespace=500)
    assert policy_size(fits, "identity") == MANAGED_POLICY_SIZE
    parse_policy(fits, "identity", id="P")
    with pytest.raises(MalformedPolicy, match="Cannot exceed quota for PolicySize: 6144"):
        parse_policy(padded("identity", MANAGED_POLICY_SIZE + 1), "identity", id="P")


def test_an_inline_policy_is_held_to_what_its_entity_has_left():
    # QUOTAS: user inline policies total 2,048 characters (groups 5,120, roles 10,240).
    with pytest.raises(MalformedPolicy, match="Cannot exceed quota for PolicySize: 2048"):
        parse_policy(padded("identity", 2_049), "identity", id="P", max_size=2_048)


def test_a_trust_policy_holds_2048_characters():
    # QUOTAS: "Role trust policy length: 2048 characters".
    base = doc(granted(Action="sts:AssumeRole", Resource=None, Sid="S"))
    long = base.replace('"Sid": "S"', '"Sid": "' + "S" * (2_049 - policy_size(base, "trust") + 1) + '"')
    with pytest.raises(MalformedPolicy, match="Cannot exceed quota for ACLSizePerRole: 2048"):
        parse_policy(long, "trust", id="P")


def test_an_scp_counts_every_character_white_space_included():
    # SCP_SYNTAX: "All characters in your SCP count against its maximum size" (5,120).
    fits = padded("scp", ORGANIZATION_POLICY_SIZE)
    parse_policy(fits, "scp", id="P")
    blown = fits.replace('{"Version"', '{ "Version"', 1)
    assert policy_size(blown, "scp") == ORGANIZATION_POLICY_SIZE + 1
    with pytest.raises(MalformedPolicy, match=ORGANIZATIONS):
        parse_policy(blown, "scp", id="P")


# --- Matching --------------------------------------------------------------------------------------


def only(document: str, kind: str = "identity"):
    return parse_policy(document, kind, id="P").statements[0]


@pytest.mark.parametrize(("pattern", "action", "matches"), [
    # ELEMENTS, Action: "action names are case insensitive"; * and ? are wildcards.
    ("dynamodb:GetItem", "dynamodb:GetItem", True),
    ("DynamoDB:getitem", "dynamodb:GetItem", True),
    ("dynamodb:Get*", "dynamodb:GetItem", True),
    ("dynamodb:get*", "dynamodb:BatchGetItem", False),
    ("dynamodb:?etItem", "dynamodb:GetItem", True),
    ("dynamodb:?etItem", "dynamodb:PutItem", False),
    ("dynamodb:*", "dynamodb:DeleteTable", True),
    ("*", "sts:AssumeRole", True),
    ("dynamodb:Query", "dynamodb:QueryItem", False),
])
def test_actions_match_case_insensitively_with_wildcards(pattern, action, matches):
    assert only(doc(stmt(Action=pattern))).actions.matches(action.lower()) is matches


def test_notaction_matches_every_action_but_those_listed():
    # ELEMENTS, NotAction: "matches everything except the specified list of actions".
    actions = only(doc(stmt(Action=None, NotAction=["dynamodb:Delete*", "dynamodb:UpdateTable"]))).actions
    assert actions.matches("dynamodb:getitem")
    assert not actions.matches("dynamodb:deletetable")
    assert not actions.matches("dynamodb:updatetable")


@pytest.mark.parametrize(("pattern", "resource", "matches"), [
    # ELEMENTS, Resource: ARNs are case-sensitive; * and ? wildcards, * spans "/" and ":".
    (TABLE, TABLE, True),
    (TABLE.lower(), TABLE, False),
    (f"arn:aws:dynamodb:*:{ACCT}:table/Books", TABLE, True),
    ("arn:aws:dynamodb:*:*:table/B?oks", TABLE, True),
    (f"{TABLE}*", f"{TABLE}/index/ByAuthor", True),
    (f"{TABLE}/index/*", TABLE, False),
    ("*", TABLE, True),
    ("arn:aws:dynamodb:*:*:*", TABLE, True),
])
def test_resources_match_case_sensitively_with_wildcards(pattern, resource, matches):
    assert only(doc(stmt(Resource=pattern))).resources.matches(resource, {}) is matches


def test_notresource_matches_every_resource_but_those_listed():
    # ELEMENTS, NotResource: "matches every resource except those specified".
    resources = only(doc(stmt(Resource=None, NotResource=f"{TABLE}*"))).resources
    assert not resources.matches(TABLE, {})
    assert not resources.matches(f"{TABLE}/stream/2024", {})
    assert resources.matches(TABLE.replace("Books", "Films"), {})


def test_policy_variables_resolve_in_resources_from_version_2012_10_17():
    # VARIABLES: "${aws:username}" is replaced by the request's value, with Version 2012-10-17.
    pattern = "arn:aws:dynamodb:*:*:table/${aws:username}-*"
    statement = only(doc(stmt(Resource=pattern)))
    assert statement.keys == {"aws:username"}
    assert statement.resources.matches(TABLE.replace("Books", "alice-books"), {"aws:username": ("alice",)})
    assert not statement.resources.matches(TABLE.replace("Books", "bob-books"), {"aws:username": ("alice",)})
    # A key the request lacks makes the entry match nothing.
    assert not statement.resources.matches(TABLE.replace("Books", "alice-books"), {})


def test_policy_variables_are_literal_text_without_version_2012_10_17():
    # VARIABLES: "policy variables only work with Version 2012-10-17"; before, ${...} is text.
    statement = only(doc(stmt(Resource="arn:aws:dynamodb:*:*:table/${aws:username}"), version=None))
    assert statement.keys == frozenset()
    assert not statement.resources.matches(TABLE.replace("Books", "alice"), {"aws:username": ("alice",)})
    assert statement.resources.matches(TABLE.replace("Books", "${aws:username}"), {})


def test_a_policy_knows_every_context_key_its_statements_read():
    policy = parse_policy(doc(
        stmt(Resource="arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}"),
        stmt(Effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"},
                                       "ForAllValues:StringEquals": {"dynamodb:Attributes": ["a", "b"]}}),
    ), "identity", id="P")
    assert policy.keys == {"aws:principaltag/team", "aws:securetransport", "dynamodb:attributes"}


def test_a_policy_hands_evaluation_the_statements_about_an_action_by_effect():
    policy = parse_policy(doc(stmt(Sid="Get"), stmt(Sid="All", Action="dynamodb:*", Effect="Deny"),
                              stmt(Sid="Put", Action="dynamodb:PutItem")), "identity", id="P")
    allows, denies = policy.for_action("DynamoDB:GetItem")
    assert [s.sid for s in allows] == ["Get"] and [s.sid for s in denies] == ["All"]
    assert policy.for_action("dynamodb:PutItem")[0][0].sid == "Put"
    assert [s.effect for s in policy.statements] == [ALLOW, DENY, ALLOW]


# PRINCIPAL: an account id or its root ARN names every principal of the account; a role ARN names
# the role's sessions; a session ARN that session only; "*" everyone.
REACHES = [
    ("*", SESSION, Reach.ANYONE),
    ({"AWS": "*"}, ALICE, Reach.ANYONE),
    ({"AWS": ACCT}, ALICE, Reach.ACCOUNT),
    ({"AWS": f"arn:aws:iam::{ACCT}:root"}, SESSION, Reach.ACCOUNT),
    ({"AWS": f"arn:aws:iam::{ACCT}:root"}, ROOT, Reach.ACCOUNT),
    ({"AWS": f"arn:aws:iam::{ACCT}:root"}, STRANGER, Reach.NONE),
    ({"AWS": USER_ARN}, ALICE, Reach.ENTITY),
    ({"AWS": USER_ARN}, SESSION, Reach.NONE),
    ({"AWS": ROLE_ARN}, SESSION, Reach.ENTITY),
    ({"AWS": SESSION_ARN}, SESSION, Reach.SESSION),
    ({"AWS": SESSION_ARN.replace("s1", "s2")}, SESSION, Reach.NONE),
    ({"AWS": [ACCT, ROLE_ARN, SESSION_ARN]}, SESSION, Reach.SESSION),
    ({"Service": "dynamodb.amazonaws.com"}, ALICE, Reach.NONE),
    ({"Federated": "cognito-identity.amazonaws.com"}, ALICE, Reach.NONE),
]


@pytest.mark.parametrize(("principal", "caller", "reach"), REACHES)
def test_a_principal_element_names_the_caller_as_closely_as_it_lists_it(principal, caller, reach):
    assert only(doc(granted(Principal=principal)), "resource").principals.reach(caller) is reach


@pytest.mark.parametrize(("listed", "caller", "escapes"), [
    # NOTPRINCIPAL: AWS may check the account, the role and the session each; only a caller whose
    # every level is listed escapes the Deny.
    ([USER_ARN, ACCT], ALICE, True),
    ([USER_ARN], ALICE, False),
    ([f"arn:aws:iam::{ACCT}:root"], ALICE, False),
    ([SESSION_ARN, ROLE_ARN, f"arn:aws:iam::{ACCT}:root"], SESSION, True),
    ([SESSION_ARN, ACCT], SESSION, False),
    ([ROLE_ARN, ACCT], SESSION, False),
    ([ACCT], ROOT, True),
    ("*", STRANGER, True),
    ([USER_ARN, ACCT], STRANGER, False),
])
def test_notprincipal_spares_only_a_caller_named_at_every_level(listed, caller, escapes):
    principals = only(doc(stmt(Effect="Deny", NotPrincipal={"AWS": listed})), "resource").principals
    assert (principals.reach(caller) is Reach.NONE) is escapes


def test_a_policy_knows_whether_it_denies_and_whether_it_allows_everything_unconditionally():
    assert parse_policy(FULL_AWS_ACCESS, "scp", id=FULL_AWS_ACCESS_ARN).allows_all
    assert parse_policy(RCP_FULL_AWS_ACCESS, "rcp", id=RCP_FULL_AWS_ACCESS_ARN).allows_all
    assert parse_policy(doc(stmt(Action="*")), "identity", id="P").allows_all
    for narrower in (stmt(Action="*", Resource=TABLE), stmt(Action=None, NotAction="*"),
                     stmt(Action="*", Condition={"Bool": {"aws:SecureTransport": "true"}})):
        assert not parse_policy(doc(narrower), "identity", id="P").allows_all
    assert not parse_policy(doc(granted(Action="*", Principal={"AWS": ACCT})), "resource", id="P").allows_all
    assert parse_policy(doc(stmt(), stmt(Effect="Deny")), "identity", id="P").denies
    assert not parse_policy(FULL_AWS_ACCESS, "scp", id=FULL_AWS_ACCESS_ARN).denies
