"""Loading a world file: YAML, then the JSON Schema, then what only the whole world can tell (see
``build``). Every refusal is a ``WorldError`` naming the line of the node it concerns; when a file
has several problems, the first in the file is the one reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path as FilePath

from moatdb.world import schema
from moatdb.world.build import build
from moatdb.world.errors import WorldError
from moatdb.world.model import World
from moatdb.world.source import Path, Refused, Source, parse, show_path


def load(path: FilePath) -> World:
    name = str(path)
    try:
        raw = FilePath(path).read_bytes()
    except OSError as error:
        raise WorldError(name, None, f"cannot read the world file: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WorldError(name, raw[:error.start].count(b"\n") + 1, "not UTF-8 text") from None
    try:
        source = parse(text)
    except Refused as refused:
        raise WorldError(name, refused.line, _reason(refused.path, refused.reason)) from None
    _refuse_first(name, source, schema.problems(source.data))
    world, problems = build(source.data, source.line, source=name, digest=hashlib.sha256(raw).hexdigest())
    _refuse_first(name, source, problems)
    return world


def _refuse_first(name: str, source: Source, problems: Iterable[tuple[Path, str]]) -> None:
    located = [(source.line(path), order, path, reason) for order, (path, reason) in enumerate(problems)]
    if located:
        line, _, path, reason = min(located)
        raise WorldError(name, line, _reason(path, reason))


def _reason(path: Path, reason: str) -> str:
    return f"{show_path(path)}: {reason}" if path else reason
