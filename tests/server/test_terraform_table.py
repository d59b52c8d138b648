"""Terraform's aws_dynamodb_table against moatdb: apply a table with keys, time to live, tags,
server-side encryption and deletion protection off; plan again shows no changes; destroy. Every call
the hashicorp/aws provider makes on the way must be answered as DynamoDB answers it.
"""

from __future__ import annotations

import subprocess

from tests.helpers import error, needs_terraform, terraform_env, terraform_provider

NAME = "tf-orders"
FIRST_TAGS = '{ env = "prod", team = "data" }'
# The second apply changes the tags (UntagResource, TagResource), adds an index and moves the table to a
# customer managed key (UpdateTable).
SECOND_TAGS = '{ env = "prod", owner = "ops" }'
SECOND_KEY = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECOND_INDEX = """
  global_secondary_index {
    name            = "by-customer"
    hash_key        = "customer"
    projection_type = "KEYS_ONLY"
  }
"""
TERRAFORM = """
resource "aws_dynamodb_table" "orders" {
  name                        = "NAME"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "customer"
  range_key                   = "order"
  deletion_protection_enabled = false
  attribute {
    name = "customer"
    type = "S"
  }
  attribute {
    name = "order"
    type = "N"
  }
  attribute {
    name = "status"
    type = "S"
  }
  global_secondary_index {
    name            = "by-status"
    hash_key        = "status"
    range_key       = "order"
    projection_type = "ALL"
  }
EXTRA_INDEX
  point_in_time_recovery {
    enabled = true
  }
  ttl {
    attribute_name = "expires"
    enabled        = true
  }
  server_side_encryption {
    enabled = true
KMS_KEY
  }
  tags = TAGS
}
output "arn" { value = aws_dynamodb_table.orders.arn }
output "kms" { value = aws_dynamodb_table.orders.server_side_encryption[0].kms_key_arn }
"""


@needs_terraform
def test_terraform_creates_changes_reads_back_and_destroys_a_table(server, ddb, tmp_path):
    env = terraform_env(tmp_path)

    def configure(tags: str, extra_index: str, kms_key: str) -> None:
        table = (TERRAFORM.replace("NAME", NAME).replace("TAGS", tags).replace("EXTRA_INDEX", extra_index)
                 .replace("KMS_KEY", f'    kms_key_arn = "{kms_key}"' if kms_key else ""))
        (tmp_path / "main.tf").write_text(terraform_provider("dynamodb", server.endpoint) + table)

    def terraform(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["terraform", *args, "-input=false", "-no-color"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    def applied() -> str:
        done = terraform("apply", "-auto-approve")
        assert done.returncode == 0, done.stdout + done.stderr
        planned = terraform("plan", "-detailed-exitcode")
        assert planned.returncode == 0, planned.stdout + planned.stderr  # read back as written: no changes
        return done.stdout

    configure(FIRST_TAGS, "", "")
    assert terraform("init").returncode == 0
    output = applied()

    table = ddb.describe_table(TableName=NAME)["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("customer", "HASH"), ("order", "RANGE")]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["by-status"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert f'kms = "{table["SSEDescription"]["KMSMasterKeyArn"]}"' in output
    assert table["DeletionProtectionEnabled"] is False
    assert ddb.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    backups = ddb.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert sorted((tag["Key"], tag["Value"]) for tag in ddb.list_tags_of_resource(
        ResourceArn=table["TableArn"])["Tags"]) == [("env", "prod"), ("team", "data")]

    configure(SECOND_TAGS, SECOND_INDEX, SECOND_KEY)
    output = applied()

    table = ddb.describe_table(TableName=NAME)["Table"]
    assert sorted(index["IndexName"] for index in table["GlobalSecondaryIndexes"]) == ["by-customer", "by-status"]
    assert sorted((tag["Key"], tag["Value"]) for tag in ddb.list_tags_of_resource(
        ResourceArn=table["TableArn"])["Tags"]) == [("env", "prod"), ("owner", "ops")]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == SECOND_KEY
    assert f'kms = "{SECOND_KEY}"' in output

    destroyed = terraform("destroy", "-auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert error(ddb.describe_table, TableName=NAME)[0] == "ResourceNotFoundException"
