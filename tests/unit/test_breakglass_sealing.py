"""The sealed path (docs/break-glass.md#the-sealed-path): an emergency grant split into Shamir
shares at set-up; M shares open it once, without approvers, and loudly; M-1 do not."""

from __future__ import annotations

import pytest

from moatdb.breakglass import events
from moatdb.breakglass.actors import Actor
from moatdb.breakglass.errors import Conflict, ValidationError
from moatdb.breakglass.sealing import SEAL, Seals, Share
from tests.unit.test_breakglass_procedure import ONCALL, ROLE, SECURITY, clock, procedure  # noqa: F401

OPERATOR = Actor.local("operator")


@pytest.fixture
def seals(procedure):  # noqa: F811
    return Seals(procedure)


def sealed(seals: Seals, shares: int = 5, threshold: int = 3, duration: int = 600):
    return seals.seal(OPERATOR, ROLE, shares=shares, threshold=threshold, duration=duration)


def texts(split: list[Share]) -> list[str]:
    return [share.text() for share in split]


def failures(seals: Seals) -> list[dict]:
    return [entry for entry in events.journal(seals.store, None) if entry["event"] == "unseal-failed"]


def test_sealing_keeps_no_share_only_a_salted_digest(seals):
    seal, split = sealed(seals)

    assert (seal.role, seal.shares, seal.threshold, seal.duration, seal.used) == (ROLE, 5, 3, 600, None)
    stored = seals.store.read().document(SEAL, seal.id).decode()
    assert all(share.value.hex() not in stored for share in split)
    assert [share.index for share in split] == [1, 2, 3, 4, 5]
    assert [entry["event"] for entry in events.journal(seals.store, None)] == ["sealed"]


def test_m_shares_open_a_grant_active_at_once_with_no_approval(seals, clock):  # noqa: F811
    seal, split = sealed(seals)

    grant, session = seals.unseal(SECURITY, texts(split)[1:4], reason="approvers unreachable")

    assert grant.status(clock()) == "active" and grant.approvals == () and grant.sealed == seal.id
    assert grant.ends == pytest.approx(grant.starts + 600)
    assert (grant.requester, grant.reason) == (SECURITY.arn, "approvers unreachable")
    assert session.role_arn == ROLE and session.source_identity == "security"
    assert session.expires == pytest.approx(grant.ends, abs=0.01)
    assert [entry["event"] for entry in events.journal(seals.store, grant.id)] == ["unsealed", "issued"]
    (entry,) = [e for e in events.journal(seals.store, grant.id) if e["event"] == "unsealed"]
    assert entry["severity"] == "critical"


def test_m_minus_one_shares_do_not_open_it_and_sound_the_alarm(seals):
    seal, split = sealed(seals)

    with pytest.raises(ValidationError, match=f"{seal.id} opens with 3 shares; 2 were given"):
        seals.unseal(ONCALL, texts(split)[:2])

    (failure,) = failures(seals)
    assert failure["severity"] == "critical" and failure["actor"] == ONCALL.arn and failure["role"] == ROLE
    assert b'"used":null' in seals.store.read().document(SEAL, seal.id)


def test_shares_from_another_seal_do_not_open_it(seals):
    seal, split = sealed(seals)
    _, others = sealed(seals)
    forged = [Share(seal.id, share.index, share.value) for share in others[:3]]

    with pytest.raises(ValidationError, match=f"These shares do not open {seal.id}"):
        seals.unseal(ONCALL, texts(forged))
    assert len(failures(seals)) == 1


def test_a_mistyped_share_is_caught_before_combining(seals):
    _, split = sealed(seals)
    share = texts(split)[0]
    digit = len(share) - 12  # in the hex of the share, before ":CHECK"
    mistyped = share[:digit] + ("0" if share[digit] != "0" else "1") + share[digit + 1:]

    with pytest.raises(ValidationError, match="is mistyped"):
        seals.unseal(ONCALL, [mistyped, *texts(split)[1:3]])


def test_a_seal_opens_once(seals):
    _, split = sealed(seals)
    seals.unseal(ONCALL, texts(split)[:3])

    with pytest.raises(Conflict, match="was already used"):
        seals.unseal(ONCALL, texts(split)[2:])


def test_all_n_shares_open_it_too(seals, clock):  # noqa: F811
    _, split = sealed(seals)

    grant, _ = seals.unseal(ONCALL, texts(split))

    assert grant.status(clock()) == "active"


def test_a_share_given_twice_counts_once(seals):
    _, split = sealed(seals)

    with pytest.raises(ValidationError, match="opens with 3 shares; 2 were given"):
        seals.unseal(ONCALL, [texts(split)[0], texts(split)[0], texts(split)[1]])


def test_a_threshold_of_one_or_above_the_shares_is_refused(seals):
    with pytest.raises(ValidationError, match="2 <= threshold <= shares"):
        sealed(seals, shares=3, threshold=1)
    with pytest.raises(ValidationError, match="2 <= threshold <= shares"):
        sealed(seals, shares=3, threshold=4)


def test_a_seal_lasts_no_longer_than_the_role_allows(seals):
    with pytest.raises(ValidationError, match="exceeds the 1h"):
        sealed(seals, duration=7200)


def test_a_share_reads_back_as_it_was_written():
    share = Share("seal-abcdefghij", 7, bytes(range(16)))

    assert Share.parse(share.text()) == share
    with pytest.raises(ValidationError, match="A share is one line"):
        Share.parse("moatdb-share:seal-abcdefghij:7:00")
