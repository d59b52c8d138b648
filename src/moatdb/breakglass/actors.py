"""Who takes a step of the procedure: a verified caller of the HTTP API, or the operator of the
data directory (sealing, and unsealing when the server cannot be reached).

``person`` is what "nobody approves their own request" compares, and what an approver counts as
once: an IAM user is its user ARN, with long-term or GetSessionToken credentials alike; a role
session is the person its SourceIdentity names, or else the session itself (to tie every session of
one person together across roles, require ``sts:SourceIdentity`` in those roles' trust policies).
"""

from __future__ import annotations

import getpass
import re
import socket
from dataclasses import dataclass

from moatdb.auth.directory import Directory
from moatdb.auth.principals import Identity

# AssumeRole's SourceIdentity: 2 to 64 of [\w+=,.@-] (STS API Reference, AssumeRole).
_NOT_IN_SOURCE_IDENTITY = re.compile(r"[^\w+=,.@-]", re.ASCII)


@dataclass(frozen=True)
class Actor:
    arn: str  # as it signed: a user's ARN, or a role session's assumed-role ARN
    principal_arn: str  # aws:PrincipalArn: the user, or the role of a session
    person: str
    name: str  # the SourceIdentity a session issued to it carries

    @classmethod
    def of(cls, identity: Identity, directory: Directory) -> Actor:
        session = directory.session(identity.session) if identity.session else None
        source_identity = session.source_identity if session is not None else None
        if not identity.is_role_session:
            return cls(identity.arn, identity.principal_arn, identity.principal_arn,
                       source_identity_of(identity.arn.rsplit("/", 1)[-1]))
        session_name = identity.arn.rsplit("/", 1)[-1]
        return cls(identity.arn, identity.principal_arn, source_identity or identity.arn,
                   source_identity_of(source_identity or session_name))

    @classmethod
    def local(cls, name: str | None = None) -> Actor:
        """The operator of the data directory, by the name given or their login."""
        who = name or getpass.getuser()
        arn = f"local:{who}@{socket.gethostname()}"
        return cls(arn, arn, arn, source_identity_of(who))


def source_identity_of(name: str) -> str:
    """``name`` as a SourceIdentity may hold it."""
    return _NOT_IN_SOURCE_IDENTITY.sub("-", name)[:64].ljust(2, "-")
