"""The one error of the policy language: a document that IAM (or Organizations, or DynamoDB's
resource policies) would refuse, with the message it would give."""

from __future__ import annotations


class MalformedPolicy(ValueError):
    """A policy document AWS would refuse (IAM's ``MalformedPolicyDocument``). ``str()`` is AWS's
    message, e.g. ``Syntax errors in policy.`` or ``Policy document should not specify a principal.``"""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
