"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction."""

from __future__ import annotations

OPERATIONS: dict = {}
