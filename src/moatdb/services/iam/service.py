"""The IAM service: the operation table, and the order of one call.

1. The action must be one moatdb serves (else ``InvalidAction``, as IAM answers an unknown one).
2. The form's fields become the operation's input structure and are validated against botocore's
   model of IAM, refused in Coral's words (``ValidationError``).
3. The operation authorizes itself (``iam:<Action>`` on its resource, see ``call``) and runs
   against the directory, which keeps every principal and policy and refuses in IAM's words.

Every call acts in the caller's own account. The replies are plain dicts named as the model names
the output's members; the gateway writes them as XML from that model (``output_shape``).
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.model import Shape

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.errors import IamInvalidAction
from moatdb.services.iam import groups, identity_policies, policies, roles, users
from moatdb.services.iam.call import Call
from moatdb.services.iam.params import Model

VERSION = "2010-05-08"

Operation = Callable[[Call], "dict | None"]


class IAM:
    def __init__(self, directory: Directory, authorizer: Authorizer):
        self.directory = directory
        self.authorizer = authorizer
        self.model = Model()
        self._operations: dict[str, Operation] = {
            **users.OPERATIONS, **groups.OPERATIONS, **roles.OPERATIONS, **policies.OPERATIONS,
            **identity_policies.OPERATIONS,
        }

    def operations(self) -> frozenset[str]:
        return frozenset(self._operations)

    def handle(self, action: str, form: dict[str, str], caller: Caller) -> dict | None:
        operation = self._operations.get(action)
        if operation is None:
            raise IamInvalidAction(f"Could not find operation {action} for version {VERSION}")
        params = self.model.decode(action, form)
        return operation(Call(action, params, caller, self.directory, self.authorizer))

    def output_shape(self, action: str) -> Shape | None:
        return self.model.operation(action).output_shape
