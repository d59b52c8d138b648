"""One DynamoDB request as the operations see it: its parameters, its caller, and the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.errors import ResourceNotFoundException
from moatdb.services.dynamodb.catalog import Catalog, Table, resolve_table
from moatdb.storage.base import Store


@dataclass(slots=True)
class Request:
    operation: str
    params: dict
    caller: Caller
    store: Store
    catalog: Catalog
    # For the operations that ask the policy engine themselves (PutResourcePolicy's check that the
    # caller keeps access) or read the directory (the principals a policy names).
    authorizer: Authorizer
    # The service's authorization of ``(operation, params)`` for a caller, with each table's resource
    # policy and tags, for an operation that authorizes its members one by one (BatchExecuteStatement
    # answers a statement that is not allowed with an error in its place).
    authorization: Callable[[str, dict, Caller], None] | None = None

    @property
    def account(self) -> str:
        return self.caller.account

    @property
    def region(self) -> str:
        return self.caller.region

    def authorize(self, operation: str, params: dict) -> None:
        """Raise AccessDeniedException unless the caller may make the ``operation`` request ``params``
        (a member of this request, in the shape of a request of its own)."""
        if self.authorization is None:
            raise RuntimeError("this request was not given the service's authorization")
        self.authorization(operation, params, self.caller)

    def table_address(self, name_or_arn: str | None = None) -> tuple[str, str, str]:
        """``(account, region, name)`` of ``TableName`` (or of the name or ARN given).

        An ARN may name a table of another region, which this regional server does not hold, or of
        another account: that one is looked up in its own account, the request having been
        authorized already by the caller's policies and that table's resource-based policy, as a
        request across accounts must be."""
        given = self.params["TableName"] if name_or_arn is None else name_or_arn
        account, region, name = resolve_table(self.caller.account, self.caller.region, given)
        if region != self.caller.region:
            raise ResourceNotFoundException("Requested resource not found")
        return account, region, name

    def table(self, name_or_arn: str | None = None) -> Table:
        """The table named by ``TableName`` (or the name given), with item operations' not-found wording."""
        return self.catalog.get(self.table_address(name_or_arn))
