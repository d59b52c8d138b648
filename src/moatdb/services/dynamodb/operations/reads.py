"""Query and Scan: pages of items in key order, with DynamoDB's Limit, 1 MB and filter rules.

A page ends when ``Limit`` items have been *read* (before the filter) or when the items read reach
1 MB; the key of the last item read is then ``LastEvaluatedKey``. The filter only decides which of
the read items are returned, so ``ScannedCount`` counts reads and ``Count`` counts returns.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import capacity, index_reads, indexes, keys, values
from moatdb.services.dynamodb.catalog import Table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.requests import Expressions

PAGE_BYTES = 1024 * 1024


def query(request: Request) -> dict | bytes:
    params = request.params
    # A null member is an absent one, to Coral as to this check.
    if params.get("KeyConditionExpression") is None and params.get("KeyConditions") is None:
        raise ValidationException("Either the KeyConditions or KeyConditionExpression parameter must be specified"
                                  " in the request.")
    expressions = Expressions(params, ("KeyConditionExpression", "FilterExpression", "ProjectionExpression"))
    key_expression = expressions.key_condition()
    condition = expressions.condition("FilterExpression")
    select, projection = _select(params, expressions, "Query")
    expressions.done()
    table = request.table()
    # The table itself, or the index IndexName names (index_reads.py).
    source, select, projection, fetch = index_reads.plan(table, params, select, projection, condition)
    key_types = {source.partition_key: source.partition_type}
    if source.sort_key:
        key_types[source.sort_key] = source.sort_type
    key_condition = key_expression.for_key(source.partition_key, source.sort_key, key_types)
    partition = source.partition_storage_key(key_condition.partition_value)
    low, high, low_inclusive, high_inclusive = (
        _sort_bounds(table, key_condition) if source is table else source.sort_bounds(key_condition))
    reverse = params.get("ScanIndexForward") is False
    start = params.get("ExclusiveStartKey")
    if start is not None:
        start_sort = _query_start_key(source, start, partition, key_condition.sort_operator is not None,
                                      (low, high, low_inclusive, high_inclusive))
        if reverse:
            if high is None or start_sort <= high:
                high, high_inclusive = start_sort, False
        elif low is None or start_sort >= low:
            low, low_inclusive = start_sort, False
    _scalar_keys(source, projection)
    if condition is not None:
        # A Query's filter may not read the key attributes: they belong in the key condition
        # (dynalite's query tests, recorded against AWS).
        filtered_by = "QueryFilter" if params.get("QueryFilter") is not None else "Filter Expression"
        for name in key_types:  # the keys of the table or index queried
            if name in condition.attributes:
                raise ValidationException(f"{filtered_by} can only contain non-primary key attributes:"
                                          f" Primary key attribute: {name}")
    rows = ((partition, sort, value) for sort, value in request.store.read().query(
        source.id, partition, low, high, low_inclusive=low_inclusive, high_inclusive=high_inclusive,
        reverse=reverse))
    if fetch:
        rows = indexes.table_rows(request.store.read(), table, rows)
    return _page(request, source, rows, params, select, projection, condition)


def scan(request: Request) -> dict | bytes:
    params = request.params
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if segment is not None and total is None:
        raise ValidationException("The TotalSegments parameter is required but was not present in the request"
                                  " when Segment parameter is present")
    if total is not None and segment is None:
        raise ValidationException("The Segment parameter is required but was not present in the request when"
                                  " parameter TotalSegments is present")
    if segment is not None and segment >= total:
        raise ValidationException("The Segment parameter is zero-based and must be less than parameter"
                                  f" TotalSegments: Segment: {segment} is not less than TotalSegments: {total}")
    expressions = Expressions(params, ("FilterExpression", "ProjectionExpression"))
    condition = expressions.condition("FilterExpression")
    select, projection = _select(params, expressions, "Scan")
    expressions.done()
    table = request.table()
    source, select, projection, fetch = index_reads.plan(table, params, select, projection, condition)
    begin, end = keys.segment_bounds(segment, total) if total is not None else (None, None)
    start = params.get("ExclusiveStartKey")
    start_key = _start_key(source, start) if start is not None else None
    if start_key is not None and total is not None and total > 1 and (
            (begin is not None and start_key[0] < begin) or (end is not None and start_key[0] >= end)):
        # A key from another segment (dynalite's scan tests, recorded against AWS).
        raise ValidationException("The provided starting key is invalid: Invalid ExclusiveStartKey."
                                  f" Please use ExclusiveStartKey with correct Segment. TotalSegments: {total}"
                                  f" Segment: {segment}")
    if condition is not None:
        _scalar_keys(source, condition)
    _scalar_keys(source, projection)
    rows = request.store.read().scan(source.id, start_key, end, start_partition=begin)
    if fetch:
        rows = indexes.table_rows(request.store.read(), table, rows)
    return _page(request, source, rows, params, select, projection, condition)


def _page(request: Request, table: Table, rows: Iterator[tuple[bytes, bytes, bytes]], params: dict,
          select: str, projection, condition) -> dict | bytes:
    limit = params.get("Limit")
    capacity_mode = params.get("ReturnConsumedCapacity")
    count_capacity = capacity_mode not in (None, "NONE")
    plain = condition is None and projection is None and select == "ALL_ATTRIBUTES" and not count_capacity
    returned: list = []
    scanned = read_bytes = charged_bytes = 0
    last_raw: bytes | None = None
    more = False
    for _partition, _sort, raw in rows:
        if (limit is not None and scanned >= limit) or read_bytes >= PAGE_BYTES:
            more = True
            break
        scanned += 1
        # Our stored JSON is a little longer than DynamoDB's item size, so pages end no later than
        # DynamoDB's would.
        read_bytes += len(raw)
        last_raw = raw
        if plain:
            returned.append(raw)
            continue
        item = orjson.loads(raw)
        if count_capacity:
            charged_bytes += values.item_size(item)
        if condition is not None and not condition.evaluate(item):
            continue
        if select == "COUNT":
            returned.append(None)
        else:
            returned.append(projection.apply(item) if projection is not None else item)
    last_key = table.key_of(orjson.loads(last_raw)) if more and last_raw is not None else None
    if plain:
        # Splice the stored JSON as it is: no decode, no encode.
        tail = b"" if last_key is None else b',"LastEvaluatedKey":' + orjson.dumps(last_key)
        return (b'{"Items":[' + b",".join(returned) + b'],"Count":' + str(len(returned)).encode()
                + b',"ScannedCount":' + str(scanned).encode() + tail + b"}")
    result: dict = {}
    if select != "COUNT":
        result["Items"] = returned
    result["Count"] = len(returned)
    result["ScannedCount"] = scanned
    if last_key is not None:
        result["LastEvaluatedKey"] = last_key
    if count_capacity:
        units = capacity.read_units(charged_bytes, bool(params.get("ConsistentRead")))
        result["ConsumedCapacity"] = capacity.consumed(capacity_mode, table.name, units)
    return result


def _select(params: dict, expressions: Expressions, operation: str) -> tuple[str, object]:
    """Select and ProjectionExpression together. AWS words these errors the same for both
    operations, but a Query's come inside the validation framework's "1 validation error
    detected: " envelope and a Scan's bare (moto's tests verified against AWS, which agree with
    the conformance captures for Query)."""
    projection = expressions.projection()
    select = params.get("Select")
    if select is None:
        return ("SPECIFIC_ATTRIBUTES" if projection is not None else "ALL_ATTRIBUTES"), projection
    problem = None
    if projection is not None and select != "SPECIFIC_ATTRIBUTES":
        wanted = "only the Count" if select == "COUNT" else select
        named = "AttributesToGet" if params.get("AttributesToGet") is not None else "ProjectionExpression"
        problem = f"Cannot specify the {named} when choosing to get {wanted}"
    elif select == "ALL_PROJECTED_ATTRIBUTES" and params.get("IndexName") is None:
        problem = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    elif select == "SPECIFIC_ATTRIBUTES" and projection is None:
        problem = ("Must specify the AttributesToGet or ProjectionExpression when choosing to get"
                   " SPECIFIC_ATTRIBUTES")
    if problem is not None:
        raise ValidationException(("1 validation error detected: " if operation == "Query" else "") + problem)
    return select, projection


def _scalar_keys(table: Table, expression) -> None:
    """Key attributes are scalars: a path reading into one (``pk.a``, ``pk[0]``) is refused."""
    if expression is None:
        return
    for name in table.key_names:
        if name in expression.nested_attributes:
            raise ValidationException("Key attributes must be scalars; list random access '[]' and map lookup"
                                      f" '.' are not allowed: Key: {name}")


def _sort_bounds(table: Table, key_condition) -> tuple[bytes | None, bytes | None, bool, bool]:
    """The byte range of sort keys that satisfies the key condition's sort-key part."""
    operator = key_condition.sort_operator
    if operator is None:
        return None, None, True, True
    operands = [keys.sort_bytes(value) for value in key_condition.sort_values]
    if operator == "=":
        return operands[0], operands[0], True, True
    if operator == "<":
        return None, operands[0], True, False
    if operator == "<=":
        return None, operands[0], True, True
    if operator == ">":
        return operands[0], None, False, True
    if operator == ">=":
        return operands[0], None, True, True
    if operator == "BETWEEN":
        return operands[0], operands[1], True, True
    if operator == "begins_with":
        return operands[0], keys.prefix_upper_bound(operands[0]), True, False
    raise ValidationException("Query key condition not supported")


def _start_key(table: Table, start: object) -> tuple[bytes, bytes]:
    try:
        return table.storage_key(start)
    except ValidationException as error:
        raise ValidationException(f"The provided starting key is invalid: {error.message}") from None


def _query_start_key(table: Table, start: object, partition: bytes, has_sort_condition: bool,
                     bounds: tuple[bytes | None, bytes | None, bool, bool]) -> bytes:
    """The sort bytes of a Query's ``ExclusiveStartKey``, checked against the key condition with
    AWS's messages (dynalite's query tests, recorded against AWS): a key without exactly the
    table's key attributes is "invalid" with no detail; a key of another partition is outside the
    query's boundaries, or, when the sort key has a condition, first checked against it."""
    if type(start) is not dict or set(start) != set(table.key_names):
        raise ValidationException("The provided starting key is invalid")
    start_partition, start_sort = _start_key(table, start)
    if not has_sort_condition:
        if start_partition != partition:
            raise ValidationException("The provided starting key is outside query boundaries based on"
                                      " provided conditions")
        return start_sort
    low, high, low_inclusive, high_inclusive = bounds
    if (low is not None and (start_sort < low or (start_sort == low and not low_inclusive))) or (
            high is not None and (start_sort > high or (start_sort == high and not high_inclusive))):
        raise ValidationException("The provided starting key does not match the range key predicate")
    if start_partition != partition:
        raise ValidationException("The query can return at most one row and cannot be restarted")
    return start_sort
