"""Account-level operations: DescribeEndpoints and DescribeLimits."""

from __future__ import annotations

from moatdb.services.dynamodb.context import Request

# DescribeLimits' default account quotas (Developer Guide, "Quotas": 80,000 / 40,000 per table).
ACCOUNT_MAX_CAPACITY = 80_000
TABLE_MAX_CAPACITY = 40_000


def describe_endpoints(request: Request) -> dict:
    return {"Endpoints": [{"Address": f"dynamodb.{request.region}.amazonaws.com", "CachePeriodInMinutes": 1440}]}


def describe_limits(request: Request) -> dict:
    return {
        "AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY,
        "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY,
        "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY,
        "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY,
    }
