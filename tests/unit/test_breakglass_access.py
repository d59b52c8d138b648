"""Who may take each step, as the policy engine decides it (breakglass/access.py): the role's
settings become a resource-based policy naming its requesters and approvers, weighed with the
caller's own policies, the SCPs and the rest, as AWS weighs a resource policy."""

from __future__ import annotations

import pytest

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.breakglass import access
from moatdb.breakglass.settings import Role, load
from moatdb.storage.sqlite import SqliteStore
from moatdb.world import apply, default_path
from moatdb.world import load as load_world

ROLE = "arn:aws:iam::222222222222:role/break-glass"
GRANT = access.grant_arn("us-east-1", ROLE, "bg-aaaaaaaaaaaa")
ONCALL = "arn:aws:iam::222222222222:user/oncall"
SECURITY = "arn:aws:iam::222222222222:user/security"
ADMIN = "arn:aws:iam::111111111111:user/admin"
DEVELOPER = "arn:aws:iam::222222222222:user/developer"
DEV_DEVELOPER = "arn:aws:iam::333333333333:user/developer"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = SqliteStore(tmp_path_factory.mktemp("access") / "db.sqlite3")
    apply(load_world(default_path()), store)
    yield Directory(store), load(store).role(ROLE)
    store.close()


def decide(world, principal: str, action: str, resource: str = GRANT, role: Role | None = None):
    directory, configured = world
    role = role or configured
    account = principal.split(":")[4]
    if ":user/" in principal:
        identity = Identity(account, principal, "AIDAEXAMPLE", False, principal)
    else:  # a session of the role
        identity = Identity(account, f"arn:aws:sts::{account}:assumed-role/{principal.rsplit('/', 1)[-1]}/s",
                            "AROAEXAMPLE:s", True, principal)
    caller = Caller("", account, "us-east-1", identity, Origin("203.0.113.10"))
    decision, request = Authorizer(directory, region="us-east-1").decide(
        caller, action, resource, "222222222222", access.context(ROLE, ONCALL),
        resource_policy=access.resource_policy(role))
    return decision.allowed, decision.message(request) if not decision.allowed else None


def test_the_requester_may_ask_with_no_policy_of_its_own(world):
    assert decide(world, ONCALL, access.REQUEST, ROLE) == (True, None)


def test_anyone_else_asking_meets_the_procedures_explicit_deny(world):
    allowed, message = decide(world, DEVELOPER, access.REQUEST, ROLE)

    assert not allowed
    assert message == (f"User: {DEVELOPER} is not authorized to perform: moatdb:RequestBreakGlass on resource: "
                       f"{ROLE} with an explicit deny in a resource-based policy")


def test_an_approver_in_the_same_account_may_approve_with_no_policy_of_its_own(world):
    assert decide(world, SECURITY, access.APPROVE) == (True, None)


def test_an_approver_in_the_management_account_may_approve_across_accounts(world):
    # Its AdministratorAccess and the procedure's resource policy: both sides allow.
    assert decide(world, ADMIN, access.APPROVE) == (True, None)
    assert decide(world, ADMIN, access.DENY) == (True, None)


def test_the_requester_may_not_approve(world):
    allowed, message = decide(world, ONCALL, access.APPROVE)

    assert not allowed and message.endswith("with an explicit deny in a resource-based policy")


def test_administrator_access_does_not_make_an_approver(world):
    # The break-glass role itself has AdministratorAccess in the role's own account.
    assert decide(world, ROLE, access.APPROVE)[0] is False
    assert decide(world, DEV_DEVELOPER, access.APPROVE)[0] is False


def test_requesters_and_approvers_may_revoke_and_read_the_report(world):
    for principal in (ONCALL, SECURITY, ADMIN):
        assert decide(world, principal, access.REVOKE)[0], principal
        assert decide(world, principal, access.REPORT)[0], principal
    assert decide(world, DEV_DEVELOPER, access.REVOKE)[0] is False


def test_without_approvers_listed_only_iam_decides_who_approves(world):
    open_role = Role(ROLE, requesters=(ONCALL,))

    # Within the account, an identity policy allowing it is enough; across accounts nothing names the admin.
    assert decide(world, ROLE, access.APPROVE, role=open_role)[0] is True
    assert decide(world, SECURITY, access.APPROVE, role=open_role)[0] is False
    assert decide(world, ADMIN, access.APPROVE, role=open_role)[0] is False


def test_a_role_naming_nobody_has_no_resource_policy():
    assert access.resource_policy(Role(ROLE)) is None
