"""Policy documents between the world (JSON text, as IAM keeps them) and what templates and AWS's
APIs take (a JSON object, or canonical text to compare)."""

from __future__ import annotations

import json

# The policy AWS gives a gateway endpoint created without one (Amazon VPC, "Control access to VPC
# endpoints using endpoint policies"): full access. The world writes it as no policy at all.
DEFAULT_ENDPOINT_POLICY = {"Version": "2008-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def as_object(document: str | dict) -> dict:
    """The document as a JSON object, its members in their written order."""
    return document if isinstance(document, dict) else json.loads(document)


def same(one: str | dict | None, other: str | dict | None) -> bool:
    """Whether two documents say the same (white space and member order aside)."""
    if one is None or other is None:
        return one is other
    return canonical(one) == canonical(other)


def canonical(document: str | dict) -> str:
    return json.dumps(as_object(document), sort_keys=True, separators=(",", ":"))


def text(document: str | dict) -> str:
    """The text sent to AWS: compact JSON."""
    return json.dumps(as_object(document), separators=(",", ":"))
