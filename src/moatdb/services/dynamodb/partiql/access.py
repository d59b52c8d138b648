"""What a PartiQL statement does, as IAM sees it: its action (dynamodb:PartiQLSelect, ...Insert,
...Update, ...Delete), the table or index it reaches, whether a SELECT reads the whole table
(``dynamodb:FullTableScan``) and the partition key values it is confined to
(``dynamodb:LeadingKeys``). Service Authorization Reference, "Actions, resources, and condition
keys for Amazon DynamoDB"; Developer Guide, "IAM policies with PartiQL for DynamoDB".

Authorization comes before the statement is run, so nothing here raises: a statement that does not
parse has no access (the operation then refuses it with its syntax error, having read nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moatdb.errors import AwsError
from moatdb.services.dynamodb.partiql import nodes as n
from moatdb.services.dynamodb.partiql.literals import Values
from moatdb.services.dynamodb.partiql.parser import parse
from moatdb.services.dynamodb.partiql.plan import partition_values

_ACTIONS = {n.Select: "dynamodb:PartiQLSelect", n.Exists: "dynamodb:PartiQLSelect",
            n.Insert: "dynamodb:PartiQLInsert", n.Update: "dynamodb:PartiQLUpdate",
            n.Delete: "dynamodb:PartiQLDelete"}

# The partition key attribute of a table (and index, if given), None where there is no such table.
PartitionKeys = Callable[[str, str | None], str | None]


@dataclass(frozen=True, slots=True)
class Access:
    action: str
    table: str
    index: str | None
    full_table_scan: bool | None  # for a SELECT; None where it cannot be known (no such table)
    leading_keys: tuple[dict, ...]  # the partition key values, as AttributeValues


def access(statement: object, parameters: object, partition_key: PartitionKeys) -> Access | None:
    """The access of ``statement`` with its ``parameters``, None if it does not parse."""
    if type(statement) is not str:
        return None
    try:
        parsed = parse(statement)
    except AwsError:
        return None
    found = parsed.statement
    select = found.select if type(found) is n.Exists else found
    index = select.index if type(select) is n.Select else None
    key = partition_key(select.table, index)
    full_table_scan = None
    if type(found) is n.Select:
        if found.where is None:
            full_table_scan = True  # whatever the key, nothing confines the read
        elif key is not None:
            full_table_scan = partition_values(found.where, key) is None
    leading = _leading_key(found, key, parameters if type(parameters) is list else [], statement)
    return Access(_ACTIONS[type(found)], select.table, index, full_table_scan, leading)


def _leading_key(found: object, key: str | None, parameters: Sequence[object], statement: str) -> tuple[dict, ...]:
    if key is None:
        return ()
    if type(found) is n.Insert:
        nodes = tuple(member for name, member in getattr(found.value, "entries", ())
                      if type(name) is n.Literal and name.value.get("S") == key)[:1]
    else:
        where = found.select.where if type(found) is n.Exists else found.where
        nodes = partition_values(where, key) or ()
    values = Values(statement, parameters, 0)
    try:
        return tuple(values.value(node) for node in nodes)
    except (AwsError, IndexError):
        return ()
