"""The DynamoDB service: validates a request against AWS's model, then runs its operation."""

from __future__ import annotations

from collections.abc import Callable

from moatdb.auth.authenticator import Caller
from moatdb.services.dynamodb.catalog import Catalog
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import account, batch, items, reads, tables
from moatdb.services.shapes import ServiceShapes
from moatdb.storage.base import Store

Operation = Callable[[Request], dict | bytes]

OPERATIONS: dict[str, Operation] = {
    "CreateTable": tables.create_table,
    "DescribeTable": tables.describe_table,
    "ListTables": tables.list_tables,
    "UpdateTable": tables.update_table,
    "DeleteTable": tables.delete_table,
    "PutItem": items.put_item,
    "GetItem": items.get_item,
    "UpdateItem": items.update_item,
    "DeleteItem": items.delete_item,
    "Query": reads.query,
    "Scan": reads.scan,
    "BatchGetItem": batch.batch_get_item,
    "BatchWriteItem": batch.batch_write_item,
    "DescribeEndpoints": account.describe_endpoints,
    "DescribeLimits": account.describe_limits,
}

# Attribute values are validated by values.py with DynamoDB's own wording, not by the model walk.
ATTRIBUTE_VALUE_SHAPES = frozenset({"AttributeValue"})


class DynamoDB:
    def __init__(self, store: Store):
        self.store = store
        self.catalog = Catalog(store)
        self.shapes = ServiceShapes("dynamodb", skip_shapes=ATTRIBUTE_VALUE_SHAPES)

    def has_operation(self, operation: str) -> bool:
        return operation in OPERATIONS

    def handle(self, operation: str, params: object, caller: Caller) -> dict | bytes:
        self.shapes.validate(operation, params)
        return OPERATIONS[operation](Request(operation, params, caller, self.store, self.catalog))  # type: ignore[arg-type]

    def close(self) -> None:
        self.store.close()
