"""Who sent a request: its SigV4 signature checked against the principals in storage.

The signature proves possession of an access key's secret; the key's record says whose key it is.
Nothing else the client writes is believed: not a header naming a user, not a region or account
outside the signed credential scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from moatdb.auth.principals import Directory, Identity
from moatdb.auth.sigv4 import SigningKeyRecord, SigV4Verifier
from moatdb.errors import UnrecognizedClientException


@dataclass(frozen=True, slots=True)
class Caller:
    access_key: str
    account: str
    region: str
    identity: Identity


class Authenticator:
    """One per server: its region is the only one a credential scope may name."""

    def __init__(self, directory: Directory, *, region: str):
        self.directory = directory
        self.region = region
        self._verifier = SigV4Verifier(region=region, lookup=self._signing_key)
        # The principal the verifier's lookup found, for the request being authenticated: one
        # lookup per request (the server is one thread per process).
        self._found: tuple[SigningKeyRecord, Identity] | None = None

    def _signing_key(self, access_key: str) -> SigningKeyRecord | None:
        self._found = found = self.directory.signing_key(access_key)
        return None if found is None else found[0]

    def authenticate(self, *, service: str, method: str, path: bytes, query: bytes,
                     headers: Sequence[tuple[bytes, bytes]], body: bytes) -> Caller:
        """The caller of a request as sent: ``path`` and ``query`` undecoded (ASGI's ``raw_path``
        and ``query_string``), since the signature covers them as they travelled."""
        self._found = None
        verified = self._verifier.verify(service=service, method=method, path=path, query=query,
                                         headers=headers, body=body)
        found = self._found
        if found is None:  # the verifier only succeeds after its lookup found the key
            raise UnrecognizedClientException("The security token included in the request is invalid.")
        identity = found[1]
        return Caller(verified.access_key, identity.account, verified.region, identity)
