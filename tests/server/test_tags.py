"""Tags on tables: TagResource, UntagResource, ListTagsOfResource, CreateTable's Tags, and the tags
as aws:ResourceTag/<key> and aws:RequestTag/<key> in policies, as boto3 sees them.

Sources, cited by each test:
- [restrictions]: Developer Guide, "Tagging restrictions in DynamoDB" (50 tags, key 128 and value 256
  characters, the characters allowed, aws: reserved, a key tagged again takes the new value).
- [abac]: Developer Guide, "Using attribute-based access control with DynamoDB" and "Examples for using
  ABAC with DynamoDB tables and indexes" (aws:ResourceTag on item actions, indexes inherit the
  table's tags, the 10 KB of all tags).
- [alternator]: scylladb's test/alternator/test_tag.py, run against AWS (which requests AWS refuses,
  with which error type; "ARNs must start with 'arn:'"; index ARNs refused; removing an absent key).
- [not-found]: AWS's answer for a table ARN that names no table, typo included ("ResourcArn"), as
  reported in turbot/steampipe-plugin-aws#1516 and cloud-custodian/cloud-custodian#3514.
- [pages]: "ListTagsOfResource does not support pagination at the API level" (the DynamoDB team in
  aws/aws-sdk#583, 2024).
- [sar]: Service Authorization Reference, Amazon DynamoDB (CreateTable and TagResource take
  aws:RequestTag/${TagKey} and aws:TagKeys; UntagResource aws:TagKeys).
Messages for which no capture from AWS was found are marked "wording assumed".
"""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.helpers import (
    ACCOUNT,
    INVALID,
    REGION,
    S,
    allow,
    create_table,
    deny,
    error,
    new_user,
    policy,
)

KEY = {"pk": S("a"), "sk": S("b")}


def arn_of(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def tags_of(ddb, name: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in ddb.list_tags_of_resource(ResourceArn=arn_of(name))["Tags"]}


def test_a_table_starts_without_tags_and_lists_what_was_tagged(ddb, table):
    assert ddb.list_tags_of_resource(ResourceArn=arn_of(table))["Tags"] == []

    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "env", "Value": "prod"},
                                                      {"Key": "team", "Value": "data"}])

    reply = ddb.list_tags_of_resource(ResourceArn=arn_of(table))
    assert reply["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}]
    assert "NextToken" not in reply  # [pages]


def test_tagging_a_key_again_replaces_its_value_and_keeps_the_others(ddb, table):
    # [restrictions]: "If you try to add an existing tag (same key), the existing tag value is updated".
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "env", "Value": "dev"}, {"Key": "a", "Value": ""}])

    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "env", "Value": "prod"}])

    assert tags_of(ddb, table) == {"env": "prod", "a": ""}  # an empty value is a value [alternator]


def test_untagging_removes_the_keys_named_and_ignores_absent_ones(ddb, table):
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": k, "Value": "v"} for k in ("x", "y", "z")])

    ddb.untag_resource(ResourceArn=arn_of(table), TagKeys=["y", "never-there"])  # [alternator]

    assert tags_of(ddb, table) == {"x": "v", "z": "v"}


def test_create_table_attaches_its_tags(ddb, table_name):
    ddb.create_table(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "env", "Value": "prod"}])
    try:
        assert tags_of(ddb, table_name) == {"env": "prod"}
        assert "Tags" not in ddb.describe_table(TableName=table_name)["Table"]
    finally:
        ddb.delete_table(TableName=table_name)


def test_a_table_created_with_too_many_tags_is_not_created(ddb, table_name):
    # [alternator] test_too_long_tags_from_creation: a ValidationException, and no table.
    assert error(ddb.create_table, TableName=table_name, BillingMode="PAY_PER_REQUEST",
                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 Tags=[{"Key": str(i), "Value": str(i)} for i in range(51)]) == (
        "ValidationException", INVALID + "The number of tags exceeds the limit of 50", 400)  # wording assumed
    assert error(ddb.describe_table, TableName=table_name)[0] == "ResourceNotFoundException"


def test_fifty_tags_fit_and_the_fifty_first_is_refused_with_nothing_changed(ddb, table):
    # [restrictions] 50 tags per resource; [alternator] 30 + 20 then 20 more is a ValidationException.
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": str(i), "Value": "v"} for i in range(30)])
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": str(i), "Value": "w"} for i in range(20, 50)])

    assert error(ddb.tag_resource, ResourceArn=arn_of(table), Tags=[{"Key": "one-more", "Value": "v"}]) == (
        "ValidationException", INVALID + "The number of tags exceeds the limit of 50", 400)  # wording assumed
    assert len(tags_of(ddb, table)) == 50
    # Retagging an existing key on a full table adds no tag, so it is allowed.
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "0", "Value": "changed"}])
    assert tags_of(ddb, table)["0"] == "changed"


@pytest.mark.parametrize(("key", "value", "message"), [
    # [restrictions]: "AWS-assigned tag names and values are automatically assigned the aws: prefix,
    # which the user cannot assign". Wording assumed.
    ("aws:owner", "x", INVALID + "Tag keys starting with 'aws:' are reserved for AWS use: aws:owner"),
    # [restrictions] letters, white space, numbers and + - = . _ : / only; [alternator] test_tag_forbidden_chars.
    ("hi!", "x", INVALID + "Invalid tag key: hi!. Tag keys may only contain letters, white space, numbers"
                           " and + - = . _ : /"),
    ("ok", "d%g", INVALID + "Invalid tag value: d%g. Tag values may only contain letters, white space,"
                            " numbers and + - = . _ : /"),
    # The model's lengths, in Coral's words [alternator] test_tag_key_length_129_forbidden.
    ("x" * 129, "x", "1 validation error detected: Value '" + "x" * 129 + "' at 'tags.1.member.key' failed to"
                     " satisfy constraint: Member must have length less than or equal to 128"),
])
def test_tags_dynamodb_refuses_change_nothing(raw_ddb, table, key, value, message):
    code, text, status = error(raw_ddb.tag_resource, ResourceArn=arn_of(table), Tags=[{"Key": key, "Value": value}])

    assert (code, status) == ("ValidationException", 400)
    assert text == message
    assert tags_of(raw_ddb, table) == {}


def test_letters_of_any_alphabet_white_space_and_the_allowed_signs_are_accepted(ddb, table):
    tags = [{"Key": "законные буквы", "Value": "ѮѮ Ѯ"}, {"Key": "a+b-c=d.e_f:g/h", "Value": "x" * 256},
            {"Key": "k" * 128, "Value": "1 2"}]

    ddb.tag_resource(ResourceArn=arn_of(table), Tags=tags)

    assert ddb.list_tags_of_resource(ResourceArn=arn_of(table))["Tags"] == tags


def test_a_key_twice_in_one_request_is_refused(ddb, table):
    assert error(ddb.tag_resource, ResourceArn=arn_of(table),
                 Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]) == (
        "ValidationException", INVALID + "Duplicate tag key: k", 400)  # wording assumed


def test_an_empty_tag_list_is_refused(raw_ddb, table):
    # [alternator] test_tag_resource_incorrect: Tags=[] is a ValidationException. Wording assumed (Coral's).
    assert error(raw_ddb.tag_resource, ResourceArn=arn_of(table), Tags=[]) == (
        "ValidationException", "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint:"
        " Member must have length greater than or equal to 1", 400)


def test_an_arn_that_names_no_table_is_not_found(ddb, table):
    # [alternator] test_tag_resource_subtly_incorrect_arn: ResourceNotFoundException; [not-found] wording.
    missing = arn_of(table) + "x"
    for call, params in ((ddb.tag_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
                         (ddb.untag_resource, {"TagKeys": ["k"]}), (ddb.list_tags_of_resource, {})):
        assert error(call, ResourceArn=missing, **params) == (
            "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {missing} not found", 400)


def test_what_is_no_arn_or_an_index_arn_is_refused_before_anything_else(ddb, table):
    # [alternator]: "ARNs must start with 'arn:'"; an index is not tagged on its own ("Invalid resource
    # arn provided, only table or stream is accepted").
    assert error(ddb.tag_resource, ResourceArn="I_do_not_exist", Tags=[{"Key": "k", "Value": "v"}]) == (
        "ValidationException", INVALID + "ARNs must start with 'arn:': I_do_not_exist", 400)
    index = arn_of(table) + "/index/gsi"
    assert error(ddb.list_tags_of_resource, ResourceArn=index) == (
        "ValidationException", INVALID + "Invalid resource arn provided, only table or stream is accepted."
        f" Provided resource arn: {index}", 400)


def test_deleting_a_table_deletes_its_tags(ddb, table_name):
    create_table(ddb, name=table_name)
    ddb.tag_resource(ResourceArn=arn_of(table_name), Tags=[{"Key": "env", "Value": "prod"}])
    ddb.delete_table(TableName=table_name)
    create_table(ddb, name=table_name)
    try:
        assert tags_of(ddb, table_name) == {}
    finally:
        ddb.delete_table(TableName=table_name)


# --- tags in policies ---------------------------------------------------------------------------------


def test_a_policy_on_aws_resource_tag_allows_get_item_only_on_tables_so_tagged(server, ddb, make_table):
    # [abac] Example 1: an action allowed when the table's tag matches the policy's.
    prod, dev = make_table(), make_table()
    ddb.tag_resource(ResourceArn=arn_of(prod), Tags=[{"Key": "env", "Value": "prod"}])
    ddb.tag_resource(ResourceArn=arn_of(dev), Tags=[{"Key": "env", "Value": "dev"}])
    user = new_user(server, policy(allow("dynamodb:GetItem", "*",
                                         Condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})))
    client = client_for(server.endpoint, credentials=user.credentials)

    assert "Item" not in client.get_item(TableName=prod, Key=KEY)
    code, message, _ = error(client.get_item, TableName=dev, Key=KEY)
    assert code == "AccessDeniedException"
    assert message == (f"User: {user.arn} is not authorized to perform: dynamodb:GetItem on resource:"
                       f" {arn_of(dev)} because no identity-based policy allows the dynamodb:GetItem action")

    # A tag change holds from the next request: untagged, the table is no longer readable.
    ddb.untag_resource(ResourceArn=arn_of(prod), TagKeys=["env"])
    assert error(client.get_item, TableName=prod, Key=KEY)[0] == "AccessDeniedException"


def test_a_deny_on_aws_resource_tag_denies_an_action_the_user_may_otherwise_do(server, ddb, table):
    # Tag keys in condition keys are case-insensitive (IAM User Guide, "Condition element": key names).
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "Env", "Value": "prod"}])
    user = new_user(server, policy(allow("dynamodb:*"),
                                   deny("dynamodb:GetItem", Condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})))
    client = client_for(server.endpoint, credentials=user.credentials)

    code, message, _ = error(client.get_item, TableName=table, Key=KEY)

    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in an identity-based policy")
    client.put_item(TableName=table, Item=KEY)  # only GetItem is denied


def test_aws_request_tag_governs_create_table_with_tags(server, ddb, table_name):
    # [sar]: CreateTable takes aws:RequestTag/${TagKey} and aws:TagKeys; [abac] Example 2.
    user = new_user(server, policy(
        allow("dynamodb:CreateTable", Condition={"StringEquals": {"aws:RequestTag/env": "dev"}}),
        allow(["dynamodb:DeleteTable", "dynamodb:ListTagsOfResource"])))
    client = client_for(server.endpoint, credentials=user.credentials)
    spec = {"TableName": table_name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}

    assert error(client.create_table, **spec, Tags=[{"Key": "env", "Value": "prod"}])[0] == "AccessDeniedException"
    assert error(client.create_table, **spec)[0] == "AccessDeniedException"  # no tag: the condition fails
    client.create_table(**spec, Tags=[{"Key": "env", "Value": "dev"}])
    try:
        assert tags_of(client, table_name) == {"env": "dev"}
    finally:
        client.delete_table(TableName=table_name)


def test_aws_tag_keys_governs_which_keys_may_be_untagged(server, ddb, table):
    # [abac] Example 3: deny an action using aws:TagKeys.
    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "owner", "Value": "a"}, {"Key": "note", "Value": "b"}])
    user = new_user(server, policy(
        allow(["dynamodb:UntagResource", "dynamodb:ListTagsOfResource"]),
        deny("dynamodb:UntagResource", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}})))
    client = client_for(server.endpoint, credentials=user.credentials)

    assert error(client.untag_resource, ResourceArn=arn_of(table), TagKeys=["note", "owner"])[0] == (
        "AccessDeniedException")
    client.untag_resource(ResourceArn=arn_of(table), TagKeys=["note"])

    assert tags_of(ddb, table) == {"owner": "a"}


def test_a_table_policy_reading_aws_resource_tag_sees_the_tables_tags(server, ddb, table):
    # The tags are the resource's, whichever policy reads them: here the table's resource-based policy
    # (Developer Guide, ABAC: "identity-based policies or other AWS policies, such as resource-based
    # policies").
    user = new_user(server, policy(allow("dynamodb:*")))
    ddb.put_resource_policy(ResourceArn=arn_of(table), Policy=policy(deny(
        "dynamodb:GetItem", arn_of(table), Principal={"AWS": user.arn},
        Condition={"StringEquals": {"aws:ResourceTag/locked": "yes"}})))
    client = client_for(server.endpoint, credentials=user.credentials)
    assert "Item" not in client.get_item(TableName=table, Key=KEY)

    ddb.tag_resource(ResourceArn=arn_of(table), Tags=[{"Key": "locked", "Value": "yes"}])

    code, message, _ = error(client.get_item, TableName=table, Key=KEY)
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a resource-based policy")


def test_a_stream_has_tags_of_its_own(ddb, table_name):
    # Developer Guide, "Using ABAC with DynamoDB Streams": tag-resource on the LatestStreamArn.
    described = ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                                 Tags=[{"Key": "of", "Value": "table"}])["TableDescription"]
    stream = described["LatestStreamArn"]
    try:
        ddb.tag_resource(ResourceArn=stream, Tags=[{"Key": "Team", "Value": "Analytics"}])

        assert ddb.list_tags_of_resource(ResourceArn=stream)["Tags"] == [{"Key": "Team", "Value": "Analytics"}]
        assert tags_of(ddb, table_name) == {"of": "table"}
        ddb.untag_resource(ResourceArn=stream, TagKeys=["Team"])
        assert ddb.list_tags_of_resource(ResourceArn=stream)["Tags"] == []
        other = stream[:-3] + "999"  # a label the table never had
        assert error(ddb.list_tags_of_resource, ResourceArn=other) == (
            "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {other} not found", 400)
    finally:
        ddb.delete_table(TableName=table_name)
