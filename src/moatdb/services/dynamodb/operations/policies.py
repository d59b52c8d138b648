"""PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: a table's resource-based policy.

The policy is kept with the table (``catalog.StoredPolicy``) and applied from the next request on:
moatdb changes it at once, where DynamoDB applies a change eventually and refuses another change
for 15 seconds (docs/differences-from-dynamodb.md). The rules and wordings are the API Reference's
(PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy) and the real service's answers
(ack-api-quirks DDB-TABLE-205, -207, -209, -210, -212, -214, live AWS 2026).
"""

from __future__ import annotations

import re
import time

from moatdb.auth.authenticator import Caller
from moatdb.errors import (
    AccessDeniedException,
    PolicyNotFoundException,
    ResourceNotFoundException,
    ValidationException,
)
from moatdb.policy.document import Policy
from moatdb.services.dynamodb import resource_policies, streams
from moatdb.services.dynamodb.catalog import Address, Catalog, StoredPolicy, Table
from moatdb.services.dynamodb.context import Request
from moatdb.services.dynamodb.resource_policies import INVALID

# ExpectedRevisionId's word for "attach only if the table has no policy yet" (API Reference).
NO_POLICY = "NO_POLICY"
NOT_FOUND = "Resource-based policy not found for the provided ResourceArn: "
LOCKED_OUT = "The new resource policy will not allow you to update the resource policy in the future."
OTHER_ACCOUNT = "This action is only supported by accounts that match the resource owner’s account."
_RESOURCE_ARN = re.compile(
    r"arn:([a-z0-9-]+):dynamodb:([a-z0-9-]*):(\d{12}):table/([a-zA-Z0-9_.-]{3,255})(/.*)?", re.DOTALL)


def check_resource_arn(params: dict, caller: Caller) -> None:
    """Refuse a ResourceArn that is no table or stream of the caller's own account and region, in
    DynamoDB's words. It runs before authorization: DynamoDB answers another account's ARN with this
    ValidationException, not with AccessDenied (DDB-TABLE-212)."""
    _target(params["ResourceArn"], caller)


def get_resource_policy(request: Request) -> dict:
    arn = request.params["ResourceArn"]
    address, stream = _target(arn, request.caller)
    table = _table(Catalog.read_in(request.store.read(), address), stream)
    if table.policy is None:
        raise PolicyNotFoundException(NOT_FOUND + arn)
    return {"Policy": resource_policies.shown(table.policy), "RevisionId": table.policy.revision_id}


def put_resource_policy(request: Request) -> dict:
    params = request.params
    address, stream = _target(params["ResourceArn"], request.caller)
    table_arn = _arn(address) if stream is None else streams.arn(_arn(address), stream)
    document, policy = resource_policies.check(params["Policy"], table_arn, request.authorizer.directory)
    expected = params.get("ExpectedRevisionId")
    table = _table(Catalog.read_in(request.store.read(), address), stream)
    _expect(table, expected, put=True)
    unchanged = table.policy is not None and table.policy.document == document
    if not unchanged and not params.get("ConfirmRemoveSelfResourceAccess"):
        _keeps_access(request, address, table_arn, policy)
    with request.store.write() as txn:
        table = _table(Catalog.read_in(txn, address), stream)
        _expect(table, expected, put=True)  # again: the policy may have changed since
        if table.policy is not None and table.policy.document == document:
            # The document attached already: nothing changes, not even the RevisionId (API Reference).
            return {"RevisionId": table.policy.revision_id}
        table.policy = StoredPolicy(document, resource_policies.next_revision(table.policy, time.time()))
        Catalog.save_in(txn, address, _owner(table))
    return {"RevisionId": table.policy.revision_id}


def delete_resource_policy(request: Request) -> dict:
    """Idempotent: a table without a policy answers an empty result, unless an ExpectedRevisionId was
    given; a removed policy's RevisionId is echoed (DDB-TABLE-205, -209)."""
    params = request.params
    address, stream = _target(params["ResourceArn"], request.caller)
    with request.store.write() as txn:
        table = _table(Catalog.read_in(txn, address), stream)
        _expect(table, params.get("ExpectedRevisionId"), put=False)
        if table.policy is None:
            return {}
        removed, table.policy = table.policy, None
        Catalog.save_in(txn, address, _owner(table))
    return {"RevisionId": removed.revision_id}


def _target(arn: str, caller: Caller) -> tuple[Address, str | None]:
    """The table a ResourceArn names, and the stream label when it names the table's stream."""
    if not arn.startswith("arn:"):
        raise ValidationException(INVALID + f"ARNs must start with 'arn:': {arn}")
    match = _RESOURCE_ARN.fullmatch(arn)
    if match is None or match[1] != "aws" or match[2] != caller.region:
        raise ValidationException(INVALID + f"Invalid resource Arn: {arn}")
    if match[3] != caller.account:
        raise ValidationException(OTHER_ACCOUNT)
    rest = match[5] or ""
    if rest.startswith("/index/"):
        raise ValidationException(INVALID + "Invalid resource arn provided, only table or stream is accepted."
                                  f" Provided resource arn: {arn}")
    stream = rest.removeprefix("/stream/") if rest.startswith("/stream/") else None
    if rest and not stream:
        raise ValidationException(INVALID + f"Provided Arn is not a DynamoDB resource arn: {arn}")
    return (match[3], match[2], match[4]), stream


def _table(table: Table, stream: str | None) -> Table | streams.StreamPolicy:
    """The table, when the ARN names it, else the stream of it the ARN names, whose policy is kept in
    the table's document (a stream the table does not have, or had more than 24 hours ago, is not
    found, DDB-TABLE-212)."""
    if stream is None:
        return table
    found = streams.stream_policy(table, stream, time.time())
    if found is None:
        raise ResourceNotFoundException(f"Requested resource not found: Stream: {stream} not found for Table:"
                                        f" {table.name}")
    return found


def _owner(target: Table | streams.StreamPolicy) -> Table:
    """The table to save for a change of the policy of ``target`` (a table or one of its streams)."""
    return target.table if isinstance(target, streams.StreamPolicy) else target


def _expect(table: Table, expected: str | None, *, put: bool) -> None:
    """Refuse a request whose ExpectedRevisionId is not the table's policy's, with DynamoDB's words
    (DDB-TABLE-205, -209; moto's tests verified against AWS). PutResourcePolicy also takes NO_POLICY."""
    if expected is None:
        return
    current = table.policy
    if put and expected == NO_POLICY:
        if current is not None:
            raise PolicyNotFoundException(
                NOT_FOUND + "Requested policy update expecting none to be present for table"
                f" {table.name}, but a policy exists with revision id {current.revision_id}.")
        return
    if current is None:
        # AWS's message is on record up to "has no associated"; the last word is moatdb's reading.
        raise PolicyNotFoundException(
            NOT_FOUND + f"Requested update for policy with revision id {expected}, but table {table.name}"
            " has no associated policy.")
    if current.revision_id != expected:
        raise PolicyNotFoundException(
            NOT_FOUND + f"Requested update for policy with revision id {expected}, but the policy"
            f" associated to target table {table.name} has revision id {current.revision_id}.")


def _keeps_access(request: Request, address: Address, table_arn: str, policy: Policy) -> None:
    """Refuse a policy under which the caller could not change the policy again, unless the request
    confirms it (ConfirmRemoveSelfResourceAccess): DynamoDB asks the caller's PutResourcePolicy of
    the new document (DDB-TABLE-210)."""
    decision, _ = request.authorizer.decide(request.caller, "dynamodb:PutResourcePolicy", table_arn,
                                            address[0], resource_policy=policy)
    if not decision.allowed:
        raise AccessDeniedException(LOCKED_OUT)


def _arn(address: Address) -> str:
    account, region, name = address
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"
