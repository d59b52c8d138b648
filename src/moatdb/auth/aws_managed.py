"""The AWS managed policies moatdb knows, by ARN: read-only, in every account, attachable as in AWS.

Each is AWS's document, or, where AWS's also grants other services' actions (CloudWatch, SNS,
Lambda, ...), its DynamoDB and IAM statements only: moatdb serves nothing else to authorize.
"""

from __future__ import annotations

import orjson

from moatdb.auth.principals import ManagedPolicy


def _policy(name: str, id: str, *statements: dict, path: str = "/") -> ManagedPolicy:
    document = orjson.dumps({"Version": "2012-10-17", "Statement": list(statements)}).decode()
    return ManagedPolicy("aws", name, id, {"v1": document}, "v1", path, f"AWS managed policy {name}")


POLICIES: dict[str, ManagedPolicy] = {policy.arn: policy for policy in (
    _policy("AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
    _policy("IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ",
            {"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount",
                                           "organizations:DescribeOrganization",
                                           "organizations:DescribeOrganizationalUnit",
                                           "organizations:DescribePolicy", "organizations:ListChildren",
                                           "organizations:ListParents", "organizations:ListPoliciesForTarget",
                                           "organizations:ListRoots", "organizations:ListPolicies",
                                           "organizations:ListTargetsForPolicy"], "Resource": "*"}),
    _policy("AmazonDynamoDBFullAccess", "ANPAINUGF2JSOSUY76KYA",
            {"Action": ["dynamodb:*"], "Effect": "Allow", "Resource": "*"}),
    _policy("AmazonDynamoDBReadOnlyAccess", "ANPAIY2XFNA232XJ6J7X2",
            {"Action": ["dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetAbacStatus",
                        "dynamodb:GetItem", "dynamodb:GetResourcePolicy", "dynamodb:Query", "dynamodb:Scan",
                        "dynamodb:PartiQLSelect"], "Effect": "Allow", "Resource": "*"}),
)}
