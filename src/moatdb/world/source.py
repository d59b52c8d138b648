"""A world file's YAML, read into plain data (what the JSON Schema validates) beside the line of each
of its nodes, so a refusal found in the data can name the line it comes from.

The YAML read is YAML 1.2's core schema, not PyYAML's YAML 1.1: ``2012-10-17`` stays a string (a
policy's Version), ``yes``, ``no``, ``on`` and ``off`` stay strings, and ``012`` is twelve, never
octal. Mapping keys are taken as written, so an account id key needs no quotes. A key given twice
is refused rather than silently overwritten. Anchors and aliases work; merge keys (``<<``) do not.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# An alias repeated within aliases grows exponentially ("billion laughs"); a world is far smaller.
MAX_NODES = 200_000


class _Loader(yaml.SafeLoader):
    """Composes nodes with YAML 1.2's core schema resolution (only the composer and resolver are used)."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    (_BOOL, r"true|True|TRUE|false|False|FALSE", "tTfF"),
    (_INT, r"[-+]?[0-9]+", "-+0123456789"),
    (_FLOAT, r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
     "-+0123456789."),
    (_NULL, r"~|null|Null|NULL|", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first))


def reads_as_text(value: str) -> bool:
    """Whether ``value`` written plain (unquoted) reads back as this text under the world file's
    YAML 1.2 rules: ``082191543673`` does not (a number), ``2012-10-17`` does."""
    return _Loader.resolve(_Loader, yaml.ScalarNode, value, (True, False)) == _STR


class Refused(Exception):
    """A problem at a path of the data (or at a line, for YAML that is not data at all)."""

    def __init__(self, path: Path, reason: str, line: int | None = None):
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Source:
    data: Any
    lines: dict[Path, int]  # 1-based line where the node at each path is introduced (its key's line)

    def line(self, path: Path) -> int:
        """The line of the node at ``path``, or of its nearest ancestor the file has."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


def show_path(path: Path) -> str:
    """A path as a refusal names it: ``accounts.222222222222.users[0].name``."""
    shown = ""
    for part in path:
        if isinstance(part, int):
            shown += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            shown += f".{part}" if shown else part
        else:
            shown += f"[{part!r}]"
    return shown


def parse(text: str) -> Source:
    """Raises ``Refused`` (with a line) for text that is not YAML, or not a world's kind of YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise Refused((), f"not valid YAML: {error.problem or error.context}",
                      mark.line + 1 if mark else 1) from None
    except yaml.YAMLError as error:  # e.g. a character YAML does not allow, with no mark
        raise Refused((), f"not valid YAML: {error}", 1) from None
    finally:
        loader.dispose()
    if node is None:
        raise Refused((), "the file is empty", 1)
    lines: dict[Path, int] = {}
    data = _Converter(lines).value(node, (), node.start_mark.line + 1)
    return Source(data, lines)


class _Converter:
    def __init__(self, lines: dict[Path, int]):
        self.lines = lines
        self.nodes = 0
        self.open: set[int] = set()  # the nodes being converted: an alias to one of them recurses

    def value(self, node: yaml.Node, path: Path, line: int) -> Any:
        self.lines[path] = line
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Refused(path, f"more than {MAX_NODES} values (aliases expanding too far?)", line)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, path, line)
        if id(node) in self.open:
            raise Refused(path, "an alias refers to a node that contains it", line)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.value(item, (*path, index), item.start_mark.line + 1)
                        for index, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self.mapping(node, path)
            raise Refused(path, f"unsupported YAML tag {node.tag}", line)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise Refused(path, "a key must be a plain name, not a list or a mapping", line)
            key = key_node.value  # as written: 111111111111 is the account id, not a number
            if key in result:
                raise Refused((*path, key), f"duplicate key {key!r}", line)
            result[key] = self.value(value_node, (*path, key), line)
        return result


def _scalar(node: yaml.ScalarNode, path: Path, line: int) -> Any:
    text = node.value
    if node.tag == _STR:
        return text
    if node.tag == _INT:
        return int(text)
    if node.tag == _FLOAT:
        lowered = text.lower()
        if lowered.endswith(".nan"):
            return math.nan
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        return float(text)
    if node.tag == _BOOL:
        return text.lower() == "true"
    if node.tag == _NULL:
        return None
    raise Refused(path, f"unsupported YAML tag {node.tag}", line)
