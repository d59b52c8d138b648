"""A world's DynamoDB tables: the CreateTable request each one is, and its creation in a new data
directory by the DynamoDB service's own operations.

One request serves both sides of the loop: ``moatdb deploy`` sends it to AWS and ``apply`` runs it
here, so a table the world declares is locally exactly what the same CreateTable makes on AWS, its
validation and errors included. Applying a world is the operator's act, as writing IAM through the
directory is: the operations run without a caller to authorize.
"""

from __future__ import annotations

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.services.dynamodb.catalog import Catalog
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import tables, ttl
from moatdb.services.dynamodb.service import ATTRIBUTE_VALUE_SHAPES
from moatdb.services.shapes import ServiceShapes
from moatdb.world.model import Index, Table


def key_schema(key: tuple[str, ...]) -> list[dict]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in zip(key, ("HASH", "RANGE"), strict=False)]


def create_table_request(table: Table) -> dict:
    """CreateTable's parameters for a world table (TTL, tags and the resource policy travel apart, as
    deploy sends them)."""
    request: dict = {
        "TableName": table.name,
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                 for name, kind in table.attributes.items()],
        "KeySchema": key_schema(table.key),
        "BillingMode": table.billing_mode,
    }
    throughput = None if table.capacity is None else {"ReadCapacityUnits": table.capacity[0],
                                                      "WriteCapacityUnits": table.capacity[1]}
    if throughput:
        request["ProvisionedThroughput"] = throughput
    if table.global_indexes:
        request["GlobalSecondaryIndexes"] = [
            {**_index(index), **({"ProvisionedThroughput": throughput} if throughput else {})}
            for index in table.global_indexes]
    if table.local_indexes:
        request["LocalSecondaryIndexes"] = [_index(index) for index in table.local_indexes]
    if table.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    request["DeletionProtectionEnabled"] = table.deletion_protection
    return request


def create(directory: Directory, region: str, account: str, table: Table) -> str:
    """Create the world's ``table`` in ``account`` as CreateTable (with its tags and resource policy)
    and UpdateTimeToLive would; raises the AwsError DynamoDB would answer. Returns the table's ARN."""
    params = create_table_request(table)
    if table.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in table.tags.items()]
    if table.policy is not None:
        params["ResourcePolicy"] = table.policy
    run = _runner(directory, region, account)
    reply = run("CreateTable", params, tables.create_table)
    if table.ttl is not None:
        run("UpdateTimeToLive", {"TableName": table.name,
                                 "TimeToLiveSpecification": {"Enabled": True, "AttributeName": table.ttl}},
            ttl.update_time_to_live)
    return reply["TableDescription"]["TableArn"]


def _runner(directory: Directory, region: str, account: str):
    shapes = ServiceShapes("dynamodb", skip_shapes=ATTRIBUTE_VALUE_SHAPES)
    operator = Caller("", account, region, Identity(account, f"arn:aws:iam::{account}:root", account, False),
                      Origin("127.0.0.1"))
    catalog, authorizer = Catalog(directory.store), Authorizer(directory, region=region)

    def run(operation: str, params: dict, call) -> dict:
        shapes.validate(operation, params)
        return call(Request(operation, params, operator, directory.store, catalog, authorizer))

    return run


def _index(index: Index) -> dict:
    projection: dict = {"ProjectionType": index.projection}
    if index.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return {"IndexName": index.name, "KeySchema": key_schema(index.key), "Projection": projection}
