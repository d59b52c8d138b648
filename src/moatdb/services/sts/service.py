"""STS operations, as the STS API Reference defines them: GetCallerIdentity and GetSessionToken.

AssumeRole needs the authorization engine to evaluate the role's trust policy, and arrives with
it: until then STS answers it with InvalidAction, never with credentials nobody authorized.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from moatdb.auth.authenticator import Caller
from moatdb.auth.principals import Directory
from moatdb.errors import StsAccessDenied, StsInvalidAction, StsValidationError

VERSION = "2011-06-15"
# GetSessionToken's bounds for an IAM user (STS API Reference, GetSessionToken: 900 s to 129,600 s,
# 43,200 s by default).
SESSION_SECONDS = (900, 129_600, 43_200)


class STS:
    def __init__(self, directory: Directory):
        self.directory = directory
        self._operations: dict[str, Callable[[dict, Caller], dict]] = {
            "GetCallerIdentity": self.get_caller_identity,
            "GetSessionToken": self.get_session_token,
        }

    def handle(self, action: str, params: dict, caller: Caller) -> dict:
        operation = self._operations.get(action)
        if operation is None:
            raise StsInvalidAction(f"Could not find operation {action} for version {VERSION}")
        return operation(params, caller)

    def get_caller_identity(self, params: dict, caller: Caller) -> dict:
        identity = caller.identity
        return {"Arn": identity.arn, "UserId": identity.principal_id, "Account": identity.account}

    def get_session_token(self, params: dict, caller: Caller) -> dict:
        if caller.identity.temporary:
            raise StsAccessDenied("Cannot call GetSessionToken with session credentials")
        low, high, default = SESSION_SECONDS
        raw = params.get("DurationSeconds")
        try:
            duration = default if raw is None else int(raw)
        except ValueError:
            raise StsValidationError(f"Value '{raw}' at 'durationSeconds' failed to satisfy constraint: Member"
                                     " must be a number") from None
        if duration < low:
            raise StsValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds'"
                                     f" failed to satisfy constraint: Member must have value greater than or equal"
                                     f" to {low}")
        if duration > high:
            raise StsValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds'"
                                     f" failed to satisfy constraint: Member must have value less than or equal"
                                     f" to {high}")
        session = self.directory.create_session(caller.identity, duration)
        expiration = datetime.fromtimestamp(session.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"Credentials": {"AccessKeyId": session.id, "SecretAccessKey": session.secret,
                                "SessionToken": session.token, "Expiration": expiration}}
