"""One DynamoDB request as the operations see it: its parameters, its caller, and the service."""

from __future__ import annotations

from dataclasses import dataclass

from moatdb.auth.credentials import Caller
from moatdb.services.dynamodb.catalog import Catalog, Table, resolve_table
from moatdb.storage.base import Store


@dataclass(slots=True)
class Request:
    params: dict
    caller: Caller
    store: Store
    catalog: Catalog

    @property
    def account(self) -> str:
        return self.caller.account

    @property
    def region(self) -> str:
        return self.caller.region

    def table_address(self, name_or_arn: str | None = None) -> tuple[str, str, str]:
        """``(account, region, name)`` of ``TableName`` (or of the name or ARN given)."""
        return resolve_table(self.caller.account, self.caller.region,
                             self.params["TableName"] if name_or_arn is None else name_or_arn)

    def table(self, name_or_arn: str | None = None) -> Table:
        """The table named by ``TableName`` (or the name given), with item operations' not-found wording."""
        return self.catalog.get(self.table_address(name_or_arn))
