"""Backups and point-in-time recovery."""

from __future__ import annotations

OPERATIONS: dict = {}
