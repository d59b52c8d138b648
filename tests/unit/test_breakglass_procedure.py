"""The break-glass procedure on a store holding the default world (docs/break-glass.md): asking,
approving M of N, denying, the grant's credentials, revoking, and what lapses by the clock. Each
refusal is the procedure's own; IAM's part (who may take a step at all) is in
test_breakglass_access.py, and the server's in tests/server/test_breakglass.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from moatdb.auth.directory import Directory
from moatdb.auth.principals import Identity
from moatdb.breakglass import events
from moatdb.breakglass.actors import Actor
from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.errors import AccessDenied, Conflict, NotFound, ValidationError
from moatdb.breakglass.procedure import Procedure
from moatdb.breakglass.settings import Current
from moatdb.storage.sqlite import SqliteStore
from moatdb.world import apply, default_path, load

ROLE = "arn:aws:iam::222222222222:role/break-glass"
ONCALL = Actor("arn:aws:iam::222222222222:user/oncall", "arn:aws:iam::222222222222:user/oncall",
               "arn:aws:iam::222222222222:user/oncall", "oncall")
SECURITY = Actor("arn:aws:iam::222222222222:user/security", "arn:aws:iam::222222222222:user/security",
                 "arn:aws:iam::222222222222:user/security", "security")
ADMIN = Actor("arn:aws:iam::111111111111:user/admin", "arn:aws:iam::111111111111:user/admin",
              "arn:aws:iam::111111111111:user/admin", "admin")
# A session of the break-glass role itself.
BREAK_GLASS = Actor("arn:aws:sts::222222222222:assumed-role/break-glass/bg-aaaaaaaaaaaa", ROLE,
                    "arn:aws:sts::222222222222:assumed-role/break-glass/bg-aaaaaaaaaaaa", "oncall")


class Clock:
    """Real time, moved forward at will: sessions are stamped by the real clock, grants by this."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def world_file(folder: Path, change=None) -> Path:
    """The default world, with ``change`` applied to its break_glass section."""
    document = yaml.safe_load(default_path().read_text())
    if change is not None:
        change(document["break_glass"])
    path = folder / "world.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def two_approvals(section: dict) -> None:
    section["roles"][0]["approvals"] = 2
    # security may ask too, so that it can try to approve its own request.
    section["roles"][0]["requesters"].append("arn:aws:iam::222222222222:user/security")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def procedure_for(tmp_path: Path, clock: Clock, change=None) -> Procedure:
    store = SqliteStore(tmp_path / "db.sqlite3")
    apply(load(world_file(tmp_path, change)), store)
    settings = Current(store)
    return Procedure(store, Directory(store), settings, Alarms(lambda: settings.get().webhooks), clock=clock)


@pytest.fixture
def procedure(tmp_path, clock):
    found = procedure_for(tmp_path, clock)
    yield found
    found.store.close()


@pytest.fixture
def two(tmp_path, clock):
    found = procedure_for(tmp_path, clock, two_approvals)
    yield found
    found.store.close()


def ask(procedure: Procedure, actor: Actor = ONCALL, duration: int | None = 1800):
    return procedure.request(actor, ROLE, reason="orders table corrupt", ticket="INC-42", duration=duration)


def journal(procedure: Procedure, grant_id: str) -> list[str]:
    return [entry["event"] for entry in events.journal(procedure.store, grant_id)]


# --- asking -----------------------------------------------------------------------------------------


def test_a_request_waits_for_its_approvals_and_is_journaled(procedure, clock):
    grant = ask(procedure)

    assert grant.status(clock()) == "pending"
    assert (grant.role, grant.requester, grant.duration, grant.approvals_required) == (ROLE, ONCALL.arn, 1800, 1)
    assert grant.request_expires == pytest.approx(grant.requested + 900)  # the default world's 15 minutes
    assert procedure.grant(grant.id) == grant
    assert journal(procedure, grant.id) == ["requested"]


def test_a_request_without_a_reason_is_refused(procedure):
    with pytest.raises(ValidationError, match="A reason is required"):
        procedure.request(ONCALL, ROLE, reason="  ", ticket="INC-42", duration=60)


def test_a_request_without_a_ticket_is_refused(procedure):
    with pytest.raises(ValidationError, match="A ticket is required"):
        procedure.request(ONCALL, ROLE, reason="why", ticket="", duration=60)


def test_a_role_may_be_asked_for_without_reason_or_ticket_when_the_world_says_so(tmp_path, clock):
    def optional(section):
        section["roles"][0] |= {"require_reason": False, "require_ticket": False}

    grant = procedure_for(tmp_path, clock, optional).request(ONCALL, ROLE, reason="", ticket="", duration=60)

    assert (grant.reason, grant.ticket) == ("", "")


def test_a_duration_longer_than_the_role_allows_is_refused(procedure):
    with pytest.raises(ValidationError, match=f"The duration 1h1s exceeds the 1h {ROLE} allows"):
        ask(procedure, duration=3601)


def test_a_duration_shorter_than_the_worlds_minimum_is_refused(tmp_path, clock):
    def minimum(section):
        section["minimum_duration"] = "10s"

    with pytest.raises(ValidationError, match="shorter than the minimum, 10s"):
        ask(procedure_for(tmp_path, clock, minimum), duration=9)


def test_a_request_without_a_duration_asks_for_the_longest_the_role_allows(procedure):
    assert ask(procedure, duration=None).duration == 3600


def test_a_role_that_is_not_a_break_glass_role_cannot_be_asked_for(procedure):
    with pytest.raises(ValidationError, match="arn:aws:iam::222222222222:role/app is not a break-glass role"):
        procedure.request(ONCALL, "arn:aws:iam::222222222222:role/app", reason="r", ticket="t", duration=60)


def test_a_break_glass_session_cannot_ask_for_break_glass(procedure):
    with pytest.raises(AccessDenied, match="A break-glass session cannot ask for break glass"):
        ask(procedure, BREAK_GLASS)


# --- approving --------------------------------------------------------------------------------------


def test_one_approval_grants_the_time_asked_from_the_approval(procedure, clock):
    grant = ask(procedure)
    clock.advance(60)

    granted = procedure.approve(SECURITY, grant.id, "go")

    assert granted.status(clock()) == "active"
    assert granted.starts == pytest.approx(clock(), abs=1)
    assert granted.ends == granted.starts + 1800
    assert [(a.by, a.comment) for a in granted.approvals] == [(SECURITY.arn, "go")]
    assert journal(procedure, grant.id) == ["requested", "approved", "granted"]


def test_nobody_approves_their_own_request(two):
    grant = ask(two, SECURITY)

    with pytest.raises(AccessDenied, match="nobody may approve their own request"):
        two.approve(SECURITY, grant.id)
    assert two.grant(grant.id).approvals == ()


def sessions_of_app(procedure: Procedure, *source_identities: str) -> list[Actor]:
    """Actors signing with sessions of the role app, each with the source identity given."""
    directory = procedure.directory
    role = directory.role("222222222222", "app")
    found = []
    for number, source_identity in enumerate(source_identities):
        name = f"session-{number}"
        session = directory.create_session(
            Identity(role.account, role.arn, role.id, False, role.arn), 600, account=role.account,
            principal_arn=f"arn:aws:sts::222222222222:assumed-role/app/{name}", principal_id=f"{role.id}:{name}",
            role_arn=role.arn, session_name=name, source_identity=source_identity)
        identity = Identity(role.account, session.principal_arn, session.principal_id, True, role.arn, session.id)
        found.append(Actor.of(identity, directory))
    return found


def test_role_sessions_with_one_source_identity_are_one_person(tmp_path, clock):
    def app_asks_and_approves(section):
        section["roles"][0]["requesters"].append("arn:aws:iam::222222222222:role/app")
        section["roles"][0]["approvers"].append("arn:aws:iam::222222222222:role/app")

    procedure = procedure_for(tmp_path, clock, app_asks_and_approves)
    alice, alice_again, bob = sessions_of_app(procedure, "alice", "alice", "bob")
    grant = ask(procedure, alice)

    assert alice.person == alice_again.person == "alice" and alice.arn != alice_again.arn
    with pytest.raises(AccessDenied, match="nobody may approve their own request"):
        procedure.approve(alice_again, grant.id)
    assert procedure.approve(bob, grant.id).state == "active"


def test_someone_who_is_not_a_requester_cannot_ask(procedure):
    with pytest.raises(AccessDenied, match=f"{SECURITY.arn} may not ask for {ROLE}"):
        ask(procedure, SECURITY)


def test_too_few_approvals_leave_the_request_pending_and_give_no_credentials(two, clock):
    grant = ask(two)

    once = two.approve(ADMIN, grant.id)

    assert once.status(clock()) == "pending" and len(once.approvals) == 1
    with pytest.raises(Conflict, match="credentials are issued under an active grant only"):
        two.credentials(ONCALL, grant.id)


def test_the_mth_approval_grants(two, clock):
    grant = ask(two)
    two.approve(ADMIN, grant.id)

    granted = two.approve(SECURITY, grant.id)

    assert granted.status(clock()) == "active"
    assert [approval.by for approval in granted.approvals] == [ADMIN.arn, SECURITY.arn]


def test_an_approver_counts_once(two):
    grant = ask(two)
    two.approve(ADMIN, grant.id)

    with pytest.raises(Conflict, match="has already approved"):
        two.approve(ADMIN, grant.id)


def test_someone_who_is_not_an_approver_cannot_approve(procedure):
    grant = ask(procedure)
    developer = Actor("arn:aws:iam::222222222222:user/developer", "arn:aws:iam::222222222222:user/developer",
                      "arn:aws:iam::222222222222:user/developer", "developer")

    with pytest.raises(AccessDenied, match="is not an approver of"):
        procedure.approve(developer, grant.id)


def test_an_expired_request_cannot_be_approved(procedure, clock):
    grant = ask(procedure)
    clock.advance(901)

    with pytest.raises(Conflict, match=f"{grant.id} is expired: only a pending request can be approved"):
        procedure.approve(SECURITY, grant.id)


def test_a_break_glass_session_cannot_approve(procedure):
    grant = ask(procedure)

    with pytest.raises(AccessDenied, match="A break-glass session cannot approve"):
        procedure.approve(BREAK_GLASS, grant.id)


def test_an_unknown_grant_is_not_found(procedure):
    with pytest.raises(NotFound, match="No break-glass grant bg-nosuchgrant"):
        procedure.approve(SECURITY, "bg-nosuchgrant")


# --- denying ----------------------------------------------------------------------------------------


def test_a_denial_ends_the_request(procedure, clock):
    grant = ask(procedure)

    denied = procedure.deny(ADMIN, grant.id, "use the runbook")

    assert (denied.status(clock()), denied.ended_by, denied.end_reason) == ("denied", ADMIN.arn, "use the runbook")
    with pytest.raises(Conflict, match="is denied"):
        procedure.approve(SECURITY, grant.id)
    assert journal(procedure, grant.id) == ["requested", "denied"]


def test_nobody_denies_their_own_request(two):
    grant = ask(two, SECURITY)

    with pytest.raises(AccessDenied, match="nobody may deny their own request"):
        two.deny(SECURITY, grant.id)


# --- credentials --------------------------------------------------------------------------------------


def test_the_requester_receives_a_session_of_the_role_that_ends_with_the_grant(procedure):
    grant = procedure.approve(SECURITY, ask(procedure).id)

    granted, session = procedure.credentials(ONCALL, grant.id)

    assert session.role_arn == ROLE
    assert session.principal_arn == f"arn:aws:sts::222222222222:assumed-role/break-glass/{grant.id}"
    assert session.source_identity == "oncall"
    assert session.tags == {"BreakGlassGrant": grant.id}
    assert session.expires == pytest.approx(grant.ends, abs=0.01)
    assert granted.sessions == (session.id,)
    assert procedure.directory.session(session.id) is not None
    assert journal(procedure, grant.id)[-1] == "issued"


def test_asking_again_hands_out_the_same_session(procedure):
    grant = procedure.approve(SECURITY, ask(procedure).id)
    _, first = procedure.credentials(ONCALL, grant.id)

    granted, again = procedure.credentials(ONCALL, grant.id)

    assert again.id == first.id and granted.sessions == (first.id,)


def test_only_the_requester_receives_the_credentials(procedure):
    grant = procedure.approve(SECURITY, ask(procedure).id)

    with pytest.raises(AccessDenied, match="Only the requester"):
        procedure.credentials(SECURITY, grant.id)


def test_no_credentials_after_the_grant_expired(procedure, clock):
    grant = procedure.approve(SECURITY, ask(procedure, duration=60).id)
    clock.advance(61)

    with pytest.raises(Conflict, match="is expired"):
        procedure.credentials(ONCALL, grant.id)


# --- revoking -----------------------------------------------------------------------------------------


def test_revoking_ends_the_grant_and_deletes_its_session_at_once(procedure, clock):
    grant = procedure.approve(SECURITY, ask(procedure).id)
    _, session = procedure.credentials(ONCALL, grant.id)

    revoked = procedure.revoke(ADMIN, grant.id, "done")

    assert (revoked.status(clock()), revoked.ended_by, revoked.end_reason) == ("revoked", ADMIN.arn, "done")
    assert procedure.directory.session(session.id) is None
    assert procedure.directory.signing_key(session.id) is None  # the authenticator's view: an unknown key
    (entry,) = [e for e in events.journal(procedure.store, grant.id) if e["event"] == "revoked"]
    assert entry["detail"]["sessions"] == [session.id]


def test_no_credentials_after_revocation(procedure):
    grant = procedure.approve(SECURITY, ask(procedure).id)
    procedure.revoke(ONCALL, grant.id)

    with pytest.raises(Conflict, match="is revoked"):
        procedure.credentials(ONCALL, grant.id)


def test_a_pending_request_can_be_withdrawn(procedure, clock):
    grant = ask(procedure)

    assert procedure.revoke(ONCALL, grant.id, "fixed it").status(clock()) == "revoked"


def test_an_ended_grant_cannot_be_revoked_again(procedure):
    grant = ask(procedure)
    procedure.revoke(ONCALL, grant.id)

    with pytest.raises(Conflict, match="is revoked: only a pending request or an active grant can be revoked"):
        procedure.revoke(ONCALL, grant.id)


# --- the clock ----------------------------------------------------------------------------------------


def test_the_sweep_writes_down_an_expired_request_once(procedure, clock):
    grant = ask(procedure)
    clock.advance(901)

    procedure.sweep()
    procedure.sweep()

    lapsed = procedure.grant(grant.id)
    assert (lapsed.state, lapsed.ended, lapsed.starts) == ("expired", grant.request_expires, None)
    assert "not approved in time (0 of 1 approvals)" in lapsed.end_reason
    assert journal(procedure, grant.id) == ["requested", "expired"]


def test_the_sweep_writes_down_a_grant_whose_time_is_up(procedure, clock):
    grant = procedure.approve(SECURITY, ask(procedure, duration=60).id)
    clock.advance(30)
    procedure.sweep()
    assert procedure.grant(grant.id).state == "active"

    clock.advance(31)
    procedure.sweep()

    assert (procedure.grant(grant.id).state, procedure.grant(grant.id).end_reason) == ("expired", "its time is up")
    assert journal(procedure, grant.id)[-1] == "expired"


def test_every_step_is_logged_as_a_structured_event(procedure, caplog):
    with caplog.at_level("WARNING", logger="moatdb.breakglass"):
        grant = ask(procedure)

    (record,) = [r for r in caplog.records if r.name == "moatdb.breakglass"]
    assert record.breakglass["event"] == "requested" and record.breakglass["grant"] == grant.id
    assert record.breakglass["detail"] == {"reason": "orders table corrupt", "ticket": "INC-42", "duration": 1800,
                                           "approvals_required": 1}
