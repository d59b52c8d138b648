"""Time to live: UpdateTimeToLive and DescribeTimeToLive.

The attribute a table's time to live reads is kept with the table (``catalog.Table.time_to_live``);
the sweeper (``expiry.py``) deletes the items it finds expired. DynamoDB takes up to an hour to
enable or disable time to live (ENABLING, DISABLING) and refuses another change meanwhile; moatdb
applies a change at once, as it makes tables ACTIVE at once, so its status is ENABLED or DISABLED
and the "modified multiple times within a fixed interval" refusal never comes.
"""

from __future__ import annotations

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.catalog import Catalog
from moatdb.services.dynamodb.context import Request

ALREADY_ENABLED = "TimeToLive is already enabled"
ALREADY_DISABLED = "TimeToLive is already disabled"


def describe_time_to_live(request: Request) -> dict:
    table = Catalog.read_in(request.store.read(), request.table_address())
    if table.time_to_live is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": table.time_to_live}}


def update_time_to_live(request: Request) -> dict:
    """Enable or disable time to live, answering the specification as given. Enabling it twice, even
    on the same attribute, and disabling it when it is off are refused (the SDK's own integration
    tests: aws-sdk-java-v2 enhanced client, "TimeToLive is already enabled" / "... disabled")."""
    specification = request.params["TimeToLiveSpecification"]
    enabled, attribute = bool(specification["Enabled"]), specification["AttributeName"]
    address = request.table_address()
    with request.store.write() as txn:
        table = Catalog.read_in(txn, address)
        current = table.time_to_live
        if current is not None and current != attribute:
            # Wording assumed (as other DynamoDB emulators word it; no capture from AWS was found).
            raise ValidationException("TimeToLive is active on a different AttributeName: current value of"
                                      f" AttributeName is {current}")
        if enabled and current is not None:
            raise ValidationException(ALREADY_ENABLED)
        if not enabled and current is None:
            raise ValidationException(ALREADY_DISABLED)
        table.time_to_live = attribute if enabled else None
        Catalog.save_in(txn, address, table)
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


OPERATIONS: dict = {
    "DescribeTimeToLive": describe_time_to_live,
    "UpdateTimeToLive": update_time_to_live,
}
