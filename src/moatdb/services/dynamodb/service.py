"""The DynamoDB service: validates a request against AWS's model, authorizes it (with the resource-based
policy of each table it reaches), then runs its operation."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.errors import AccessDeniedException, AwsError
from moatdb.policy.document import Policy
from moatdb.services.dynamodb import authorization, resource_policies, streams
from moatdb.services.dynamodb.catalog import Address, Catalog, resolve_table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.operations import (
    account,
    backups,
    batch,
    insights,
    items,
    partiql,
    policies,
    reads,
    tables,
    tags,
    transactions,
    ttl,
)
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
    "PutResourcePolicy": policies.put_resource_policy,
    "GetResourcePolicy": policies.get_resource_policy,
    "DeleteResourcePolicy": policies.delete_resource_policy,
    # Each family below registers its own operations in its module.
    **transactions.OPERATIONS,
    **partiql.OPERATIONS,
    **tags.OPERATIONS,
    **backups.OPERATIONS,
    **ttl.OPERATIONS,
    **insights.OPERATIONS,
}

# Checks of a request's resource that come before its authorization, as on AWS.
PRECHECKS: dict[str, Callable[[dict, Caller], None]] = {
    "PutResourcePolicy": policies.check_resource_arn,
    "GetResourcePolicy": policies.check_resource_arn,
    "DeleteResourcePolicy": policies.check_resource_arn,
    # A ResourceArn that is no ARN is a ValidationException before anything else (Alternator's
    # test_tag_resource_incorrect: "ARNs must start with 'arn:'", from AWS).
    "TagResource": policies.check_resource_arn,
    "UntagResource": policies.check_resource_arn,
    "ListTagsOfResource": policies.check_resource_arn,
}

# Operations that authorize each member themselves, through Request.authorize: BatchExecuteStatement
# answers a statement that is not allowed with an AccessDenied error in its place and runs the others
# (API Reference, BatchStatementError), so the request as a whole is refused nothing. It is no IAM
# action of its own: its statements' PartiQL actions are all it needs.
AUTHORIZED_BY_MEMBER = frozenset({"BatchExecuteStatement"})

# Attribute values are validated by values.py with DynamoDB's own wording, not by the model walk.
ATTRIBUTE_VALUE_SHAPES = frozenset({"AttributeValue"})


class DynamoDB:
    def __init__(self, store: Store, authorizer: Authorizer):
        self.store = store
        self.authorizer = authorizer
        self.catalog = Catalog(store)
        self._key_schemas: DocumentCache[Address, authorization.KeySchema | None] = DocumentCache(
            store, self._load_key_schema)
        # Each table's resource-based policy, compiled once per document generation.
        self._policies: DocumentCache[Address, Policy | None] = DocumentCache(store, self._load_policy)
        self._stream_policies: DocumentCache[str, Policy | None] = DocumentCache(store, self._load_stream_policy)
        # Each table's tags as aws:ResourceTag/<key> condition keys, once per document generation.
        self._resource_tags: DocumentCache[Address, dict[str, tuple[str, ...]]] = DocumentCache(
            store, self._load_resource_tags)
        self.shapes = ServiceShapes("dynamodb", skip_shapes=ATTRIBUTE_VALUE_SHAPES)

    def has_operation(self, operation: str) -> bool:
        return operation in OPERATIONS

    def handle(self, operation: str, params: object, caller: Caller) -> dict | bytes:
        """Validate against the model, authorize every action the request needs, then run it: a
        request well-formed enough to name its resources is judged before anything else of it."""
        self.shapes.validate(operation, params)
        precheck = PRECHECKS.get(operation)
        if precheck is not None:
            precheck(params, caller)  # type: ignore[arg-type]
        if operation not in AUTHORIZED_BY_MEMBER:
            self.authorize(operation, params, caller)  # type: ignore[arg-type]
        request = Request(operation, params, caller, self.store, self.catalog,  # type: ignore[arg-type]
                          self.authorizer, self.authorize)
        return OPERATIONS[operation](request)

    def authorize(self, operation: str, params: dict, caller: Caller) -> None:
        account, region = caller.account, caller.region

        def key_schema(name_or_arn: str) -> authorization.KeySchema | None:
            try:
                address = resolve_table(account, region, name_or_arn)
            except AwsError:
                return None  # a name the operation will refuse: nothing to know of it
            return self._key_schemas.get(address)

        wanted = self.authorizer.condition_keys(caller)
        needs = authorization.needs(operation, params, account=account, region=region, table=key_schema,
                                    wanted=wanted)
        # A table's policy governs the table and its indexes (API Reference, PutResourcePolicy).
        policies = [self._policy_of(need.resource) for need in needs]
        if any(policy is not None and not policy.keys <= wanted for policy in policies):
            # A table policy reads condition keys the caller's policies do not: compute them all.
            needs = authorization.needs(operation, params, account=account, region=region, table=key_schema)
        if _reads_resource_tags(wanted) or any(policy is not None and _reads_resource_tags(policy.keys)
                                               for policy in policies):
            needs = [self._with_resource_tags(need) for need in needs]
        for need, policy in zip(needs, policies, strict=True):
            self.authorizer.require(caller, need.action, need.resource, _account_of(need.resource, account),
                                    need.context, denied=AccessDeniedException, resource_policy=policy)

    def _with_resource_tags(self, need: authorization.Need) -> authorization.Need:
        """The need with its table's tags as aws:ResourceTag/<key> (an index has its table's). A table
        CreateTable names is not the request's resource yet: it has no tags to read."""
        address = _table_of(need.resource)
        if address is None or need.action == "dynamodb:CreateTable":
            return need
        found = self._resource_tags.get(address)
        return authorization.Need(need.action, need.resource, {**found, **need.context}) if found else need

    def _load_resource_tags(self, address: Address) -> dict[str, tuple[str, ...]]:
        table = self.catalog.find(address)
        return {} if table is None else tags.resource_tags(table)

    def _policy_of(self, resource: str) -> Policy | None:
        address = _table_of(resource)
        if address is not None:
            return self._policies.get(address)
        # A stream's policy governs the stream (PutResourcePolicy and the like on its ARN).
        return self.stream_policy(resource) if _STREAM.fullmatch(resource) else None

    def stream_policy(self, arn: str) -> Policy | None:
        """The resource-based policy of the stream ``arn``, compiled once per document generation."""
        return self._stream_policies.get(arn)

    def _load_stream_policy(self, arn: str) -> Policy | None:
        match = _STREAM.fullmatch(arn)
        table = None if match is None else self.catalog.find((match[2], match[1], match[3]))
        holder = None if table is None else streams.stream_policy(table, match[4], time.time())  # type: ignore[index]
        return None if holder is None else resource_policies.compiled(holder.policy, arn)

    def _load_key_schema(self, address: Address) -> authorization.KeySchema | None:
        table = self.catalog.find(address)
        return None if table is None else authorization.KeySchema.of(table.description)

    def _load_policy(self, address: Address) -> Policy | None:
        table = self.catalog.find(address)
        return None if table is None else resource_policies.compiled(table.policy, table.arn)

    def close(self) -> None:
        self.store.close()


RESOURCE_TAG = "aws:resourcetag/"
# A stream's ARN (as authorization.needs writes them: in the aws partition).
_STREAM = re.compile(r"arn:aws:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})/stream/(.+)", re.DOTALL)
# A table's ARN, or one of its indexes' (as authorization.needs writes them: in the aws partition).
_TABLE_OR_INDEX = re.compile(
    r"arn:aws:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})(?:/index/.*)?", re.DOTALL)


@functools.lru_cache(maxsize=4096)
def _table_of(resource: str) -> Address | None:
    """The table whose policy applies to a need's resource: the table itself, or the table of an
    index; None for anything else (``*``, every table of the account, a stream)."""
    match = _TABLE_OR_INDEX.fullmatch(resource)
    return None if match is None else (match[2], match[1], match[3])


@functools.lru_cache(maxsize=4096)
def _account_of(arn: str, default: str) -> str:
    """The account that owns a resource: the fifth field of its ARN ("*" is the caller's own)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else default


def _reads_resource_tags(keys: frozenset[str]) -> bool:
    """Whether policies reading ``keys`` read a resource's tags (most read no condition key at all)."""
    return any(key.startswith(RESOURCE_TAG) for key in keys)
