"""Encryption at rest as a table describes it: CreateTable's SSESpecification, DescribeTable's
SSEDescription.

DynamoDB encrypts every table; SSESpecification only chooses the key (API Reference,
SSESpecification): without it, or with ``Enabled: false``, an AWS owned key, of which DescribeTable
says nothing; with ``Enabled: true`` (SSEType KMS), a KMS key: the one KMSMasterKeyId names, or the
account's AWS managed key ``alias/aws/dynamodb``. moatdb has no KMS: it keeps the data in its own
store and reports the key the table would be encrypted with, so that tools reading the description
back (Terraform's ``server_side_encryption``) see what they asked for.
"""

from __future__ import annotations

import uuid

from moatdb.errors import ValidationException

INVALID = "One or more parameter values were invalid: "
# The namespace of the stand-in ids of each account's AWS managed key alias/aws/dynamodb.
_MANAGED_KEYS = uuid.UUID("5d0e3f4a-6b1c-4a8e-9f2d-7c3b1a0e5f6d")


def description(specification: dict | None, *, account: str, region: str) -> dict | None:
    """The SSEDescription of a table created with ``specification``, or None (an AWS owned key)."""
    if not specification or not specification.get("Enabled"):
        if specification and specification.get("KMSMasterKeyId"):
            # Wording assumed: a key only goes with encryption by a KMS key.
            raise ValidationException(INVALID + "KMSMasterKeyId can only be specified when SSE is enabled")
        return None
    if specification.get("SSEType", "KMS") != "KMS":
        # Wording assumed: AES256 is the AWS owned key, which is not chosen by Enabled: true.
        raise ValidationException(INVALID + f"Unsupported SSEType: {specification['SSEType']}")
    return {"Status": "ENABLED", "SSEType": "KMS",
            "KMSMasterKeyArn": key_arn(specification.get("KMSMasterKeyId"), account=account, region=region)}


def update(table_description: dict, specification: dict, *, account: str, region: str) -> None:
    """UpdateTable's SSESpecification: the table is encrypted by the key it names from now on (an
    AWS owned key, of which the description says nothing, when it is not enabled)."""
    found = description(specification, account=account, region=region)
    if found is None:
        table_description.pop("SSEDescription", None)
    else:
        table_description["SSEDescription"] = found


def key_arn(key: str | None, *, account: str, region: str) -> str:
    """The ARN of the KMS key a KMSMasterKeyId names (a key ARN, a key id, an alias or its ARN), or of
    the AWS managed key when none is named. Without KMS an alias cannot be resolved to its key: its
    ARN is reported as given."""
    if not key or key == "alias/aws/dynamodb":
        return f"arn:aws:kms:{region}:{account}:key/{uuid.uuid5(_MANAGED_KEYS, f'{account}:{region}')}"
    if key.startswith("arn:"):
        return key
    return f"arn:aws:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"
