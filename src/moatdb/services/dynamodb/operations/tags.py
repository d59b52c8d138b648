"""Tags: TagResource, UntagResource, ListTagsOfResource."""

from __future__ import annotations

OPERATIONS: dict = {}
