"""Tags: TagResource, UntagResource, ListTagsOfResource, and the Tags CreateTable attaches.

A table's tags are kept with the table (``catalog.Table.tags``), in its catalog document: tags are
rare writes. They are not part of the table's description (DescribeTable does not show them), and
deleting the table deletes them. DynamoDB applies tag changes eventually ("ListTagsOfResource API
will only reflect the changes after a few seconds", API Reference, TagResource); moatdb applies them
at once. The rules are the Developer Guide's ("Tagging restrictions in DynamoDB"): at most 50 tags a
resource, keys of 1-128 and values of 0-256 Unicode characters (the model's lengths, checked by
Coral), letters, white space, numbers and ``+ - = . _ : /``, keys starting ``aws:`` reserved for
AWS. An index is not tagged on its own: it inherits its table's tags (Developer Guide, "Using
attribute-based access control with DynamoDB"), and an index ARN is refused as a ResourceArn
(Alternator's test_tag.py::test_tag_lsi_gsi, run against AWS). A stream has tags of its own
(Developer Guide, "Using ABAC with DynamoDB Streams"), kept in its entry of the table's document.
"""

from __future__ import annotations

import re
import time

from moatdb.errors import ResourceNotFoundException, ValidationException
from moatdb.services.dynamodb import streams
from moatdb.services.dynamodb.catalog import Address, Catalog, Table
from moatdb.services.dynamodb.context import Request
from moatdb.storage.base import ReadTransaction, WriteTransaction

INVALID = "One or more parameter values were invalid: "
MAX_TAGS = 50
# "The maximum size supported for all the tags in a table is 10 KB" (Developer Guide, ABAC).
MAX_TAGS_BYTES = 10 * 1024
RESERVED_PREFIX = "aws:"
# Letters, white space, numbers and + - = . _ : / (Developer Guide, "Tagging restrictions").
_ALLOWED = re.compile(r"[\w\s+\-=.:/]*")
_RESOURCE_ARN = re.compile(r"arn:[a-z0-9-]+:dynamodb:([a-z0-9-]*):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})(/.*)?",
                           re.DOTALL)


def tag_resource(request: Request) -> dict:
    arn = request.params["ResourceArn"]
    tags = checked(request.params["Tags"], "tags")
    address, label = _target(arn)
    with request.store.write() as txn:
        table = _table_in(txn, address, arn)
        stream = _stream(table, label, arn)
        merged = {**_tags_of(table, stream), **tags}  # a key tagged again takes the new value
        _check_total(merged)
        _set_tags(table, stream, merged)
        Catalog.save_in(txn, address, table)
    return {}


def untag_resource(request: Request) -> dict:
    arn = request.params["ResourceArn"]
    keys = request.params["TagKeys"]
    if not keys:
        # Wording assumed, after Coral's for a list below its minimum length.
        raise ValidationException("1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy"
                                  " constraint: Member must have length greater than or equal to 1")
    address, label = _target(arn)
    with request.store.write() as txn:
        table = _table_in(txn, address, arn)
        stream = _stream(table, label, arn)
        current = _tags_of(table, stream)
        # Removing a key the resource does not have is no error (Alternator's test_tag_resource_basic).
        kept = {key: value for key, value in current.items() if key not in keys}
        if kept != current:
            _set_tags(table, stream, kept)
            Catalog.save_in(txn, address, table)
    return {}


def list_tags_of_resource(request: Request) -> dict:
    """Every tag in one answer: "ListTagsOfResource does not support pagination at the API level ...
    Tags are limited to 50 per resource" (the DynamoDB team, aws/aws-sdk#583, 2024); NextToken is
    accepted and never returned."""
    arn = request.params["ResourceArn"]
    address, label = _target(arn)
    table = _table_in(request.store.read(), address, arn)
    tags = _tags_of(table, _stream(table, label, arn))
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


def checked(tags: list, member: str) -> dict[str, str]:
    """The tags of a TagResource or CreateTable request, checked by DynamoDB's rules, as a dict.

    The wordings are assumed (no capture of AWS's was found); the types and the rules are the
    Developer Guide's, and that AWS refuses each case with a ValidationException is pinned by
    Alternator's test_tag.py, run against AWS."""
    if not tags:
        raise ValidationException(f"1 validation error detected: Value '[]' at '{member}' failed to satisfy"
                                  " constraint: Member must have length greater than or equal to 1")
    found: dict[str, str] = {}
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        if key in found:
            raise ValidationException(INVALID + f"Duplicate tag key: {key}")
        if key.lower().startswith(RESERVED_PREFIX):
            raise ValidationException(INVALID + f"Tag keys starting with '{RESERVED_PREFIX}' are reserved for"
                                      f" AWS use: {key}")
        if not _ALLOWED.fullmatch(key):
            raise ValidationException(INVALID + f"Invalid tag key: {key}. Tag keys may only contain letters,"
                                      " white space, numbers and + - = . _ : /")
        if not _ALLOWED.fullmatch(value):
            raise ValidationException(INVALID + f"Invalid tag value: {value}. Tag values may only contain"
                                      " letters, white space, numbers and + - = . _ : /")
        found[key] = value
    _check_total(found)
    return found


def tag_new_table(txn: WriteTransaction, address: Address, table: Table, tags: dict[str, str]) -> None:
    """Attach CreateTable's (checked) tags to the table it has just created, in its transaction."""
    table.tags = tags
    Catalog.save_in(txn, address, table)


def resource_tags(table: Table) -> dict[str, tuple[str, ...]]:
    """The ``aws:ResourceTag/<key>`` condition keys of the table (and of its indexes, which inherit
    its tags), named lower-case as the policy engine keeps condition keys."""
    return {f"aws:resourcetag/{key.lower()}": (value,) for key, value in table.tags.items()}


def _check_total(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise ValidationException(INVALID + f"The number of tags exceeds the limit of {MAX_TAGS}")  # wording assumed
    if sum(len(key.encode()) + len(value.encode()) for key, value in tags.items()) > MAX_TAGS_BYTES:
        raise ValidationException(INVALID + "The total size of the tags exceeds the limit of 10 KB")  # wording assumed


def _target(arn: str) -> tuple[Address, str | None]:
    """The table a ResourceArn (already checked by ``policies.check_resource_arn``: a table or stream
    of the caller's account and region) names, and the stream's label when it names a stream."""
    match = _RESOURCE_ARN.fullmatch(arn)
    assert match is not None, arn
    rest = match[4] or ""
    return (match[2], match[1], match[3]), rest.removeprefix("/stream/") if rest else None


def _stream(table: Table, label: str | None, arn: str) -> dict | None:
    """The table's stream of that label (None for the table itself). A stream has tags of its own
    (Developer Guide, "Using ABAC with DynamoDB Streams"); one no longer readable is not found."""
    if label is None:
        return None
    found = streams.stream_policy(table, label, time.time())
    if found is None:
        raise ResourceNotFoundException(_not_found(arn))
    return found.stream


def _tags_of(table: Table, stream: dict | None) -> dict[str, str]:
    return table.tags if stream is None else stream.get("tags", {})


def _set_tags(table: Table, stream: dict | None, tags: dict[str, str]) -> None:
    """Keep the tags with the table, or in its stream's entry of the table's document."""
    if stream is None:
        table.tags = tags
    elif tags:
        stream["tags"] = tags
    else:
        stream.pop("tags", None)


def _table_in(txn: ReadTransaction, address: Address, arn: str) -> Table:
    try:
        return Catalog.read_in(txn, address)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(_not_found(arn)) from None


def _not_found(arn: str) -> str:
    # AWS's own spelling, "ResourcArn" included (turbot/steampipe-plugin-aws#1516, 2022;
    # cloud-custodian/cloud-custodian#3514, 2019).
    return f"Requested resource not found: ResourcArn: {arn} not found"


OPERATIONS: dict = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsOfResource": list_tags_of_resource,
}
