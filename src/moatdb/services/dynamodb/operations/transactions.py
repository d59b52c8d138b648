"""TransactWriteItems and TransactGetItems."""

from __future__ import annotations

OPERATIONS: dict = {}
