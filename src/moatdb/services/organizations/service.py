"""The Organizations service: the operation table, and the order of one call.

1. The operation must be one moatdb serves (the gateway answers Coral's ``UnknownOperationException``
   otherwise, before authentication).
2. The body is validated against botocore's model of Organizations (``params``), refused with
   ``InvalidInputException`` and its reason.
3. The caller's account must be in the organization; only ``MEMBERS_MAY`` is open to its member
   accounts, the rest is the management account's (``call``).
4. The operation authorizes itself (``organizations:<Operation>`` on its resources) and runs
   against the organization in storage.

The replies are plain dicts named as the model names the output's members; JSON 1.1 writes them
as they are (timestamps as epoch seconds).
"""

from __future__ import annotations

from collections.abc import Callable

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.errors import OrganizationsAccessDenied, OrganizationsError
from moatdb.services.organizations import policies, structure, tags
from moatdb.services.organizations.call import NOT_MANAGEMENT, Call
from moatdb.services.organizations.params import Model

Operation = Callable[[Call], "dict | None"]

# What a member account may call (API Reference: DescribeOrganization "can be called from any
# account in the organization"; every other operation served here names the management account,
# or a delegated administrator, which moatdb does not have).
MEMBERS_MAY = frozenset({"DescribeOrganization"})


class Organizations:
    def __init__(self, authorizer: Authorizer):
        self.authorizer = authorizer
        # The authorizer's own: one cache of the organization per worker serves both.
        self.organization = authorizer.organization
        self.tags = tags.Tags(self.organization.store)
        self.model = Model()
        self._operations: dict[str, Operation] = {**structure.OPERATIONS, **policies.OPERATIONS,
                                                  **tags.OPERATIONS}

    def has_operation(self, operation: str) -> bool:
        return operation in self._operations

    def handle(self, operation: str, params: object, caller: Caller) -> dict:
        run = self._operations[operation]  # the gateway asks has_operation first, as Coral does
        checked = self.model.validate(operation, params)
        record = self.organization.organization()
        if record is None or self.organization.member(caller.account) is None:
            raise OrganizationsError("AWSOrganizationsNotInUseException",
                                     "Your account is not a member of an organization.")
        if caller.account != record.management_account and operation not in MEMBERS_MAY:
            raise OrganizationsAccessDenied(NOT_MANAGEMENT)
        result = run(Call(operation, checked, caller, self.organization, self.authorizer, self.tags, record))
        return {} if result is None else result
