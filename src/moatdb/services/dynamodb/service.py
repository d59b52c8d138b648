"""The DynamoDB service: validates a request against AWS's model, then runs its operation."""

from __future__ import annotations

import functools
from collections.abc import Callable

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.errors import AccessDeniedException, AwsError
from moatdb.services.dynamodb import authorization
from moatdb.services.dynamodb.catalog import Address, Catalog, resolve_table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import account, batch, items, reads, tables
from moatdb.services.shapes import ServiceShapes
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

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
    def __init__(self, store: Store, authorizer: Authorizer):
        self.store = store
        self.authorizer = authorizer
        self.catalog = Catalog(store)
        self._key_schemas: DocumentCache[Address, authorization.KeySchema | None] = DocumentCache(
            store, self._load_key_schema)
        self.shapes = ServiceShapes("dynamodb", skip_shapes=ATTRIBUTE_VALUE_SHAPES)

    def has_operation(self, operation: str) -> bool:
        return operation in OPERATIONS

    def handle(self, operation: str, params: object, caller: Caller) -> dict | bytes:
        """Validate against the model, authorize every action the request needs, then run it: a
        request well-formed enough to name its resources is judged before anything else of it."""
        self.shapes.validate(operation, params)
        self.authorize(operation, params, caller)  # type: ignore[arg-type]
        return OPERATIONS[operation](Request(operation, params, caller, self.store, self.catalog))  # type: ignore[arg-type]

    def authorize(self, operation: str, params: dict, caller: Caller) -> None:
        account, region = caller.account, caller.region

        def key_schema(name_or_arn: str) -> authorization.KeySchema | None:
            try:
                address = resolve_table(account, region, name_or_arn)
            except AwsError:
                return None  # a name the operation will refuse: nothing to know of it
            return self._key_schemas.get(address)

        wanted = self.authorizer.condition_keys(caller)
        for need in authorization.needs(operation, params, account=account, region=region, table=key_schema,
                                        wanted=wanted):
            self.authorizer.require(caller, need.action, need.resource, _account_of(need.resource, account),
                                    need.context, denied=AccessDeniedException)

    def _load_key_schema(self, address: Address) -> authorization.KeySchema | None:
        table = self.catalog.find(address)
        return None if table is None else authorization.KeySchema.of(table.description)

    def close(self) -> None:
        self.store.close()


@functools.lru_cache(maxsize=4096)
def _account_of(arn: str, default: str) -> str:
    """The account that owns a resource: the fifth field of its ARN ("*" is the caller's own)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else default
