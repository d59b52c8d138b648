"""The map from a DynamoDB request to what must be authorized: actions, resources, condition keys.

Sources, cited by the short names below beside the rules they pin:

SAR: Service Authorization Reference, "Actions, resources, and condition keys for Amazon DynamoDB"
     https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
     (resource types per action: none for ListTables, DescribeLimits, DescribeEndpoints; table* and
     an optional index for Query and Scan; the condition keys each action supports)
PERMISSIONS: Developer Guide, "DynamoDB API permissions: Actions, resources, and conditions reference"
     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
     (BatchGetItem and BatchWriteItem are authorized as themselves, on each table; "To query an
     index: arn:aws:dynamodb:region:account-id:table/table-name/index/index-name")
FGAC: Developer Guide, "Using IAM policy conditions for fine-grained access control"
     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
     (LeadingKeys is the partition key; Attributes are the attributes "read, written, or evaluated
     in a conditional write or scan filter", key attributes included; "the Select parameter always
     has a value (ALL_ATTRIBUTES, unless otherwise specified)"; "the ReturnValues parameter always
     has a value (NONE unless otherwise specified)")
TRANSACTIONS: Developer Guide, "Using IAM with DynamoDB transactions"
     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
     (Put, Update, Delete and Get are authorized as PutItem, UpdateItem, DeleteItem and GetItem,
     ConditionCheck as ConditionCheckItem, all with dynamodb:EnclosingOperation; example 4 restricts
     ReturnValuesOnConditionCheckFailure through dynamodb:ReturnValues)
QUERY: API Reference, Query, Select: "If neither Select nor ProjectionExpression are specified,
     DynamoDB defaults to ALL_ATTRIBUTES when accessing a table, and ALL_PROJECTED_ATTRIBUTES when
     accessing an index." https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
"""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.authorization import KeySchema, Need, needs

ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
MUSIC, SCORES, COUNTERS = TABLE + "Music", TABLE + "GameScores", TABLE + "Counters"
TABLES = {
    "Music": KeySchema("Artist"),
    "GameScores": KeySchema("UserId", {"TopScoreIndex": "GameTitle", "UserIndex": "UserId"}),
    "Counters": KeySchema("Id"),
}


def lookup(name_or_arn: str) -> KeySchema | None:
    return TABLES.get(name_or_arn.removeprefix(TABLE))


def authorize(operation: str, params: dict) -> list[Need]:
    return needs(operation, params, account=ACCOUNT, region=REGION, table=lookup)


def keys(leading: tuple = (), attributes: tuple = (), select: str | None = None, returns: str | None = None,
         capacity: str | None = "NONE", enclosing: str | None = None) -> dict:
    """A need's context from the value(s) of each DynamoDB condition key; empty ones are absent."""
    found = {
        "dynamodb:leadingkeys": leading,
        "dynamodb:attributes": attributes,
        "dynamodb:select": (select,) if select else (),
        "dynamodb:returnvalues": (returns,) if returns else (),
        "dynamodb:returnconsumedcapacity": (capacity,) if capacity else (),
        "dynamodb:enclosingoperation": (enclosing,) if enclosing else (),
    }
    return {name: values for name, values in found.items() if values}


def s(text: str) -> dict:
    return {"S": text}


def n(text: str) -> dict:
    return {"N": text}


ACME = {"Artist": s("Acme")}
UPDATE = "SET Plays = if_not_exists(Plays, :z) + :one, #b = Top.Rank REMOVE Tags[1] ADD Fans :f"
CASES = [
    # DynamoDB asks about ListTables on every table of the account, as its denial names it: "... on
    # resource: arn:aws:dynamodb:us-east-1:ACCOUNT:table/*" (AntonShuvaev/intellij-dynamodb#20, 2022).
    pytest.param("ListTables", {"Limit": 5}, [Need("dynamodb:ListTables", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*", {})],
                 id="ListTables is authorized on every table of the account"),
    # SAR: no resource type, so a policy grants these on "*" only.
    pytest.param("DescribeLimits", {}, [Need("dynamodb:DescribeLimits", "*", {})],
                 id="DescribeLimits has no resource type and is authorized on *"),
    pytest.param("DescribeEndpoints", {}, [Need("dynamodb:DescribeEndpoints", "*", {})],
                 id="DescribeEndpoints has no resource type and is authorized on *"),
    # SAR, PERMISSIONS: table administration is authorized on the table, with no DynamoDB keys.
    pytest.param("CreateTable", {"TableName": "Fresh", "KeySchema": []},
                 [Need("dynamodb:CreateTable", TABLE + "Fresh", {})],
                 id="CreateTable is authorized on the ARN of the table it creates"),
    # API Reference, CreateTable, ResourcePolicy: "You need to specify the CreateTable and
    # PutResourcePolicy IAM actions for authorizing a user to create a table with a resource-based policy."
    pytest.param("CreateTable", {"TableName": "Fresh", "ResourcePolicy": "{}"},
                 [Need("dynamodb:CreateTable", TABLE + "Fresh", {}),
                  Need("dynamodb:PutResourcePolicy", TABLE + "Fresh", {})],
                 id="CreateTable with a ResourcePolicy also needs PutResourcePolicy on the new table"),
    pytest.param("DescribeTable", {"TableName": "Music"}, [Need("dynamodb:DescribeTable", MUSIC, {})],
                 id="DescribeTable is authorized on the table"),
    pytest.param("UpdateTable", {"TableName": "Music", "BillingMode": "PAY_PER_REQUEST"},
                 [Need("dynamodb:UpdateTable", MUSIC, {})],
                 id="UpdateTable is authorized on the table"),
    pytest.param("DeleteTable", {"TableName": "Music"}, [Need("dynamodb:DeleteTable", MUSIC, {})],
                 id="DeleteTable is authorized on the table"),
    pytest.param("DescribeTimeToLive", {"TableName": "Music"},
                 [Need("dynamodb:DescribeTimeToLive", MUSIC, {})],
                 id="DescribeTimeToLive is authorized on the table"),
    pytest.param("UpdateTimeToLive", {"TableName": "Music", "TimeToLiveSpecification": {}},
                 [Need("dynamodb:UpdateTimeToLive", MUSIC, {})],
                 id="UpdateTimeToLive is authorized on the table"),
    pytest.param("DescribeContinuousBackups", {"TableName": "Music"},
                 [Need("dynamodb:DescribeContinuousBackups", MUSIC, {})],
                 id="DescribeContinuousBackups is authorized on the table"),
    pytest.param("UpdateContinuousBackups", {"TableName": "Music"},
                 [Need("dynamodb:UpdateContinuousBackups", MUSIC, {})],
                 id="UpdateContinuousBackups is authorized on the table"),
    pytest.param("ListTagsOfResource", {"ResourceArn": MUSIC},
                 [Need("dynamodb:ListTagsOfResource", MUSIC, {})],
                 id="ListTagsOfResource is authorized on the resource it names"),
    pytest.param("GetResourcePolicy", {"ResourceArn": MUSIC}, [Need("dynamodb:GetResourcePolicy", MUSIC, {})],
                 id="GetResourcePolicy is authorized on the resource it names"),
    pytest.param("PutResourcePolicy", {"ResourceArn": MUSIC + "/stream/2024-01-01T00:00:00.000",
                                       "Policy": "{}"},
                 [Need("dynamodb:PutResourcePolicy", MUSIC + "/stream/2024-01-01T00:00:00.000", {})],
                 id="PutResourcePolicy on a stream is authorized on the stream's ARN"),
    pytest.param("DeleteResourcePolicy", {"ResourceArn": MUSIC},
                 [Need("dynamodb:DeleteResourcePolicy", MUSIC, {})],
                 id="DeleteResourcePolicy is authorized on the resource it names"),
    # SAR: aws:RequestTag applies to CreateTable and TagResource, aws:TagKeys to those and UntagResource.
    pytest.param("CreateTable", {"TableName": "Fresh", "Tags": [{"Key": "Team", "Value": "blue"}]},
                 [Need("dynamodb:CreateTable", TABLE + "Fresh",
                       {"aws:tagkeys": ("Team",), "aws:requesttag/team": ("blue",)})],
                 id="CreateTable with tags carries the tags requested"),
    pytest.param("TagResource", {"ResourceArn": MUSIC, "Tags": [{"Key": "Team", "Value": "blue"},
                                                                {"Key": "Cost", "Value": "7"}]},
                 [Need("dynamodb:TagResource", MUSIC, {"aws:tagkeys": ("Team", "Cost"),
                                                       "aws:requesttag/team": ("blue",),
                                                       "aws:requesttag/cost": ("7",)})],
                 id="TagResource carries the tag keys and the tags requested"),
    pytest.param("UntagResource", {"ResourceArn": MUSIC, "TagKeys": ["Team"]},
                 [Need("dynamodb:UntagResource", MUSIC, {"aws:tagkeys": ("Team",)})],
                 id="UntagResource carries the tag keys it removes"),
    # SAR: GetItem supports Attributes, LeadingKeys, ReturnConsumedCapacity and Select. FGAC:
    # LeadingKeys is the partition key; Attributes include the key attributes; Select defaults to
    # ALL_ATTRIBUTES.
    pytest.param("GetItem", {"TableName": "Music", "Key": {"Artist": s("Acme"), "Song": s("Day")}},
                 [Need("dynamodb:GetItem", MUSIC, keys(("Acme",), ("Artist", "Song"), "ALL_ATTRIBUTES"))],
                 id="GetItem of a whole item reads its key attributes and selects all attributes"),
    pytest.param("GetItem", {"TableName": "Music", "Key": ACME, "ReturnConsumedCapacity": "TOTAL",
                             "ProjectionExpression": "#y, Album.Title, Tracks[0].Length",
                             "ExpressionAttributeNames": {"#y": "Year"}},
                 [Need("dynamodb:GetItem", MUSIC, keys(("Acme",), ("Artist", "Year", "Album", "Tracks"),
                                                       "SPECIFIC_ATTRIBUTES", capacity="TOTAL"))],
                 id="GetItem with a projection reads the top-level attributes it projects, specifically"),
    pytest.param("GetItem", {"TableName": "Music", "Key": ACME, "AttributesToGet": ["Year"]},
                 [Need("dynamodb:GetItem", MUSIC,
                       keys(("Acme",), ("Artist", "Year"), "SPECIFIC_ATTRIBUTES"))],
                 id="GetItem with the legacy AttributesToGet selects the attributes it names"),
    # SAR: PutItem, UpdateItem, DeleteItem support Attributes, LeadingKeys, ReturnConsumedCapacity,
    # ReturnValues. FGAC: the attributes written and those a conditional write tests; ReturnValues
    # defaults to NONE.
    pytest.param("PutItem", {"TableName": "Music", "Item": {"Artist": s("Acme"), "Year": n("1999")},
                             "ConditionExpression": "attribute_not_exists(Artist) OR #p < :p",
                             "ExpressionAttributeNames": {"#p": "Plays"}},
                 [Need("dynamodb:PutItem", MUSIC,
                       keys(("Acme",), ("Artist", "Year", "Plays"), returns="NONE"))],
                 id="PutItem writes its item's attributes and tests its condition's"),
    pytest.param("PutItem", {"TableName": "Music", "Item": ACME, "ReturnValues": "ALL_OLD",
                             "ReturnConsumedCapacity": "INDEXES"},
                 [Need("dynamodb:PutItem", MUSIC, keys(("Acme",), ("Artist",), returns="ALL_OLD",
                                                       capacity="INDEXES"))],
                 id="PutItem carries the ReturnValues and ReturnConsumedCapacity it asks for"),
    pytest.param("UpdateItem", {"TableName": "Music", "Key": ACME, "UpdateExpression": UPDATE,
                                "ConditionExpression": "size(Notes) < :n",
                                "ExpressionAttributeNames": {"#b": "Best"}, "ReturnValues": "UPDATED_NEW"},
                 [Need("dynamodb:UpdateItem", MUSIC, keys(
                     ("Acme",), ("Artist", "Plays", "Best", "Top", "Tags", "Fans", "Notes"),
                     returns="UPDATED_NEW"))],
                 id="UpdateItem names every top-level attribute its expressions name, and no function"),
    pytest.param("UpdateItem", {"TableName": "Music", "Key": ACME,
                                "AttributeUpdates": {"Plays": {"Action": "ADD"}},
                                "Expected": {"Year": {"Exists": False}}},
                 [Need("dynamodb:UpdateItem", MUSIC,
                       keys(("Acme",), ("Artist", "Plays", "Year"), returns="NONE"))],
                 id="UpdateItem with the legacy AttributeUpdates and Expected names their attributes"),
    pytest.param("DeleteItem", {"TableName": "Music", "Key": ACME, "ConditionExpression": "Archived = :t",
                                "ReturnValues": "ALL_OLD"},
                 [Need("dynamodb:DeleteItem", MUSIC,
                       keys(("Acme",), ("Artist", "Archived"), returns="ALL_OLD"))],
                 id="DeleteItem names its key and condition attributes"),
    # SAR: Query supports Attributes, LeadingKeys, ReturnConsumedCapacity, Select (it has no
    # ReturnValues parameter to carry). FGAC: LeadingKeys is the partition key value queried.
    pytest.param("Query", {"TableName": "GameScores", "FilterExpression": "Wins > :w",
                           "KeyConditionExpression": "UserId = :u AND GameTitle > :g",
                           "ExpressionAttributeValues": {":u": s("u-1"), ":g": s("A"), ":w": n("3")}},
                 [Need("dynamodb:Query", SCORES,
                       keys(("u-1",), ("UserId", "GameTitle", "Wins"), "ALL_ATTRIBUTES"))],
                 id="Query of a table reads the partition its key condition names"),
    pytest.param("Query", {"TableName": "GameScores", "KeyConditionExpression": ":u = (#k)",
                           "ExpressionAttributeNames": {"#k": "UserId"},
                           "ExpressionAttributeValues": {":u": s("u-1")}},
                 [Need("dynamodb:Query", SCORES, keys(("u-1",), ("UserId",), "ALL_ATTRIBUTES"))],
                 id="Query's partition key value is found however the equality is written"),
    pytest.param("Query", {"TableName": "GameScores", "Select": "COUNT",
                           "KeyConditions": {"UserId": {"ComparisonOperator": "EQ",
                                                        "AttributeValueList": [s("u-2")]}},
                           "QueryFilter": {"Wins": {"ComparisonOperator": "GT"}}},
                 [Need("dynamodb:Query", SCORES, keys(("u-2",), ("UserId", "Wins"), "COUNT"))],
                 id="Query with the legacy KeyConditions reads the partition its EQ names"),
    # PERMISSIONS: a Query or Scan of an index is authorized on the index's ARN. QUERY: its Select
    # defaults to ALL_PROJECTED_ATTRIBUTES.
    pytest.param("Query", {"TableName": "GameScores", "IndexName": "TopScoreIndex",
                           "KeyConditionExpression": "GameTitle = :g",
                           "ExpressionAttributeValues": {":g": s("Go")}},
                 [Need("dynamodb:Query", SCORES + "/index/TopScoreIndex",
                       keys(("Go",), ("GameTitle",), "ALL_PROJECTED_ATTRIBUTES"))],
                 id="Query of an index is authorized on the index and reads the index's partition"),
    pytest.param("Query", {"TableName": "GameScores", "IndexName": "UserIndex",
                           "Select": "SPECIFIC_ATTRIBUTES",
                           "ProjectionExpression": "Wins", "KeyConditionExpression": "UserId = :u",
                           "ExpressionAttributeValues": {":u": s("u-1")}},
                 [Need("dynamodb:Query", SCORES + "/index/UserIndex",
                       keys(("u-1",), ("UserId", "Wins"), "SPECIFIC_ATTRIBUTES"))],
                 id="Query of an index with a projection selects specific attributes"),
    # SAR: Scan supports no LeadingKeys (FGAC: "Scan returns all items regardless of the leading keys").
    pytest.param("Scan", {"TableName": "Music", "FilterExpression": "begins_with(Genre, :g)",
                          "ProjectionExpression": "Artist, Genre", "ReturnConsumedCapacity": "TOTAL"},
                 [Need("dynamodb:Scan", MUSIC,
                       keys((), ("Artist", "Genre"), "SPECIFIC_ATTRIBUTES", capacity="TOTAL"))],
                 id="Scan names its filter and projection attributes and no leading keys"),
    pytest.param("Scan", {"TableName": "Music", "IndexName": "ByGenre", "ScanFilter": {"Genre": {}}},
                 [Need("dynamodb:Scan", MUSIC + "/index/ByGenre",
                       keys((), ("Genre",), "ALL_PROJECTED_ATTRIBUTES"))],
                 id="Scan of an index is authorized on the index"),
    pytest.param("Scan", {"TableName": "Music"},
                 [Need("dynamodb:Scan", MUSIC, keys(select="ALL_ATTRIBUTES"))],
                 id="Scan of whole items names no attributes and selects all of them"),
    # PERMISSIONS, SAR: BatchGetItem and BatchWriteItem are actions of their own, on each table named,
    # with the keys and attributes of that table's part of the batch.
    pytest.param("BatchGetItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
                     "Music": {"Keys": [ACME, {"Artist": s("Zed")}], "ProjectionExpression": "#y",
                               "ExpressionAttributeNames": {"#y": "Year"}},
                     "Counters": {"Keys": [{"Id": n("7")}]}}},
                 [Need("dynamodb:BatchGetItem", MUSIC,
                       keys(("Acme", "Zed"), ("Artist", "Year"), "SPECIFIC_ATTRIBUTES", capacity="TOTAL")),
                  Need("dynamodb:BatchGetItem", COUNTERS,
                       keys(("7",), ("Id",), "ALL_ATTRIBUTES", capacity="TOTAL"))],
                 id="BatchGetItem is authorized once per table over all of that table's keys"),
    pytest.param("BatchWriteItem", {"RequestItems": {
                     "Music": [{"PutRequest": {"Item": {"Artist": s("Acme"), "Year": n("1")}}},
                               {"DeleteRequest": {"Key": {"Artist": s("Zed")}}}],
                     "Counters": [{"DeleteRequest": {"Key": {"Id": n("7")}}}]}},
                 [Need("dynamodb:BatchWriteItem", MUSIC, keys(("Acme", "Zed"), ("Artist", "Year"))),
                  Need("dynamodb:BatchWriteItem", COUNTERS, keys(("7",), ("Id",)))],
                 id="BatchWriteItem is authorized as itself, not as PutItem or DeleteItem, once per table"),
    # TRANSACTIONS: each item as its item action, with dynamodb:EnclosingOperation; the
    # ConditionCheck too (example 2 allows it only under a ForAnyValue EnclosingOperation condition).
    pytest.param("TransactGetItems", {"ReturnConsumedCapacity": "TOTAL", "TransactItems": [
                     {"Get": {"TableName": "Music", "Key": ACME, "ProjectionExpression": "Year"}},
                     {"Get": {"TableName": "Counters", "Key": {"Id": n("7")}}}]},
                 [Need("dynamodb:GetItem", MUSIC, keys(("Acme",), ("Artist", "Year"), "SPECIFIC_ATTRIBUTES",
                                                       capacity="TOTAL", enclosing="TransactGetItems")),
                  Need("dynamodb:GetItem", COUNTERS, keys(("7",), ("Id",), "ALL_ATTRIBUTES", capacity="TOTAL",
                                                          enclosing="TransactGetItems"))],
                 id="TransactGetItems is authorized as a GetItem per item inside TransactGetItems"),
    pytest.param("TransactWriteItems", {"TransactItems": [
                     {"ConditionCheck": {"TableName": "Counters", "Key": {"Id": n("7")},
                                         "ConditionExpression": "Total < :m",
                                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                     {"Put": {"TableName": "Music", "Item": ACME}},
                     {"Update": {"TableName": "Counters", "Key": {"Id": n("8")},
                                 "UpdateExpression": "ADD Total :one"}},
                     {"Delete": {"TableName": "Music", "Key": {"Artist": s("Zed")}}}]},
                 [Need("dynamodb:ConditionCheckItem", COUNTERS,
                       keys(("7",), ("Id", "Total"), returns="ALL_OLD", enclosing="TransactWriteItems")),
                  Need("dynamodb:PutItem", MUSIC,
                       keys(("Acme",), ("Artist",), returns="NONE", enclosing="TransactWriteItems")),
                  Need("dynamodb:UpdateItem", COUNTERS,
                       keys(("8",), ("Id", "Total"), returns="NONE", enclosing="TransactWriteItems")),
                  Need("dynamodb:DeleteItem", MUSIC,
                       keys(("Zed",), ("Artist",), returns="NONE", enclosing="TransactWriteItems"))],
                 id="TransactWriteItems is authorized as each item's action inside TransactWriteItems"),
]


@pytest.mark.parametrize(("operation", "params", "expected"), CASES)
def test_a_request_needs_exactly_its_actions_resources_and_condition_keys(operation, params, expected):
    assert authorize(operation, params) == expected


# The table a request names: TableName is a name or an ARN (API Reference), and authorization comes
# before the table is looked up, as on AWS.

def test_a_table_given_by_arn_is_authorized_as_the_same_table_given_by_name():
    by_name = authorize("GetItem", {"TableName": "Music", "Key": {"Artist": {"S": "Acme"}}})
    by_arn = authorize("GetItem", {"TableName": TABLE + "Music", "Key": {"Artist": {"S": "Acme"}}})
    assert by_arn == by_name


def test_a_table_arn_spelled_in_another_partition_is_authorized_as_the_table_it_reaches():
    # The catalog resolves any arn:aws* partition to the table of that region, account and name.
    arn = f"arn:aws-us-gov:dynamodb:{REGION}:{ACCOUNT}:table/Music"
    [need] = authorize("DescribeTable", {"TableName": arn})
    assert need.resource == TABLE + "Music"


def test_a_table_of_another_account_is_authorized_on_that_account_s_arn():
    [need] = authorize("DescribeTable", {"TableName": "arn:aws:dynamodb:eu-west-1:210987654321:table/Theirs"})
    assert need.resource == "arn:aws:dynamodb:eu-west-1:210987654321:table/Theirs"


def test_an_arn_that_names_no_table_is_kept_as_given():
    [need] = authorize("DescribeTable", {"TableName": "arn:aws:s3:::bucket"})
    assert need.resource == "arn:aws:s3:::bucket"


def test_a_missing_table_is_still_authorized_on_its_arn_without_leading_keys():
    [need] = authorize("GetItem", {"TableName": "Gone", "Key": {"Id": {"S": "a"}}})
    assert need.resource == TABLE + "Gone"
    assert "dynamodb:leadingkeys" not in need.context
    assert need.context["dynamodb:attributes"] == ("Id",)


def test_a_query_of_an_index_the_table_lacks_carries_no_leading_keys():
    [need] = authorize("Query", {"TableName": "Music", "IndexName": "Nope",
                                 "KeyConditionExpression": "A = :a",
                                 "ExpressionAttributeValues": {":a": {"S": "x"}}})
    assert need.resource == TABLE + "Music/index/Nope"
    assert "dynamodb:leadingkeys" not in need.context


def test_a_lookup_that_refuses_the_name_counts_as_no_table():
    def refusing(name_or_arn: str) -> KeySchema | None:
        raise ValidationException("1 validation error detected")

    [need] = needs("GetItem", {"TableName": "x", "Key": {"Id": {"S": "a"}}}, account=ACCOUNT, region=REGION,
                   table=refusing)
    assert need.resource == TABLE + "x"
    assert "dynamodb:leadingkeys" not in need.context


# dynamodb:LeadingKeys values: FGAC compares them as strings.

@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"S": "user-1"}, "user-1", id="a string partition key is its text"),
    pytest.param({"N": "0042.50"}, "42.5", id="a number partition key is its canonical spelling, as stored"),
    pytest.param({"N": "-1E+2"}, "-100", id="a number partition key with an exponent is spelled canonically"),
    pytest.param({"B": "AQID"}, "AQID", id="a binary partition key is its base64 text"),
])
def test_partition_key_values_become_leading_key_strings(given, expected):
    [need] = authorize("DeleteItem", {"TableName": "Counters", "Key": {"Id": given}})
    assert need.context["dynamodb:leadingkeys"] == (expected,)


def test_equal_numbers_spelled_differently_are_one_leading_key():
    [need] = authorize("BatchGetItem", {"RequestItems": {"Counters": {"Keys": [{"Id": {"N": "1.50"}},
                                                                             {"Id": {"N": "1.5"}}]}}})
    assert need.context["dynamodb:leadingkeys"] == ("1.5",)


def test_a_partition_key_value_that_is_no_key_value_is_left_out_of_the_leading_keys():
    [need] = authorize("BatchGetItem", {"RequestItems": {"Counters": {"Keys": [
        {"Id": {"BOOL": True}}, {"Id": {"S": 5}}, {"Other": {"S": "x"}}, {"Id": {"S": "ok"}}]}}})
    assert need.context["dynamodb:leadingkeys"] == ("ok",)


def test_a_request_whose_leading_keys_cannot_be_computed_has_none():
    [need] = authorize("Query", {"TableName": "Music", "KeyConditionExpression": "Artist = :undefined"})
    assert "dynamodb:leadingkeys" not in need.context


def test_a_query_whose_partition_key_condition_is_not_an_equality_has_no_leading_keys():
    [need] = authorize("Query", {"TableName": "Music", "KeyConditionExpression": "begins_with(Artist, :a)",
                                 "ExpressionAttributeValues": {":a": {"S": "A"}}})
    assert "dynamodb:leadingkeys" not in need.context


# dynamodb:Attributes: top-level names only, placeholders resolved (FGAC: top-level attributes).

def test_attribute_names_given_as_placeholders_are_the_names_they_stand_for():
    [need] = authorize("GetItem", {"TableName": "Music", "Key": {"Artist": {"S": "a"}},
                                   "ProjectionExpression": "#a.#b, #c", "ExpressionAttributeNames": {
                                       "#a": "Album", "#b": "Title", "#c": "Name.With.Dots"}})
    assert need.context["dynamodb:attributes"] == ("Artist", "Album", "Name.With.Dots")


def test_an_undefined_placeholder_names_no_attribute():
    [need] = authorize("GetItem", {"TableName": "Music", "Key": {"Artist": {"S": "a"}},
                                   "ProjectionExpression": "#missing, Year"})
    assert need.context["dynamodb:attributes"] == ("Artist", "Year")


def test_a_key_schema_is_read_from_a_table_description_with_its_indexes():
    description = {
        "TableName": "GameScores",
        "KeySchema": [{"AttributeName": "GameTitle", "KeyType": "RANGE"},
                      {"AttributeName": "UserId", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "ByTitle", "KeySchema": [
            {"AttributeName": "GameTitle", "KeyType": "HASH"},
            {"AttributeName": "TopScore", "KeyType": "RANGE"}]}],
        "LocalSecondaryIndexes": [{"IndexName": "ByScore", "KeySchema": [
            {"AttributeName": "UserId", "KeyType": "HASH"},
            {"AttributeName": "TopScore", "KeyType": "RANGE"}]}],
    }
    assert KeySchema.of(description) == KeySchema("UserId", {"ByTitle": "GameTitle", "ByScore": "UserId"})


def test_an_operation_without_a_rule_is_refused_rather_than_run_unauthorized():
    with pytest.raises(ValueError, match="NoSuchOperation"):
        authorize("NoSuchOperation", {"TableName": "Music"})


# Parameters that passed the model but are wrong in every other way: never an exception.

GARBAGE = [
    {},
    {"TableName": 5, "IndexName": ["x"], "Key": "not a map", "Item": [1], "Select": 3},
    {"TableName": "Music", "Key": {"Artist": None}, "Item": {"Artist": {"S": {"nested": True}}}},
    {"TableName": "Music", "Key": {"Artist": {"N": "not a number"}}, "ProjectionExpression": "((a.b[",
     "ExpressionAttributeNames": {"#a": 5}},
    {"TableName": "Music", "KeyConditionExpression": ")) = = :v AND",
     "ExpressionAttributeValues": {":v": "x"}},
    {"TableName": "Music", "KeyConditionExpression": "Artist = :v",
     "ExpressionAttributeValues": {":v": {"S": 1}}},
    {"TableName": "Music", "KeyConditions": {"Artist": {"ComparisonOperator": "EQ",
                                                        "AttributeValueList": "x"}}},
    {"TableName": "Music", "UpdateExpression": "SET " + "a = b, " * 2000, "ConditionExpression": "\x00 ' \""},
    {"RequestItems": ["not", "a", "map"], "TransactItems": {"not": "a list"}, "Tags": "x", "TagKeys": 5},
    {"RequestItems": {"Music": {"Keys": "x"},
                      "Counters": [None, {"PutRequest": 5}, {"DeleteRequest": {"Key": 7}}]}},
    {"TransactItems": [None, 5, {"Get": None}, {"Put": {"Item": None}, "Delete": {"Key": {"Id": {"X": 1}}}}]},
    {"RequestItems": {"Counters": {"Keys": [{"Id": {"N": str(n)}} for n in range(10_000)]}}},
]


@pytest.mark.parametrize("operation", ["ListTables", "CreateTable", "TagResource", "UntagResource", "GetItem",
                                       "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                                       "BatchWriteItem", "TransactGetItems", "TransactWriteItems"])
def test_wrong_parameters_never_raise(operation):
    for params in GARBAGE:
        for need in authorize(operation, params):
            assert isinstance(need.resource, str)
            assert all(type(value) is str for found in need.context.values() for value in found)


def test_only_the_wanted_condition_keys_are_computed():
    # The server asks only for the keys the policies in play read (the rest costs and decides nothing).
    params = {"TableName": "Music", "Key": {"Artist": s("Acme")}, "ProjectionExpression": "Title"}

    wanted = needs("GetItem", params, account=ACCOUNT, region=REGION, table=lambda _: KeySchema("Artist"),
                   wanted=frozenset({"dynamodb:leadingkeys"}))
    nothing = needs("GetItem", params, account=ACCOUNT, region=REGION, table=lambda _: KeySchema("Artist"),
                    wanted=frozenset())

    assert wanted[0].context == {"dynamodb:leadingkeys": ("Acme",)}
    assert nothing[0].context == {}
    assert nothing[0].resource == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Music"


@pytest.mark.parametrize("operation", ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                                       "DescribeTable", "UpdateTable", "DeleteTable"])
@pytest.mark.parametrize("table_name", ["Music", f"arn:aws-cn:dynamodb:{REGION}:{ACCOUNT}:table/Music"])
def test_asking_for_no_condition_key_changes_nothing_but_the_context(operation, table_name):
    params = {"TableName": table_name, "Key": {"Artist": s("Acme")}, "Item": {"Artist": s("Acme")}}

    every = needs(operation, params, account=ACCOUNT, region=REGION, table=lambda _: KeySchema("Artist"))
    none = needs(operation, params, account=ACCOUNT, region=REGION, table=lambda _: KeySchema("Artist"),
                 wanted=frozenset())

    assert [(n.action, n.resource) for n in none] == [(n.action, n.resource) for n in every]
    assert all(n.context == {} for n in none)
