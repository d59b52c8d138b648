"""IAM's API on moatdb's door, as boto3's iam client, raw Query-protocol requests and the AWS CLI see
it: users, access keys, groups, roles, inline and managed policies, boundaries and tags; every call
authorized as IAM authorizes it; and the principals it makes acting in DynamoDB and STS at once.

Sources: the IAM API Reference (each operation's page: parameters, errors, and the quotas of the IAM
User Guide's "IAM and AWS STS quotas"); IAM's wording of its errors as AWS answers them, quoted from
users' reports beside the tests that pin it; Coral's wording of model constraints as moatdb's
validator writes them for DynamoDB and STS.
"""

from __future__ import annotations

import datetime
import json
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import Server, aws_cli_env, client_for, free_port, seed_test_credentials
from tests.helpers import ACCESS_KEY, REGION, SECRET_KEY, TESTER_ARN, Reply, error, send

AWS = str(Path(sys.executable).parent / "aws")
MOATDB = str(Path(sys.executable).parent / "moatdb")
ACCOUNT = "000000000000"
XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
NS = {"iam": XMLNS}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
DDB_FULL = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
DDB_READ = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own: its tests list the account's users, roles and policies."""
    srv = Server(tmp_path_factory.mktemp("iam"), free_port()).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def iam(server):
    return client_for(server.endpoint, "iam")


@pytest.fixture(scope="module")
def ddb(server):
    return client_for(server.endpoint)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list, resource: str | list = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trusting(principal_arn: str) -> str:
    return document({"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"})


def user_with_key(iam, *, policy: str | None = None, managed: tuple[str, ...] = ()) -> tuple[str, tuple[str, str]]:
    """A new user with an access key (and an inline policy, and managed policies): its name and its
    (key id, secret)."""
    name = unique("user")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, (key["AccessKeyId"], key["SecretAccessKey"])


def session_client(server, service: str, credentials: dict):
    """A client signing with temporary credentials (AssumeRole's ``Credentials``)."""
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def not_authorized(who: str, action: str, resource: str, reason: str = "no identity-based policy") -> str:
    # AWS's denial, as IAM words it (IAM User Guide, "Troubleshoot access denied error messages").
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"because {reason} allows the {action} action")


def iam_request(server, action: str, *, key: str = ACCESS_KEY, secret: str = SECRET_KEY, region: str = REGION,
                **params: str) -> Reply:
    """A Query-protocol POST signed for IAM by botocore, as the SDKs send IAM requests."""
    body = urlencode({"Action": action, "Version": "2010-05-08", **params})
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body.encode(),
                         headers={"Content-Type": FORM})
    SigV4Auth(Credentials(key, secret), "iam", region).add_auth(request)
    return send(server, body=request.body, headers=dict(request.headers.items()))


def recent(moment: datetime.datetime) -> bool:
    return abs((datetime.datetime.now(datetime.UTC) - moment).total_seconds()) < 60


def create_table(ddb) -> str:
    name = unique("t")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    return name


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


# --- the end-to-end proof: principals made through IAM act in DynamoDB ------------------------------------


def test_a_user_made_through_iam_may_do_in_dynamodb_exactly_what_its_policy_allows(server, iam):
    name = unique("user")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="list-only", PolicyDocument=document(allow("dynamodb:ListTables")))
    ddb = client_for(server.endpoint, credentials=(key["AccessKeyId"], key["SecretAccessKey"]))

    assert "TableNames" in ddb.list_tables()
    table = unique("t")
    assert error(ddb.create_table, TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST") == (
        "AccessDeniedException",
        not_authorized(f"arn:aws:iam::{ACCOUNT}:user/{name}", "dynamodb:CreateTable", table_arn(table)), 400)


def test_a_policy_removed_through_iam_stops_allowing_from_the_next_request(server, iam):
    name, credentials = user_with_key(iam, policy=document(allow("dynamodb:ListTables")))
    ddb = client_for(server.endpoint, credentials=credentials)
    assert "TableNames" in ddb.list_tables()

    iam.delete_user_policy(UserName=name, PolicyName="inline")

    assert error(ddb.list_tables)[0] == "AccessDeniedException"


def test_a_role_made_through_iam_is_assumed_through_sts_by_the_user_its_trust_policy_names(server, iam, ddb):
    user, credentials = user_with_key(iam)  # no policy of its own: the trust policy alone lets it in
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{ACCOUNT}:user/{user}"),
                          MaxSessionDuration=7200)["Role"]["Arn"]
    table = create_table(ddb)
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=document(
        allow(["dynamodb:DescribeTable", "dynamodb:ListTables"], table_arn(table))))
    sts = client_for(server.endpoint, "sts", credentials=credentials)

    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="work", DurationSeconds=7200)
    role_ddb = session_client(server, "dynamodb", assumed["Credentials"])

    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/work"
    assert role_ddb.describe_table(TableName=table)["Table"]["TableName"] == table
    assert error(role_ddb.delete_table, TableName=table) == (
        "AccessDeniedException",
        not_authorized(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/work", "dynamodb:DeleteTable", table_arn(table)),
        400)


def test_a_user_the_trust_policy_does_not_name_cannot_assume_the_role(server, iam):
    _, credentials = user_with_key(iam)
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(TESTER_ARN))["Role"]["Arn"]
    sts = client_for(server.endpoint, "sts", credentials=credentials)

    assert error(sts.assume_role, RoleArn=arn, RoleSessionName="ses")[0] == "AccessDenied"


def test_a_group_policy_put_through_iam_allows_the_groups_members(server, iam):
    user, credentials = user_with_key(iam)
    group = unique("group")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=document(allow("dynamodb:ListTables")))
    ddb = client_for(server.endpoint, credentials=credentials)
    assert error(ddb.list_tables)[0] == "AccessDeniedException"

    iam.add_user_to_group(GroupName=group, UserName=user)
    assert "TableNames" in ddb.list_tables()

    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error(ddb.list_tables)[0] == "AccessDeniedException"


def test_a_permissions_boundary_caps_what_the_attached_policies_allow(server, iam, ddb):
    user, credentials = user_with_key(iam, managed=(DDB_FULL,))
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=DDB_READ)
    table = create_table(ddb)
    user_ddb = client_for(server.endpoint, credentials=credentials)

    assert user_ddb.describe_table(TableName=table)["Table"]["TableName"] == table
    assert error(user_ddb.delete_table, TableName=table) == (
        "AccessDeniedException",
        not_authorized(f"arn:aws:iam::{ACCOUNT}:user/{user}", "dynamodb:DeleteTable", table_arn(table),
                       "no permissions boundary"), 400)

    iam.delete_user_permissions_boundary(UserName=user)
    user_ddb.delete_table(TableName=table)


def test_a_new_default_policy_version_changes_what_its_users_may_do(server, iam):
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    _, credentials = user_with_key(iam, managed=(arn,))
    ddb = client_for(server.endpoint, credentials=credentials)
    assert "TableNames" in ddb.list_tables()

    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("dynamodb:DescribeLimits")),
                              SetAsDefault=True)
    assert error(ddb.list_tables)[0] == "AccessDeniedException"

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert "TableNames" in ddb.list_tables()


def test_an_inactive_access_key_is_refused_until_it_is_active_again(server, iam):
    name, credentials = user_with_key(iam, policy=document(allow("dynamodb:ListTables")))
    ddb = client_for(server.endpoint, credentials=credentials)

    iam.update_access_key(UserName=name, AccessKeyId=credentials[0], Status="Inactive")
    assert error(ddb.list_tables)[0] == "UnrecognizedClientException"
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"

    iam.update_access_key(UserName=name, AccessKeyId=credentials[0], Status="Active")
    assert "TableNames" in ddb.list_tables()


# --- authorization of IAM's own calls ---------------------------------------------------------------------


def test_a_user_without_iam_permissions_is_refused_every_iam_call_with_access_denied(server, iam):
    name, credentials = user_with_key(iam, policy=document(allow("dynamodb:*")))
    their_iam = client_for(server.endpoint, "iam", credentials=credentials)
    who = f"arn:aws:iam::{ACCOUNT}:user/{name}"

    # IAM API Reference, "Common Errors": AccessDenied, 403; the reason as AWS appends it.
    assert error(their_iam.create_user, UserName="mallory") == (
        "AccessDenied", not_authorized(who, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/mallory"), 403)
    assert error(their_iam.list_users) == ("AccessDenied", not_authorized(who, "iam:ListUsers", "*"), 403)
    assert error(their_iam.attach_user_policy, UserName=name, PolicyArn=ADMIN) == (
        "AccessDenied", not_authorized(who, "iam:AttachUserPolicy", who), 403)
    assert error(their_iam.get_role, RoleName="no-such-role") == (
        "AccessDenied", not_authorized(who, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/no-such-role"), 403)


def test_iam_calls_are_authorized_on_the_resource_the_service_authorization_reference_names(server, iam):
    # A user may manage its own access keys and nothing else (IAM User Guide's example policy "Allows IAM
    # users to rotate their own access keys programmatically": iam:*AccessKey* on user/${aws:username}).
    name, credentials = user_with_key(iam, policy=document(
        allow(["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:GetUser"], f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")))
    their_iam = client_for(server.endpoint, "iam", credentials=credentials)

    assert their_iam.get_user()["User"]["UserName"] == name
    assert [key["AccessKeyId"] for key in their_iam.list_access_keys()["AccessKeyMetadata"]] == [credentials[0]]
    created = their_iam.create_access_key()["AccessKey"]
    assert created["UserName"] == name
    assert error(their_iam.list_access_keys, UserName="tester")[0] == "AccessDenied"
    assert error(their_iam.get_user, UserName="tester")[0] == "AccessDenied"


def test_create_user_may_be_allowed_only_with_a_given_request_tag(server, iam):
    _, credentials = user_with_key(iam, policy=document(
        allow("iam:CreateUser", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}})))
    their_iam = client_for(server.endpoint, "iam", credentials=credentials)

    assert their_iam.create_user(UserName=unique("u"), Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert error(their_iam.create_user, UserName=unique("u"), Tags=[{"Key": "team", "Value": "red"}])[0] == "AccessDenied"
    assert error(their_iam.create_user, UserName=unique("u"))[0] == "AccessDenied"


def test_attaching_may_be_allowed_only_for_the_policy_arns_a_condition_names(server, iam):
    name, credentials = user_with_key(iam, policy=document(
        allow("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": DDB_READ}})))
    their_iam = client_for(server.endpoint, "iam", credentials=credentials)

    their_iam.attach_user_policy(UserName=name, PolicyArn=DDB_READ)
    assert error(their_iam.attach_user_policy, UserName=name, PolicyArn=ADMIN)[0] == "AccessDenied"
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]] == [DDB_READ]


def test_creating_users_may_be_delegated_on_condition_of_a_permissions_boundary(server, iam):
    # The IAM User Guide's delegation pattern ("Permissions boundaries for IAM entities"): iam:CreateUser
    # only with iam:PermissionsBoundary set to a given policy.
    _, credentials = user_with_key(iam, policy=document(
        allow("iam:CreateUser", Condition={"StringEquals": {"iam:PermissionsBoundary": DDB_READ}})))
    their_iam = client_for(server.endpoint, "iam", credentials=credentials)

    created = their_iam.create_user(UserName=unique("u"), PermissionsBoundary=DDB_READ)["User"]
    assert created["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                              "PermissionsBoundaryArn": DDB_READ}
    assert error(their_iam.create_user, UserName=unique("u"))[0] == "AccessDenied"


def test_an_aws_managed_policy_cannot_be_changed_even_by_an_administrator(iam):
    # They belong to AWS, not to the account: a change is a request on another account's resource.
    assert error(iam.create_policy_version, PolicyArn=ADMIN, PolicyDocument=document(allow("*")))[::2] == (
        "AccessDenied", 403)
    assert error(iam.delete_policy, PolicyArn=ADMIN)[0] == "AccessDenied"
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["PolicyName"] == "AdministratorAccess"


# --- users ------------------------------------------------------------------------------------------------


def test_create_user_answers_the_user_with_its_arn_id_path_and_tags(iam):
    name = unique("user")
    user = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "team", "Value": "blue"}])["User"]

    assert user["UserName"] == name
    assert user["Path"] == "/team/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert recent(user["CreateDate"])
    assert user["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert iam.get_user(UserName=name)["User"] == user


def test_create_user_twice_is_entity_already_exists_whatever_the_case(iam):
    name = unique("user")
    iam.create_user(UserName=name)

    # IAM API Reference, CreateUser, Errors: EntityAlreadyExists, 409.
    assert error(iam.create_user, UserName=name.upper()) == (
        "EntityAlreadyExists", f"User with name {name.upper()} already exists.", 409)


def test_create_user_with_an_invalid_name_is_a_validation_error_in_corals_words(iam):
    # IAM API Reference, CreateUser: UserName, pattern [\w+=,.@-]+, 1 to 64 characters.
    assert error(iam.create_user, UserName="no spaces") == (
        "ValidationError",
        "1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+", 400)
    assert error(iam.create_user, UserName="x" * 65) == (
        "ValidationError",
        f"1 validation error detected: Value '{'x' * 65}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64", 400)


def test_create_user_with_an_invalid_tag_names_the_tag_in_the_validation_error(iam):
    assert error(iam.create_user, UserName=unique("u"), Tags=[{"Key": "a!", "Value": "v"}]) == (
        "ValidationError",
        "1 validation error detected: Value 'a!' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 400)


def test_create_user_with_two_tags_differing_only_in_case_is_invalid_input(iam):
    # IAM API Reference, TagUser, Errors: InvalidInput.
    assert error(iam.create_user, UserName=unique("u"), Tags=[{"Key": "Team", "Value": "a"},
                                                              {"Key": "team", "Value": "b"}]) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)


def test_get_user_without_a_name_answers_the_calling_user(iam):
    user = iam.get_user()["User"]

    assert user["Arn"] == TESTER_ARN
    assert user["UserName"] == "tester"


def test_get_user_of_an_unknown_user_is_no_such_entity(iam):
    # IAM API Reference, GetUser, Errors: NoSuchEntity, 404.
    assert error(iam.get_user, UserName="nobody-at-all") == (
        "NoSuchEntity", "The user with name nobody-at-all cannot be found.", 404)


def test_get_user_without_a_name_from_a_role_session_is_a_validation_error(server, iam):
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(TESTER_ARN))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN)
    session = client_for(server.endpoint, "sts").assume_role(RoleArn=arn, RoleSessionName="ses")["Credentials"]
    role_iam = session_client(server, "iam", session)

    # IAM API Reference, GetUser: "If you do not specify a user name, IAM determines the user name implicitly
    # based on the Amazon Web Services access key ID used to sign the request."
    assert error(role_iam.get_user) == (
        "ValidationError", "Must specify userName when calling with non-User credentials", 400)
    assert role_iam.get_user(UserName="tester")["User"]["Arn"] == TESTER_ARN


def test_list_users_filters_by_path_prefix_and_pages_with_marker_and_max_items(iam):
    path = f"/{unique('list')}/"
    names = sorted(unique("user") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=path)

    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert [user["UserName"] for user in first["Users"]] == names[:2]
    assert first["IsTruncated"] is True
    second = iam.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [user["UserName"] for user in second["Users"]] == names[2:4]
    third = iam.list_users(PathPrefix=path, MaxItems=2, Marker=second["Marker"])
    assert [user["UserName"] for user in third["Users"]] == names[4:]
    assert third["IsTruncated"] is False and "Marker" not in third
    # boto3's paginator follows the same markers.
    pages = iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 2})
    assert [user["UserName"] for page in pages for user in page["Users"]] == names


def test_list_users_with_max_items_out_of_bounds_is_a_validation_error(server):
    unchecked = client_for(server.endpoint, "iam", parameter_validation=False)

    assert error(unchecked.list_users, MaxItems=0) == (
        "ValidationError",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", 400)


def test_delete_user_removes_the_user(iam):
    name = unique("user")
    iam.create_user(UserName=name)

    iam.delete_user(UserName=name)

    assert error(iam.get_user, UserName=name)[0] == "NoSuchEntity"
    assert error(iam.delete_user, UserName=name) == ("NoSuchEntity", f"The user with name {name} cannot be found.", 404)


@pytest.mark.parametrize(("attach", "message"), [
    ("key", "Cannot delete entity, must delete access keys first."),
    ("inline", "Cannot delete entity, must delete policies first."),
    ("managed", "Cannot delete entity, must detach all policies first."),
    ("group", "Cannot delete entity, must remove users from group first."),
])
def test_delete_user_with_something_attached_is_a_delete_conflict(iam, attach, message):
    name = unique("user")
    iam.create_user(UserName=name)
    if attach == "key":
        iam.create_access_key(UserName=name)
    elif attach == "inline":
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document(allow("dynamodb:ListTables")))
    elif attach == "managed":
        iam.attach_user_policy(UserName=name, PolicyArn=DDB_READ)
    else:
        group = unique("group")
        iam.create_group(GroupName=group)
        iam.add_user_to_group(GroupName=group, UserName=name)

    # IAM API Reference, DeleteUser: "you must delete the items attached to the user manually"; Errors:
    # DeleteConflict, 409 (aws-nuke#1 and others quote IAM's sentences).
    assert error(iam.delete_user, UserName=name) == ("DeleteConflict", message, 409)


def test_tag_user_adds_and_replaces_tags_and_untag_user_removes_them(iam):
    name = unique("user")
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])

    iam.tag_user(UserName=name, Tags=[{"Key": "Team", "Value": "red"}, {"Key": "env", "Value": "prod"}])
    assert sorted((t["Key"], t["Value"]) for t in iam.list_user_tags(UserName=name)["Tags"]) == [
        ("Team", "red"), ("env", "prod")]
    iam.untag_user(UserName=name, TagKeys=["team"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_user_past_fifty_tags_is_limit_exceeded(iam):
    name = unique("user")
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])

    # IAM API Reference, TagUser: "a maximum of 50 tags"; Errors: LimitExceeded, 409.
    assert error(iam.tag_user, UserName=name, Tags=[{"Key": "one-more", "Value": "v"}]) == (
        "LimitExceeded", "Cannot exceed quota for TagsPerUser: 50", 409)


def test_tagging_an_unknown_user_is_no_such_entity(iam):
    assert error(iam.tag_user, UserName="nobody-tagged", Tags=[{"Key": "k", "Value": "v"}]) == (
        "NoSuchEntity", "The user with name nobody-tagged cannot be found.", 404)


# --- access keys ------------------------------------------------------------------------------------------


def test_create_access_key_answers_the_secret_once_and_list_access_keys_never(iam):
    name = unique("user")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]

    assert key["UserName"] == name and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert listed == [{"UserName": name, "AccessKeyId": key["AccessKeyId"], "Status": "Active",
                       "CreateDate": key["CreateDate"]}]


def test_a_third_access_key_is_limit_exceeded(iam):
    name = unique("user")
    iam.create_user(UserName=name)
    iam.create_access_key(UserName=name)
    iam.create_access_key(UserName=name)

    # IAM API Reference, CreateAccessKey: "each user can have a maximum of two"; Errors: LimitExceeded, 409.
    assert error(iam.create_access_key, UserName=name) == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


def test_create_access_key_for_an_unknown_user_is_no_such_entity(iam):
    assert error(iam.create_access_key, UserName="nobody-keyed") == (
        "NoSuchEntity", "The user with name nobody-keyed cannot be found.", 404)


def test_a_deleted_access_key_no_longer_signs(server, iam):
    name, credentials = user_with_key(iam, policy=document(allow("dynamodb:ListTables")))

    iam.delete_access_key(UserName=name, AccessKeyId=credentials[0])

    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    assert error(client_for(server.endpoint, credentials=credentials).list_tables)[0] == "UnrecognizedClientException"


def test_an_access_key_of_another_user_is_no_such_entity(iam):
    owner, credentials = user_with_key(iam)
    other = unique("user")
    iam.create_user(UserName=other)

    # IAM API Reference, DeleteAccessKey, Errors: NoSuchEntity, 404.
    expected = ("NoSuchEntity", f"The Access Key with id {credentials[0]} cannot be found.", 404)
    assert error(iam.delete_access_key, UserName=other, AccessKeyId=credentials[0]) == expected
    assert error(iam.update_access_key, UserName=other, AccessKeyId=credentials[0], Status="Inactive") == expected
    assert iam.list_access_keys(UserName=owner)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_update_access_key_to_an_unknown_status_is_a_validation_error(iam):
    name, credentials = user_with_key(iam)

    assert error(iam.update_access_key, UserName=name, AccessKeyId=credentials[0], Status="Paused") == (
        "ValidationError",
        "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Expired, Active, Inactive]", 400)


# --- inline, attached and boundary policies of users, groups and roles --------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_an_inline_policy_is_put_got_listed_and_deleted(iam, kind):
    name = unique(kind)
    noun = kind.capitalize()
    _create(iam, kind, name)
    text = document(allow("dynamodb:GetItem", table_arn("t")))

    getattr(iam, f"put_{kind}_policy")(**{f"{noun}Name": name}, PolicyName="read", PolicyDocument=text)

    got = getattr(iam, f"get_{kind}_policy")(**{f"{noun}Name": name}, PolicyName="read")
    assert (got[f"{noun}Name"], got["PolicyName"], got["PolicyDocument"]) == (name, "read", json.loads(text))
    assert getattr(iam, f"list_{kind}_policies")(**{f"{noun}Name": name})["PolicyNames"] == ["read"]
    getattr(iam, f"delete_{kind}_policy")(**{f"{noun}Name": name}, PolicyName="read")
    assert getattr(iam, f"list_{kind}_policies")(**{f"{noun}Name": name})["PolicyNames"] == []
    # IAM API Reference, Get{User,Group,Role}Policy, Errors: NoSuchEntity, 404.
    assert error(getattr(iam, f"get_{kind}_policy"), **{f"{noun}Name": name}, PolicyName="read") == (
        "NoSuchEntity", f"The {kind} policy with name read cannot be found.", 404)


def _create(iam, kind: str, name: str) -> None:
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))


@pytest.mark.parametrize(("document_text", "message"), [
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", '
     '"Resource": "*"}]}', "Policy document should not specify a principal."),
    ("{not json", "This policy contains invalid Json"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*"}]}',
     "Policy statement must contain resources."),
])
def test_put_user_policy_with_a_malformed_document_is_malformed_policy_document(iam, document_text, message):
    name = unique("user")
    iam.create_user(UserName=name)

    # IAM API Reference, PutUserPolicy, Errors: MalformedPolicyDocument, 400 (the policy engine's words,
    # which are IAM's: e.g. "Policy document should not specify a principal.").
    assert error(iam.put_user_policy, UserName=name, PolicyName="p", PolicyDocument=document_text) == (
        "MalformedPolicyDocument", message, 400)


@pytest.mark.parametrize(("kind", "limit"), [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policies_past_the_quota_of_their_identity_are_limit_exceeded(iam, kind, limit):
    name = unique(kind)
    noun = kind.capitalize()
    _create(iam, kind, name)
    # Whitespace is not counted (IAM User Guide, "IAM and AWS STS quotas"), so padding with it fits.
    padded = document(allow("dynamodb:GetItem", table_arn("t"))).replace(",", "," + " " * limit)
    getattr(iam, f"put_{kind}_policy")(**{f"{noun}Name": name}, PolicyName="spaced", PolicyDocument=padded)
    resources = [table_arn(f"t{i:05d}") for i in range(limit // 40)]
    large = document(allow("dynamodb:GetItem", resources))

    # As AWS answers (serverless/serverless#7643: "Maximum policy size of 10240 bytes exceeded for role
    # ... Status Code: 409; Error Code: LimitExceeded").
    assert error(getattr(iam, f"put_{kind}_policy"), **{f"{noun}Name": name}, PolicyName="big",
                 PolicyDocument=large) == (
        "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind} {name}", 409)


def test_a_roles_inline_policies_may_be_larger_than_a_managed_policy(iam):
    name = unique("role")
    _create(iam, "role", name)
    large = document(allow("dynamodb:GetItem", [table_arn(f"t{i:05d}") for i in range(150)]))
    assert 6144 < len("".join(large.split())) <= 10240

    iam.put_role_policy(RoleName=name, PolicyName="large", PolicyDocument=large)

    assert iam.get_role_policy(RoleName=name, PolicyName="large")["PolicyDocument"] == json.loads(large)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_a_managed_policy_is_attached_listed_and_detached(iam, kind):
    name = unique(kind)
    noun = kind.capitalize()
    _create(iam, kind, name)

    getattr(iam, f"attach_{kind}_policy")(**{f"{noun}Name": name}, PolicyArn=DDB_READ)
    getattr(iam, f"attach_{kind}_policy")(**{f"{noun}Name": name}, PolicyArn=DDB_READ)  # again: no change

    assert getattr(iam, f"list_attached_{kind}_policies")(**{f"{noun}Name": name})["AttachedPolicies"] == [
        {"PolicyName": "AmazonDynamoDBReadOnlyAccess", "PolicyArn": DDB_READ}]
    getattr(iam, f"detach_{kind}_policy")(**{f"{noun}Name": name}, PolicyArn=DDB_READ)
    assert getattr(iam, f"list_attached_{kind}_policies")(**{f"{noun}Name": name})["AttachedPolicies"] == []
    # IAM API Reference, Detach{User,Group,Role}Policy, Errors: NoSuchEntity, 404.
    assert error(getattr(iam, f"detach_{kind}_policy"), **{f"{noun}Name": name}, PolicyArn=DDB_READ) == (
        "NoSuchEntity", f"Policy {DDB_READ} was not found.", 404)


def test_attaching_a_policy_that_does_not_exist_is_no_such_entity(iam):
    name = unique("user")
    iam.create_user(UserName=name)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/not-there"

    # IAM API Reference, AttachUserPolicy, Errors: NoSuchEntity, 404.
    assert error(iam.attach_user_policy, UserName=name, PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    # A policy of another account is not attachable either.
    assert error(iam.attach_user_policy, UserName=name, PolicyArn="arn:aws:iam::111122223333:policy/theirs") == (
        "NoSuchEntity", "Policy arn:aws:iam::111122223333:policy/theirs does not exist or is not attachable.", 404)


def test_attaching_something_that_is_no_policy_arn_is_invalid_input(iam):
    name = unique("user")
    iam.create_user(UserName=name)

    # IAM API Reference, AttachUserPolicy, Errors: InvalidInput, 400.
    assert error(iam.attach_user_policy, UserName=name, PolicyArn="arn:aws:s3:::a-bucket-name") == (
        "InvalidInput", "ARN arn:aws:s3:::a-bucket-name is not valid.", 400)


def test_attaching_to_an_unknown_role_is_no_such_entity(iam):
    assert error(iam.attach_role_policy, RoleName="nobody-attached", PolicyArn=DDB_READ) == (
        "NoSuchEntity", "The role with name nobody-attached cannot be found.", 404)


@pytest.mark.parametrize("kind", ["user", "role"])
def test_a_permissions_boundary_is_put_shown_and_deleted(iam, kind):
    name = unique(kind)
    noun = kind.capitalize()
    _create(iam, kind, name)

    getattr(iam, f"put_{kind}_permissions_boundary")(**{f"{noun}Name": name}, PermissionsBoundary=DDB_READ)
    shown = getattr(iam, f"get_{kind}")(**{f"{noun}Name": name})[noun]
    assert shown["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                            "PermissionsBoundaryArn": DDB_READ}
    getattr(iam, f"delete_{kind}_permissions_boundary")(**{f"{noun}Name": name})
    assert "PermissionsBoundary" not in getattr(iam, f"get_{kind}")(**{f"{noun}Name": name})[noun]


def test_a_permissions_boundary_that_does_not_exist_is_no_such_entity(iam):
    name = unique("role")
    _create(iam, "role", name)
    missing = f"arn:aws:iam::{ACCOUNT}:policy/no-boundary"

    assert error(iam.put_role_permissions_boundary, RoleName=name, PermissionsBoundary=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    theirs = "arn:aws:iam::111122223333:policy/their-boundary"
    assert error(iam.create_user, UserName=unique("user"), PermissionsBoundary=theirs) == (
        "NoSuchEntity", f"Policy {theirs} does not exist or is not attachable.", 404)


# --- groups -----------------------------------------------------------------------------------------------


def test_create_group_get_group_and_list_groups(iam):
    name = unique("group")
    path = f"/{unique('g')}/"
    group = iam.create_group(GroupName=name, Path=path)["Group"]

    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group{path}{name}"
    assert group["GroupId"].startswith("AGPA") and recent(group["CreateDate"])
    got = iam.get_group(GroupName=name)
    assert got["Group"] == group and got["Users"] == [] and got["IsTruncated"] is False
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix=path)["Groups"]] == [name]
    # IAM API Reference, CreateGroup, Errors: EntityAlreadyExists, 409.
    assert error(iam.create_group, GroupName=name) == (
        "EntityAlreadyExists", f"Group with name {name} already exists.", 409)


def test_group_membership_shows_in_get_group_and_list_groups_for_user(iam):
    group = unique("group")
    iam.create_group(GroupName=group)
    users = sorted(unique("user") for _ in range(2))
    for user in users:
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=group, UserName=user)

    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == users
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=users[0])["Groups"]] == [group]
    iam.remove_user_from_group(GroupName=group, UserName=users[0])
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == users[1:]
    assert iam.list_groups_for_user(UserName=users[0])["Groups"] == []


def test_adding_an_unknown_user_or_to_an_unknown_group_is_no_such_entity(iam):
    group = unique("group")
    iam.create_group(GroupName=group)
    user = unique("user")
    iam.create_user(UserName=user)

    assert error(iam.add_user_to_group, GroupName=group, UserName="nobody-grouped") == (
        "NoSuchEntity", "The user with name nobody-grouped cannot be found.", 404)
    assert error(iam.add_user_to_group, GroupName="no-such-group", UserName=user) == (
        "NoSuchEntity", "The group with name no-such-group cannot be found.", 404)


def test_delete_group_with_members_is_a_delete_conflict_and_without_them_deletes_it(iam):
    group, user = unique("group"), unique("user")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)

    # IAM API Reference, DeleteGroup, Errors: DeleteConflict, 409.
    assert error(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    assert error(iam.get_group, GroupName=group) == (
        "NoSuchEntity", f"The group with name {group} cannot be found.", 404)


# --- roles ------------------------------------------------------------------------------------------------


def test_create_role_answers_the_role_and_get_role_decodes_its_trust_policy(iam):
    name = unique("role")
    trust = trusting(TESTER_ARN)
    role = iam.create_role(RoleName=name, Path="/service/", AssumeRolePolicyDocument=trust, Description="for tests",
                           MaxSessionDuration=43200, PermissionsBoundary=DDB_FULL,
                           Tags=[{"Key": "env", "Value": "test"}])["Role"]

    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{name}"
    assert role["RoleId"].startswith("AROA") and recent(role["CreateDate"])
    assert role["AssumeRolePolicyDocument"] == json.loads(trust)
    got = iam.get_role(RoleName=name)["Role"]
    assert {key: got[key] for key in ("Path", "RoleName", "RoleId", "Arn", "Description", "MaxSessionDuration",
                                      "AssumeRolePolicyDocument", "Tags")} == {
        "Path": "/service/", "RoleName": name, "RoleId": role["RoleId"], "Arn": role["Arn"],
        "Description": "for tests", "MaxSessionDuration": 43200, "AssumeRolePolicyDocument": json.loads(trust),
        "Tags": [{"Key": "env", "Value": "test"}]}
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == DDB_FULL


@pytest.mark.parametrize(("seconds", "constraint"), [
    (3599, "greater than or equal to 3600"), (43201, "less than or equal to 43200")])
def test_create_role_with_a_max_session_duration_out_of_bounds_is_a_validation_error(server, seconds, constraint):
    unchecked = client_for(server.endpoint, "iam", parameter_validation=False)

    # IAM API Reference, CreateRole: MaxSessionDuration, 3600 to 43200.
    assert error(unchecked.create_role, RoleName=unique("role"), AssumeRolePolicyDocument=trusting(TESTER_ARN),
                 MaxSessionDuration=seconds) == (
        "ValidationError",
        f"1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to satisfy constraint: "
        f"Member must have value {constraint}", 400)


def test_create_role_with_a_trust_policy_naming_no_principal_is_malformed(iam):
    # IAM API Reference, CreateRole, Errors: MalformedPolicyDocument, 400.
    assert error(iam.create_role, RoleName=unique("role"), AssumeRolePolicyDocument=document(
        {"Effect": "Allow", "Action": "sts:AssumeRole"})) == (
        "MalformedPolicyDocument", "Missing required field Principal", 400)


def test_create_role_twice_is_entity_already_exists(iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))

    # IAM API Reference, CreateRole, Errors: EntityAlreadyExists, 409.
    assert error(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN)) == (
        "EntityAlreadyExists", f"Role with name {name} already exists.", 409)


def test_get_role_of_an_unknown_role_is_no_such_entity(iam):
    # IAM API Reference, GetRole, Errors: NoSuchEntity, 404 (Terraform's users quote "NoSuchEntity: The role
    # with name X cannot be found.").
    assert error(iam.get_role, RoleName="nobody-here") == (
        "NoSuchEntity", "The role with name nobody-here cannot be found.", 404)


def test_update_role_and_update_assume_role_policy_change_the_role(server, iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))
    user, credentials = user_with_key(iam)

    iam.update_role(RoleName=name, Description="renamed", MaxSessionDuration=7200)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trusting(f"arn:aws:iam::{ACCOUNT}:user/{user}"))

    role = iam.get_role(RoleName=name)["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("renamed", 7200)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"
    sts = client_for(server.endpoint, "sts", credentials=credentials)
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ses")["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert error(client_for(server.endpoint, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="ses")[0] == (
        "AccessDenied")


def test_update_assume_role_policy_past_the_trust_policy_quota_is_limit_exceeded(iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))
    many = document({"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/u{i:04d}" for i in range(70)]}})

    # IAM User Guide, "IAM and AWS STS quotas": role trust policy length, 2,048 characters.
    assert error(iam.update_assume_role_policy, RoleName=name, PolicyDocument=many) == (
        "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)


def test_tag_role_untag_role_and_list_role_tags(iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))

    iam.tag_role(RoleName=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    page = iam.list_role_tags(RoleName=name, MaxItems=1)
    assert page["Tags"] == [{"Key": "a", "Value": "1"}] and page["IsTruncated"] is True
    iam.untag_role(RoleName=name, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_list_roles_lists_the_roles_under_a_path(iam):
    path = f"/{unique('roles')}/"
    names = sorted(unique("role") for _ in range(3))
    for name in names:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trusting(TESTER_ARN))

    roles = iam.list_roles(PathPrefix=path)["Roles"]
    assert [role["RoleName"] for role in roles] == names
    assert roles[0]["AssumeRolePolicyDocument"] == json.loads(trusting(TESTER_ARN))


def test_list_instance_profiles_for_role_is_empty_and_delete_role_deletes(iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))

    assert iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"] == []
    iam.delete_role(RoleName=name)
    assert error(iam.get_role, RoleName=name)[0] == "NoSuchEntity"
    assert error(iam.list_instance_profiles_for_role, RoleName=name) == (
        "NoSuchEntity", f"The role with name {name} cannot be found.", 404)


def test_delete_role_with_policies_is_a_delete_conflict(iam):
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(TESTER_ARN))
    iam.attach_role_policy(RoleName=name, PolicyArn=DDB_READ)

    # IAM API Reference, DeleteRole: "you must first remove those items"; Errors: DeleteConflict, 409.
    assert error(iam.delete_role, RoleName=name) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_role_policy(RoleName=name, PolicyArn=DDB_READ)
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=document(allow("dynamodb:ListTables")))
    assert error(iam.delete_role, RoleName=name) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)


def test_sessions_of_a_deleted_role_stop_working(server, iam):
    role = unique("role")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(TESTER_ARN))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=document(allow("dynamodb:ListTables")))
    session = client_for(server.endpoint, "sts").assume_role(RoleArn=arn, RoleSessionName="ses")["Credentials"]
    role_ddb = session_client(server, "dynamodb", session)
    assert "TableNames" in role_ddb.list_tables()

    iam.delete_role_policy(RoleName=role, PolicyName="list")
    iam.delete_role(RoleName=role)

    assert error(role_ddb.list_tables)[0] == "UnrecognizedClientException"


# --- managed policies -------------------------------------------------------------------------------------


def test_create_policy_answers_the_policy_and_get_policy_adds_its_description_and_tags(iam):
    name = unique("pol")
    created = iam.create_policy(PolicyName=name, Path="/team/", PolicyDocument=document(allow("dynamodb:ListTables")),
                                Description="lists tables", Tags=[{"Key": "team", "Value": "blue"}])["Policy"]

    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/{name}"
    assert created["PolicyId"].startswith("ANPA")
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got["Description"] == "lists tables"
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert iam.list_policy_tags(PolicyArn=created["Arn"])["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_create_policy_twice_is_entity_already_exists(iam):
    name = unique("pol")
    iam.create_policy(PolicyName=name, PolicyDocument=document(allow("dynamodb:ListTables")))

    # IAM API Reference, CreatePolicy, Errors: EntityAlreadyExists, 409.
    assert error(iam.create_policy, PolicyName=name, PolicyDocument=document(allow("dynamodb:ListTables"))) == (
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.", 409)


def test_a_managed_policy_past_its_quota_is_limit_exceeded(iam):
    large = document(allow("dynamodb:GetItem", [table_arn(f"t{i:05d}") for i in range(160)]))

    # IAM User Guide, "IAM and AWS STS quotas": managed policy length, 6,144 characters (as AWS answers in
    # docker/docs#5815: "Cannot exceed quota for PolicySize: 6144").
    assert error(iam.create_policy, PolicyName=unique("pol"), PolicyDocument=large) == (
        "LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)


def test_get_policy_of_an_unknown_policy_is_no_such_entity(iam):
    arn = f"arn:aws:iam::{ACCOUNT}:policy/not-a-policy"

    # IAM API Reference, GetPolicy, Errors: NoSuchEntity, 404.
    assert error(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_policy_versions_are_created_listed_got_made_default_and_deleted(iam):
    first, second = document(allow("dynamodb:ListTables")), document(allow("dynamodb:DescribeLimits"))
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=first)["Policy"]["Arn"]

    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=second)["PolicyVersion"]
    assert (version["VersionId"], version["IsDefaultVersion"]) == ("v2", False) and recent(version["CreateDate"])
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        ("v2", False), ("v1", True)]
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == json.loads(second)

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    # IAM API Reference, DeletePolicyVersion, Errors: DeleteConflict, 409 (redradrat/aws-iam-operator#13
    # quotes "DeleteConflict: Cannot delete the default version of a policy.").
    assert error(iam.delete_policy_version, PolicyArn=arn, VersionId="v2") == (
        "DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2"]
    # IAM API Reference, GetPolicyVersion, Errors: NoSuchEntity, 404.
    assert error(iam.get_policy_version, PolicyArn=arn, VersionId="v1") == (
        "NoSuchEntity", f"Policy {arn} version v1 does not exist or is not attachable.", 404)


def test_a_sixth_policy_version_is_limit_exceeded(iam):
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("dynamodb:ListTables")))

    # IAM API Reference, CreatePolicyVersion: "A managed policy can have up to five versions"; the message
    # as AWS answers it (99designs/iamy#21).
    assert error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=document(allow("dynamodb:ListTables"))) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must "
                         "delete an existing version.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("dynamodb:ListTables")))[
        "PolicyVersion"]["VersionId"] == "v6"  # version ids are never reused


def test_delete_policy_with_versions_or_attachments_is_a_delete_conflict(iam):
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("dynamodb:ListTables")))
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(TESTER_ARN))
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    # IAM API Reference, DeletePolicy, Errors: DeleteConflict, 409 (aws-nuke#1 quotes the first sentence).
    assert error(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the "
                          "policy's versions. The default version is deleted with the policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert error(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    assert error(iam.get_policy, PolicyArn=arn)[0] == "NoSuchEntity"


def test_list_policies_by_scope_path_and_attachment(iam):
    path = f"/{unique('p')}/"
    attached_arn = iam.create_policy(PolicyName=unique("pol"), Path=path,
                                     PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    loose_arn = iam.create_policy(PolicyName=unique("pol"), Path=path,
                                  PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    user = unique("user")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=attached_arn)

    local = iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    assert sorted(p["Arn"] for p in local) == sorted([attached_arn, loose_arn])
    assert {p["Arn"]: p["AttachmentCount"] for p in local} == {attached_arn: 1, loose_arn: 0}
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True)["Policies"]] == [
        attached_arn]
    aws = [p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert ADMIN in aws and DDB_READ in aws and attached_arn not in aws


def test_list_entities_for_policy_names_its_users_groups_and_roles(iam):
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]
    user, group, role = unique("user"), unique("group"), unique("role")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(TESTER_ARN))
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)

    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (only_roles["PolicyUsers"], len(only_roles["PolicyRoles"])) == ([], 1)
    permissions_only = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")
    assert permissions_only["PolicyRoles"] == [] and len(permissions_only["PolicyUsers"]) == 1
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert (got["AttachmentCount"], got["PermissionsBoundaryUsageCount"]) == (2, 1)


def test_tag_policy_and_untag_policy(iam):
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=document(allow("dynamodb:ListTables")))["Policy"]["Arn"]

    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])

    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


# --- the wire: IAM's Query protocol and XML -----------------------------------------------------------------


def test_iam_answers_in_its_own_xml_namespace_with_lists_of_members(server, iam):
    name = unique("user")
    path = f"/{unique('xml')}/"
    iam.create_user(UserName=name, Path=path)

    reply = iam_request(server, "ListUsers", PathPrefix=path)

    assert reply.status == 200 and reply.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{XMLNS}}}ListUsersResponse"
    assert [m.findtext("iam:UserName", namespaces=NS)
            for m in root.findall("iam:ListUsersResult/iam:Users/iam:member", NS)] == [name]
    assert root.findtext("iam:ListUsersResult/iam:IsTruncated", namespaces=NS) == "false"
    created = root.findtext("iam:ListUsersResult/iam:Users/iam:member/iam:CreateDate", namespaces=NS)
    assert datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
    assert root.findtext("iam:ResponseMetadata/iam:RequestId", namespaces=NS) == reply.headers["x-amzn-requestid"]


def test_iam_url_encodes_the_policy_documents_it_returns(server, iam):
    # As IAM does on the wire (aws/aws-sdk-java#730: GetRolePolicy's document arrives as
    # "%7B%22Version%22%3A%222012-10-17%22..."); botocore decodes it back into a dict.
    name = unique("user")
    iam.create_user(UserName=name)
    text = document(allow("dynamodb:*", "*"))
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=text)

    reply = iam_request(server, "GetUserPolicy", UserName=name, PolicyName="p")

    encoded = ET.fromstring(reply.body).findtext("iam:GetUserPolicyResult/iam:PolicyDocument", namespaces=NS)
    assert encoded.startswith("%7B%22Version%22%3A%20%222012-10-17%22")
    assert "%2A" in encoded  # "*" too, as IAM encodes it
    from urllib.parse import unquote
    assert unquote(encoded) == text


def test_an_iam_error_is_iams_xml_error_envelope(server):
    reply = iam_request(server, "GetRole", RoleName="nobody-xml")

    assert reply.status == 404
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{XMLNS}}}ErrorResponse"
    assert {child.tag.split("}")[1]: child.text for child in root.find("iam:Error", NS)} == {
        "Type": "Sender", "Code": "NoSuchEntity", "Message": "The role with name nobody-xml cannot be found."}
    assert root.findtext("iam:RequestId", namespaces=NS) == reply.headers["x-amzn-requestid"]


def test_an_action_iam_does_not_serve_is_invalid_action(server):
    reply = iam_request(server, "CreateLoginProfile", UserName="tester")

    assert reply.status == 400
    error_element = ET.fromstring(reply.body).find("iam:Error", NS)
    assert error_element.findtext("iam:Code", namespaces=NS) == "InvalidAction"
    assert error_element.findtext("iam:Message", namespaces=NS) == (
        "Could not find operation CreateLoginProfile for version 2010-05-08")


def test_an_iam_request_with_a_wrong_signature_is_signature_does_not_match_in_iams_namespace(server):
    reply = iam_request(server, "ListUsers", secret="not-the-secret")

    assert reply.status == 403
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{XMLNS}}}ErrorResponse"
    assert root.findtext("iam:Error/iam:Code", namespaces=NS) == "SignatureDoesNotMatch"


def test_an_iam_request_with_an_unknown_key_is_an_invalid_client_token_id(server):
    iam = client_for(server.endpoint, "iam", credentials=("AKIAUNKNOWNKEY000000", SECRET_KEY))

    assert error(iam.list_users) == (
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_iam_is_signed_for_us_east_1_whatever_the_servers_region(tmp_path):
    # IAM is global: SDKs sign it for us-east-1 (botocore's endpoint rules for iam.amazonaws.com); an SDK
    # given a custom endpoint signs for its own region instead, which the server's region also serves.
    data_dir = tmp_path / "eu"
    seed_test_credentials(data_dir)
    port = free_port()
    process = subprocess.Popen([MOATDB, "serve", "--port", str(port), "--data-dir", str(data_dir), "--region",
                                "eu-west-1", "--log-level", "warning"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "moatdb serve exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moatdb did not start listening within 20 s"
                time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{port}"

        assert client_for(endpoint, "iam", region="us-east-1").get_user()["User"]["Arn"] == TESTER_ARN
        assert client_for(endpoint, "iam", region="eu-west-1").get_user()["User"]["Arn"] == TESTER_ARN
        assert error(client_for(endpoint, "iam", region="ap-south-1").get_user)[0] == "SignatureDoesNotMatch"
        # DynamoDB is regional: us-east-1 is not this server's region.
        assert error(client_for(endpoint, region="us-east-1").list_tables)[0] == "InvalidSignatureException"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


# --- the AWS CLI --------------------------------------------------------------------------------------------


def test_the_aws_cli_creates_and_gets_a_role(server, tmp_path):
    name = unique("cli-role")
    trust = tmp_path / "trust.json"
    trust.write_text(trusting(TESTER_ARN))
    env = aws_cli_env(server.endpoint)

    created = subprocess.run([AWS, "iam", "create-role", "--role-name", name, "--assume-role-policy-document",
                              f"file://{trust}", "--description", "made by the CLI", "--output", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
    got = subprocess.run([AWS, "iam", "get-role", "--role-name", name, "--output", "json"],
                         capture_output=True, text=True, env=env, timeout=60)
    missing = subprocess.run([AWS, "iam", "get-role", "--role-name", "nobody-cli"],
                             capture_output=True, text=True, env=env, timeout=60)

    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert got.returncode == 0, got.stderr
    role = json.loads(got.stdout)["Role"]
    assert role["Description"] == "made by the CLI"
    assert role["AssumeRolePolicyDocument"] == json.loads(trusting(TESTER_ARN))
    assert missing.returncode == 255  # the AWS CLI's (v1) status for an error the service answered
    assert "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name nobody-cli " \
           "cannot be found." in missing.stderr


def test_the_aws_cli_manages_a_user_its_key_and_its_policy(server):
    name = unique("cli-user")
    env = aws_cli_env(server.endpoint)

    def aws(*args: str) -> dict:
        done = subprocess.run([AWS, "iam", *args, "--output", "json"], capture_output=True, text=True, env=env,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    aws("create-user", "--user-name", name)
    key = aws("create-access-key", "--user-name", name)["AccessKey"]
    aws("attach-user-policy", "--user-name", name, "--policy-arn", DDB_READ)

    assert aws("list-attached-user-policies", "--user-name", name)["AttachedPolicies"] == [
        {"PolicyName": "AmazonDynamoDBReadOnlyAccess", "PolicyArn": DDB_READ}]
    assert "TableNames" in client_for(server.endpoint, credentials=(key["AccessKeyId"], key["SecretAccessKey"])).list_tables()
    assert name in [user["UserName"] for user in aws("list-users")["Users"]]
