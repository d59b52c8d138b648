"""A table's secondary indexes as the layers below the control plane see them: each index's keys, its
projection and the integer storage id its entries live under.

The catalog keeps each index's description (as DescribeTable reports it) inside the table's
description, and the storage ids beside it in the table's document (``{"indexes": {name: id}}``):
the ids are moatdb's own and never leave the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GLOBAL = "GlobalSecondaryIndexes"
LOCAL = "LocalSecondaryIndexes"
KINDS = (GLOBAL, LOCAL)


@dataclass(frozen=True, slots=True)
class SecondaryIndex:
    name: str
    id: int  # the storage id of its entries
    is_global: bool
    partition_key: str
    partition_type: str
    sort_key: str | None
    sort_type: str | None
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    # Every attribute an entry holds (None: the whole item): the index's and the table's keys, and
    # the NonKeyAttributes of an INCLUDE projection.
    projected: frozenset[str] | None

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.partition_key, self.sort_key) if self.sort_key else (self.partition_key,)

    def project(self, item: dict) -> dict:
        """The item as the index holds it."""
        if self.projected is None:
            return item
        return {name: value for name, value in item.items() if name in self.projected}

    def unprojected(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` the index does not hold, in the order given."""
        if self.projected is None:
            return []
        return [name for name in names if name not in self.projected]


def index_descriptions(description: Mapping) -> Iterable[tuple[bool, dict]]:
    """``(is_global, index description)`` of every secondary index of a TableDescription."""
    for kind in KINDS:
        for index in description.get(kind) or ():
            yield kind == GLOBAL, index


def indexes_of(description: Mapping, ids: Mapping[str, int]) -> tuple[SecondaryIndex, ...]:
    """The secondary indexes of a TableDescription, with the storage ids ``ids`` names."""
    types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
    table_keys = tuple(k["AttributeName"] for k in description["KeySchema"])
    found = []
    for is_global, index in index_descriptions(description):
        schema = index["KeySchema"]
        partition = schema[0]["AttributeName"]
        sort = schema[1]["AttributeName"] if len(schema) > 1 else None
        projection = index["Projection"]
        kind = projection["ProjectionType"]
        projected = None if kind == "ALL" else frozenset(
            (*table_keys, partition, *((sort,) if sort else ()), *projection.get("NonKeyAttributes", ())))
        found.append(SecondaryIndex(
            name=index["IndexName"], id=ids[index["IndexName"]], is_global=is_global,
            partition_key=partition, partition_type=types[partition],
            sort_key=sort, sort_type=types[sort] if sort else None,
            projection=kind, projected=projected,
        ))
    return tuple(found)
