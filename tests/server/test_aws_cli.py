"""The AWS CLI against moatdb, as a user would point it at the server (AWS_ENDPOINT_URL).

Each invocation starts a Python process (~0.5 s), so the suite keeps to a handful of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import aws_cli_env
from tests.helpers import REGION

AWS = str(Path(sys.executable).parent / "aws")


def aws(server, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([AWS, "dynamodb", *args, "--output", "json"], capture_output=True, text=True,
                          env=aws_cli_env(server.endpoint), timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def aws_json(server, *args: str) -> dict:
    return json.loads(aws(server, *args).stdout)


def test_the_cli_creates_lists_and_deletes_a_table(server, ddb, table_name):
    created = aws_json(server, "create-table", "--table-name", table_name,
                       "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                       "AttributeName=sk,AttributeType=N",
                       "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                       "--billing-mode", "PAY_PER_REQUEST")["TableDescription"]
    assert created["TableName"] == table_name
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == f"arn:aws:dynamodb:{REGION}:000000000000:table/{table_name}"
    assert created["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert ddb.describe_table(TableName=table_name)["Table"]["TableStatus"] == "ACTIVE"

    listed = aws_json(server, "list-tables")
    assert table_name in listed["TableNames"]

    deleted = aws_json(server, "delete-table", "--table-name", table_name)["TableDescription"]
    assert (deleted["TableName"], deleted["TableStatus"]) == (table_name, "DELETING")
    assert table_name not in ddb.list_tables()["TableNames"]


def test_the_cli_writes_reads_queries_scans_updates_and_deletes_items(server, ddb, table):
    key = json.dumps({"pk": {"S": "user#1"}, "sk": {"S": "profile"}})
    aws(server, "put-item", "--table-name", table, "--item",
        json.dumps({"pk": {"S": "user#1"}, "sk": {"S": "profile"}, "name": {"S": "Ada"}, "age": {"N": "36"}}))
    ddb.put_item(TableName=table, Item={"pk": {"S": "user#2"}, "sk": {"S": "profile"}})

    got = aws_json(server, "get-item", "--table-name", table, "--key", key, "--consistent-read")
    assert got["Item"] == {"pk": {"S": "user#1"}, "sk": {"S": "profile"}, "name": {"S": "Ada"},
                           "age": {"N": "36"}}

    updated = aws_json(server, "update-item", "--table-name", table, "--key", key,
                       "--update-expression", "SET age = age + :one", "--expression-attribute-values",
                       json.dumps({":one": {"N": "1"}}), "--return-values", "UPDATED_NEW")
    assert updated["Attributes"] == {"age": {"N": "37"}}

    queried = aws_json(server, "query", "--table-name", table, "--key-condition-expression", "pk = :pk",
                       "--expression-attribute-values", json.dumps({":pk": {"S": "user#1"}}))
    assert (queried["Count"], queried["ScannedCount"]) == (1, 1)
    assert queried["Items"][0]["age"] == {"N": "37"}

    scanned = aws_json(server, "scan", "--table-name", table)
    assert scanned["Count"] == 2
    assert sorted(item["pk"]["S"] for item in scanned["Items"]) == ["user#1", "user#2"]

    deleted = aws_json(server, "delete-item", "--table-name", table, "--key", key, "--return-values", "ALL_OLD")
    assert deleted["Attributes"]["name"] == {"S": "Ada"}
    assert "Item" not in ddb.get_item(TableName=table, Key=json.loads(key))


def test_a_cli_call_that_fails_exits_non_zero_with_the_aws_error_code(server, table_name):
    failed = aws(server, "get-item", "--table-name", table_name, "--key", json.dumps({"pk": {"S": "a"}}),
                 check=False)
    # A service error is exit code 255 in AWS CLI v1 and 254 in v2 (AWS CLI User Guide, "Return codes").
    assert failed.returncode in (254, 255)
    assert failed.stdout == ""
    assert ("An error occurred (ResourceNotFoundException) when calling the GetItem operation: "
            "Requested resource not found") in failed.stderr

