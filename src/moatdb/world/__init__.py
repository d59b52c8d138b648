"""The world file: one YAML document declaring an organization, its accounts, IAM principals and
policies, VPCs and VPC endpoints, and the doors a server listens on (docs/world.md).

``load`` reads and validates a file into a ``World``; ``apply`` writes a world into an empty store;
``default_path`` is the embedded default world (the VPC-only pattern) that ``moatdb init`` copies.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from moatdb.world.apply import AppliedWorld, applied, apply
from moatdb.world.errors import WorldError
from moatdb.world.loader import load
from moatdb.world.model import World

__all__ = ["AppliedWorld", "World", "WorldError", "applied", "apply", "default_path", "load"]


def default_path() -> Path:
    """The default world shipped with moatdb."""
    return Path(str(resources.files(__package__).joinpath("default.yaml")))
