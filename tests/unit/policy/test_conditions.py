"""Condition operators: every operator matching and not, missing keys, IfExists, the set qualifiers,
Null, policy variables in values, and the blocks IAM refuses.

Each group cites the IAM User Guide page that states its rule; where AWS is silent the case says
what moatdb does and why.
"""

from __future__ import annotations

import pytest

from moatdb.policy.conditions import compile_conditions
from moatdb.policy.errors import MalformedPolicy

Request = dict[str, str | list[str]]


def context(values: Request | None) -> dict[str, tuple[str, ...]]:
    """A request context as the caller builds it: names lower-cased, every value a tuple."""
    return {key.lower(): (value,) if isinstance(value, str) else tuple(value)
            for key, value in (values or {}).items()}


def holds(block: dict, values: Request | None = None, *, variables: bool = True) -> bool:
    return compile_conditions(block, variables=variables).failure(context(values)) is None


def refused(block: object) -> str:
    with pytest.raises(MalformedPolicy) as raised:
        compile_conditions(block, variables=True)
    return raised.value.message


def case(id: str, block: dict, values: Request | None, expected: bool):
    return pytest.param(block, values, expected, id=id)


# IAM User Guide, "IAM JSON policy elements: Condition operators", String condition operators;
# the Important note: a missing key makes a condition false, and true for a negated operator.
STRING = [
    case("StringEquals matches the exact value",
         {"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "johndoe"}, True),
    case("StringEquals is case-sensitive",
         {"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"}, False),
    case("StringEquals matches any one of several values",
         {"StringEquals": {"aws:username": ["a", "b"]}}, {"aws:username": "b"}, True),
    case("StringEquals takes an asterisk literally",
         {"StringEquals": {"aws:username": "a*"}}, {"aws:username": "ab"}, False),
    case("StringEquals is false when the key is missing", {"StringEquals": {"aws:username": "a"}}, {}, False),
    case("StringNotEquals holds for another value",
         {"StringNotEquals": {"aws:username": "a"}}, {"aws:username": "b"}, True),
    case("StringNotEquals fails for the same value",
         {"StringNotEquals": {"aws:username": "a"}}, {"aws:username": "a"}, False),
    case("StringNotEquals with several values fails when the request matches any of them",
         {"StringNotEquals": {"aws:username": ["a", "b"]}}, {"aws:username": "b"}, False),
    case("StringNotEquals with several values holds when the request matches none of them",
         {"StringNotEquals": {"aws:username": ["a", "b"]}}, {"aws:username": "c"}, True),
    case("StringNotEquals matches when the key is missing",
         {"StringNotEquals": {"aws:username": "a"}}, {}, True),
    case("StringEqualsIgnoreCase matches without regard to case",
         {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"}, True),
    case("StringEqualsIgnoreCase fails for another value",
         {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "janedoe"}, False),
    case("StringEqualsIgnoreCase is false when the key is missing",
         {"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {}, False),
    case("StringNotEqualsIgnoreCase fails for a value that differs only in case",
         {"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JOHNDOE"}, False),
    case("StringNotEqualsIgnoreCase holds for another value",
         {"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "jane"}, True),
    case("StringNotEqualsIgnoreCase matches when the key is missing",
         {"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, {}, True),
    case("StringLike matches an asterisk across slashes and colons",
         {"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/a/b:c"}, True),
    case("StringLike matches a question mark with one character",
         {"StringLike": {"ec2:InstanceType": "t?.micro"}}, {"ec2:InstanceType": "t3.micro"}, True),
    case("StringLike needs a wildcard for a partial match",
         {"StringLike": {"s3:prefix": "home"}}, {"s3:prefix": "home/a"}, False),
    case("StringLike is case-sensitive",
         {"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "HOME/a"}, False),
    case("StringLike matches any one of several patterns",
         {"StringLike": {"ec2:InstanceType": ["t1.*", "m3.*"]}}, {"ec2:InstanceType": "m3.large"}, True),
    case("StringLike is false when the key is missing", {"StringLike": {"s3:prefix": "*"}}, {}, False),
    case("StringNotLike fails when a pattern matches",
         {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}},
         {"aws:PrincipalArn": "arn:aws:iam::1:role/break-glass"}, False),
    case("StringNotLike holds when no pattern matches",
         {"StringNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/a", "arn:aws:iam::*:role/b"]}},
         {"aws:PrincipalArn": "arn:aws:iam::1:role/app"}, True),
    case("StringNotLike matches when the key is missing",
         {"StringNotLike": {"aws:PrincipalArn": "*"}}, {}, True),
]

# "Condition operators", Numeric condition operators ("an integer or decimal value").
NUMERIC = [
    case("NumericEquals matches the same number written differently",
         {"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.0"}, True),
    case("NumericEquals takes a JSON number",
         {"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
    case("NumericEquals fails for another number",
         {"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
    case("NumericEquals is false when the key is missing",
         {"NumericEquals": {"s3:max-keys": "10"}}, {}, False),
    case("NumericNotEquals holds for another number",
         {"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, True),
    case("NumericNotEquals fails for the same number",
         {"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    case("NumericNotEquals matches when the key is missing",
         {"NumericNotEquals": {"s3:max-keys": "10"}}, {}, True),
    case("NumericLessThan holds below the bound",
         {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "9"}, True),
    case("NumericLessThan fails at the bound",
         {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    case("NumericLessThanEquals holds at the bound",
         {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    case("NumericLessThanEquals fails above the bound",
         {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
    case("NumericGreaterThan holds above the bound",
         {"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.5"}, True),
    case("NumericGreaterThan fails at the bound",
         {"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, False),
    case("NumericGreaterThanEquals holds at the bound",
         {"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    case("NumericGreaterThanEquals fails below the bound",
         {"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "9.99"}, False),
    case("NumericLessThan compares decimals as numbers, not text",
         {"NumericLessThan": {"k": "1.5"}}, {"k": "1.25"}, True),
    case("NumericGreaterThan compares negative numbers",
         {"NumericGreaterThan": {"k": "-2"}}, {"k": "-1"}, True),
    case("NumericLessThan is false when the key is missing",
         {"NumericLessThan": {"s3:max-keys": "10"}}, {}, False),
    # AWS is silent on a request value that is no number: it matches nothing, negated or not.
    case("NumericEquals is false for a request value that is no number",
         {"NumericEquals": {"k": "10"}}, {"k": "ten"}, False),
    case("NumericNotEquals is false for a request value that is no number",
         {"NumericNotEquals": {"k": "10"}}, {"k": "ten"}, False),
]

# "Condition operators", Date condition operators: W3C ISO 8601 forms or epoch time, compared as
# instants.
DATE = [
    case("DateEquals matches the same instant written with another offset",
         {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
         {"aws:CurrentTime": "2020-01-01T01:00:00+01:00"}, True),
    case("DateEquals matches the same instant in epoch seconds",
         {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
         {"aws:CurrentTime": "1577836800"}, True),
    case("DateEquals takes a JSON number as epoch seconds",
         {"DateEquals": {"aws:EpochTime": 1577836800}}, {"aws:EpochTime": "2020-01-01T00:00:00Z"}, True),
    case("DateEquals reads a date alone as midnight UTC",
         {"DateEquals": {"aws:CurrentTime": "2020-01-01"}},
         {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, True),
    case("DateEquals reads a year and month as the first of the month",
         {"DateEquals": {"aws:CurrentTime": "2020-02"}}, {"aws:CurrentTime": "2020-02-01T00:00Z"}, True),
    case("DateEquals reads an offset without a colon",
         {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
         {"aws:CurrentTime": "2019-12-31T19:00:00-0500"}, True),
    case("DateEquals fails for another instant",
         {"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
         {"aws:CurrentTime": "2020-01-01T00:00:01Z"}, False),
    case("DateLessThan compares fractional seconds",
         {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00.5Z"}},
         {"aws:CurrentTime": "2020-01-01T00:00:00.25Z"}, True),
    case("DateLessThan fails at the bound",
         {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
         {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, False),
    case("DateLessThanEquals holds at the bound",
         {"DateLessThanEquals": {"aws:CurrentTime": "2020-01-01"}},
         {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, True),
    case("DateLessThanEquals fails after the bound",
         {"DateLessThanEquals": {"aws:CurrentTime": "2020-01-01"}},
         {"aws:CurrentTime": "2020-01-01T00:00:01Z"}, False),
    case("DateGreaterThan holds after the bound",
         {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
         {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, True),
    case("DateGreaterThan fails before the bound",
         {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
         {"aws:TokenIssueTime": "2019-06-01T00:00:00Z"}, False),
    case("DateGreaterThan is false when the key is missing",
         {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, False),
    case("DateGreaterThanEquals holds at the bound",
         {"DateGreaterThanEquals": {"aws:EpochTime": "1577836800"}}, {"aws:EpochTime": "1577836800"}, True),
    case("DateGreaterThanEquals fails before the bound",
         {"DateGreaterThanEquals": {"aws:EpochTime": "1577836800"}}, {"aws:EpochTime": "1577836799"}, False),
    case("DateNotEquals holds for another instant",
         {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, {"aws:CurrentTime": "2020-01-02"}, True),
    case("DateNotEquals fails for the same instant",
         {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}},
         {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, False),
    case("DateNotEquals matches when the key is missing",
         {"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, {}, True),
    # AWS is silent on a request value that is no date: it matches nothing, negated or not.
    case("DateEquals is false for a request value that is no date",
         {"DateEquals": {"k": "2020-01-01"}}, {"k": "yesterday"}, False),
    case("DateNotEquals is false for a request value that is no date",
         {"DateNotEquals": {"k": "2020-01-01"}}, {"k": "2020-13-01"}, False),
]

# "Condition operators", Boolean and Binary condition operators.
BOOL_AND_BINARY = [
    case("Bool matches true",
         {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    case("Bool takes a JSON boolean as its text",
         {"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
    case("Bool fails for the other truth value",
         {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    case("Bool compares without regard to case",
         {"Bool": {"aws:SecureTransport": "True"}}, {"aws:SecureTransport": "true"}, True),
    case("Bool is false when the key is missing", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    case("BinaryEquals matches the same bytes",
         {"BinaryEquals": {"k": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
         {"k": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True),
    case("BinaryEquals fails for other bytes",
         {"BinaryEquals": {"k": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"k": "b3RoZXI="}, False),
    case("BinaryEquals is false for a request value that is no base64",
         {"BinaryEquals": {"k": "b3RoZXI="}}, {"k": "not base64!"}, False),
    case("BinaryEquals is false when the key is missing", {"BinaryEquals": {"k": "b3RoZXI="}}, {}, False),
]

# "Condition operators", IP address condition operators: CIDR, a bare address as /32, IPv6.
IP = [
    case("IpAddress matches an address inside the range",
         {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.77"}, True),
    case("IpAddress fails for an address outside the range",
         {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.114.1"}, False),
    case("IpAddress reads an address without a prefix as a /32",
         {"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.6"}, False),
    case("IpAddress matches the very address without a prefix",
         {"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.5"}, True),
    case("IpAddress matches an IPv6 address inside the range",
         {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
         {"aws:SourceIp": "2001:db8:1234:5678::9"}, True),
    case("IpAddress fails for an IPv6 address outside the range",
         {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
         {"aws:SourceIp": "2001:db8:1234:5679::9"}, False),
    case("IpAddress matches either family in a mixed list",
         {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
         {"aws:SourceIp": "2001:db8:1234:5678::1"}, True),
    case("IpAddress does not match an IPv4 address against an IPv6 range",
         {"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "203.0.113.5"}, False),
    case("IpAddress ignores host bits set in the policy's range",
         {"IpAddress": {"aws:SourceIp": "203.0.113.7/24"}}, {"aws:SourceIp": "203.0.113.200"}, True),
    case("IpAddress is false when the key is missing",
         {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {}, False),
    case("NotIpAddress holds for an address outside the range",
         {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    case("NotIpAddress fails for an address inside one of the ranges",
         {"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/24"]}},
         {"aws:SourceIp": "203.0.113.1"}, False),
    case("NotIpAddress matches when the key is missing",
         {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # AWS is silent on a request value that is no address: it matches nothing, negated or not.
    case("IpAddress is false for a request value that is no address",
         {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "vpce-1"}, False),
    case("NotIpAddress is false for a request value that is no address",
         {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "vpce-1"}, False),
]

# "Condition operators", ARN condition operators: "Each of the six colon-delimited components of
# the ARN is checked separately"; ArnEquals and ArnLike "behave identically".
STORE_DOCUMENT = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
ARN = [
    case("ArnLike matches with wildcards in its parts",
         {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-*"}},
         {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"}, True),
    case("ArnEquals honours wildcards as ArnLike does",
         {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic-?"}},
         {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"}, True),
    case("ArnLike does not let a wildcard run across parts where StringLike would",
         {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
         {"aws:SourceArn": STORE_DOCUMENT}, False),
    case("StringLike lets the same wildcard run across parts",
         {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
         {"aws:SourceArn": STORE_DOCUMENT}, True),
    case("ArnLike lets a wildcard in the resource part run across colons",
         {"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:*"}},
         {"aws:SourceArn": "arn:aws:lambda:us-east-1:1:function:f:live"}, True),
    case("ArnLike is case-sensitive",
         {"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:1:queue"}},
         {"aws:SourceArn": "arn:aws:sqs:us-east-1:1:QUEUE"}, False),
    case("ArnEquals matches an ARN without region and account",
         {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}},
         {"aws:SourceArn": "arn:aws:s3:::bucket"}, True),
    case("ArnLike is false when the key is missing",
         {"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}, {}, False),
    case("ArnLike never matches a request value that is not an ARN",
         {"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": "bucket"}, False),
    case("ArnLike never matches with a policy value that is not an ARN",
         {"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": "arn:aws:s3:::bucket"}, False),
    case("ArnNotLike fails when the ARN matches",
         {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}},
         {"aws:PrincipalArn": "arn:aws:iam::1:role/admin"}, False),
    case("ArnNotEquals holds when the ARN matches none",
         {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
         {"aws:PrincipalArn": "arn:aws:iam::1:role/admin"}, True),
    case("ArnNotLike matches when the key is missing",
         {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}, {}, True),
    # AWS is silent: a request value that is no ARN matches nothing, negated or not.
    case("ArnNotLike is false for a request value that is not an ARN",
         {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}, {"aws:PrincipalArn": "root"}, False),
]

# "Condition operators", ...IfExists: "If the key is not present, evaluate the condition element as
# true"; with a Deny and StringNotEqualsIfExists "the request is still denied even if the tag is missing".
IF_EXISTS = [
    case("StringLikeIfExists holds when the key is missing",
         {"StringLikeIfExists": {"ec2:InstanceType": "t2.*"}}, {}, True),
    case("StringLikeIfExists compares when the key is present",
         {"StringLikeIfExists": {"ec2:InstanceType": "t2.*"}}, {"ec2:InstanceType": "t2.micro"}, True),
    case("StringLikeIfExists fails when the key is present and does not match",
         {"StringLikeIfExists": {"ec2:InstanceType": "t2.*"}}, {"ec2:InstanceType": "m5.large"}, False),
    case("StringNotEqualsIfExists holds when the key is missing",
         {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "blue"}}, {}, True),
    case("NumericLessThanIfExists holds when the key is missing",
         {"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {}, True),
    case("DateGreaterThanIfExists holds when the key is missing",
         {"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2020-01-01"}}, {}, True),
    case("IpAddressIfExists fails for an address outside the range",
         {"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    case("BoolIfExists holds when the key is missing",
         {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, True),
    case("ArnLikeIfExists holds when the key is missing",
         {"ArnLikeIfExists": {"aws:SourceArn": "arn:*:*:*:*:*"}}, {}, True),
    case("BinaryEqualsIfExists holds when the key is missing",
         {"BinaryEqualsIfExists": {"k": "b3RoZXI="}}, {}, True),
]

# "Condition operator to check existence of condition keys": true, the key must be absent; false,
# present.
NULL = [
    case("Null true holds when the key is missing", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    case("Null true fails when the key is present",
         {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, False),
    case("Null false holds when the key is present",
         {"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, True),
    case("Null false fails when the key is missing", {"Null": {"aws:TokenIssueTime": "false"}}, {}, False),
    case("Null takes a JSON boolean", {"Null": {"aws:TokenIssueTime": True}}, {}, True),
    case("Null reads its value without regard to case", {"Null": {"aws:TokenIssueTime": "TRUE"}}, {}, True),
    # AWS is silent on these three.
    case("Null true holds for a key with no values",
         {"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []}, True),
    case("Null with a value other than true or false matches nothing",
         {"Null": {"aws:TokenIssueTime": "yes"}}, {}, False),
    case("Null ignores a set qualifier",
         {"ForAnyValue:Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": ["a"]}, True),
]

# "Single-valued vs. multivalued context keys", set operators: ForAllValues holds when every request
# value matches a policy value, and "returns true if there are no context keys in the request";
# ForAnyValue when at least one does, and is false on a missing key. "If the key values in the
# request resolve to an empty data set (for example, an empty string)", ForAllValues returns true
# and ForAnyValue false.
SETS = [
    case("ForAllValues holds when every request value is allowed",
         {"ForAllValues:StringLike": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}},
         {"dynamodb:Attributes": ["PostDateTime", "Message"]}, True),
    case("ForAllValues fails when one request value is not allowed",
         {"ForAllValues:StringLike": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}},
         {"dynamodb:Attributes": ["PostDateTime", "UserName"]}, False),
    case("ForAllValues holds when the key is missing",
         {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {}, True),
    case("ForAllValues holds for an empty set",
         {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": []}, True),
    case("ForAllValues holds for an empty string",
         {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ""}, True),
    case("ForAnyValue holds when one request value matches",
         {"ForAnyValue:StringLike": {"dynamodb:Attributes": ["ID", "PostDateTime"]}},
         {"dynamodb:Attributes": ["UserName", "Message", "PostDateTime"]}, True),
    case("ForAnyValue fails when no request value matches",
         {"ForAnyValue:StringLike": {"dynamodb:Attributes": ["ID", "PostDateTime"]}},
         {"dynamodb:Attributes": ["UserName"]}, False),
    case("ForAnyValue is false when the key is missing",
         {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}, {}, False),
    case("ForAnyValue is false for an empty set",
         {"ForAnyValue:StringEquals": {"aws:TagKeys": ""}}, {"aws:TagKeys": []}, False),
    case("ForAnyValue is false for an empty string",
         {"ForAnyValue:StringEquals": {"aws:TagKeys": ""}}, {"aws:TagKeys": ""}, False),
    case("ForAllValues treats a single value as a set of one",
         {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-a", "o-b"]}},
         {"aws:PrincipalOrgID": "o-a"}, True),
    case("ForAllValues fails for a single value outside the list",
         {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-a", "o-b"]}},
         {"aws:PrincipalOrgID": "o-z"}, False),
    case("ForAllValues applies a numeric operator to each value",
         {"ForAllValues:NumericLessThan": {"k": "10"}}, {"k": ["1", "9"]}, True),
    case("ForAnyValue applies an IP operator to each value",
         {"ForAnyValue:IpAddress": {"k": "10.0.0.0/8"}}, {"k": ["192.0.2.1", "10.1.2.3"]}, True),
    # Negated operators under a qualifier apply the negation to each request value.
    case("ForAllValues:StringNotEquals holds when no request value is in the list",
         {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "owner"]}},
         {"aws:TagKeys": ["team", "env"]}, True),
    case("ForAllValues:StringNotEquals fails when one request value is in the list",
         {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret", "owner"]}},
         {"aws:TagKeys": ["team", "owner"]}, False),
    case("ForAllValues:StringNotEquals holds when the key is missing",
         {"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}, {}, True),
    case("ForAnyValue:StringNotEquals holds when one request value is outside the list",
         {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}},
         {"aws:TagKeys": ["Dept", "Owner"]}, True),
    case("ForAnyValue:StringNotEquals fails when every request value is in the list",
         {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}},
         {"aws:TagKeys": ["DataClass", "Owner"]}, False),
    case("ForAnyValue:StringNotEquals is false when the key is missing",
         {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "Owner"}}, {}, False),
    # AWS is silent on IfExists under a qualifier; IAM applies it per value, so ForAnyValue stays
    # false on a missing key (iam.cloudcopilot.io, "ForAnyValue:StringNotEqualsIfExists").
    case("ForAnyValue with IfExists is still false when the key is missing",
         {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}, {}, False),
    case("ForAllValues with IfExists holds when the key is missing",
         {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": "a"}}, {}, True),
]

# "Single-valued vs. multivalued context keys": "Multivalued context keys require a condition set
# operator". AWS does not say what happens without one; IAM never matches (confirmed by AWS at
# re:Inforce 2025, IAM431, as recorded by cloud-copilot/iam-simulate), negated operators included.
MULTIVALUED = [
    case("StringEquals fails on a key with several values even when one matches",
         {"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team", "env"]}, False),
    case("StringNotEquals fails on a key with several values",
         {"StringNotEquals": {"aws:TagKeys": "secret"}}, {"aws:TagKeys": ["team", "env"]}, False),
    case("StringNotEqualsIfExists fails on a key with several values",
         {"StringNotEqualsIfExists": {"aws:TagKeys": "secret"}}, {"aws:TagKeys": ["team", "env"]}, False),
    case("StringEquals matches a multivalued key that holds one value",
         {"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team"]}, True),
]

# "IAM JSON policy elements: Condition": several operators, several keys: all must hold; key names
# are not case-sensitive.
BLOCKS = [
    case("every operator of a block must hold",
         {"StringEquals": {"aws:username": "a"}, "Bool": {"aws:SecureTransport": "true"}},
         {"aws:username": "a", "aws:SecureTransport": "false"}, False),
    case("a block holds when every operator holds",
         {"StringEquals": {"aws:username": "a"}, "Bool": {"aws:SecureTransport": "true"}},
         {"aws:username": "a", "aws:SecureTransport": "true"}, True),
    case("every key under one operator must hold",
         {"StringEquals": {"aws:username": "a", "aws:userid": "b"}},
         {"aws:username": "a", "aws:userid": "c"}, False),
    case("an empty block holds", {}, {}, True),
    case("a condition key name is matched without regard to case",
         {"IpAddress": {"AWS:SourceIP": "10.0.0.0/8"}}, {"aws:sourceip": "10.0.0.1"}, True),
]

# "IAM policy elements: Variables and tags": variables in the values of String, ARN and Bool
# operators; "Policy variables with no value": a positive operator does not match, an inverted one
# (StringNotEquals, StringNotLike) does.
VARIABLES = [
    case("StringEquals compares with a variable's value",
         {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
         {"aws:PrincipalTag/team": "alice", "aws:username": "alice"}, True),
    case("StringLike globs around a variable",
         {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
         {"s3:prefix": "home/alice/notes", "aws:username": "alice"}, True),
    case("StringLike does not match another user's home",
         {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
         {"s3:prefix": "home/bob/x", "aws:username": "alice"}, False),
    case("a positive operator does not match a variable with no value",
         {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
         {"aws:PrincipalTag/team": ""}, False),
    case("a negated operator matches a variable with no value",
         {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
         {"aws:PrincipalTag/team": "x"}, True),
    case("a variable's default is compared when its key is missing",
         {"StringEquals": {"aws:PrincipalTag/team": "${aws:username, 'anonymous'}"}},
         {"aws:PrincipalTag/team": "anonymous"}, True),
    case("a variable cannot stand for a multivalued key",
         {"StringEquals": {"k": "${aws:TagKeys}"}}, {"k": "a", "aws:TagKeys": ["a", "b"]}, False),
    case("StringLike matches an escaped asterisk literally",
         {"StringLike": {"k": "a${*}"}}, {"k": "ab"}, False),
    case("StringLike matches an escaped asterisk with an asterisk",
         {"StringLike": {"k": "a${*}"}}, {"k": "a*"}, True),
    case("StringEqualsIgnoreCase compares a variable's value without regard to case",
         {"StringEqualsIgnoreCase": {"k": "${aws:username}"}}, {"k": "ALICE", "aws:username": "alice"}, True),
    case("ArnLike takes a variable in the resource part",
         {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/${aws:username}"}},
         {"aws:PrincipalArn": "arn:aws:iam::1:user/alice", "aws:username": "alice"}, True),
    case("Bool takes a variable",
         {"Bool": {"aws:SecureTransport": "${aws:ViaAWSService}"}},
         {"aws:SecureTransport": "true", "aws:ViaAWSService": "true"}, True),
]

VERSION_2008 = [
    case("a variable is literal text before Version 2012-10-17",
         {"StringEquals": {"k": "${aws:username}"}}, {"k": "${aws:username}", "aws:username": "alice"}, True),
    case("a variable is not substituted before Version 2012-10-17",
         {"StringEquals": {"k": "${aws:username}"}}, {"k": "alice", "aws:username": "alice"}, False),
]


OPERATORS = STRING + NUMERIC + DATE + BOOL_AND_BINARY + IP + ARN + IF_EXISTS + NULL
RULES = SETS + MULTIVALUED + BLOCKS + VARIABLES


@pytest.mark.parametrize(("block", "values", "expected"), OPERATORS + RULES)
def test_condition(block, values, expected):
    assert holds(block, values) is expected


@pytest.mark.parametrize(("block", "values", "expected"), VERSION_2008)
def test_condition_without_policy_variables(block, values, expected):
    assert holds(block, values, variables=False) is expected


# What IAM refuses: CreatePolicy answers MalformedPolicyDocument "Syntax errors in policy." for a
# Condition that is not an object of objects (cfn-lint issue #3751 records IAM's message), and
# "Invalid Condition type : stringEquals" for an unknown or miscased operator
# (ministryofjustice/modernisation-platform-environments PR #8893 records it).
@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param(["StringEquals"], "Syntax errors in policy.", id="a block that is a list is refused"),
        pytest.param("StringEquals", "Syntax errors in policy.", id="a block that is a string is refused"),
        pytest.param(None, "Syntax errors in policy.", id="a block that is null is refused"),
        pytest.param({"StringEquals": "aws:username"}, "Syntax errors in policy.",
                     id="an operator whose body is not an object is refused"),
        pytest.param({"servicecatalog:accountLevel": "self"}, "Syntax errors in policy.",
                     id="a key without an operator is a syntax error"),
        pytest.param({"StringEquals": {"k": {"a": "b"}}}, "Syntax errors in policy.",
                     id="a value that is an object is refused"),
        pytest.param({"StringEquals": {"k": None}}, "Syntax errors in policy.", id="a null value is refused"),
        pytest.param({"StringEquals": {"k": [["a"]]}}, "Syntax errors in policy.",
                     id="a nested list is refused"),
        pytest.param({"StringEquals": {"k": []}}, "Syntax errors in policy.",
                     id="an empty value list is refused"),
        pytest.param({"StringEqual": {"k": "a"}}, "Invalid Condition type : StringEqual",
                     id="an unknown operator is refused"),
        pytest.param({"stringEquals": {"k": "a"}}, "Invalid Condition type : stringEquals",
                     id="an operator name is case-sensitive"),
        pytest.param({"NullIfExists": {"k": "true"}}, "Invalid Condition type : NullIfExists",
                     id="Null takes no IfExists"),
        pytest.param({"ForAllValues:ForAnyValue:StringEquals": {"k": "a"}},
                     "Invalid Condition type : ForAllValues:ForAnyValue:StringEquals",
                     id="an operator takes one set qualifier at most"),
        pytest.param({"ForSomeValues:StringEquals": {"k": "a"}},
                     "Invalid Condition type : ForSomeValues:StringEquals",
                     id="an unknown set qualifier is refused"),
        # AWS does not document these; moatdb refuses a value that cannot be of the operator's type.
        pytest.param({"NumericLessThan": {"k": "ten"}}, "Syntax errors in policy.",
                     id="a numeric operator with a value that is no number is refused"),
        pytest.param({"NumericLessThan": {"k": "${aws:username}"}}, "Syntax errors in policy.",
                     id="a numeric operator takes no policy variable"),
        pytest.param({"DateLessThan": {"k": "next tuesday"}}, "Syntax errors in policy.",
                     id="a date operator with a value that is no date is refused"),
        pytest.param({"IpAddress": {"k": "10.0.0.0/33"}}, "Syntax errors in policy.",
                     id="an IP operator with a value that is no range is refused"),
        pytest.param({"BinaryEquals": {"k": "not base64!"}}, "Syntax errors in policy.",
                     id="a binary operator with a value that is no base64 is refused"),
    ],
)
def test_malformed_condition_blocks(block, message):
    assert refused(block) == message


def test_a_syntax_error_is_reported_before_an_unknown_operator():
    assert refused({"Bogus": {"k": "a"}, "StringEquals": "k"}) == "Syntax errors in policy."


def test_failure_is_none_when_every_condition_holds():
    conditions = compile_conditions({"StringEquals": {"aws:SourceVpc": "vpc-111"}}, variables=True)
    assert conditions.failure(context({"aws:SourceVpc": "vpc-111"})) is None


def test_failure_describes_a_missing_key():
    conditions = compile_conditions({"StringEquals": {"aws:SourceVpc": ["vpc-111"]}}, variables=True)
    assert conditions.failure({}) == 'StringEquals aws:SourceVpc ["vpc-111"] (request: none)'


def test_failure_describes_the_request_value():
    conditions = compile_conditions(
        {"StringNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/break-glass"]}}, variables=True)
    assert conditions.failure(context({"aws:PrincipalArn": "arn:aws:iam::1:role/break-glass"})) == (
        'StringNotLike aws:PrincipalArn ["arn:aws:iam::*:role/break-glass"] '
        '(request: "arn:aws:iam::1:role/break-glass")')


def test_failure_describes_a_multivalued_request():
    conditions = compile_conditions({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, variables=True)
    assert conditions.failure(context({"aws:TagKeys": ["a", "b"]})) == (
        'ForAllValues:StringEquals aws:TagKeys ["a"] (request: ["a", "b"])')


def test_failure_names_the_first_failing_condition_in_document_order():
    conditions = compile_conditions(
        {"StringEquals": {"aws:username": "a"}, "Bool": {"aws:SecureTransport": True}}, variables=True)
    assert conditions.failure(context({"aws:username": "a"})) == (
        'Bool aws:SecureTransport ["true"] (request: none)')


def test_keys_are_the_condition_keys_and_the_variables_read_lower_cased():
    conditions = compile_conditions(
        {"StringLike": {"s3:Prefix": "home/${aws:UserName}/*"}, "Null": {"aws:TokenIssueTime": "true"},
         "NumericLessThan": {"s3:max-keys": "10"}},
        variables=True)
    assert conditions.keys == frozenset({"s3:prefix", "aws:username", "aws:tokenissuetime", "s3:max-keys"})


def test_keys_hold_no_variables_before_version_2012_10_17():
    conditions = compile_conditions({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}, variables=False)
    assert conditions.keys == frozenset({"s3:prefix"})
