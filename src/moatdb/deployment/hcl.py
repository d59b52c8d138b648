"""Just enough HCL to write Terraform configurations: blocks, attributes, strings (escaped, ``${``
included, so a policy's ``${aws:username}`` stays literal), numbers, lists, objects, references and
function calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

INDENT = "  "


@dataclass(frozen=True)
class Ref:
    """An expression written as is: ``aws_iam_policy.tables.arn``."""

    expression: str


@dataclass(frozen=True)
class Call:
    """A function call of one argument: ``jsonencode({...})``."""

    function: str
    argument: object


@dataclass
class Block:
    type: str
    labels: tuple[str, ...] = ()
    body: list[tuple[str, object] | Block] = field(default_factory=list)
    comment: str = ""

    def set(self, name: str, value: object) -> Block:
        self.body.append((name, value))
        return self

    def add(self, block: Block) -> Block:
        self.body.append(block)
        return self


def render(blocks: list[Block], header: str = "") -> str:
    parts = [_comment(header, "")] if header else []
    parts += [_block(block, "") for block in blocks]
    return "\n".join(parts)


def _comment(text: str, indent: str) -> str:
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in text.splitlines())


def _block(block: Block, indent: str) -> str:
    head = " ".join([block.type, *(string(label) for label in block.labels)])
    lines = [_comment(block.comment, indent) if block.comment else "", f"{indent}{head} {{\n"]
    inner = indent + INDENT
    run: list[tuple[str, str]] = []
    for entry in block.body:
        if isinstance(entry, Block):
            lines += _aligned(run, inner)
            run = []
            lines.append(_block(entry, inner))
        else:
            name, value = entry
            run.append((name, expression(value, inner)))
    lines += _aligned(run, inner)
    lines.append(f"{indent}}}\n")
    return "".join(lines)


def _aligned(attributes: list[tuple[str, str]], indent: str) -> list[str]:
    """Attribute lines with their ``=`` aligned as ``terraform fmt`` aligns them: across each run of
    one-line attributes; an attribute whose value spans lines stands alone."""
    lines, run = [], []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{indent}{name.ljust(width)} = {value}\n" for name, value in run)
        run.clear()

    for name, value in attributes:
        if "\n" in value:
            flush()
            lines.append(f"{indent}{name} = {value}\n")
        else:
            run.append((name, value))
    flush()
    return lines


def expression(value: object, indent: str) -> str:
    if isinstance(value, Ref):
        return value.expression
    if isinstance(value, Call):
        return f"{value.function}({expression(value.argument, indent)})"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return string(value)
    inner = indent + INDENT
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(not isinstance(item, dict | list | tuple | Call) for item in value):
            return "[" + ", ".join(expression(item, indent) for item in value) + "]"
        return "[\n" + "".join(f"{inner}{expression(item, inner)},\n" for item in value) + f"{indent}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        members = [(string(str(key)), expression(item, inner)) for key, item in value.items()]
        return "{\n" + "".join(_aligned(members, inner)) + f"{indent}}}"
    raise TypeError(f"no HCL for {type(value).__name__}")


def string(text: str) -> str:
    """A quoted HCL string: JSON's escapes, and ``${``/``%{`` doubled so they are not templates."""
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("${", "$${").replace("%{", "%%{")
