"""The catalog of tables: their descriptions in storage, and a per-worker cache of them.

A table's description is kept as a storage document (kind ``dynamodb/table``, named
``account:region:name``), holding the TableDescription DynamoDB reports plus the integer id its
items are stored under and its resource-based policy, if it has one: deleting the table deletes
its policy, and a table created again under the same name starts without one. Each worker caches
the parsed tables and drops the cache whenever the store's document generation changes, so a table
created or deleted through one worker is seen by every other worker on its next request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from moatdb.errors import ResourceNotFoundException, ValidationException
from moatdb.services.dynamodb import keys, values
from moatdb.services.dynamodb.index_schema import SecondaryIndex, index_descriptions, indexes_of
from moatdb.storage.base import ReadTransaction, Store, WriteTransaction
from moatdb.storage.cache import DocumentCache

DOCUMENT_KIND = "dynamodb/table"
TABLE_COUNTER = "dynamodb/table"
# DynamoDB's limits on key attribute values (Developer Guide, "Quotas": partition key 2048 bytes,
# sort key 1024 bytes).
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
_KEY_MISMATCH = "The provided key element does not match the schema"
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
_TABLE_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})")


def resolve_table(account: str, region: str, name_or_arn: str) -> tuple[str, str, str]:
    """``(account, region, name)`` of a ``TableName`` parameter, which may also be the table's ARN.

    The model types ``TableName`` as an ARN (1-1024 characters), so a plain name's own rules are
    checked here, in Coral's words (the order is the one DynamoDB reports for an empty name)."""
    if name_or_arn.startswith("arn:"):
        match = _TABLE_ARN.fullmatch(name_or_arn)
        if match is None:
            raise ValidationException("Invalid TableArn: Invalid Table ARN")
        return match.group(2), match.group(1), match.group(3)
    problems = []
    if len(name_or_arn) < 3:
        problems.append("Member must have length greater than or equal to 3")
    if len(name_or_arn) > 255:
        problems.append("Member must have length less than or equal to 255")
    if not _TABLE_NAME.fullmatch(name_or_arn):
        problems.append("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    if problems:
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: "
        raise ValidationException(count + "; ".join(
            f"Value '{name_or_arn}' at 'tableName' failed to satisfy constraint: {problem}" for problem in problems
        ))
    return account, region, name_or_arn


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A table's resource-based policy: the document in its canonical form, and its revision."""

    document: str
    revision_id: str


@dataclass(frozen=True, slots=True)
class Recovery:
    """A table's point-in-time recovery (history.py): the storage id its change history lives under,
    kept for the table's life once allocated, whether recovery is enabled, since when, and for how
    many days back a restore may go."""

    history: int
    enabled: bool
    since: float
    days: int


@dataclass(slots=True)
class Table:
    id: int
    name: str
    description: dict  # TableDescription as DynamoDB reports it, without the live counts
    partition_key: str
    partition_type: str
    sort_key: str | None
    sort_type: str | None
    policy: StoredPolicy | None = None
    # Whether anything follows the table's items (secondary indexes, a stream, a point-in-time history):
    # its writers then read each item before changing it (changes.py).
    follows_changes: bool = False
    # The table's tags (TagResource), key -> value; not part of its description, as on DynamoDB.
    tags: dict[str, str] = field(default_factory=dict)
    # The attribute time to live reads, when it is enabled (UpdateTimeToLive).
    time_to_live: str | None = None
    # Where Contributor Insights is enabled: "" (the table) or an index name -> its mode.
    contributor_insights: dict[str, str] = field(default_factory=dict)
    # Point-in-time recovery (UpdateContinuousBackups); None until it is first enabled.
    recovery: Recovery | None = None
    # Its secondary indexes (index_schema.py), with the storage ids of their entries.
    indexes: tuple[SecondaryIndex, ...] = ()
    # The table's streams, oldest first, the enabled one last (streams.py).
    streams: list[dict] = field(default_factory=list)
    # Where the sizes of its item collections are kept, for a table with local secondary indexes
    # (item_collections.py).
    collections: int | None = None

    @classmethod
    def from_document(cls, document: bytes) -> Table:
        stored = orjson.loads(document)
        policy = stored.get("policy")
        table = cls.from_description(stored["id"], stored["description"],
                                     StoredPolicy(**policy) if policy is not None else None)
        table.tags = stored.get("tags", {})
        table.indexes = indexes_of(stored["description"], stored.get("indexes", {}))
        table.time_to_live = stored.get("time_to_live")
        table.contributor_insights = stored.get("contributor_insights", {})
        table.streams = stored.get("streams", [])
        table.collections = stored.get("collections")
        recovery = stored.get("recovery")
        if recovery is not None:
            table.recovery = Recovery(**recovery)
            # The history records each item as it was before a change: writers must read it first.
            table.follows_changes = table.follows_changes or table.recovery.enabled
        return table

    @classmethod
    def from_description(cls, id: int, description: dict, policy: StoredPolicy | None = None) -> Table:
        types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
        schema = description["KeySchema"]
        sort_key = schema[1]["AttributeName"] if len(schema) > 1 else None
        return cls(
            id=id,
            name=description["TableName"],
            description=description,
            partition_key=schema[0]["AttributeName"],
            partition_type=types[schema[0]["AttributeName"]],
            sort_key=sort_key,
            sort_type=types[sort_key] if sort_key else None,
            policy=policy,
            follows_changes=bool(description.get("GlobalSecondaryIndexes") or description.get("LocalSecondaryIndexes")
                                 or description.get("StreamSpecification", {}).get("StreamEnabled")),
        )

    def to_document(self) -> bytes:
        stored: dict = {"id": self.id, "description": self.description}
        if self.policy is not None:
            stored["policy"] = {"document": self.policy.document, "revision_id": self.policy.revision_id}
        if self.tags:
            stored["tags"] = self.tags
        if self.streams:
            stored["streams"] = self.streams
        if self.time_to_live is not None:
            stored["time_to_live"] = self.time_to_live
        if self.contributor_insights:
            stored["contributor_insights"] = self.contributor_insights
        if self.indexes:
            stored["indexes"] = {index.name: index.id for index in self.indexes}
        if self.collections is not None:
            stored["collections"] = self.collections
        if self.recovery is not None:
            stored["recovery"] = {"history": self.recovery.history, "enabled": self.recovery.enabled,
                                  "since": self.recovery.since, "days": self.recovery.days}
        return orjson.dumps(stored)

    @property
    def arn(self) -> str:
        return self.description["TableArn"]

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.partition_key, self.sort_key) if self.sort_key else (self.partition_key,)

    def storage_key(self, key: object) -> tuple[bytes, bytes]:
        """The storage key of a request's ``Key``: exactly the table's key attributes, with their
        declared types (DynamoDB: "The provided key element does not match the schema")."""
        if type(key) is not dict or len(key) != (2 if self.sort_key else 1):
            raise ValidationException(_KEY_MISMATCH)
        partition = key.get(self.partition_key)
        if partition is None:
            raise ValidationException(_KEY_MISMATCH)
        partition = _key_value(
            partition, self.partition_type, self.partition_key, _KEY_MISMATCH, MAX_PARTITION_KEY_BYTES
        )
        if self.sort_key is None:
            return keys.partition_bytes(partition), b""
        sort = key.get(self.sort_key)
        if sort is None:
            raise ValidationException(_KEY_MISMATCH)
        sort = _key_value(sort, self.sort_type, self.sort_key, _KEY_MISMATCH, MAX_SORT_KEY_BYTES)
        return keys.partition_bytes(partition), keys.sort_bytes(sort)

    def partition_storage_key(self, value: dict) -> bytes:
        """The storage partition of a Query's partition key value, with the key rules GetItem applies
        (not empty, at most 2048 bytes)."""
        value = _key_value(value, self.partition_type, self.partition_key, _KEY_MISMATCH, MAX_PARTITION_KEY_BYTES)
        return keys.partition_bytes(value)

    def item_storage_key(self, item: dict) -> tuple[bytes, bytes]:
        """The storage key of a whole (already validated) item, with PutItem's wording for a
        missing key attribute or one of the wrong type."""
        partition = self._item_key_value(item, self.partition_key, self.partition_type, MAX_PARTITION_KEY_BYTES)
        if self.sort_key is None:
            return keys.partition_bytes(partition), b""
        sort = self._item_key_value(item, self.sort_key, self.sort_type, MAX_SORT_KEY_BYTES)
        return keys.partition_bytes(partition), keys.sort_bytes(sort)

    def key_of(self, item: dict) -> dict:
        """The item's primary key attributes (for LastEvaluatedKey, UnprocessedKeys...)."""
        if self.sort_key is None:
            return {self.partition_key: item[self.partition_key]}
        return {self.partition_key: item[self.partition_key], self.sort_key: item[self.sort_key]}

    def _item_key_value(self, item: dict, name: str, declared: str, limit: int) -> dict:
        value = item.get(name)
        if value is None:
            raise ValidationException(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        actual = next(iter(value))
        if actual != declared:
            raise ValidationException(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {declared} actual: {actual}"
            )
        return _key_value(value, declared, name, None, limit, validated=True)


def _key_value(value: object, declared: str | None, name: str, mismatch: str | None, limit: int,
               *, validated: bool = False) -> dict:
    """A key attribute value, validated and normalized, with DynamoDB's emptiness and size rules."""
    if type(value) is not dict or len(value) != 1 or declared not in value:
        if mismatch is not None:
            # A value of another type (or not a value at all) does not match the key schema.
            if type(value) is dict:
                values.validate_value(value)
            raise ValidationException(mismatch)
    # A string needs no normalizing: the common key skips the general validator.
    if not validated and not (declared == "S" and type(value["S"]) is str):
        value = values.validate_value(value)
    if declared == "N":
        return value  # numbers are bounded by their 38 digits
    raw = value[declared]
    if raw == "":
        raise ValidationException(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot"
            f" contain an empty {'string' if declared == 'S' else 'binary'} value. Key: {name}"
        )
    size = len(raw.encode()) if declared == "S" else len(raw) * 3 // 4 - raw.count("=", -2)
    if size > limit:
        if limit == MAX_PARTITION_KEY_BYTES:
            raise ValidationException(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size"
                " limit of2048 bytes"
            )
        raise ValidationException(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded"
            " the size limit of 1024 bytes"
        )
    return value


Address = tuple[str, str, str]  # (account, region, table name)


class Catalog:
    """Tables by address, cached per worker."""

    def __init__(self, store: Store):
        self.store = store
        self._tables: DocumentCache[Address, Table | None] = DocumentCache(store, self._load)

    def _load(self, address: Address) -> Table | None:
        document = self.store.read().document(DOCUMENT_KIND, _document_name(address))
        return Table.from_document(document) if document is not None else None

    def find(self, address: Address) -> Table | None:
        return self._tables.get(address)

    def get(self, address: Address) -> Table:
        """The table, or DynamoDB's ResourceNotFoundException as item operations word it."""
        table = self.find(address)
        if table is None:
            raise ResourceNotFoundException("Requested resource not found")
        return table

    def names(self, account: str, region: str) -> Iterator[str]:
        prefix = f"{account}:{region}:"
        for document_name, _ in self.store.read().documents(DOCUMENT_KIND):
            if document_name.startswith(prefix):
                yield document_name[len(prefix):]

    # Inside a write transaction, for the operations that change tables:

    @staticmethod
    def read_in(txn: ReadTransaction, address: Address) -> Table:
        """The table as stored, or ResourceNotFoundException as table operations word it."""
        document = txn.document(DOCUMENT_KIND, _document_name(address))
        if document is None:
            raise ResourceNotFoundException(f"Requested resource not found: Table: {address[2]} not found")
        return Table.from_document(document)

    @staticmethod
    def exists_in(txn: ReadTransaction, address: Address) -> bool:
        return txn.document(DOCUMENT_KIND, _document_name(address)) is not None

    @staticmethod
    def create_in(txn: WriteTransaction, address: Address, description: dict,
                  policy: StoredPolicy | None = None) -> Table:
        """A new table (CreateTable, a restore): its storage ids allocated, its description saved."""
        table = Table.from_description(txn.next_id(TABLE_COUNTER), description, policy)
        # Each secondary index's entries live under a storage id of their own.
        table.indexes = indexes_of(description, {
            index["IndexName"]: txn.next_id(TABLE_COUNTER) for _, index in index_descriptions(description)})
        if description.get("LocalSecondaryIndexes"):
            # So do the sizes of its item collections (item_collections.py).
            table.collections = txn.next_id(TABLE_COUNTER)
        Catalog.save_in(txn, address, table)
        return table

    @staticmethod
    def save_in(txn: WriteTransaction, address: Address, table: Table) -> None:
        txn.put_document(DOCUMENT_KIND, _document_name(address), table.to_document())

    @staticmethod
    def delete_in(txn: WriteTransaction, address: Address, table: Table) -> None:
        txn.delete_document(DOCUMENT_KIND, _document_name(address))
        txn.drop_table(table.id)
        for index in table.indexes:
            txn.drop_table(index.id)
        if table.recovery is not None:
            txn.drop_table(table.recovery.history)
        if table.collections is not None:
            txn.drop_table(table.collections)


def _document_name(address: Address) -> str:
    return ":".join(address)
