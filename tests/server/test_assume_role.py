"""STS AssumeRole on moatdb's door: the role's trust policy evaluated as AWS evaluates it, the session
credentials it hands out, and what those credentials may then do.

Sources: STS API Reference, AssumeRole (parameters and their constraints, DurationSeconds bounds and the
MaxSessionDuration and role-chaining errors, AssumedRoleUser); IAM User Guide, "Policy evaluation logic"
and "Cross-account policy evaluation logic" (a trust policy is the role's resource-based policy: naming
the user is enough within the account, naming the account defers to the caller's identity policies),
"Session policies" (they only narrow a role's permissions), "Chaining roles with session tags".
"""

from __future__ import annotations

import re
import time

import boto3
import pytest
from botocore.config import Config

from tests.conftest import client_for
from tests.helpers import (
    ACCOUNT,
    REGION,
    allow,
    create_table,
    deny,
    directory_of,
    error,
    new_role,
    new_user,
    policy,
    trusting,
)

NOT_AUTHORIZED = "User: {who} is not authorized to perform: sts:AssumeRole on resource: {role}"
DENIED = ("User: {who} is not authorized to perform: {action} on resource: {resource} "
          "because no identity-based policy allows the {action} action")
ASSUME = allow("sts:AssumeRole")


def sts_for(server, user, **config):
    return client_for(server.endpoint, "sts", credentials=user.credentials, **config)


def session_client(server, credentials: dict, service: str = "dynamodb"):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# --- the trust policy -----------------------------------------------------------------------------------


def test_a_trust_policy_naming_the_user_is_enough_without_any_identity_policy(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn))

    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="alice-session")

    assert reply["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{name_of(role)}/alice-session"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:alice-session", reply["AssumedRoleUser"]["AssumedRoleId"])
    credentials = reply["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    # One hour by default.
    remaining = credentials["Expiration"].timestamp() - time.time()
    assert 3590 < remaining <= 3600


def test_the_session_is_who_get_caller_identity_reports(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="whoami")

    identity = session_client(server, reply["Credentials"], "sts").get_caller_identity()

    assert identity["Arn"] == reply["AssumedRoleUser"]["Arn"]
    assert identity["UserId"] == reply["AssumedRoleUser"]["AssumedRoleId"]
    assert identity["Account"] == ACCOUNT


def test_a_trust_policy_naming_the_account_needs_an_identity_policy_allowing_assume_role(server):
    without = new_user(server)
    with_permission = new_user(server, policy(ASSUME))
    role = new_role(server, trusting(f"arn:aws:iam::{ACCOUNT}:root"))

    assert error(sts_for(server, without).assume_role, RoleArn=role, RoleSessionName="s1") == (
        "AccessDenied", NOT_AUTHORIZED.format(who=without.arn, role=role), 403)
    assert sts_for(server, with_permission).assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]


def test_a_trust_policy_naming_the_account_by_its_id_is_the_same_as_naming_its_root(server):
    user = new_user(server, policy(ASSUME))
    role = new_role(server, trusting(ACCOUNT))

    assert sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]


def test_a_user_the_trust_policy_does_not_name_is_refused_even_with_an_identity_policy(server):
    named = new_user(server)
    other = new_user(server, policy(ASSUME))
    role = new_role(server, trusting(named.arn))

    assert error(sts_for(server, other).assume_role, RoleArn=role, RoleSessionName="s1") == (
        "AccessDenied", NOT_AUTHORIZED.format(who=other.arn, role=role), 403)


def test_an_explicit_deny_in_the_callers_identity_policy_beats_the_trust_policy(server):
    user = new_user(server, policy(deny("sts:AssumeRole")))
    role = new_role(server, trusting(user.arn))

    assert error(sts_for(server, user).assume_role, RoleArn=role, RoleSessionName="s1") == (
        "AccessDenied", NOT_AUTHORIZED.format(who=user.arn, role=role), 403)


def test_a_role_that_does_not_exist_is_refused_like_one_the_caller_may_not_assume(server):
    user = new_user(server, policy(ASSUME))
    missing = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"

    assert error(sts_for(server, user).assume_role, RoleArn=missing, RoleSessionName="s1") == (
        "AccessDenied", NOT_AUTHORIZED.format(who=user.arn, role=missing), 403)


def test_the_external_id_condition_of_a_trust_policy_is_checked(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn, condition={"StringEquals": {"sts:ExternalId": "Unique-42"}}))
    sts = sts_for(server, user)

    assert error(sts.assume_role, RoleArn=role, RoleSessionName="s1")[0] == "AccessDenied"
    assert error(sts.assume_role, RoleArn=role, RoleSessionName="s1", ExternalId="wrong-id")[0] == "AccessDenied"
    assert sts.assume_role(RoleArn=role, RoleSessionName="s1", ExternalId="Unique-42")["Credentials"]


def test_a_trust_policy_condition_on_the_principal_arn_is_checked(server):
    user = new_user(server, policy(ASSUME))
    other = new_user(server, policy(ASSUME))
    role = new_role(server, trusting(ACCOUNT, condition={"ArnEquals": {"aws:PrincipalArn": user.arn}}))

    assert sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]
    assert error(sts_for(server, other).assume_role, RoleArn=role, RoleSessionName="s1")[0] == "AccessDenied"


# --- parameters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "message"), [
    (899, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member "
          "must have value greater than or equal to 900"),
    (43_201, "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: "
             "Member must have value less than or equal to 43200"),
    (7200, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
])
def test_a_duration_outside_the_roles_bounds_is_a_validation_error(server, seconds, message):
    user = new_user(server)
    role = new_role(server, trusting(user.arn))  # MaxSessionDuration: 3600

    assert error(sts_for(server, user, parameter_validation=False).assume_role, RoleArn=role,
                 RoleSessionName="s1", DurationSeconds=seconds) == ("ValidationError", message, 400)


def test_a_duration_up_to_the_roles_max_session_duration_is_granted(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn), max_session_duration=7200)

    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="s1", DurationSeconds=7200)

    assert 7190 < reply["Credentials"]["Expiration"].timestamp() - time.time() <= 7200


@pytest.mark.parametrize(("session_name", "message"), [
    ("a", "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must "
          "have length greater than or equal to 2"),
    ("has space", "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy "
                  "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
])
def test_a_role_session_name_breaking_stss_rules_is_a_validation_error(server, session_name, message):
    user = new_user(server)
    role = new_role(server, trusting(user.arn))

    assert error(sts_for(server, user, parameter_validation=False).assume_role, RoleArn=role,
                 RoleSessionName=session_name) == (
        "ValidationError", message, 400)


def test_a_malformed_session_policy_is_refused_as_malformed(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn))

    code, _, status = error(sts_for(server, user).assume_role, RoleArn=role, RoleSessionName="s1",
                            Policy='{"Version": "2012-10-17", "Statement": "nope"}')

    assert (code, status) == ("MalformedPolicyDocument", 400)


# --- what the session may do ----------------------------------------------------------------------------


def test_the_session_may_do_what_the_roles_policy_allows_and_nothing_else(server, ddb):
    table = create_table(ddb)
    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"])))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="app")
    session = session_client(server, reply["Credentials"])
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}

    session.put_item(TableName=table, Item=key)
    assert session.get_item(TableName=table, Key=key)["Item"] == key
    resource = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    assert error(session.delete_item, TableName=table, Key=key) == (
        "AccessDeniedException",
        DENIED.format(who=reply["AssumedRoleUser"]["Arn"], action="dynamodb:DeleteItem", resource=resource), 400)


def test_a_session_policy_narrows_what_the_role_allows(server, ddb):
    table = create_table(ddb)
    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow("dynamodb:*")))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="narrow",
                                              Policy=policy(allow("dynamodb:GetItem")))
    session = session_client(server, reply["Credentials"])
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}

    assert "Item" not in session.get_item(TableName=table, Key=key)
    code, message, _ = error(session.put_item, TableName=table, Item=key)
    assert code == "AccessDeniedException"
    assert message.endswith("because no session policy allows the dynamodb:PutItem action")


def test_a_session_policy_cannot_grant_more_than_the_role_has(server, ddb):
    table = create_table(ddb)
    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow("dynamodb:GetItem")))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="wider",
                                              Policy=policy(allow("dynamodb:*")))
    session = session_client(server, reply["Credentials"])

    code, message, _ = error(session.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert code == "AccessDeniedException"
    assert message.endswith("because no identity-based policy allows the dynamodb:PutItem action")


def test_role_chaining_holds_the_next_session_to_one_hour(server):
    user = new_user(server)
    first = new_role(server, trusting(user.arn))
    reply = sts_for(server, user).assume_role(RoleArn=first, RoleSessionName="first")
    first_session_arn = reply["AssumedRoleUser"]["Arn"]
    second = new_role(server, trusting(first), max_session_duration=7200)
    chained = session_client(server, reply["Credentials"], "sts")

    assert error(chained.assume_role, RoleArn=second, RoleSessionName="second", DurationSeconds=7200) == (
        "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
                           "role chaining.", 400)
    reply = chained.assume_role(RoleArn=second, RoleSessionName="second")
    assert session_client(server, reply["Credentials"], "sts").get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{name_of(second)}/second")
    assert first_session_arn.endswith("/first")


def test_role_session_credentials_work_until_they_expire_and_not_after(server):
    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow("dynamodb:ListTables")))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="short")
    assert "TableNames" in session_client(server, reply["Credentials"]).list_tables()
    with directory_of(server) as directory:  # the same session, issued long enough ago to have ended
        _, identity = directory.signing_key(user.credentials[0])
        expired = directory.create_session(
            identity, -10, account=ACCOUNT, principal_arn=reply["AssumedRoleUser"]["Arn"],
            principal_id=reply["AssumedRoleUser"]["AssumedRoleId"], role_arn=role, session_name="short")
    credentials = {"AccessKeyId": expired.id, "SecretAccessKey": expired.secret, "SessionToken": expired.token}

    assert error(session_client(server, credentials).list_tables) == (
        "ExpiredTokenException", "The security token included in the request is expired", 400)
    assert error(session_client(server, credentials, "sts").get_caller_identity) == (
        "ExpiredToken", "The security token included in the request is expired", 403)


def test_a_deleted_roles_sessions_stop_working_at_once(server):
    from moatdb.auth.directory import ROLE

    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow("dynamodb:ListTables")))
    reply = sts_for(server, user).assume_role(RoleArn=role, RoleSessionName="s1")
    session = session_client(server, reply["Credentials"])
    session.list_tables()

    with directory_of(server) as directory:
        directory.delete_inline_policy(ROLE, ACCOUNT, name_of(role), "p0")
        directory.delete(ROLE, ACCOUNT, name_of(role))

    assert error(session.list_tables) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.", 400)


def test_the_aws_cli_assumes_a_role_from_a_profile_with_role_arn_and_source_profile(server, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    user = new_user(server)
    role = new_role(server, trusting(user.arn), policy(allow("dynamodb:ListTables")))
    (tmp_path / "config").write_text(
        f"[profile app]\nregion = {REGION}\nendpoint_url = {server.endpoint}\nrole_arn = {role}\n"
        f"source_profile = base\n\n[profile base]\nregion = {REGION}\nendpoint_url = {server.endpoint}\n")
    (tmp_path / "credentials").write_text(
        f"[base]\naws_access_key_id = {user.credentials[0]}\naws_secret_access_key = {user.credentials[1]}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               AWS_PAGER="")
    aws = str(Path(sys.executable).parent / "aws")

    done = subprocess.run([aws, "--profile", "app", "sts", "get-caller-identity", "--query", "Arn", "--output",
                           "text"], capture_output=True, text=True, env=env, timeout=60)

    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/{name_of(role)}/\S+\n", done.stdout)
