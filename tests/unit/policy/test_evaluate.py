"""The evaluation logic across policy types, and the decision it returns, against AWS's documentation.

Sources, cited per case:
- FLOW: IAM User Guide, "How AWS enforcement code logic evaluates requests to allow or deny access"
  (.../IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html)
- SINGLE: IAM User Guide, "Policy evaluation logic" / "Determining whether a request is allowed or
  denied within an account" (.../reference_policies_evaluation-logic.html)
- CROSS: IAM User Guide, "Cross-account policy evaluation logic"
  (.../reference_policies_evaluation-logic-cross-account.html)
- BOUNDARIES: IAM User Guide, "Permissions boundaries for IAM entities" (.../access_policies_boundaries.html)
- SESSIONS: IAM User Guide, "Policies and permissions in IAM", session policies
  (.../access_policies.html#policies_session)
- NOTPRINCIPAL: IAM User Guide, "AWS JSON policy elements: NotPrincipal"
- SCPS: Organizations User Guide, "Service control policies (SCPs)" and "SCP evaluation"
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
- RCPS: Organizations User Guide, "Resource control policies (RCPs)" and "RCP evaluation"
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html
- ENDPOINTS: Amazon VPC, "Control access to VPC endpoints using endpoint policies"
  https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
- MESSAGES: IAM User Guide, "Troubleshoot access denied error messages"
  (.../troubleshoot_access-denied.html), and AWS Security Blog, "Enhanced access denied error
  messages with policy ARNs" (2025)
"""

from __future__ import annotations

import json

import pytest

from moatdb.policy.document import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ARN,
    RCP_FULL_AWS_ACCESS,
    RCP_FULL_AWS_ACCESS_ARN,
    Policy,
    parse_policy,
)
from moatdb.policy.evaluate import PolicySet, evaluate
from moatdb.policy.request import ACCOUNT, ASSUMED_ROLE, FEDERATED_USER, USER, Principal, Request

ACCT = "111122223333"
OTHER = "444455556666"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCT}:table/Books"
FOREIGN_TABLE = f"arn:aws:dynamodb:us-east-1:{OTHER}:table/Books"
USER_ARN = f"arn:aws:iam::{ACCT}:user/alice"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/reader"
SESSION_ARN = f"arn:aws:sts::{ACCT}:assumed-role/reader/s1"
ROOT_ARN = f"arn:aws:iam::{ACCT}:root"
MANAGED = f"arn:aws:iam::{ACCT}:policy/Books"
BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/Boundary"

ALICE = Principal(USER_ARN, ACCT, USER)
SESSION = Principal(ROLE_ARN, ACCT, ASSUMED_ROLE, session_arn=SESSION_ARN)
ROOT = Principal(ROOT_ARN, ACCT, ACCOUNT)
LINKED = Principal(f"arn:aws:iam::{ACCT}:role/aws-service-role/dynamodb.amazonaws.com/AWSServiceRoleForX",
                   ACCT, ASSUMED_ROLE, session_arn=f"arn:aws:sts::{ACCT}:assumed-role/AWSServiceRoleForX/x",
                   service_linked=True)
FEDERATED = Principal(f"arn:aws:sts::{ACCT}:federated-user/bob", ACCT, FEDERATED_USER)
VISITOR = Principal(f"arn:aws:iam::{OTHER}:user/vic", OTHER, USER)

# The condition every conditional statement here uses, and the context keys that satisfy it.
FROM_VPC = {"StringEquals": {"aws:SourceVpc": "vpc-1"}}
IN_VPC = {"aws:sourcevpc": ("vpc-1",)}


def statement(effect="Allow", action="dynamodb:GetItem", resource="*", **elements) -> dict:
    body = {"Effect": effect, "Action": action, "Resource": resource, **elements}
    return {key: value for key, value in body.items() if value is not None}


def policy(kind: str, *statements: dict, id: str | None = None) -> Policy:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return parse_policy(document, kind, id=id or f"{kind} policy")


def grants(principal, *, effect="Allow", action="dynamodb:GetItem", on=TABLE, id="table policy",
           **elements) -> Policy:
    """The resource-based policy of table ``on``, with one statement naming ``principal``."""
    return policy("resource", statement(effect, action, on, Principal=principal, **elements), id=id)


def identity(action="dynamodb:GetItem", effect="Allow", id=MANAGED, **elements) -> Policy:
    return policy("identity", statement(effect, action, **elements), id=id)


def boundary(action="dynamodb:GetItem", effect="Allow", **elements) -> Policy:
    return policy("boundary", statement(effect, action, **elements), id=BOUNDARY_ARN)


SCP = parse_policy(FULL_AWS_ACCESS, "scp", id=FULL_AWS_ACCESS_ARN)
RCP = parse_policy(RCP_FULL_AWS_ACCESS, "rcp", id=RCP_FULL_AWS_ACCESS_ARN)
FULL_SCPS = ((SCP,), (SCP,), (SCP,))  # root, an OU, the account
FULL_RCPS = ((RCP,), (RCP,), (RCP,))
DENY_SCP = policy("scp", statement("Deny", "dynamodb:*"),
                  id="arn:aws:organizations::999:policy/o-1/service_control_policy/p-1")
DENY_RCP = policy("rcp", statement("Deny", "dynamodb:*", Principal="*"),
                  id="arn:aws:organizations::999:policy/o-1/resource_control_policy/p-2")
ENDPOINT_FULL = parse_policy('{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
                             "endpoint", id="vpce-1")


def request(principal=ALICE, action="dynamodb:GetItem", resource=TABLE, account=ACCT,
            context=None) -> Request:
    return Request(principal, action, resource, account, context or {})


def decide(principal=ALICE, *, action="dynamodb:GetItem", on=TABLE, owner=ACCT, context=None, **policies):
    """``principal`` doing ``action`` on ``on`` (owned by ``owner``) under ``policies`` (PolicySet's)."""
    return evaluate(request(principal, action, on, owner, context), PolicySet(**policies), explain=True)


def denial(decision) -> tuple[str, bool]:
    assert not decision.allowed
    return decision.reason.kind, decision.reason.explicit


# --- Explicit deny: any applicable Deny, in any policy type, wins (FLOW, "Deny evaluation") -------

EXPLICIT = [
    ("identity", dict(identity=(identity(), identity(effect="Deny", id="Deny")))),
    ("resource", dict(identity=(identity(),), resource=grants({"AWS": USER_ARN}, effect="Deny"))),
    ("boundary", dict(identity=(identity(),), boundary=policy("boundary", statement(), statement("Deny")))),
    ("session", dict(identity=(identity(),), session=(policy("session", statement(), statement("Deny")),))),
    ("scp", dict(identity=(identity(),), scps=((SCP,), (SCP, DENY_SCP), (SCP,)))),
    ("rcp", dict(identity=(identity(),), rcps=((RCP,), (RCP,), (RCP, DENY_RCP)))),
    ("endpoint", dict(identity=(identity(),), endpoint=policy("endpoint", statement(Principal="*"),
                                                                statement("Deny", Principal="*")))),
]


@pytest.mark.parametrize(("kind", "policies"), EXPLICIT, ids=[kind for kind, _ in EXPLICIT])
def test_an_explicit_deny_in_any_policy_type_overrides_every_allow(kind, policies):
    assert denial(decide(**policies)) == (kind, True)


def test_an_explicit_deny_in_a_resource_policy_overrides_its_own_grant_to_the_caller():
    # SINGLE: "An explicit deny in either of these policies overrides the allow."
    table = policy("resource", statement(Principal={"AWS": USER_ARN}, resource=TABLE),
                   statement("Deny", resource=TABLE, Principal={"AWS": ACCT}))
    assert denial(decide(resource=table)) == ("resource", True)


def test_the_account_root_user_is_bound_by_explicit_denies_scps_and_endpoint_policies():
    # SINGLE: the root user has full access, yet an explicit deny overrides; SCPS: "The SCP
    # maximum applies to principals in member accounts, including each AWS account root user".
    assert decide(ROOT).allowed
    assert denial(decide(ROOT, resource=grants({"AWS": ACCT}, effect="Deny"))) == ("resource", True)
    assert denial(decide(ROOT, scps=((SCP,), (DENY_SCP,)))) == ("scp", True)
    assert denial(decide(ROOT, scps=((SCP,), ()))) == ("scp", False)
    assert denial(decide(ROOT, endpoint=policy("endpoint", statement(resource="arn:aws:dynamodb:*:*:table/X",
                                                                     Principal="*")))) == ("endpoint", False)


def test_a_deny_whose_condition_does_not_hold_does_not_apply():
    # ELEMENTS, Condition: a statement applies only when its conditions hold.
    policies = dict(identity=(identity(), identity(effect="Deny", Condition=FROM_VPC)))
    assert decide(**policies).allowed
    assert denial(decide(context=IN_VPC, **policies)) == ("identity", True)


def test_of_several_explicit_denies_the_first_in_the_flow_charts_order_is_named():
    # MESSAGES: "If multiple policy types deny an authorization request, AWS includes only one";
    # moatdb names the first in FLOW's order: RCPs, SCPs, resource-based, identity-based, ...
    everything = dict(identity=(identity(effect="Deny"),), scps=((DENY_SCP,),), rcps=((DENY_RCP,),),
                      resource=grants({"AWS": USER_ARN}, effect="Deny"))
    assert denial(decide(**everything)) == ("rcp", True)
    assert denial(decide(**{**everything, "rcps": None})) == ("scp", True)
    assert denial(decide(**{**everything, "rcps": None, "scps": None})) == ("resource", True)


# --- Implicit deny, identity-based policies, boundaries (SINGLE, BOUNDARIES) ------------------------

def test_a_request_no_policy_allows_is_implicitly_denied():
    # FLOW: "By default, all requests are implicitly denied".
    assert denial(decide()) == ("identity", False)
    assert denial(decide(identity=(identity("dynamodb:PutItem"),))) == ("identity", False)


def test_an_allow_whose_condition_does_not_hold_allows_nothing():
    policies = dict(identity=(identity(Condition=FROM_VPC),))
    assert denial(decide(**policies)) == ("identity", False)
    assert decide(context=IN_VPC, **policies).allowed


def test_an_identity_based_policy_allows_within_the_account():
    decision = decide(identity=(identity(),))
    assert decision.allowed and decision.basis == "an identity-based policy"


def test_a_permissions_boundary_limits_identity_based_policies_and_grants_nothing():
    # BOUNDARIES: "the entity can perform only the actions that are allowed by both its
    # identity-based policies and its permissions boundaries".
    narrow = boundary("dynamodb:Query")
    assert denial(decide(identity=(identity("dynamodb:*"),), boundary=narrow)) == ("boundary", False)
    assert denial(decide(boundary=boundary())) == ("identity", False)
    assert decide(identity=(identity("dynamodb:*"),), boundary=boundary()).allowed


def test_session_policies_narrow_what_the_role_allows():
    # SESSIONS: "the resulting session's permissions are the intersection of the role's
    # identity-based policy and the session policies".
    role = dict(identity=(identity("dynamodb:*"),), session=(policy("session", statement()),))
    assert decide(SESSION, **role).allowed
    assert denial(decide(SESSION, action="dynamodb:PutItem", **role)) == ("session", False)
    wide = (policy("session", statement("Allow", "dynamodb:*")),)
    assert denial(decide(SESSION, session=wide)) == ("identity", False)


def test_a_role_session_without_session_policies_has_the_roles_permissions():
    # FLOW: "If there is no session policy, the code checks whether the principal is a role session.
    # If the principal is a role session, then the request is Allowed."
    assert decide(SESSION, identity=(identity(),), session=None).allowed


def test_a_federated_user_session_without_session_policies_is_denied():
    # FLOW: with no session policy, a session principal that is not a role session is implicitly denied.
    assert denial(decide(FEDERATED, identity=(identity(),), session=None)) == ("session", False)
    assert decide(FEDERATED, identity=(identity(),), session=(policy("session", statement()),)).allowed


# --- SCPs (SCPS) -------------------------------------------------------------------------------------

def test_fullawsaccess_at_every_level_lets_identity_policies_decide():
    # SCPS: FullAWSAccess is attached to the root, every OU and account; it grants nothing itself.
    assert decide(identity=(identity(),), scps=FULL_SCPS).allowed
    assert denial(decide(scps=FULL_SCPS)) == ("identity", False)


@pytest.mark.parametrize(("level", "where"), [(0, "the root"), (1, "the OU at depth 1"), (2, "the account")])
def test_every_level_of_the_organization_path_must_allow(level, where):
    # SCPS, "SCP evaluation": "For a permission to be allowed for a specific account, there must be an
    # explicit Allow statement at every level from the root through each OU in the direct path to the
    # account (including the target account itself)".
    narrow = policy("scp", statement("Allow", "s3:*"))
    scps = tuple((narrow,) if depth == level else (SCP,) for depth in range(3))
    decision = decide(identity=(identity(),), scps=scps)
    assert denial(decision) == ("scp", False)
    assert decision.reason.detail == f"no policy attached to {where} allows it"


def test_the_management_account_and_accounts_outside_organizations_are_not_bound_by_scps():
    # SCPS: "SCPs don't affect users or roles in the management account"; scps=None says so.
    assert decide(identity=(identity(),), scps=None).allowed


def test_scps_do_not_restrict_service_linked_roles():
    # SCPS: "SCPs do not affect service-linked roles".
    assert decide(LINKED, identity=(identity(),), scps=((DENY_SCP,),)).allowed
    assert denial(decide(SESSION, identity=(identity(),), scps=((DENY_SCP,),))) == ("scp", True)


def test_scps_bind_the_callers_account_even_toward_another_accounts_resource():
    # CROSS: the SCPs of the requesting account apply to its principals wherever they ask.
    policies = dict(identity=(identity(),), resource=grants({"AWS": ACCT}, on=FOREIGN_TABLE),
                    scps=((DENY_SCP,),))
    assert denial(decide(on=FOREIGN_TABLE, owner=OTHER, **policies)) == ("scp", True)


# --- RCPs (RCPS) -------------------------------------------------------------------------------------

def test_rcpfullawsaccess_at_every_level_lets_the_other_policies_decide():
    # RCPS: RCPFullAWSAccess "allows all principals and actions access to pass through RCP evaluation".
    assert decide(identity=(identity(),), rcps=FULL_RCPS).allowed
    assert denial(decide(rcps=FULL_RCPS)) == ("identity", False)


def test_an_rcp_deny_applies_to_the_resources_account_whoever_asks():
    # RCPS: "any RCP from the root through each OU in the direct path to the account ... can deny".
    outsiders = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-mine"}}
    conditional = policy("rcp", statement("Deny", "dynamodb:*", Principal="*", Condition=outsiders))
    rcps = ((RCP, conditional), (RCP,))
    assert denial(decide(identity=(identity(),), rcps=rcps)) == ("rcp", True)
    assert decide(identity=(identity(),), rcps=rcps, context={"aws:principalorgid": ("o-mine",)}).allowed


def test_an_rcp_level_that_allows_nothing_denies():
    # RCPS, "RCP evaluation": as with SCPs, every level must allow.
    decision = decide(identity=(identity(),), rcps=((RCP,), ()))
    assert denial(decision) == ("rcp", False)
    assert decision.reason.detail == "no policy attached to the account allows it"


def test_rcps_do_not_restrict_service_linked_roles_nor_unbound_accounts():
    # RCPS: RCPs do not restrict actions of service-linked roles, nor resources of the management
    # account (rcps=None).
    assert decide(LINKED, identity=(identity(),), rcps=((DENY_RCP,),)).allowed
    assert decide(identity=(identity(),), rcps=None).allowed


def test_rcps_are_evaluated_before_scps():
    # FLOW: "AWS Organizations RCPs" comes before "AWS Organizations SCPs".
    assert denial(decide(identity=(identity(),), rcps=((),), scps=((),))) == ("rcp", False)


# --- Resource-based policies within one account (SINGLE, BOUNDARIES, SESSIONS) ---------------------

def test_a_resource_policy_naming_the_iam_user_allows_without_identity_policy_or_boundary():
    # SINGLE: "resource-based policies that grant permissions to an IAM user ARN ... are not limited
    # by an implicit deny in an identity-based policy or permissions boundary".
    decision = decide(resource=grants({"AWS": USER_ARN}), boundary=boundary("dynamodb:Query"))
    assert decision.allowed and decision.basis == "a resource-based policy naming the caller itself"


def test_a_resource_policy_naming_the_role_session_allows_despite_boundary_and_session_policy():
    # SINGLE: "Permissions granted directly to a session are not limited by an implicit deny in an
    # identity-based policy, a permissions boundary, or session policy."
    decision = decide(SESSION, resource=grants({"AWS": SESSION_ARN}), boundary=boundary("dynamodb:Query"),
                      session=(policy("session", statement("Allow", "dynamodb:Query")),))
    assert decision.allowed


def test_a_resource_policy_naming_the_role_needs_no_identity_policy():
    # SINGLE: a grant to the role ARN is limited only by a boundary or session policy.
    decision = decide(SESSION, resource=grants({"AWS": ROLE_ARN}))
    assert decision.allowed and decision.basis.startswith("a resource-based policy naming the caller's role")


def test_a_resource_policy_naming_the_role_is_limited_by_the_boundary():
    # SINGLE: "Resource-based policies that grant permissions to an IAM role ARN are limited by an
    # implicit deny in a permissions boundary or session policy."
    decision = decide(SESSION, resource=grants({"AWS": ROLE_ARN}), boundary=boundary("dynamodb:Query"))
    assert denial(decision) == ("boundary", False)
    assert decide(SESSION, resource=grants({"AWS": ROLE_ARN}), boundary=boundary()).allowed


def test_a_resource_policy_naming_the_role_is_limited_by_session_policies():
    session = (policy("session", statement("Allow", "dynamodb:Query")),)
    assert denial(decide(SESSION, resource=grants({"AWS": ROLE_ARN}), session=session)) == ("session", False)


@pytest.mark.parametrize("account", [ACCT, ROOT_ARN])
def test_a_resource_policy_naming_the_account_delegates_to_identity_policies(account):
    # SINGLE / PRINCIPAL: naming the account delegates: the account's identity-based policies must allow.
    assert denial(decide(resource=grants({"AWS": account}))) == ("identity", False)
    assert decide(resource=grants({"AWS": account}), identity=(identity(),)).allowed
    assert decide(ROOT, resource=grants({"AWS": account})).allowed


def test_a_resource_policy_naming_everyone_is_a_grant_to_the_caller_not_to_its_session():
    # Docs are silent on "*": moatdb reads it as naming the user or the role, so a user needs no
    # identity-based policy, and a role session stays within its boundary and session policies.
    assert decide(resource=grants("*"), boundary=boundary("dynamodb:Query")).allowed
    assert decide(SESSION, resource=grants("*")).allowed
    narrow = boundary("dynamodb:Query")
    assert denial(decide(SESSION, resource=grants("*"), boundary=narrow)) == ("boundary", False)


def test_a_resource_grant_whose_condition_fails_grants_nothing():
    table = grants({"AWS": USER_ARN}, Condition=FROM_VPC)
    assert denial(decide(resource=table)) == ("identity", False)
    assert decide(resource=table, context=IN_VPC).allowed


def test_a_resource_policy_naming_someone_else_grants_nothing():
    assert denial(decide(resource=grants({"AWS": f"arn:aws:iam::{ACCT}:user/bob"}))) == ("identity", False)


def test_the_closest_grant_among_a_resource_policys_statements_decides():
    table = policy("resource", statement(resource=TABLE, Principal={"AWS": ACCT}),
                   statement(resource=TABLE, Principal={"AWS": SESSION_ARN}))
    assert decide(SESSION, resource=table, boundary=boundary("dynamodb:Query")).allowed


# --- Across accounts (CROSS) -------------------------------------------------------------------------

def test_across_accounts_both_the_identity_policy_and_the_resource_policy_must_allow():
    # CROSS: "the identity-based policy of the requester must allow ... and the resource-based policy
    # of the resource owner must also allow".
    at = dict(on=FOREIGN_TABLE, owner=OTHER)
    assert decide(**at, identity=(identity(),), resource=grants({"AWS": ACCT}, on=FOREIGN_TABLE)).allowed
    assert denial(decide(**at, identity=(identity(),))) == ("resource", False)
    assert denial(decide(**at, resource=grants({"AWS": ACCT}, on=FOREIGN_TABLE))) == ("identity", False)
    assert denial(decide(**at, resource=grants({"AWS": USER_ARN}, on=FOREIGN_TABLE))) == ("identity", False)


def test_across_accounts_a_grant_to_the_session_still_needs_boundary_and_session_policy():
    at = dict(on=FOREIGN_TABLE, owner=OTHER, identity=(identity(),))
    decision = decide(SESSION, **at, resource=grants({"AWS": SESSION_ARN}, on=FOREIGN_TABLE),
                      boundary=boundary("dynamodb:Query"))
    assert denial(decision) == ("boundary", False)


def test_another_accounts_principal_needs_the_resource_policy_and_its_own_identity_policy():
    assert denial(decide(VISITOR, identity=(identity(),))) == ("resource", False)
    assert decide(VISITOR, identity=(identity(),), resource=grants({"AWS": OTHER})).allowed


def test_the_root_user_of_another_account_needs_the_resource_policy():
    stranger_root = Principal(f"arn:aws:iam::{OTHER}:root", OTHER, ACCOUNT)
    assert denial(decide(stranger_root)) == ("resource", False)
    assert decide(stranger_root, resource=grants({"AWS": OTHER})).allowed


# --- Role trust policies (SINGLE: "IAM role trust policies ... must explicitly allow access") ---------

ASSUME = dict(action="sts:AssumeRole", on=ROLE_ARN)


def trusts(principal) -> Policy:
    return policy("trust", {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"},
                  id="trust policy")


def test_a_trust_policy_naming_the_user_lets_it_assume_the_role_without_identity_policy():
    assert decide(**ASSUME, resource=trusts({"AWS": USER_ARN})).allowed


def test_a_trust_policy_naming_the_account_needs_the_identity_policy_too():
    assert denial(decide(**ASSUME, resource=trusts({"AWS": ACCT}))) == ("identity", False)
    allowed = decide(**ASSUME, resource=trusts({"AWS": ACCT}), identity=(identity("sts:AssumeRole"),))
    assert allowed.allowed


def test_a_trust_policy_must_allow_even_when_the_identity_policy_does():
    decision = decide(**ASSUME, resource=trusts({"AWS": f"arn:aws:iam::{ACCT}:user/bob"}),
                      identity=(identity("sts:AssumeRole"),))
    assert denial(decision) == ("trust", False)


# --- VPC endpoint policies (ENDPOINTS) ---------------------------------------------------------------

def test_the_default_endpoint_policy_allows_what_the_other_policies_allow_and_grants_nothing():
    # ENDPOINTS: the default policy "allows full access"; an endpoint policy "does not override or
    # replace identity-based policies or resource-based policies".
    assert decide(identity=(identity(),), endpoint=ENDPOINT_FULL).allowed
    assert denial(decide(endpoint=ENDPOINT_FULL)) == ("identity", False)


def test_an_endpoint_policy_must_allow_the_request():
    narrow = policy("endpoint", statement(resource="arn:aws:dynamodb:*:*:table/Films", Principal="*"))
    assert denial(decide(identity=(identity(),), endpoint=narrow)) == ("endpoint", False)
    # Even a resource-based policy's grant to the caller itself passes through the endpoint.
    assert denial(decide(resource=grants({"AWS": USER_ARN}), endpoint=narrow)) == ("endpoint", False)
    assert denial(decide(ROOT, endpoint=narrow)) == ("endpoint", False)


def test_an_endpoint_policy_statement_applies_only_to_the_principals_it_names():
    for_bob = policy("endpoint", statement(Principal={"AWS": f"arn:aws:iam::{ACCT}:user/bob"}))
    for_account = policy("endpoint", statement(Principal={"AWS": ACCT}))
    assert denial(decide(identity=(identity(),), endpoint=for_bob)) == ("endpoint", False)
    assert decide(identity=(identity(),), endpoint=for_account).allowed


# --- NotPrincipal in a resource-based policy (NOTPRINCIPAL, BOUNDARIES) ------------------------------

def test_a_deny_with_notprincipal_spares_the_principals_it_lists():
    table = policy("resource", statement(resource=TABLE, Principal={"AWS": ACCT}),
                   statement("Deny", resource=TABLE, NotPrincipal={"AWS": [USER_ARN, ACCT]}))
    assert decide(identity=(identity(),), resource=table).allowed
    bob = Principal(f"arn:aws:iam::{ACCT}:user/bob", ACCT, USER)
    assert denial(decide(bob, identity=(identity(),), resource=table)) == ("resource", True)


def test_a_deny_with_notprincipal_denies_every_principal_that_has_a_permissions_boundary():
    # BOUNDARIES: "The NotPrincipal element with a Deny effect will always deny any IAM principal that
    # has a permissions boundary policy attached, regardless of the values specified".
    table = policy("resource", statement("Deny", resource=TABLE, NotPrincipal={"AWS": [USER_ARN, ACCT]}))
    assert decide(identity=(identity(),), resource=table).allowed
    assert denial(decide(identity=(identity(),), resource=table, boundary=boundary())) == ("resource", True)


# --- Denial messages (MESSAGES) ----------------------------------------------------------------------

USER_HEAD = f"User: {USER_ARN} is not authorized to perform: dynamodb:GetItem on resource: {TABLE}"
SESSION_HEAD = f"User: {SESSION_ARN} is not authorized to perform: dynamodb:GetItem on resource: {TABLE}"
FOREIGN_HEAD = f"User: {USER_ARN} is not authorized to perform: dynamodb:GetItem on resource: {FOREIGN_TABLE}"
ORG = {"aws:principalorgid": ("o-1",), "aws:resourceorgid": ("o-1",)}

MESSAGES = [
    ("no identity-based policy allows",
     dict(), ALICE, {},
     f"{USER_HEAD} because no identity-based policy allows the dynamodb:GetItem action"),
    ("an explicit deny in a managed identity-based policy names its ARN",
     dict(identity=(identity(effect="Deny"),)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in an identity-based policy: {MANAGED}"),
    ("an explicit deny in an inline policy has no ARN to name",
     dict(identity=(identity(effect="Deny", id=f"inline policy P of {USER_ARN}"),)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in an identity-based policy"),
    ("no resource-based policy allows",
     dict(identity=(identity(),)), ALICE, dict(on=FOREIGN_TABLE, owner=OTHER),
     f"{FOREIGN_HEAD} because no resource-based policy allows the dynamodb:GetItem action"),
    ("an explicit deny in a resource-based policy never names it",
     dict(resource=grants("*", effect="Deny", id=TABLE)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a resource-based policy"),
    ("no permissions boundary allows",
     dict(identity=(identity(),), boundary=boundary("dynamodb:Query")), ALICE, {},
     f"{USER_HEAD} because no permissions boundary allows the dynamodb:GetItem action"),
    ("an explicit deny in a permissions boundary names it",
     dict(identity=(identity(),), boundary=boundary(effect="Deny")), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a permissions boundary: {BOUNDARY_ARN}"),
    ("no session policy allows, said of the role session",
     dict(identity=(identity(),), session=(policy("session", statement("Allow", "dynamodb:Query")),)),
     SESSION, {},
     f"{SESSION_HEAD} because no session policy allows the dynamodb:GetItem action"),
    ("an explicit deny in an inline session policy",
     dict(identity=(identity(),), session=(policy("session", statement("Deny"), id="session policy"),)),
     SESSION, {},
     f"{SESSION_HEAD} with an explicit deny in a session policy"),
    ("an explicit deny in a managed session policy names it",
     dict(identity=(identity(),), session=(policy("session", statement("Deny"), id=MANAGED),)), SESSION, {},
     f"{SESSION_HEAD} with an explicit deny in a session policy: {MANAGED}"),
    ("an explicit deny in an SCP names it",
     dict(identity=(identity(),), scps=((SCP, DENY_SCP),)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a service control policy: {DENY_SCP.id}"),
    ("no SCP allowing is still worded as an explicit deny",
     dict(identity=(identity(),), scps=((SCP,), ())), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a service control policy"),
    ("an explicit deny in an RCP names it",
     dict(identity=(identity(),), rcps=((RCP, DENY_RCP),)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a resource control policy: {DENY_RCP.id}"),
    ("no RCP allowing is worded as an SCP's is",
     dict(identity=(identity(),), rcps=((),)), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a resource control policy"),
    ("no VPC endpoint policy allows",
     dict(identity=(identity(),),
          endpoint=policy("endpoint", statement("Allow", "dynamodb:Query", Principal="*"))),
     ALICE, {},
     f"{USER_HEAD} because no VPC endpoint policy allows the dynamodb:GetItem action"),
    ("an explicit deny in a VPC endpoint policy",
     dict(identity=(identity(),), endpoint=policy("endpoint", statement("Deny", Principal="*"))), ALICE, {},
     f"{USER_HEAD} with an explicit deny in a VPC endpoint policy"),
    ("across accounts of different organizations the denying policy is not named",
     dict(identity=(identity(effect="Deny"),)), ALICE, dict(on=FOREIGN_TABLE, owner=OTHER),
     f"{FOREIGN_HEAD} with an explicit deny in an identity-based policy"),
    ("across accounts of one organization it is",
     dict(identity=(identity(effect="Deny"),)), ALICE, dict(on=FOREIGN_TABLE, owner=OTHER, context=ORG),
     f"{FOREIGN_HEAD} with an explicit deny in an identity-based policy: {MANAGED}"),
]


@pytest.mark.parametrize(("case", "policies", "principal", "asked", "message"), MESSAGES,
                         ids=[case for case, *_ in MESSAGES])
def test_a_denial_is_worded_as_aws_words_it(case, policies, principal, asked, message):
    at = dict(on=TABLE, owner=ACCT, context=None) | asked
    decision = decide(principal, **at, **policies)
    asked_for = request(principal, "dynamodb:GetItem", at["on"], at["owner"], at["context"])
    assert decision.message(asked_for) == message


def test_a_role_trust_policy_that_does_not_allow_is_named_as_such():
    # MESSAGES, "Access denied due to role trust policies".
    decision = decide(**ASSUME, resource=trusts({"AWS": f"arn:aws:iam::{ACCT}:user/bob"}))
    assert decision.message(request(ALICE, "sts:AssumeRole", ROLE_ARN)) == (
        f"User: {USER_ARN} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN} "
        "because no role trust policy allows the sts:AssumeRole action")


# --- The decision as a value ------------------------------------------------------------------------

def test_an_allowed_decision_has_no_denial_message():
    with pytest.raises(ValueError):
        decide(identity=(identity(),)).message(request())


def test_without_explain_an_allowed_request_gets_a_shared_decision_and_no_trace():
    policies = PolicySet(identity=(identity(),))
    first, second = evaluate(request(), policies), evaluate(request(), policies)
    assert first is second and first.allowed and first.matches is None
    assert "not traced" in first.explain()


def test_the_trace_lists_every_statement_that_matched_and_each_failed_condition():
    conditional = identity(Condition=FROM_VPC, id="arn:aws:iam::111122223333:policy/Vpc")
    unrelated = identity("dynamodb:PutItem", id="arn:aws:iam::111122223333:policy/Put")
    decision = decide(identity=(conditional, unrelated, identity("dynamodb:Get*")),
                      context={"aws:sourcevpc": ("vpc-2",)})
    assert decision.allowed
    assert [(m.policy, m.effect, m.failed is None) for m in decision.matches] == [
        ("arn:aws:iam::111122223333:policy/Vpc", "Allow", False), (MANAGED, "Allow", True)]
    assert decision.matches[0].failed == 'StringEquals aws:SourceVpc ["vpc-1"] (request: "vpc-2")'
    text = decision.explain()
    assert text.splitlines()[0] == "Allowed by an identity-based policy."
    assert f"Allow identity-based policy {MANAGED}, statement #0" in text
    assert 'StringEquals aws:SourceVpc ["vpc-1"] (request: "vpc-2")' in text


def test_a_denial_explains_the_deciding_policy_and_statement():
    deny = policy("identity", {"Sid": "NoGets", "Effect": "Deny", "Action": "dynamodb:Get*", "Resource": "*"},
                  id=MANAGED)
    decision = decide(identity=(identity(), deny))
    assert decision.explain().splitlines()[0] == (
        f"Denied: an explicit deny in an identity-based policy ({MANAGED}, statement NoGets).")
    assert decide(scps=((SCP,), ())).explain().splitlines()[0] == (
        "Denied: no service control policy allows the request (no policy attached to the account allows it).")


def test_a_decision_serializes_for_simulate():
    body = decide(identity=(identity(effect="Deny"),)).to_json()
    assert body == {
        "allowed": False, "decision": "explicitDeny", "policyType": "identity-based policy",
        "policyId": MANAGED, "statement": "#0", "detail": None,
        "matches": [{"policyId": MANAGED, "policyType": "identity-based policy", "sid": None, "index": 0,
                     "effect": "Deny", "applied": True, "failedCondition": None}]}
    assert decide().to_json()["decision"] == "implicitDeny"
    assert decide(identity=(identity(),)).to_json()["basis"] == "an identity-based policy"
