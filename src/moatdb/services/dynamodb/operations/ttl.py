"""Time to live: UpdateTimeToLive and DescribeTimeToLive."""

from __future__ import annotations

OPERATIONS: dict = {}
