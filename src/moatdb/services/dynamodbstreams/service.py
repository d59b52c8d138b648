"""The DynamoDB Streams service: validates a request against botocore's ``dynamodbstreams`` model,
authorizes it with DynamoDB's actions (and the stream's resource-based policy), then runs it."""

from __future__ import annotations

import time
from collections.abc import Callable

from moatdb.auth.authenticator import Caller
from moatdb.errors import AccessDeniedException, AwsError
from moatdb.policy.document import Policy
from moatdb.services.dynamodb import authorization, resource_policies, streams
from moatdb.services.dynamodb.service import DynamoDB
from moatdb.services.dynamodbstreams import operations
from moatdb.services.dynamodbstreams.operations import StreamsRequest
from moatdb.services.shapes import ServiceShapes
from moatdb.storage.cache import DocumentCache

OPERATIONS: dict[str, Callable[[StreamsRequest], dict]] = {
    "ListStreams": operations.list_streams,
    "DescribeStream": operations.describe_stream,
    "GetShardIterator": operations.get_shard_iterator,
    "GetRecords": operations.get_records,
}


class DynamoDBStreams:
    """Shares DynamoDB's store, catalog and authorizer: a stream is part of its table."""

    def __init__(self, dynamodb: DynamoDB):
        self.store = dynamodb.store
        self.catalog = dynamodb.catalog
        self.authorizer = dynamodb.authorizer
        self.shapes = ServiceShapes("dynamodbstreams")
        # Each stream's resource-based policy, compiled once per document generation.
        self._policies: DocumentCache[str, Policy | None] = DocumentCache(self.store, self._load_policy)

    def has_operation(self, operation: str) -> bool:
        return operation in OPERATIONS

    def handle(self, operation: str, params: object, caller: Caller) -> dict:
        self.shapes.validate(operation, params)
        # Coral treats a JSON null member as an absent one.
        params = {name: value for name, value in (params or {}).items() if value is not None}  # type: ignore[union-attr]
        now = time.time()
        stream_arn = None
        if operation in ("DescribeStream", "GetShardIterator"):
            stream_arn = params["StreamArn"]
            operations.parse_stream_arn(stream_arn)
        elif operation == "GetRecords":
            stream_arn = operations.parse_iterator(params["ShardIterator"])[0]
        for need in authorization.stream_needs(operation, stream_arn):
            self.authorizer.require(caller, need.action, need.resource, _account_of(need.resource, caller.account),
                                    need.context, denied=AccessDeniedException,
                                    resource_policy=self._policies.get(need.resource))
        request = StreamsRequest(operation, params, caller, self.store, self.catalog, now)
        return OPERATIONS[operation](request)

    def _load_policy(self, resource: str) -> Policy | None:
        """The stream's resource-based policy (PutResourcePolicy on its ARN), None for none."""
        if resource == authorization.ANY_RESOURCE:
            return None
        try:
            found = operations.locate(self.store.read(), self.catalog, None, resource, time.time())
        except AwsError:
            return None  # no such stream: the operation says so, once authorized
        # Compiled as a table's is, failing closed the same way when it no longer compiles.
        return resource_policies.compiled(streams.policy_of(found.stream), resource)


def _account_of(arn: str, default: str) -> str:
    """The account that owns a resource: the fifth field of its ARN ("*" is the caller's own)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else default
