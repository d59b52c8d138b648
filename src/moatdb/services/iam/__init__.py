"""IAM's API (Query protocol, version 2010-05-08) over moatdb's IAM directory: users, access keys,
groups, roles, inline and managed policies, permissions boundaries and tags, as the IAM API
Reference defines them. ``service.IAM`` is the entry point; one module per family of operations."""

from moatdb.services.iam.service import IAM

__all__ = ["IAM"]
