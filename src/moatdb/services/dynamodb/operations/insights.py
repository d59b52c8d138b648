"""Contributor Insights and Kinesis streaming, as far as a table's configuration goes:
DescribeContributorInsights, UpdateContributorInsights, ListContributorInsights and
DescribeKinesisStreamingDestination.

moatdb keeps where Contributor Insights is enabled (``catalog.Table.contributor_insights``: the
table, or an index, with its mode) and reports it, so that infrastructure tools that set it or read
it back find what they wrote; it publishes no CloudWatch rules or metrics. No table streams to
Kinesis: a table's destinations are always none (Enable/DisableKinesisStreamingDestination are not
offered).
"""

from __future__ import annotations

from moatdb.errors import ResourceNotFoundException, ValidationException
from moatdb.services.dynamodb.catalog import Catalog, Table
from moatdb.services.dynamodb.context import Request

TABLE = ""  # the key of the table itself in Table.contributor_insights
DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"  # API Reference, UpdateContributorInsights
MAX_RESULTS = 100  # ListContributorInsights' largest page (the model's bound on MaxResults)


def describe_contributor_insights(request: Request) -> dict:
    table = Catalog.read_in(request.store.read(), request.table_address())
    index = request.params.get("IndexName")
    _check_index(table, index)
    found = _named(table, index)
    mode = table.contributor_insights.get(index or TABLE)
    if mode is None:
        return {**found, "ContributorInsightsStatus": "DISABLED"}
    return {**found, "ContributorInsightsRuleList": _rules(table.name, index), "ContributorInsightsStatus": "ENABLED",
            "ContributorInsightsMode": mode}


def update_contributor_insights(request: Request) -> dict:
    """Applied at once; the answer says ENABLING or DISABLING as DynamoDB's does, and the next
    DescribeContributorInsights reports the settled status (as CreateTable answers CREATING)."""
    params = request.params
    index, enable = params.get("IndexName"), params["ContributorInsightsAction"] == "ENABLE"
    address = request.table_address()
    with request.store.write() as txn:
        table = Catalog.read_in(txn, address)
        _check_index(table, index)
        if enable:
            table.contributor_insights[index or TABLE] = params.get("ContributorInsightsMode") or DEFAULT_MODE
        else:
            table.contributor_insights.pop(index or TABLE, None)
        Catalog.save_in(txn, address, table)
    return {**_named(table, index), "ContributorInsightsStatus": "ENABLING" if enable else "DISABLING"}


def list_contributor_insights(request: Request) -> dict:
    """The table (or every table of the account) and indexes Contributor Insights is enabled on. The
    NextToken is the position of the next summary."""
    params = request.params
    # The model sets no least MaxResults: nothing above zero is taken as the default page.
    limit = params.get("MaxResults") if (params.get("MaxResults") or 0) > 0 else MAX_RESULTS
    start = _position(params.get("NextToken"))
    if params.get("TableName") is not None:
        tables = [Catalog.read_in(request.store.read(), request.table_address())]
    else:
        tables = [table for name in sorted(request.catalog.names(request.account, request.region))
                  if (table := request.catalog.find((request.account, request.region, name))) is not None]
    summaries = [{**_named(table, index or None), "ContributorInsightsStatus": "ENABLED",
                  "ContributorInsightsMode": mode}
                 for table in tables for index, mode in sorted(table.contributor_insights.items())]
    result: dict = {"ContributorInsightsSummaries": summaries[start:start + limit]}
    if len(summaries) > start + limit:
        result["NextToken"] = str(start + limit)
    return result


def describe_kinesis_streaming_destination(request: Request) -> dict:
    table = Catalog.read_in(request.store.read(), request.table_address())
    return {"TableName": table.name, "KinesisDataStreamDestinations": []}


def _check_index(table: Table, index: str | None) -> None:
    if index is None:
        return
    names = {found["IndexName"] for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
             for found in table.description.get(kind) or ()}
    if index not in names:
        # Wording assumed, after DynamoDB's "Requested resource not found: Table: T not found".
        raise ResourceNotFoundException(f"Requested resource not found: Index: {index} not found for table:"
                                        f" {table.name}")


def _named(table: Table, index: str | None) -> dict:
    return {"TableName": table.name, **({"IndexName": index} if index else {})}


def _rules(table: str, index: str | None) -> list[str]:
    """The names of the CloudWatch Contributor Insights rules DynamoDB would create (Developer Guide,
    "Contributor Insights": the most accessed and the most throttled partition keys)."""
    target = f"{table}-{index}" if index else table
    return [f"DynamoDBContributorInsights-PKC-{target}", f"DynamoDBContributorInsights-PKT-{target}"]


def _position(token: object) -> int:
    if token is None:
        return 0
    if type(token) is str and token.isdigit():
        return int(token)
    raise ValidationException("Invalid NextToken")  # wording assumed


OPERATIONS: dict = {
    "DescribeContributorInsights": describe_contributor_insights,
    "UpdateContributorInsights": update_contributor_insights,
    "ListContributorInsights": list_contributor_insights,
    "DescribeKinesisStreamingDestination": describe_kinesis_streaming_destination,
}
