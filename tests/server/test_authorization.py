"""Every DynamoDB request authorized by AWS's policy evaluation logic, as boto3 sees it: what a policy
allows works, anything else is AccessDeniedException (HTTP 400, com.amazon.coral.service) with AWS's
message.

Sources: IAM User Guide, "Policy evaluation logic" (deny by default, explicit deny wins, boundaries);
"Troubleshoot access denied error messages" for the wording ("User: ARN is not authorized to perform:
ACTION on resource: ARN because no identity-based policy allows the ACTION action", "... with an explicit
deny in an identity-based policy"); DynamoDB Developer Guide, "Using IAM policy conditions for
fine-grained access control" (dynamodb:LeadingKeys with ${aws:username}); AccessDeniedException's
resource for ListTables as DynamoDB reports it today: "on resource: arn:aws:dynamodb:us-east-1:ACCOUNT:
table/*" (AntonShuvaev/intellij-dynamodb#20, 2022).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Server, client_for, free_port
from tests.helpers import (
    ACCOUNT,
    REGION,
    S,
    allow,
    create_table,
    deny,
    directory_of,
    error,
    failure,
    new_user,
    policy,
)

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def no_identity_policy(who: str, action: str, resource: str) -> str:
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def ddb_for(server, user):
    return client_for(server.endpoint, credentials=user.credentials)


@pytest.fixture(scope="module")
def music(ddb) -> str:
    name = create_table(ddb, name=f"music-{uuid.uuid4().hex[:8]}")
    ddb.put_item(TableName=name, Item={"pk": S("artist"), "sk": S("song"), "year": {"N": "2024"}})
    return name


KEY = {"pk": S("artist"), "sk": S("song")}


# --- deny by default ------------------------------------------------------------------------------------


def test_a_user_without_any_policy_may_do_nothing(server, music):
    user = new_user(server)
    ddb = ddb_for(server, user)

    assert error(ddb.get_item, TableName=music, Key=KEY) == (
        "AccessDeniedException", no_identity_policy(user.arn, "dynamodb:GetItem", table_arn(music)), 400)
    assert error(ddb.list_tables) == (
        "AccessDeniedException",
        no_identity_policy(user.arn, "dynamodb:ListTables", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"), 400)


def test_the_denial_has_dynamodbs_coral_error_type(server, music):
    user = new_user(server)

    response = failure(ddb_for(server, user).get_item, TableName=music, Key=KEY)

    assert response["Error"]["Code"] == "AccessDeniedException"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.0"


def test_a_denied_request_for_a_table_that_does_not_exist_is_denied_not_not_found(server):
    user = new_user(server)

    code, message, _ = error(ddb_for(server, user).describe_table, TableName="no-such-table")

    assert code == "AccessDeniedException"
    assert message == no_identity_policy(user.arn, "dynamodb:DescribeTable", table_arn("no-such-table"))


# --- identity-based policies ----------------------------------------------------------------------------


def test_an_inline_policy_allows_exactly_its_actions_on_exactly_its_resources(server, ddb, music):
    other = create_table(ddb)
    user = new_user(server, policy(allow("dynamodb:GetItem", table_arn(music))))
    client = ddb_for(server, user)

    assert client.get_item(TableName=music, Key=KEY)["Item"]["year"] == {"N": "2024"}
    assert error(client.get_item, TableName=other, Key=KEY) == (
        "AccessDeniedException", no_identity_policy(user.arn, "dynamodb:GetItem", table_arn(other)), 400)
    assert error(client.put_item, TableName=music, Item=KEY)[0] == "AccessDeniedException"


def test_a_table_given_by_its_arn_is_authorized_as_that_table(server, music):
    user = new_user(server, policy(allow("dynamodb:GetItem", table_arn(music))))

    assert ddb_for(server, user).get_item(TableName=table_arn(music), Key=KEY)["Item"]


def test_actions_match_case_insensitively_and_with_wildcards(server, music):
    user = new_user(server, policy(allow(["DYNAMODB:get*", "dynamodb:Describe?able"], "*")))
    client = ddb_for(server, user)

    assert client.get_item(TableName=music, Key=KEY)["Item"]
    assert client.describe_table(TableName=music)["Table"]["TableName"] == music
    assert error(client.query, TableName=music, KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": S("artist")})[0] == "AccessDeniedException"


def test_an_explicit_deny_beats_any_allow(server, music):
    user = new_user(server, policy(allow("dynamodb:*"), deny("dynamodb:GetItem", table_arn(music))))
    client = ddb_for(server, user)

    assert error(client.get_item, TableName=music, Key=KEY) == (
        "AccessDeniedException",
        f"User: {user.arn} is not authorized to perform: dynamodb:GetItem on resource: {table_arn(music)} "
        "with an explicit deny in an identity-based policy", 400)
    assert client.describe_table(TableName=music)["Table"]


def test_a_managed_policy_attached_to_the_user_allows(server, music):
    user = new_user(server, managed=("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",))
    client = ddb_for(server, user)

    assert client.get_item(TableName=music, Key=KEY)["Item"]
    assert error(client.delete_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"


def test_a_policy_of_the_users_group_allows(server, music):
    from moatdb.auth.directory import GROUP

    group = f"g-{uuid.uuid4().hex[:8]}"
    with directory_of(server) as directory:
        directory.create_group(ACCOUNT, group)
        directory.put_inline_policy(GROUP, ACCOUNT, group, "read", policy(allow("dynamodb:GetItem")))
    user = new_user(server, groups=(group,))

    assert ddb_for(server, user).get_item(TableName=music, Key=KEY)["Item"]


def test_a_permissions_boundary_caps_what_the_identity_policy_allows(server, music):
    with directory_of(server) as directory:
        boundary = directory.create_policy(ACCOUNT, f"b-{uuid.uuid4().hex[:8]}",
                                           policy(allow(["dynamodb:GetItem", "dynamodb:DescribeTable"]))).arn
    user = new_user(server, managed=(ADMINISTRATOR_ACCESS,), boundary=boundary)
    client = ddb_for(server, user)

    assert client.get_item(TableName=music, Key=KEY)["Item"]
    assert error(client.put_item, TableName=music, Item=KEY) == (
        "AccessDeniedException",
        f"User: {user.arn} is not authorized to perform: dynamodb:PutItem on resource: {table_arn(music)} "
        "because no permissions boundary allows the dynamodb:PutItem action", 400)


# --- conditions and the request context -----------------------------------------------------------------


def test_a_condition_on_the_source_ip_sees_the_sockets_peer(server, music):
    loopback = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))
    elsewhere = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})))

    assert ddb_for(server, loopback).get_item(TableName=music, Key=KEY)["Item"]
    assert error(ddb_for(server, elsewhere).get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"


def test_a_forwarded_for_header_does_not_change_the_source_ip(server, music):
    user = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})))
    client = ddb_for(server, user)
    client.meta.events.register("before-sign.dynamodb.*", lambda request, **_: request.headers.__setitem__(
        "X-Forwarded-For", "192.0.2.7"))

    assert error(client.get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"


def test_a_condition_on_the_source_vpc_fails_on_the_public_door(server, music):
    user = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "StringEquals": {"aws:SourceVpc": "vpc-111"}})))

    assert error(ddb_for(server, user).get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"


def test_leading_keys_restrict_a_user_to_items_under_their_own_name(server, ddb, music):
    user = new_user(server, policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], table_arn(music), Condition={
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}})))
    client = ddb_for(server, user)
    own = {"pk": S(user.name), "sk": S("profile")}

    client.put_item(TableName=music, Item=own)
    assert client.get_item(TableName=music, Key=own)["Item"] == own
    assert error(client.get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"
    assert error(client.put_item, TableName=music, Item={"pk": S("someone-else"), "sk": S("x")})[0] == (
        "AccessDeniedException")


def test_a_principal_tag_condition_reads_the_users_tags(server, music):
    condition = {"StringEquals": {"aws:PrincipalTag/team": "music"}}
    tagged = new_user(server, policy(allow("dynamodb:GetItem", Condition=condition)), tags={"team": "music"})
    untagged = new_user(server, policy(allow("dynamodb:GetItem", Condition=condition)))

    assert ddb_for(server, tagged).get_item(TableName=music, Key=KEY)["Item"]
    assert error(ddb_for(server, untagged).get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"


# --- batches --------------------------------------------------------------------------------------------


def test_a_batch_is_denied_whole_when_one_of_its_tables_is_not_allowed(server, ddb, music):
    other = create_table(ddb)
    user = new_user(server, policy(allow("dynamodb:BatchGetItem", table_arn(music))))
    client = ddb_for(server, user)

    assert client.batch_get_item(RequestItems={music: {"Keys": [KEY]}})["Responses"][music]
    code, message, _ = error(client.batch_get_item, RequestItems={music: {"Keys": [KEY]}, other: {"Keys": [KEY]}})
    assert code == "AccessDeniedException"
    assert message == no_identity_policy(user.arn, "dynamodb:BatchGetItem", table_arn(other))


# --- changes take effect on the next request ------------------------------------------------------------


def test_a_policy_change_holds_from_the_next_request_in_every_worker(tmp_path):
    from moatdb.auth.directory import USER

    server = Server(tmp_path, free_port(), workers=2).start()
    try:
        admin = client_for(server.endpoint)
        table = create_table(admin)
        user = new_user(server, policy(allow("dynamodb:GetItem")))
        clients = [ddb_for(server, user) for _ in range(4)]  # four connections, spread over both workers
        for client in clients:
            assert "Item" not in client.get_item(TableName=table, Key=KEY)

        with directory_of(server) as directory:
            directory.put_inline_policy(USER, ACCOUNT, user.name, "p0", policy(deny("dynamodb:GetItem")))

        for client in clients:
            assert error(client.get_item, TableName=table, Key=KEY)[0] == "AccessDeniedException"
    finally:
        server.stop()
