"""What a record keeps of a request and of its response: attribute names but never their values,
never a secret.

CloudTrail shows an assumed role's or a new access key's AccessKeyId but not its secret (CloudTrail
User Guide, "CloudTrail userIdentity element" and IAM User Guide, "Logging IAM and AWS STS API calls
with AWS CloudTrail": https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html);
DynamoDB's non-key attribute values do not appear in CloudTrail (DynamoDB Developer Guide,
"Understanding DynamoDB log file entries"); moatdb hides key values too (docs/audit.md). Members
are named as CloudTrail names them: the first letter lower-cased.
"""

from __future__ import annotations

import orjson
import pytest

from moatdb.audit.redact import HIDDEN, Redactor

SECRET = "the-value-nobody-may-read"


@pytest.fixture(scope="module")
def dynamodb() -> Redactor:
    return Redactor("dynamodb")


def nothing_secret(value: object) -> None:
    assert SECRET.encode() not in orjson.dumps(value)


def test_a_get_item_keeps_the_table_and_the_key_attribute_names_and_hides_their_values(dynamodb):
    kept = dynamodb.request("GetItem", {"TableName": "Music", "Key": {"Artist": {"S": SECRET}, "Song": {"N": "7"}},
                                        "ConsistentRead": True, "ProjectionExpression": "#a, Year",
                                        "ExpressionAttributeNames": {"#a": "Album"}})
    assert kept == {"tableName": "Music", "key": {"Artist": HIDDEN, "Song": HIDDEN}, "consistentRead": True,
                    "projectionExpression": "#a, Year", "expressionAttributeNames": {"#a": "Album"}}


def test_an_item_written_keeps_its_attribute_names_only(dynamodb):
    kept = dynamodb.request("PutItem", {"TableName": "Music", "Item": {
        "Artist": {"S": SECRET}, "Tags": {"SS": [SECRET]}, "Doc": {"M": {"inner": {"S": SECRET}}}}})
    assert kept == {"tableName": "Music", "item": {"Artist": HIDDEN, "Tags": HIDDEN, "Doc": HIDDEN}}


def test_expression_attribute_values_and_a_start_key_are_hidden_but_the_expressions_stay(dynamodb):
    kept = dynamodb.request("Query", {
        "TableName": "Music", "KeyConditionExpression": "Artist = :a", "FilterExpression": "Price > :p",
        "ExpressionAttributeValues": {":a": {"S": SECRET}, ":p": {"N": "10"}},
        "ExclusiveStartKey": {"Artist": {"S": SECRET}}})
    assert kept["expressionAttributeValues"] == {":a": HIDDEN, ":p": HIDDEN}
    assert kept["exclusiveStartKey"] == {"Artist": HIDDEN}
    assert kept["keyConditionExpression"] == "Artist = :a" and kept["filterExpression"] == "Price > :p"


def test_the_legacy_condition_and_update_parameters_hide_their_values(dynamodb):
    kept = dynamodb.request("UpdateItem", {
        "TableName": "Music", "Key": {"Artist": {"S": SECRET}},
        "AttributeUpdates": {"Plays": {"Value": {"N": "1"}, "Action": "ADD"}},
        "Expected": {"Owner": {"Value": {"S": SECRET}, "ComparisonOperator": "EQ",
                               "AttributeValueList": [{"S": SECRET}]}}})
    assert kept["attributeUpdates"] == {"Plays": {"value": HIDDEN, "action": "ADD"}}
    assert kept["expected"] == {"Owner": {"value": HIDDEN, "comparisonOperator": "EQ", "attributeValueList": [HIDDEN]}}
    nothing_secret(kept)


def test_batches_hide_every_key_and_item_of_every_table(dynamodb):
    written = dynamodb.request("BatchWriteItem", {"RequestItems": {"Music": [
        {"PutRequest": {"Item": {"Artist": {"S": SECRET}}}}, {"DeleteRequest": {"Key": {"Artist": {"S": SECRET}}}}]}})
    assert written == {"requestItems": {"Music": [{"putRequest": {"item": {"Artist": HIDDEN}}},
                                                  {"deleteRequest": {"key": {"Artist": HIDDEN}}}]}}
    read = dynamodb.request("BatchGetItem", {"RequestItems": {"Music": {"Keys": [{"Artist": {"S": SECRET}}]}}})
    assert read == {"requestItems": {"Music": {"keys": [{"Artist": HIDDEN}]}}}


def test_a_value_of_the_wrong_type_is_hidden_whatever_it_holds(dynamodb):
    # A request the model refuses is still recorded: what it sent in the wrong place could be anything.
    kept = dynamodb.request("GetItem", {"TableName": {"S": SECRET}, "Key": [SECRET], "Unknown": SECRET})
    assert kept == {"tableName": HIDDEN, "key": HIDDEN}


def test_an_unknown_operation_has_no_parameters(dynamodb):
    assert dynamodb.request("NoSuchOperation", {"TableName": SECRET}) is None


def test_assume_role_keeps_its_parameters_rebuilt_from_the_form_but_not_the_signature():
    sts = Redactor("sts")
    kept = sts.form("AssumeRole", {
        "Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::111122223333:role/app",
        "RoleSessionName": "nightly", "DurationSeconds": "900", "SourceIdentity": "alice",
        "Tags.member.1.Key": "team", "Tags.member.1.Value": "data",
        "X-Amz-Signature": SECRET, "X-Amz-Security-Token": SECRET, "X-Amz-Credential": "ASIA/x"})
    assert kept == {"roleArn": "arn:aws:iam::111122223333:role/app", "roleSessionName": "nightly",
                    "durationSeconds": 900, "sourceIdentity": "alice", "tags": [{"key": "team", "value": "data"}]}


def test_assume_role_shows_the_new_access_key_id_but_neither_its_secret_nor_its_session_token():
    sts = Redactor("sts")
    shown = sts.response("AssumeRole", {
        "Credentials": {"AccessKeyId": "ASIANEW0000000000000", "SecretAccessKey": SECRET, "SessionToken": SECRET,
                        "Expiration": "2025-11-24T17:00:00Z"},
        "AssumedRoleUser": {"AssumedRoleId": "AROAAPP:nightly", "Arn": "arn:aws:sts::111122223333:assumed-role/app/n"},
        "SourceIdentity": "alice"})
    assert shown == {"credentials": {"accessKeyId": "ASIANEW0000000000000", "expiration": "2025-11-24T17:00:00Z"},
                     "assumedRoleUser": {"assumedRoleId": "AROAAPP:nightly",
                                         "arn": "arn:aws:sts::111122223333:assumed-role/app/n"},
                     "sourceIdentity": "alice"}


def test_a_new_iam_access_key_is_shown_without_its_secret_and_dates_read_as_dates():
    iam = Redactor("iam")
    shown = iam.response("CreateAccessKey", {"AccessKey": {"UserName": "alice", "AccessKeyId": "AKIANEW0000000000000",
                                                           "Status": "Active", "SecretAccessKey": SECRET,
                                                           "CreateDate": 1_764_000_000}})
    assert shown == {"accessKey": {"userName": "alice", "accessKeyId": "AKIANEW0000000000000", "status": "Active",
                                   "createDate": "2025-11-24T16:00:00Z"}}


def test_a_password_is_left_out_of_the_parameters_because_the_model_marks_it_sensitive():
    iam = Redactor("iam")
    kept = iam.form("CreateLoginProfile", {"Action": "CreateLoginProfile", "UserName": "alice", "Password": SECRET})
    assert kept == {"userName": "alice"}
