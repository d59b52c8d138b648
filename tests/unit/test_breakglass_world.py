"""The world file's break_glass section (docs/world.md, docs/break-glass.md#world-settings): what it
says, what is refused with the line it names, and what applying it leaves in the store. And the
durations it is written in."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from moatdb.breakglass import durations, settings
from moatdb.storage.sqlite import SqliteStore
from moatdb.world import WorldError, apply, default_path, load

HEAD = """\
version: 1
region: us-east-1
doors: [{name: public, listen: "127.0.0.1:8000"}]
accounts:
  "222222222222":
    name: prod
    users: [{name: oncall}, {name: security}, {name: lead}]
    roles:
      - name: break-glass
        trust: {Version: "2012-10-17",
                Statement: [{Effect: Allow, Principal: {AWS: "222222222222"}, Action: sts:AssumeRole}]}
"""
ROLE = "arn:aws:iam::222222222222:role/break-glass"


def world(tmp_path: Path, section: str):
    path = tmp_path / "world.yaml"
    path.write_text(HEAD + dedent(section))
    return load(path)


def refusal(tmp_path: Path, section: str) -> str:
    with pytest.raises(WorldError) as refused:
        world(tmp_path, section)
    return str(refused.value).removeprefix(f"{tmp_path / 'world.yaml'}:")


def test_the_default_world_makes_oncall_ask_and_admin_or_security_approve():
    found = load(default_path()).break_glass

    (role,) = found.roles
    assert role == settings.Role(ROLE, 1, ("arn:aws:iam::111111111111:user/admin",
                                           "arn:aws:iam::222222222222:user/security"),
                                 ("arn:aws:iam::222222222222:user/oncall",), 3600, True, True)
    assert (found.request_timeout, found.minimum_duration, found.webhooks) == (900, 1, ())


def test_a_section_is_read_with_its_defaults(tmp_path):
    found = world(tmp_path, f"""\
        break_glass:
          webhooks: [{{url: "http://127.0.0.1:9000/hook", secret: "sixteen-chars-or-more"}}]
          roles: [{{role: "{ROLE}"}}]
        """).break_glass

    assert found.roles == (settings.Role(ROLE),)
    assert found.webhooks == (settings.Webhook("http://127.0.0.1:9000/hook", "sixteen-chars-or-more"),)
    assert (found.request_timeout, found.minimum_duration) == (settings.DEFAULT_REQUEST_TIMEOUT, 1)


def test_durations_are_written_as_people_write_them(tmp_path):
    found = world(tmp_path, f"""\
        break_glass:
          request_timeout: 1h30m
          minimum_duration: 90
          roles: [{{role: "{ROLE}", max_duration: 2h}}]
        """).break_glass

    assert (found.request_timeout, found.minimum_duration, found.roles[0].max_duration) == (5400, 90, 7200)


def test_a_role_the_world_does_not_have_is_refused(tmp_path):
    assert refusal(tmp_path, """\
        break_glass:
          roles:
            - role: arn:aws:iam::222222222222:role/nobody
        """) == "14: break_glass.roles[0].role: no role arn:aws:iam::222222222222:role/nobody in accounts"


def test_an_approver_the_world_does_not_have_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          roles:
            - role: {ROLE}
              approvers: [arn:aws:iam::222222222222:user/security, arn:aws:iam::222222222222:user/ghost]
        """) == ("15: break_glass.roles[0].approvers[1]: no user or role arn:aws:iam::222222222222:user/ghost "
                 "in accounts")


def test_more_approvals_than_approvers_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          roles:
            - role: {ROLE}
              approvers: [arn:aws:iam::222222222222:user/security]
              approvals: 2
        """) == "16: break_glass.roles[0].approvals: 2 approvals cannot come from 1 approver"


def test_a_grant_longer_than_twelve_hours_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          roles: [{{role: "{ROLE}", max_duration: 13h}}]
        """) == "13: break_glass.roles[0].max_duration: a grant lasts at most 12h"


def test_a_maximum_below_the_minimum_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          minimum_duration: 10m
          roles: [{{role: "{ROLE}", max_duration: 5m}}]
        """) == "14: break_glass.roles[0].max_duration: 5m is shorter than minimum_duration (10m)"


def test_a_duration_that_is_not_one_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          request_timeout: 1d
          roles: [{{role: "{ROLE}"}}]
        """) == ("13: break_glass.request_timeout: expected a duration: a number of seconds, or such as 1h, 15m, "
                 "90s or 1h30m, not '1d'")


def test_a_zero_duration_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          minimum_duration: 0s
          roles: [{{role: "{ROLE}"}}]
        """) == "13: break_glass.minimum_duration: expected a duration of at least 1 second"


def test_a_role_listed_twice_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          roles: [{{role: "{ROLE}"}}, {{role: "{ROLE}"}}]
        """).startswith(f"13: break_glass.roles[1].role: break-glass role {ROLE} is already declared at")


def test_a_webhook_that_is_not_a_url_is_refused(tmp_path):
    assert refusal(tmp_path, f"""\
        break_glass:
          webhooks: [{{url: "ftp://example.com"}}]
          roles: [{{role: "{ROLE}"}}]
        """) == "13: break_glass.webhooks[0].url: expected an http:// or https:// URL, not 'ftp://example.com'"


def test_applying_the_world_keeps_the_settings_in_the_store(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    try:
        log = apply(load(default_path()), store)

        assert settings.load(store) == load(default_path()).break_glass
        assert (f"break-glass role {ROLE}: asked by arn:aws:iam::222222222222:user/oncall; 1 approval(s) of "
                "arn:aws:iam::111111111111:user/admin, arn:aws:iam::222222222222:user/security; at most 1h") in log
    finally:
        store.close()


def test_a_store_without_a_world_has_no_break_glass_role(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    try:
        assert settings.load(store) == settings.Settings()
    finally:
        store.close()


@pytest.mark.parametrize(("text", "seconds"), [
    ("1h", 3600), ("15m", 900), ("90s", 90), ("1h30m", 5400), ("2h0m5s", 7205), ("42", 42), (42, 42)])
def test_a_duration_reads_as_seconds(text, seconds):
    assert durations.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "1d", "h", "1.5h", "-5", "1m1h", True, -1])
def test_what_is_not_a_duration_is_refused(text):
    with pytest.raises(ValueError):
        durations.parse(text)


@pytest.mark.parametrize(("seconds", "text"),
                         [(3600, "1h"), (5400, "1h30m"), (5, "5s"), (3661, "1h1m1s"), (0, "0s")])
def test_a_duration_is_shown_as_short_as_it_goes(seconds, text):
    assert durations.show(seconds) == text
