"""moatdb: a private DynamoDB that speaks DynamoDB's wire protocol and enforces AWS's authorization."""

__version__ = "0.1.0"
