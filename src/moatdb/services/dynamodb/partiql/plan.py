"""Each PartiQL statement as the native request that does its work.

A SELECT with an equality on the partition key is a Query (its sort-key condition, if one can be,
is the Query's key condition), any other SELECT is a Scan; either way the whole WHERE is then the
filter and the projection is applied to the items read, so a SELECT can test the key attributes
as a Query's FilterExpression cannot. INSERT is a PutItem that must not find the item; UPDATE an
UpdateItem that must find it; DELETE a DeleteItem; the conditions of their WHERE beyond the key
become the write's ConditionExpression. Running the native operations keeps one code path for
the semantics, the errors and the writes themselves (``changes.write``).

Conditions and updates are written as DynamoDB expressions with ``#n``/``:v`` placeholders, so the
expression parser checks them with its own messages (the ones AWS gives for PartiQL as well, e.g.
"Operator or function requires a document path; operator or function: attribute_exists").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.partiql import nodes as n
from moatdb.services.dynamodb.partiql.lexer import location
from moatdb.services.dynamodb.partiql.literals import VALUE_NODES, Values
from moatdb.services.dynamodb.partiql.parser import parse

FULL_KEY = "Where clause does not contain a mandatory equality on all key attributes"
EXISTS_CONDITION = "EXISTS() must contain a single item read with additional condition"
ORDER_BY_QUERY = "Must have WHERE clause in the statement when using ORDER BY clause."  # wording assumed
ORDER_BY_KEY = "Order by is supported only on the sort key"  # wording assumed
_SORT_OPERATORS = frozenset({"=", "<", "<=", ">", ">="})
_MIRRORED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True, slots=True)
class Schema:
    """The key attributes of a table and of each of its secondary indexes."""

    partition_key: str
    sort_key: str | None = None
    indexes: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, description: Mapping) -> Schema:
        """The schema of a TableDescription, as DescribeTable reports it."""
        indexes = {index["IndexName"]: _keys(index["KeySchema"])
                   for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                   for index in description.get(kind) or ()}
        return cls(*_keys(description["KeySchema"]), indexes)

    def keys(self, index: str | None) -> tuple[str, str | None] | None:
        return (self.partition_key, self.sort_key) if index is None else self.indexes.get(index)


@dataclass(slots=True)
class Read:
    """A SELECT: the native Query, Scan or GetItem ``requests`` (one Query for each partition key
    value of ``pk IN [...]``, else one request), then the filter and projection to apply to what
    they read (``names``/``values`` are their placeholders)."""

    operation: str  # "Query", "Scan" or "GetItem"
    table: str
    requests: list[dict]
    condition: str | None = None
    projection: str | None = None
    names: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)


@dataclass(slots=True)
class Write:
    """An INSERT, UPDATE or DELETE as the native PutItem, UpdateItem or DeleteItem ``params``, or
    an EXISTS as a transaction's ConditionCheck."""

    operation: str  # "PutItem", "UpdateItem", "DeleteItem" or "ConditionCheck"
    table: str
    params: dict
    insert: bool = False  # a failed condition is a duplicate key, not a failed condition


Plan = Read | Write


def table_of(statement: str, parameters: Sequence[object] | None) -> str:
    """The table a statement names, once it has parsed and has a value for each ``?``: these errors
    come before the table is looked up (moto's test_batch_update__not_enough_parameters, whose
    failed statement names no table)."""
    parsed = parse(statement)
    Values(statement, parameters, parsed.parameters)
    found = parsed.statement
    return found.select.table if type(found) is n.Exists else found.table


def is_read(statement: str) -> bool:
    """Whether a statement (one that parses) reads: a SELECT (an EXISTS is a transaction's write)."""
    return type(parse(statement).statement) is n.Select


def plan(statement: str, parameters: Sequence[object] | None, schema: Schema, *, single: str | None = None) -> Plan:
    """The native request of ``statement``. ``single``: the operation the statement is part of
    ("BatchExecuteStatement", "ExecuteTransaction"), whose SELECTs read one item by its key."""
    parsed = parse(statement)
    values = Values(statement, parameters, parsed.parameters)
    found = parsed.statement
    if type(found) is n.Select:
        if single is not None:
            return _get(found, values, schema, single)
        return _select(found, values, schema)
    if type(found) is n.Insert:
        return _insert(found, values, schema)
    if type(found) is n.Update:
        return _update(found, values, schema)
    if type(found) is n.Delete:
        return _delete(found, values, schema)
    return _exists(found, values, schema)


# --- reads -------------------------------------------------------------------------------------------

def _select(select: n.Select, values: Values, schema: Schema) -> Read:
    # An index the table does not have is read as a Scan, which refuses it in its own words.
    partition_key, sort_key = schema.keys(select.index) or (None, None)
    params: dict = {"TableName": select.table}
    if select.index is not None:
        params["IndexName"] = select.index
    partitions = partition_values(select.where, partition_key) if partition_key is not None else None
    operation = "Scan" if partitions is None else "Query"
    if select.order_by:
        if operation != "Query":
            raise ValidationException(ORDER_BY_QUERY)
        for path, ascending in select.order_by:
            if not (_is(path, partition_key) or (sort_key is not None and _is(path, sort_key))):
                raise ValidationException(ORDER_BY_KEY)
            if sort_key is not None and path.is_attribute(sort_key) and not ascending:
                params["ScanIndexForward"] = False
    requests = [params]
    if partitions is not None:
        requests = [{**params, **_key_condition(partition, partition_key, sort_key, select.where, values)}
                    for partition in _distinct(partitions, values)]
    rest = _Expressions(values)
    read = Read(operation, select.table, requests)
    if select.where is not None:
        read.condition = rest.condition(select.where)
    if select.projection is not None:
        read.projection = ", ".join(rest.path(path) for path in select.projection)
    read.names, read.values = rest.names, rest.values
    return read


def _get(select: n.Select, values: Values, schema: Schema, single: str) -> Read:
    """A SELECT of a batch or transaction: by the whole primary key and nothing else (the
    conformance suite's "Select statements within ... must specify the primary key")."""
    problem = f"Select statements within {single} must specify the primary key in the where clause."
    if select.index is not None or select.order_by:
        raise ValidationException(problem)
    key, rest = _key_equalities(select.where, schema, values)
    if key is None or rest:
        raise ValidationException(problem)
    params: dict = {"TableName": select.table, "Key": key}
    if select.projection is not None:
        expressions = _Expressions(values)
        params["ProjectionExpression"] = ", ".join(expressions.path(path) for path in select.projection)
        params.update(expressions.placeholders())
    return Read("GetItem", select.table, [params])


def partition_values(where: object, partition_key: str) -> tuple | None:
    """The value nodes a WHERE confines the partition key to, through its top-level ANDs: the value
    of an equality, or the values of an ``IN``. "To ensure that a SELECT statement does not result
    in a full table scan, the WHERE clause condition must specify a partition key. Use the equality
    or IN operator." (Developer Guide, "PartiQL select statements for DynamoDB")."""
    found = conjuncts(where)
    for conjunct in found:
        value = _equality(conjunct, partition_key)
        if value is not None:
            return (value,)
    for conjunct in found:
        if type(conjunct) is n.In and _is(conjunct.operand, partition_key) \
                and all(isinstance(candidate, VALUE_NODES) for candidate in conjunct.candidates):
            return conjunct.candidates
    return None


def _distinct(partitions: tuple, values: Values) -> list:
    """The partition value nodes, each value once (a partition is read once however often named)."""
    seen: dict[str, object] = {}
    for node in partitions:
        seen.setdefault(repr(sorted(values.value(node).items())), node)
    return list(seen.values())


def _key_condition(partition: object, partition_key: str, sort_key: str | None, where: object,
                   values: Values) -> dict:
    """A Query's KeyConditionExpression for one partition, with its placeholders."""
    key = _Expressions(values)
    conditions = [f"{key.name(partition_key)} = {key.value(partition)}"]
    sort = _sort_condition(where, sort_key, key) if sort_key is not None else None
    if sort is not None:
        conditions.append(sort)
    return {"KeyConditionExpression": " AND ".join(conditions), **key.placeholders()}


def conjuncts(where: object) -> list:
    """The operands of a WHERE's top-level ANDs, in order."""
    found, pending = [], [where] if where is not None else []
    while pending:
        node = pending.pop()
        if type(node) is n.Binary and node.operator == "AND":
            pending += [node.right, node.left]
        else:
            found.append(node)
    return found


def _equality(node: object, attribute: str) -> object | None:
    if type(node) is not n.Binary or node.operator != "=":
        return None
    for side, other in ((node.left, node.right), (node.right, node.left)):
        if type(side) is n.Path and side.is_attribute(attribute) and isinstance(other, VALUE_NODES):
            return other
    return None


def _sort_condition(where: object, sort_key: str, key: _Expressions) -> str | None:
    """The first conjunct that a Query's key condition can hold for the sort key, as its text."""
    for conjunct in conjuncts(where):
        if type(conjunct) is n.Binary and conjunct.operator in _SORT_OPERATORS:
            for side, other, operator in ((conjunct.left, conjunct.right, conjunct.operator),
                                          (conjunct.right, conjunct.left, _MIRRORED.get(conjunct.operator))):
                if _is(side, sort_key) and isinstance(other, VALUE_NODES):
                    return f"{key.name(sort_key)} {operator} {key.value(other)}"
        elif type(conjunct) is n.Between and _is(conjunct.operand, sort_key) \
                and isinstance(conjunct.low, VALUE_NODES) and isinstance(conjunct.high, VALUE_NODES):
            return f"{key.name(sort_key)} BETWEEN {key.value(conjunct.low)} AND {key.value(conjunct.high)}"
        elif type(conjunct) is n.Call and conjunct.name == "begins_with" and len(conjunct.arguments) == 2 \
                and _is(conjunct.arguments[0], sort_key) and isinstance(conjunct.arguments[1], VALUE_NODES):
            return f"begins_with({key.name(sort_key)}, {key.value(conjunct.arguments[1])})"
    return None


def _is(node: object, attribute: str) -> bool:
    return type(node) is n.Path and node.is_attribute(attribute)


# --- writes ------------------------------------------------------------------------------------------

def _insert(insert: n.Insert, values: Values, schema: Schema) -> Write:
    if type(insert.value) is not n.MapValue:
        raise ValidationException("Unsupported operation: INSERT must have a tuple as its VALUE")  # wording assumed
    item = values.item(insert.value)
    expressions = _Expressions(values)
    params = {"TableName": insert.table, "Item": item,
              "ConditionExpression": f"attribute_not_exists({expressions.name(schema.partition_key)})",
              **expressions.placeholders()}
    return Write("PutItem", insert.table, params, insert=True)


def _update(update: n.Update, values: Values, schema: Schema) -> Write:
    key, rest = _key_equalities(update.where, schema, values)
    if key is None:
        raise ValidationException(FULL_KEY)
    expressions = _Expressions(values)
    clauses = _update_clauses(update, expressions, values)
    # An UPDATE changes an item that exists: a missing one fails its condition (recorded against
    # DynamoDB Local: "crud: update a row that does not exist").
    conditions = [f"attribute_exists({expressions.name(schema.partition_key)})",
                  *(expressions.condition(conjunct) for conjunct in rest)]
    params = {"TableName": update.table, "Key": key, "UpdateExpression": clauses,
              "ConditionExpression": " AND ".join(f"({condition})" for condition in conditions)}
    if update.returning is not None:
        params["ReturnValues"] = update.returning
    params.update(expressions.placeholders())
    return Write("UpdateItem", update.table, params)


def _update_clauses(update: n.Update, expressions: _Expressions, values: Values) -> str:
    sets, adds, deletes = [], [], []
    for assignment in update.sets:
        target, value = assignment.path, assignment.value
        if type(value) is n.Call and value.name in ("set_add", "set_delete"):
            operand = _set_operand(target, value, values)
            (adds if value.name == "set_add" else deletes).append(
                f"{expressions.path(target)} {expressions.value(operand)}")
        else:
            sets.append(f"{expressions.path(target)} = {expressions.operand(value)}")
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if update.removes:
        clauses.append("REMOVE " + ", ".join(expressions.path(path) for path in update.removes))
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    if deletes:
        clauses.append("DELETE " + ", ".join(deletes))
    return " ".join(clauses)


def _set_operand(target: n.Path, call: n.Call, values: Values) -> object:
    """The set that ``x = set_add(x, <<...>>)`` adds (or set_delete removes), checked with the
    conformance suite's messages, which place them at the function or at its first argument."""
    function = call.name.upper()
    where = location(values.statement, call.token)
    if len(call.arguments) != 2:
        raise ValidationException(f"{function} must have exactly two arguments at {where}")
    first, second = call.arguments
    if type(first) is not n.Path or first.elements != target.elements:
        raise ValidationException(f"The first argument to {function} must equal the assignment value at {where}")
    if type(second) is n.Parameter:
        value = values.value(second)
        if next(iter(value)) in ("SS", "NS", "BS"):
            return second
    elif type(second) is n.BagValue:
        return second
    raise ValidationException(f"The second argument to {function} must be a value with type SET at "
                              f"{location(values.statement, first.token)}")


def _delete(delete: n.Delete, values: Values, schema: Schema) -> Write:
    key, rest = _key_equalities(delete.where, schema, values)
    if key is None:
        raise ValidationException(FULL_KEY)
    if delete.returning not in (None, "ALL_OLD"):
        raise ValidationException("Unsupported RETURNING clause for DELETE: only ALL OLD * is supported")  # assumed
    params: dict = {"TableName": delete.table, "Key": key}
    if rest:
        expressions = _Expressions(values)
        params["ConditionExpression"] = " AND ".join(f"({expressions.condition(c)})" for c in rest)
        params.update(expressions.placeholders())
    if delete.returning is not None:
        params["ReturnValues"] = "ALL_OLD"
    return Write("DeleteItem", delete.table, params)


def _exists(exists: n.Exists, values: Values, schema: Schema) -> Write:
    select = exists.select
    key, rest = _key_equalities(select.where, schema, values)
    if key is None or not rest or select.index is not None:
        raise ValidationException(EXISTS_CONDITION)
    expressions = _Expressions(values)
    params = {"TableName": select.table, "Key": key,
              "ConditionExpression": " AND ".join(f"({expressions.condition(c)})" for c in rest),
              **expressions.placeholders()}
    return Write("ConditionCheck", select.table, params)


def _key_equalities(where: object, schema: Schema, values: Values) -> tuple[dict | None, list]:
    """The primary key a WHERE names by equalities through its top-level ANDs (None unless all of
    its attributes are), and the conjuncts left once those are taken."""
    rest = conjuncts(where)
    key = {}
    for attribute in (schema.partition_key, schema.sort_key):
        if attribute is None:
            continue
        for position, conjunct in enumerate(rest):
            value = _equality(conjunct, attribute)
            if value is not None:
                key[attribute] = values.value(value)
                del rest[position]
                break
        else:
            return None, rest
    return key, rest


# --- DynamoDB expressions ----------------------------------------------------------------------------

class _Expressions:
    """Writes PartiQL conditions, operands and paths as DynamoDB expression text, collecting the
    ExpressionAttributeNames and ExpressionAttributeValues they use."""

    def __init__(self, values: Values):
        self.literals = values
        self.names: dict[str, str] = {}
        self.values: dict[str, dict] = {}
        self._placeholders: dict[str, str] = {}

    def placeholders(self) -> dict:
        found: dict = {}
        if self.names:
            found["ExpressionAttributeNames"] = self.names
        if self.values:
            found["ExpressionAttributeValues"] = self.values
        return found

    def name(self, attribute: str) -> str:
        placeholder = self._placeholders.get(attribute)
        if placeholder is None:
            placeholder = self._placeholders[attribute] = f"#n{len(self.names)}"
            self.names[placeholder] = attribute
        return placeholder

    def value(self, node: object) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = self.literals.value(node)
        return placeholder

    def path(self, path: n.Path) -> str:
        text = self.name(path.elements[0])
        for element in path.elements[1:]:
            text += f"[{element}]" if type(element) is int else "." + self.name(element)
        return text

    def operand(self, node: object) -> str:
        """An operand of a comparison or of a SET value."""
        if type(node) is n.Path:
            return self.path(node)
        if type(node) is n.Call:
            return f"{node.name}({', '.join(self.operand(argument) for argument in node.arguments)})"
        if type(node) is n.Binary and node.operator in ("+", "-"):
            return f"{self.operand(node.left)} {node.operator} {self.operand(node.right)}"
        if isinstance(node, VALUE_NODES):
            return self.value(node)
        if type(node) is n.Missing:
            raise ValidationException("MISSING is not a value")  # wording assumed
        return f"({self.condition(node)})"

    def condition(self, node: object) -> str:
        if type(node) is n.Binary and node.operator in ("AND", "OR"):
            return f"({self.condition(node.left)}) {node.operator} ({self.condition(node.right)})"
        if type(node) is n.Binary and node.operator not in ("+", "-"):
            return f"{self.operand(node.left)} {node.operator} {self.operand(node.right)}"
        if type(node) is n.Not:
            return f"NOT ({self.condition(node.operand)})"
        if type(node) is n.Between:
            return f"{self.operand(node.operand)} BETWEEN {self.operand(node.low)} AND {self.operand(node.high)}"
        if type(node) is n.In:
            return f"{self.operand(node.operand)} IN ({', '.join(self.operand(c) for c in node.candidates)})"
        if type(node) is n.Is:
            return self._test(node)
        if type(node) is n.Call:
            return self.operand(node)
        if type(node) is n.Path:
            # A path on its own is true where it holds true, as in PartiQL.
            return f"{self.path(node)} = {self._constant({'BOOL': True})}"
        if type(node) is n.Literal and "BOOL" in node.value:
            # TRUE or FALSE on its own: a comparison of a constant with itself, or its negation.
            constant = self._constant({"BOOL": True})
            return f"{constant} {'=' if node.value['BOOL'] else '<>'} {constant}"
        raise ValidationException("Unsupported condition in WHERE clause")  # wording assumed

    def _test(self, node: n.Is) -> str:
        operand = self.operand(node.operand)
        if node.kind == "MISSING":
            return f"attribute_{'' if node.negated else 'not_'}exists({operand})"
        # NULL, and MISSING, are NULL to PartiQL.
        null = self._constant({"S": "NULL"})
        if node.negated:
            return f"attribute_exists({operand}) AND NOT attribute_type({operand}, {null})"
        return f"attribute_not_exists({operand}) OR attribute_type({operand}, {null})"

    def _constant(self, value: dict) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder


def _keys(schema) -> tuple[str, str | None]:
    hash_key = next(element["AttributeName"] for element in schema if element["KeyType"] == "HASH")
    sort_key = next((element["AttributeName"] for element in schema if element["KeyType"] == "RANGE"), None)
    return hash_key, sort_key
