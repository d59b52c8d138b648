"""What a DynamoDB request must be authorized for: its IAM actions, the resources they act on, and
the condition keys DynamoDB sets for them.

One request can need several authorizations: a batch needs one per table it names, a transaction
one per item, each as the underlying item action (``dynamodb:PutItem`` with
``dynamodb:EnclosingOperation``). Resources are the ARN of the table (``.../table/T``) or of the
index a Query or Scan reads (``.../table/T/index/I``), or ``*`` for the actions the Service
Authorization Reference gives no resource type. Condition keys are named lower-case, as
``moatdb.policy.request.Context`` keeps them.

Authorization comes before the operation checks the request, as on AWS (the model's checks aside),
so the parameters may be wrong in any way the model allows (a missing key attribute, values of any
shape, unknown tables): what can be computed is, the rest is left out, and nothing raises. A key left
out this way belongs to a request the operation then refuses. The rules, with the AWS pages that
state them, are pinned one by one in ``tests/unit/test_dynamodb_authorization.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from moatdb.errors import AwsError
from moatdb.services.dynamodb import values
from moatdb.services.dynamodb.expressions import ExpressionContext, lexer, parse_key_condition_expression
from moatdb.services.dynamodb.partiql.access import access as partiql_access

ANY_RESOURCE = "*"
LEADING_KEYS = "dynamodb:leadingkeys"
ATTRIBUTES = "dynamodb:attributes"
SELECT = "dynamodb:select"
RETURN_VALUES = "dynamodb:returnvalues"
RETURN_CONSUMED_CAPACITY = "dynamodb:returnconsumedcapacity"
ENCLOSING_OPERATION = "dynamodb:enclosingoperation"
FULL_TABLE_SCAN = "dynamodb:fulltablescan"
TAG_KEYS = "aws:tagkeys"
REQUEST_TAG = "aws:requesttag/"

# The table ARNs the catalog accepts for TableName (catalog.resolve_table, whose module reaches
# storage and so is not imported here), with the index or stream part a ResourceArn may add.
_TABLE_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})(/.*)?",
                        re.DOTALL)
# Every parameter whose attribute names a request reads, writes or tests, as names (the keys of
# Key, Item and the legacy condition maps; the entries of AttributesToGet) or in an expression.
_NAMED = ("Key", "Item", "AttributesToGet", "AttributeUpdates", "Expected", "KeyConditions", "QueryFilter",
          "ScanFilter")
_EXPRESSIONS = ("KeyConditionExpression", "ProjectionExpression", "UpdateExpression", "ConditionExpression",
                "FilterExpression")


@dataclass(frozen=True, slots=True)
class Need:
    """One authorization a request needs: ``action`` on ``resource`` with ``context``."""

    action: str  # "dynamodb:GetItem"
    resource: str  # a table, index or stream ARN, or ANY_RESOURCE
    context: dict[str, tuple[str, ...]]  # DynamoDB's condition keys for this need, names lower-cased


@dataclass(frozen=True, slots=True)
class KeySchema:
    """What the map needs to know of an existing table: the partition key attribute of the table
    and of each of its secondary indexes (dynamodb:LeadingKeys are that key's values)."""

    partition_key: str
    index_partition_keys: Mapping[str, str] = field(default_factory=dict)  # index name -> attribute

    @classmethod
    def of(cls, description: Mapping) -> KeySchema:
        """The key schema of a TableDescription, as DescribeTable reports it."""
        indexes = {index["IndexName"]: _hash_key(index["KeySchema"])
                   for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                   for index in description.get(kind) or ()}
        return cls(_hash_key(description["KeySchema"]), indexes)


# The key schema of the table a TableName (a name or an ARN) names, or None where there is none.
Tables = Callable[[str], KeySchema | None]


def needs(operation: str, params: dict, *, account: str, region: str, table: Tables,
          wanted: frozenset[str] | None = None) -> list[Need]:
    """The authorizations the DynamoDB ``operation`` with ``params`` needs, for a caller in
    ``account`` and ``region``. ``wanted``: the condition keys the policies in play read; the item
    actions' keys (LeadingKeys, Attributes, ...) are computed only when wanted (None: all), as most
    policies read none and computing them is most of the cost. Raises ValueError for an operation
    with no rule: nothing may run unauthorized because the map forgot it."""
    if wanted is not None and not wanted and operation in _ONE_TABLE and type(params) is dict and "IndexName" not in params:
        # The common case, kept cheap: one action on one table, and no condition key read.
        return [Need(_ONE_TABLE[operation], _table_arn(account, region, params.get("TableName")), {})]
    rule = _RULES.get(operation)
    if rule is None:
        raise ValueError(f"No authorization rule for the DynamoDB operation {operation}")
    return rule(_Request(params if type(params) is dict else {}, account, region, table, wanted))


@functools.lru_cache(maxsize=4096)
def _table_arn(account: str, region: str, name_or_arn: object) -> str:
    return _Request({}, account, region, _no_table, None).arn(name_or_arn)


def _no_table(name_or_arn: str) -> None:
    return None


class _Request:
    """A request's parameters with the caller's account and region and the table lookup."""

    __slots__ = ("params", "account", "region", "_table", "_wanted")

    def __init__(self, params: dict, account: str, region: str, table: Tables, wanted: frozenset[str] | None):
        self.params, self.account, self.region, self._table = params, account, region, table
        self._wanted = wanted

    def context(self, keys: dict[str, Callable[[], list[str]]]) -> dict[str, tuple[str, ...]]:
        """The condition keys that are wanted, each computed only then."""
        wanted = self._wanted
        return _context({key: value() for key, value in keys.items() if wanted is None or key in wanted})

    def arn(self, name_or_arn: object) -> str:
        """The ARN of the table a TableName (or ResourceArn) names. A table ARN is written as the
        catalog resolves it, in the aws partition, so that it is the table the request reaches that
        is authorized; an ARN the catalog refuses is kept as given (the request fails anyway)."""
        text = name_or_arn if type(name_or_arn) is str else ""
        if not text.startswith("arn:"):
            return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{text}"
        match = _TABLE_ARN.fullmatch(text)
        if match is None:
            return text
        region, account, name, rest = match.groups()
        return f"arn:aws:dynamodb:{region}:{account}:table/{name}{rest or ''}"

    def partition_key(self, name_or_arn: object, index: object = None) -> str | None:
        if type(name_or_arn) is not str:
            return None
        try:
            schema = self._table(name_or_arn)
        except AwsError:  # a name the lookup cannot resolve names no table
            return None
        if schema is None or (index is not None and type(index) is not str):
            return None
        return schema.partition_key if index is None else schema.index_partition_keys.get(index)

    def leading_keys(self, name_or_arn: object, records: Iterable[object]) -> list[str]:
        """The partition key values of the keys or items ``records`` of the table."""
        partition_key = self.partition_key(name_or_arn)
        if partition_key is None:
            return []
        found = (_key_text(record.get(partition_key)) for record in records if type(record) is dict)
        return [text for text in found if text is not None]


# Actions without a resource type: a policy grants them on "*" (Service Authorization Reference).

def _account_wide(operation: str) -> Callable[[_Request], list[Need]]:
    return lambda request: [Need(f"dynamodb:{operation}", ANY_RESOURCE, {})]


def _list_tables(request: _Request) -> list[Need]:
    """ListTables has no resource type either, but DynamoDB asks about (and its denial names) every
    table of the account: "... dynamodb:ListTables on resource: arn:aws:dynamodb:us-east-1:ACCOUNT:
    table/*" (as reported from AWS in AntonShuvaev/intellij-dynamodb#20, 2022; reports before 2019
    read "on resource: *"). A policy on "*" or on "...:table/*" allows it."""
    return [Need("dynamodb:ListTables", f"arn:aws:dynamodb:{request.region}:{request.account}:table/*", {})]


# Table-level actions, on the table named by TableName or ResourceArn.

def _on_table(operation: str, parameter: str = "TableName") -> Callable[[_Request], list[Need]]:
    return lambda request: [Need(f"dynamodb:{operation}", request.arn(request.params.get(parameter)), {})]


def _on_table_or_index(operation: str) -> Callable[[_Request], list[Need]]:
    """An action on the table, or on the index IndexName names (Contributor Insights: the Service
    Authorization Reference gives it both resource types)."""
    def rule(request: _Request) -> list[Need]:
        resource = request.arn(request.params.get("TableName"))
        index = request.params.get("IndexName")
        return [Need(f"dynamodb:{operation}", f"{resource}/index/{index}" if type(index) is str else resource, {})]
    return rule


def _create_table(request: _Request) -> list[Need]:
    """CreateTable; with a ResourcePolicy, also PutResourcePolicy on the new table ("You need to
    specify the CreateTable and PutResourcePolicy IAM actions", API Reference, CreateTable)."""
    arn = request.arn(request.params.get("TableName"))
    found = [Need("dynamodb:CreateTable", arn, _tag_context(request.params.get("Tags")))]
    if request.params.get("ResourcePolicy") is not None:
        found.append(Need("dynamodb:PutResourcePolicy", arn, {}))
    return found


def _tag_resource(request: _Request) -> list[Need]:
    return [Need("dynamodb:TagResource", request.arn(request.params.get("ResourceArn")),
                 _tag_context(request.params.get("Tags")))]


def _untag_resource(request: _Request) -> list[Need]:
    keys = [key for key in _list(request.params.get("TagKeys")) if type(key) is str]
    return [Need("dynamodb:UntagResource", request.arn(request.params.get("ResourceArn")),
                 _context({TAG_KEYS: keys}))]


# Backups and restores (Service Authorization Reference: CreateBackup on the table; DescribeBackup,
# DeleteBackup and RestoreTableFromBackup on the backup; ListBackups on no resource type). A restore
# also writes the new table: "DynamoDB read and write permissions on the target table are necessary"
# (Developer Guide, "Using IAM with DynamoDB backup and restore"), which names these actions.
_RESTORE_TARGET_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                           "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem")


def _on_backup(operation: str) -> Callable[[_Request], list[Need]]:
    """An action on the backup BackupArn names (kept as given when it is no ARN: the request fails)."""
    return lambda request: [Need(f"dynamodb:{operation}", _backup_arn(request), {})]


def _backup_arn(request: _Request) -> str:
    given = request.params.get("BackupArn")
    return request.arn(given) if type(given) is str and given.startswith("arn:") else _text(given, "")


def _restore_target(request: _Request) -> list[Need]:
    target = request.arn(request.params.get("TargetTableName"))
    return [Need(action, target, {}) for action in _RESTORE_TARGET_ACTIONS]


def _restore_table_from_backup(request: _Request) -> list[Need]:
    return [Need("dynamodb:RestoreTableFromBackup", _backup_arn(request), {}), *_restore_target(request)]


def _restore_table_to_point_in_time(request: _Request) -> list[Need]:
    """On the source table (SourceTableArn, or SourceTableName in the caller's account), then the target."""
    params = request.params
    source = params.get("SourceTableArn")
    if source is None:
        source = params.get("SourceTableName")
    return [Need("dynamodb:RestoreTableToPointInTime", request.arn(source), {}), *_restore_target(request)]


# Item actions.

def _get_item(request: _Request) -> list[Need]:
    return [_get(request, request.params, _capacity(request.params))]


def _put_item(request: _Request) -> list[Need]:
    return [_write("dynamodb:PutItem", "Item", request, request.params, _return_values(request.params),
                   _capacity(request.params))]


def _update_item(request: _Request) -> list[Need]:
    return [_write("dynamodb:UpdateItem", "Key", request, request.params, _return_values(request.params),
                   _capacity(request.params))]


def _delete_item(request: _Request) -> list[Need]:
    return [_write("dynamodb:DeleteItem", "Key", request, request.params, _return_values(request.params),
                   _capacity(request.params))]


def _get(request: _Request, spec: dict, capacity: str, enclosing: str | None = None) -> Need:
    name = spec.get("TableName")
    return Need("dynamodb:GetItem", request.arn(name), request.context({
        LEADING_KEYS: lambda: request.leading_keys(name, [spec.get("Key")]),
        ATTRIBUTES: lambda: _attributes(spec),
        SELECT: lambda: [_select(spec)],
        RETURN_CONSUMED_CAPACITY: lambda: [capacity],
        ENCLOSING_OPERATION: lambda: [enclosing] if enclosing else [],
    }))


def _write(action: str, record: str, request: _Request, spec: dict, return_values: str, capacity: str,
           enclosing: str | None = None) -> Need:
    """A PutItem (its record is the Item), UpdateItem, DeleteItem or ConditionCheckItem (the Key)."""
    name = spec.get("TableName")
    return Need(action, request.arn(name), request.context({
        LEADING_KEYS: lambda: request.leading_keys(name, [spec.get(record)]),
        ATTRIBUTES: lambda: _attributes(spec),
        RETURN_VALUES: lambda: [return_values],
        RETURN_CONSUMED_CAPACITY: lambda: [capacity],
        ENCLOSING_OPERATION: lambda: [enclosing] if enclosing else [],
    }))


# Query and Scan, on the table or on the index they read.

def _query(request: _Request) -> list[Need]:
    return [_read("dynamodb:Query", request, request.params, lambda: _query_leading_keys(request))]


def _query_leading_keys(request: _Request) -> list[str]:
    params = request.params
    partition_key = request.partition_key(params.get("TableName"), params.get("IndexName"))
    value = _key_condition_value(params, partition_key) if partition_key is not None else None
    text = _key_text(value) if value is not None else None
    return [text] if text is not None else []


def _scan(request: _Request) -> list[Need]:
    return [_read("dynamodb:Scan", request, request.params, list)]


def _read(action: str, request: _Request, params: dict, leading_keys: Callable[[], list[str]]) -> Need:
    index = params.get("IndexName")
    resource = request.arn(params.get("TableName"))
    if type(index) is str:
        resource = f"{resource}/index/{index}"
    return Need(action, resource, request.context({
        LEADING_KEYS: leading_keys,
        ATTRIBUTES: lambda: _attributes(params),
        SELECT: lambda: [_select(params)],
        RETURN_CONSUMED_CAPACITY: lambda: [_capacity(params)],
    }))


def _key_condition_value(params: dict, partition_key: str) -> object:
    """The value a Query's key condition requires of the partition key, or None. The expression goes
    through DynamoDB's own parser: a partition key condition can be written in more ways than
    ``pk = :v`` (``(pk) = :v``, ``:v = #k``), and a value missed here would be a key left out."""
    text = params.get("KeyConditionExpression")
    if type(text) is str:
        try:
            context = ExpressionContext(params.get("ExpressionAttributeNames"),
                                        params.get("ExpressionAttributeValues"))
            operator, operands = parse_key_condition_expression(text, context).conditions.get(
                partition_key, (None, ()))
        except AwsError:
            return None
        return operands[0] if operator == "=" else None
    condition = _dict(_dict(params.get("KeyConditions")).get(partition_key))
    operands = _list(condition.get("AttributeValueList"))
    return operands[0] if condition.get("ComparisonOperator") == "EQ" and len(operands) == 1 else None


# Batches: one authorization per table, for every key or item of that table.

def _batch_get_item(request: _Request) -> list[Need]:
    capacity = _capacity(request.params)
    found = []
    for name, spec in _dict(request.params.get("RequestItems")).items():
        spec = _dict(spec)
        found.append(_batch_get(request, name, spec, _list(spec.get("Keys")), capacity))
    return found


def _batch_write_item(request: _Request) -> list[Need]:
    capacity = _capacity(request.params)
    found = []
    for name, writes in _dict(request.params.get("RequestItems")).items():
        records = []
        for write in _list(writes):
            write = _dict(write)
            records.append(_dict(write.get("PutRequest")).get("Item"))
            records.append(_dict(write.get("DeleteRequest")).get("Key"))
        found.append(_batch_write(request, name, records, capacity))
    return found


def _batch_get(request: _Request, name: str, spec: dict, keys: list, capacity: str) -> Need:
    return Need("dynamodb:BatchGetItem", request.arn(name), request.context({
        LEADING_KEYS: lambda: request.leading_keys(name, keys),
        ATTRIBUTES: lambda: [*_key_names(keys), *_attributes(spec)],
        SELECT: lambda: [_select(spec)],
        RETURN_CONSUMED_CAPACITY: lambda: [capacity],
    }))


def _batch_write(request: _Request, name: str, records: list, capacity: str) -> Need:
    return Need("dynamodb:BatchWriteItem", request.arn(name), request.context({
        LEADING_KEYS: lambda: request.leading_keys(name, records),
        ATTRIBUTES: lambda: _key_names(records),
        RETURN_CONSUMED_CAPACITY: lambda: [capacity],
    }))


# Transactions: each item is authorized as the item action it performs, inside the transaction.

def _transact_get_items(request: _Request) -> list[Need]:
    capacity = _capacity(request.params)
    return [_get(request, _dict(_dict(item).get("Get")), capacity, "TransactGetItems")
            for item in _list(request.params.get("TransactItems"))]


# Each member of a TransactWriteItem: its action, and the parameter holding its key or item.
_TRANSACT_WRITES = (("ConditionCheck", "dynamodb:ConditionCheckItem", "Key"),
                    ("Put", "dynamodb:PutItem", "Item"),
                    ("Update", "dynamodb:UpdateItem", "Key"),
                    ("Delete", "dynamodb:DeleteItem", "Key"))


def _transact_write_items(request: _Request) -> list[Need]:
    capacity = _capacity(request.params)
    found = []
    for item in _list(request.params.get("TransactItems")):
        item = _dict(item)
        # An item naming more than one action is refused by the operation; each is still authorized.
        for member, action, record in _TRANSACT_WRITES:
            if member in item:
                spec = _dict(item[member])
                return_values = _text(spec.get("ReturnValuesOnConditionCheckFailure"), "NONE")
                found.append(_write(action, record, request, spec, return_values, capacity,
                                    "TransactWriteItems"))
    return found


# PartiQL: each statement is authorized as the PartiQL action it is (dynamodb:PartiQLSelect,
# PartiQLInsert, PartiQLUpdate, PartiQLDelete) on its table or index, a SELECT with
# dynamodb:FullTableScan (Service Authorization Reference; Developer Guide, "IAM policies with PartiQL
# for DynamoDB", whose example denies PartiQLSelect when FullTableScan is true). A statement that does
# not parse needs nothing: the operation refuses it before it reads or writes anything.

def _execute_statement(request: _Request) -> list[Need]:
    return _partiql(request, [request.params])


def _batch_execute_statement(request: _Request) -> list[Need]:
    return _partiql(request, _list(request.params.get("Statements")))


def _execute_transaction(request: _Request) -> list[Need]:
    return _partiql(request, _list(request.params.get("TransactStatements")))


def _partiql(request: _Request, statements: list) -> list[Need]:
    found = []
    for spec in map(_dict, statements):
        access = partiql_access(spec.get("Statement"), spec.get("Parameters"), request.partition_key)
        if access is not None:
            found.append(_statement_need(request, access))
    return found


def _statement_need(request: _Request, access) -> Need:
    resource = request.arn(access.table)
    if access.index is not None:
        resource = f"{resource}/index/{access.index}"
    scan = access.full_table_scan
    return Need(access.action, resource, request.context({
        FULL_TABLE_SCAN: lambda: [] if scan is None else ["true" if scan else "false"],
        LEADING_KEYS: lambda: [text for text in map(_key_text, access.leading_keys) if text is not None],
    }))


# Condition key values.

def _attributes(spec: dict) -> list[str]:
    """The top-level attribute names a request (or one table's or item's part of it) reads, writes or
    tests: those of its key or item, the ones it names to get, update or test, and the first name of
    every document path of its expressions."""
    found = []
    for parameter in _NAMED:
        given = spec.get(parameter)
        if type(given) is dict:
            found.extend(name for name in given if type(name) is str)
        elif type(given) is list:
            found.extend(name for name in given if type(name) is str)
    names = _dict(spec.get("ExpressionAttributeNames"))
    for parameter in _EXPRESSIONS:
        text = spec.get(parameter)
        if type(text) is str:
            found.extend(_path_heads(text, names))
    return found


def _path_heads(text: str, names: dict) -> list[str]:
    """The top-level attribute names an expression's document paths start with, #placeholders
    resolved. DynamoDB's tokens: a path starts with a name or #name not after ``.``; a name followed
    by ``(`` is a function. Takes any text: on one DynamoDB refuses, the request fails anyway."""
    tokens = lexer.tokenize(text)
    heads = []
    for position, token in enumerate(tokens):
        if token.kind not in (lexer.ID, lexer.NAME) or (position and tokens[position - 1].kind == "."):
            continue
        if token.kind == lexer.ID:
            if tokens[position + 1].kind != "(":
                heads.append(token.text)
        elif type(names.get(token.text)) is str:
            heads.append(names[token.text])
    return heads


def _key_names(records: Iterable[object]) -> list[str]:
    return [name for record in records if type(record) is dict for name in record if type(name) is str]


def _key_text(value: object) -> str | None:
    """A partition key value as dynamodb:LeadingKeys holds it: the string, the number in the canonical
    spelling it is stored under (so ``1.50`` and ``1.5`` are one key to policies as to the table), the
    binary in canonical base64. None for anything that is not a key value."""
    try:
        value = values.validate_value(value)
    except AwsError:
        return None
    ((kind, member),) = value.items()
    return member if kind in ("S", "N", "B") else None


def _select(spec: dict) -> str:
    """dynamodb:Select: the Select parameter, or the value DynamoDB takes when it is absent
    (SPECIFIC_ATTRIBUTES for a projection; then ALL_PROJECTED_ATTRIBUTES on an index, else
    ALL_ATTRIBUTES). GetItem and BatchGetItem have no Select: they select as a table read does."""
    given = spec.get("Select")
    if type(given) is str:
        return given
    if spec.get("ProjectionExpression") is not None or spec.get("AttributesToGet") is not None:
        return "SPECIFIC_ATTRIBUTES"
    return "ALL_PROJECTED_ATTRIBUTES" if type(spec.get("IndexName")) is str else "ALL_ATTRIBUTES"


def _return_values(params: dict) -> str:
    # "the ReturnValues parameter always has a value (NONE unless otherwise specified)" (Developer
    # Guide); ReturnConsumedCapacity likewise defaults to NONE.
    return _text(params.get("ReturnValues"), "NONE")


def _capacity(params: dict) -> str:
    return _text(params.get("ReturnConsumedCapacity"), "NONE")


def _tag_context(tags: object) -> dict[str, tuple[str, ...]]:
    pairs = [(tag.get("Key"), tag.get("Value")) for tag in map(_dict, _list(tags))]
    pairs = [(key, value) for key, value in pairs if type(key) is str and type(value) is str]
    context = _context({TAG_KEYS: [key for key, _ in pairs]})
    for key, value in pairs:
        name = REQUEST_TAG + key.lower()
        context[name] = tuple(dict.fromkeys((*context.get(name, ()), value)))
    return context


def _context(keys: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The keys that have values, each value once, in the order first met; a key with no value is
    absent from the request, as AWS leaves it."""
    return {key: tuple(dict.fromkeys(found)) for key, found in keys.items() if found}


def _hash_key(schema: Iterable[Mapping]) -> str:
    return next(element["AttributeName"] for element in schema if element["KeyType"] == "HASH")


def _text(value: object, default: str) -> str:
    return value if type(value) is str else default


def _dict(value: object) -> dict:
    return value if type(value) is dict else {}


def _list(value: object) -> list:
    return value if type(value) is list else []


# DynamoDB Streams, its own API on the same door (services/dynamodbstreams), authorized with
# DynamoDB's actions: DescribeStream, GetShardIterator and GetRecords on the stream's ARN
# (".../table/T/stream/LABEL"), ListStreams on "*" (the Service Authorization Reference gives it no
# resource type; recalled, not confirmed from a capture).

def stream_needs(operation: str, stream_arn: str | None) -> list[Need]:
    """The authorization a DynamoDB Streams ``operation`` needs; ``stream_arn``: the stream the
    request reads (its StreamArn, or the one its ShardIterator was issued for), as the service
    resolved it. Raises ValueError for an operation with no rule."""
    if operation == "ListStreams":
        return [Need("dynamodb:ListStreams", ANY_RESOURCE, {})]
    if operation not in ("DescribeStream", "GetShardIterator", "GetRecords") or stream_arn is None:
        raise ValueError(f"No authorization rule for the DynamoDB Streams operation {operation}")
    return [Need(f"dynamodb:{operation}", stream_arn, {})]


# The operations that need one action on the table TableName names (on an index when IndexName is given).
_ONE_TABLE = {operation: f"dynamodb:{operation}" for operation in (
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable", "UpdateTable",
    "DeleteTable", "DescribeTimeToLive", "UpdateTimeToLive", "DescribeContinuousBackups",
    "UpdateContinuousBackups")}

_RULES: dict[str, Callable[[_Request], list[Need]]] = {
    "ListTables": _list_tables,
    "DescribeLimits": _account_wide("DescribeLimits"),
    "DescribeEndpoints": _account_wide("DescribeEndpoints"),
    "CreateTable": _create_table,
    "DescribeTable": _on_table("DescribeTable"),
    "UpdateTable": _on_table("UpdateTable"),
    "DeleteTable": _on_table("DeleteTable"),
    "DescribeTimeToLive": _on_table("DescribeTimeToLive"),
    "UpdateTimeToLive": _on_table("UpdateTimeToLive"),
    "DescribeContinuousBackups": _on_table("DescribeContinuousBackups"),
    "UpdateContinuousBackups": _on_table("UpdateContinuousBackups"),
    "DescribeContributorInsights": _on_table_or_index("DescribeContributorInsights"),
    "UpdateContributorInsights": _on_table_or_index("UpdateContributorInsights"),
    "ListContributorInsights": _account_wide("ListContributorInsights"),
    "DescribeKinesisStreamingDestination": _on_table("DescribeKinesisStreamingDestination"),
    "ListTagsOfResource": _on_table("ListTagsOfResource", "ResourceArn"),
    "TagResource": _tag_resource,
    "UntagResource": _untag_resource,
    "GetResourcePolicy": _on_table("GetResourcePolicy", "ResourceArn"),
    "PutResourcePolicy": _on_table("PutResourcePolicy", "ResourceArn"),
    "DeleteResourcePolicy": _on_table("DeleteResourcePolicy", "ResourceArn"),
    "GetItem": _get_item,
    "PutItem": _put_item,
    "UpdateItem": _update_item,
    "DeleteItem": _delete_item,
    "Query": _query,
    "Scan": _scan,
    "BatchGetItem": _batch_get_item,
    "BatchWriteItem": _batch_write_item,
    "TransactGetItems": _transact_get_items,
    "TransactWriteItems": _transact_write_items,
    "ExecuteStatement": _execute_statement,
    "BatchExecuteStatement": _batch_execute_statement,
    "ExecuteTransaction": _execute_transaction,
    "CreateBackup": _on_table("CreateBackup"),
    "DescribeBackup": _on_backup("DescribeBackup"),
    "DeleteBackup": _on_backup("DeleteBackup"),
    "ListBackups": _account_wide("ListBackups"),
    "RestoreTableFromBackup": _restore_table_from_backup,
    "RestoreTableToPointInTime": _restore_table_to_point_in_time,
}
