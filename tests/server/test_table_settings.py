"""The table settings infrastructure tools set and read back: CreateTable's SSESpecification and
DescribeTable's SSEDescription, Contributor Insights, and Kinesis streaming destinations.

Sources, cited by each test:
- [sse]: API Reference, SSESpecification and SSEDescription (Enabled true: a KMS key, the AWS managed
  key alias/aws/dynamodb unless KMSMasterKeyId names one; false or absent: an AWS owned key).
- [insights]: API Reference, DescribeContributorInsights, UpdateContributorInsights,
  ListContributorInsights (statuses, modes, the summaries).
- [kinesis]: API Reference, DescribeKinesisStreamingDestination.
moatdb has no KMS, no CloudWatch and no Kinesis: it keeps and reports the settings (docs/tags-and-ttl.md).
"""

from __future__ import annotations

from tests.conftest import client_for
from tests.helpers import ACCOUNT, REGION, allow, error, new_user, policy

KEYS = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_sse_enabled_reports_the_aws_managed_kms_key(ddb, table_name):
    # [sse]
    created = ddb.create_table(TableName=table_name, **KEYS, SSESpecification={"Enabled": True})
    try:
        described = ddb.describe_table(TableName=table_name)["Table"]["SSEDescription"]
        assert described == created["TableDescription"]["SSEDescription"]
        assert described["Status"] == "ENABLED"
        assert described["SSEType"] == "KMS"
        assert described["KMSMasterKeyArn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    finally:
        ddb.delete_table(TableName=table_name)


def test_sse_with_a_customer_key_reports_that_key(ddb, table_name):
    ddb.create_table(TableName=table_name, **KEYS,
                     SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY_ARN})
    try:
        assert ddb.describe_table(TableName=table_name)["Table"]["SSEDescription"] == {
            "Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN}
    finally:
        ddb.delete_table(TableName=table_name)


def test_sse_disabled_or_absent_is_the_aws_owned_key_of_which_describe_says_nothing(ddb, table_name):
    ddb.create_table(TableName=table_name, **KEYS, SSESpecification={"Enabled": False})
    try:
        assert "SSEDescription" not in ddb.describe_table(TableName=table_name)["Table"]
    finally:
        ddb.delete_table(TableName=table_name)


def test_contributor_insights_is_disabled_then_enabled_listed_and_disabled(ddb, hash_table):
    # [insights]
    assert ddb.describe_contributor_insights(TableName=hash_table)["ContributorInsightsStatus"] == "DISABLED"

    reply = ddb.update_contributor_insights(TableName=hash_table, ContributorInsightsAction="ENABLE")

    assert (reply["TableName"], reply["ContributorInsightsStatus"]) == (hash_table, "ENABLING")
    described = ddb.describe_contributor_insights(TableName=hash_table)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert described["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    assert described["ContributorInsightsRuleList"]
    assert ddb.list_contributor_insights(TableName=hash_table)["ContributorInsightsSummaries"] == [
        {"TableName": hash_table, "ContributorInsightsStatus": "ENABLED",
         "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"}]

    reply = ddb.update_contributor_insights(TableName=hash_table, ContributorInsightsAction="DISABLE")

    assert reply["ContributorInsightsStatus"] == "DISABLING"
    assert ddb.describe_contributor_insights(TableName=hash_table)["ContributorInsightsStatus"] == "DISABLED"
    assert ddb.list_contributor_insights(TableName=hash_table)["ContributorInsightsSummaries"] == []


def test_contributor_insights_on_an_index_the_table_lacks_is_not_found(ddb, hash_table):
    code, message, status = error(ddb.describe_contributor_insights, TableName=hash_table, IndexName="nope")

    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message == f"Requested resource not found: Index: nope not found for table: {hash_table}"  # wording assumed


def test_contributor_insights_on_a_table_that_does_not_exist_is_not_found(ddb):
    assert error(ddb.describe_contributor_insights, TableName="no-such-table") == (
        "ResourceNotFoundException", "Requested resource not found: Table: no-such-table not found", 400)


def test_a_table_streams_to_no_kinesis_destination(ddb, hash_table):
    # [kinesis]
    reply = ddb.describe_kinesis_streaming_destination(TableName=hash_table)

    assert (reply["TableName"], reply["KinesisDataStreamDestinations"]) == (hash_table, [])


def test_contributor_insights_actions_are_authorized_on_the_table(server, hash_table):
    user = new_user(server, policy(allow("dynamodb:DescribeContributorInsights", "arn:aws:dynamodb:*:*:table/other")))
    client = client_for(server.endpoint, credentials=user.credentials)

    code, message, _ = error(client.describe_contributor_insights, TableName=hash_table)

    assert code == "AccessDeniedException"
    assert f"dynamodb:DescribeContributorInsights on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{hash_table}" \
        in message


def test_contributor_insights_on_an_index_is_its_own(ddb, table_name):
    ddb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    try:
        reply = ddb.update_contributor_insights(TableName=table_name, IndexName="by-g", ContributorInsightsAction="ENABLE",
                                                ContributorInsightsMode="THROTTLED_KEYS")

        assert (reply["IndexName"], reply["ContributorInsightsStatus"]) == ("by-g", "ENABLING")
        assert ddb.describe_contributor_insights(TableName=table_name)["ContributorInsightsStatus"] == "DISABLED"
        described = ddb.describe_contributor_insights(TableName=table_name, IndexName="by-g")
        assert (described["ContributorInsightsStatus"], described["ContributorInsightsMode"]) == (
            "ENABLED", "THROTTLED_KEYS")
        summaries = ddb.list_contributor_insights()["ContributorInsightsSummaries"]
        assert {"TableName": table_name, "IndexName": "by-g", "ContributorInsightsStatus": "ENABLED",
                "ContributorInsightsMode": "THROTTLED_KEYS"} in summaries
    finally:
        ddb.delete_table(TableName=table_name)


def test_update_table_changes_the_key_a_table_is_encrypted_with(ddb, hash_table):
    # [sse]; UpdateTable's SSESpecification (API Reference, UpdateTable), as Terraform sends it.
    ddb.update_table(TableName=hash_table, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY_ARN})

    assert ddb.describe_table(TableName=hash_table)["Table"]["SSEDescription"] == {
        "Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN}

    ddb.update_table(TableName=hash_table, SSESpecification={"Enabled": False})

    assert "SSEDescription" not in ddb.describe_table(TableName=hash_table)["Table"]
