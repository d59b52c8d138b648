"""Policy variables: ``${aws:username}`` in a Resource or a condition value, resolved per request.

IAM User Guide, "IAM policy elements: Variables and tags":

- ``${key}`` is replaced by the value of the context key ``key`` (key names are case-insensitive;
  a ``Context`` holds them lower-cased). A key that is missing, or multivalued, has no value: the
  element holding the variable matches nothing ("Policy variables with no value").
- ``${key, 'default'}`` uses ``default`` instead when the key has no value. AWS writes the
  separator as "a comma and space"; moatdb also accepts other whitespace around the key, the comma
  and the quotes, as a person would type it.
- ``${*}``, ``${?}`` and ``${$}`` are a literal ``*``, ``?`` and ``$``: they are never wildcards.
- Variables exist only from ``Version`` 2012-10-17 on; before, ``${...}`` is literal text.

AWS does not say what an unclosed ``${`` or a malformed body (``${}``, ``${key, unquoted}``) does;
moatdb keeps such text literally. A resolved value or a default is always literal too: a ``*`` that
came from a tag value or a default is not a wildcard (the narrower reading, and tag values cannot
hold ``*`` or ``?`` anyway).

A template is parsed once; rendering a constant template costs nothing, and the glob patterns of a
templated one are cached per resolved value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from moatdb.policy.request import Context

# The body of ``${...}``: a key name, then optionally a quoted default. A tag key may hold spaces,
# so the name is everything up to the comma, trimmed.
_VARIABLE_BODY = re.compile(r"\s*([^,'${]*?)\s*(?:,\s*'(.*)'\s*)?", re.DOTALL)
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

# The resource part of an ARN starts after its fifth colon; before it, a wildcard stays inside
# one colon-delimited part (IAM User Guide, "Condition operators", ARN condition operators).
_ARN_PREFIX_PARTS = 5
_PATTERN_CACHE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class _Glob:
    """Policy text as written: ``*`` and ``?`` are wildcards where the caller globs."""

    text: str


@dataclass(frozen=True, slots=True)
class _Literal:
    """Text that is never a wildcard: an escape (``${*}``)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Variable:
    key: str  # lower-cased
    default: str | None


_Piece = _Glob | _Literal | _Variable


class Template:
    """A policy string with its variables parsed: a Resource, or one condition value."""

    __slots__ = ("text", "keys", "_pieces", "_constant", "_patterns", "_arn_patterns")

    def __init__(self, text: str, pieces: tuple[_Piece, ...]):
        self.text = text  # as written in the policy
        self.keys: frozenset[str] = frozenset(p.key for p in pieces if isinstance(p, _Variable))
        self._pieces = pieces
        self._constant = None if self.keys else "".join(_texts(pieces, ()))
        self._patterns: dict[tuple[str, ...], re.Pattern[str]] = {}
        self._arn_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}

    def render(self, context: Context) -> str | None:
        """The text with every variable replaced, for exact comparison; ``None`` when a variable
        has no value and no default, which the caller treats as "does not match"."""
        if self._constant is not None:
            return self._constant
        values = self._resolve(context)
        if values is None:
            return None
        return "".join(_texts(self._pieces, values))

    def pattern(self, context: Context) -> re.Pattern[str] | None:
        """The text as a glob (``*`` any run of characters, ``?`` one character, escapes and
        variable values literal), to be used with ``fullmatch``; ``None`` as for ``render``."""
        return self._cached(context, self._patterns, _glob_regex)

    def arn_pattern(self, context: Context) -> re.Pattern[str] | None:
        """Like ``pattern``, but a wildcard in one of the first five colon-delimited parts of an
        ARN does not cross a colon: ``ArnLike`` matches each part separately."""
        return self._cached(context, self._arn_patterns, _arn_regex)

    def _cached(
        self,
        context: Context,
        cache: dict[tuple[str, ...], re.Pattern[str]],
        translate: Callable[[tuple[_Piece, ...], tuple[str, ...]], str],
    ) -> re.Pattern[str] | None:
        values = () if self._constant is not None else self._resolve(context)
        if values is None:
            return None
        compiled = cache.get(values)
        if compiled is None:
            if len(cache) >= _PATTERN_CACHE_LIMIT:
                cache.clear()
            compiled = cache[values] = re.compile(translate(self._pieces, values), re.DOTALL)
        return compiled

    def _resolve(self, context: Context) -> tuple[str, ...] | None:
        """Each variable's value, in order; ``None`` if one has neither a value nor a default."""
        resolved = []
        for piece in self._pieces:
            if isinstance(piece, _Variable):
                found = context.get(piece.key)
                if found is not None and len(found) == 1:
                    resolved.append(found[0])
                elif piece.default is not None:
                    resolved.append(piece.default)
                else:
                    return None
        return tuple(resolved)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def compile_template(text: str, *, variables: bool) -> Template:
    """Parse ``text``; with ``variables=False`` (policy Version 2008-10-17 or none) ``${...}`` is
    literal text, wildcards included."""
    if not variables or "${" not in text:
        return Template(text, (_Glob(text),) if text else ())
    pieces: list[_Piece] = []
    literal_start = position = 0
    while (start := text.find("${", position)) != -1:
        end = text.find("}", start + 2)
        if end == -1:
            break  # an unclosed ``${``: the rest is text
        piece = _parse_variable(text[start + 2 : end])
        if piece is None:
            position = start + 2  # not a variable: keep it as text and look further on
            continue
        if start > literal_start:
            pieces.append(_Glob(text[literal_start:start]))
        pieces.append(piece)
        literal_start = position = end + 1
    if literal_start < len(text):
        pieces.append(_Glob(text[literal_start:]))
    return Template(text, tuple(pieces))


def _parse_variable(body: str) -> _Piece | None:
    if body in _ESCAPES:
        return _Literal(_ESCAPES[body])
    parsed = _VARIABLE_BODY.fullmatch(body)
    if parsed is None or not parsed.group(1):
        return None
    return _Variable(parsed.group(1).lower(), parsed.group(2))


def _texts(pieces: tuple[_Piece, ...], values: tuple[str, ...]) -> Iterator[str]:
    """Each piece's text, variables replaced by ``values`` in order."""
    next_value = iter(values)
    for piece in pieces:
        yield next(next_value) if isinstance(piece, _Variable) else piece.text


def _glob_regex(pieces: tuple[_Piece, ...], values: tuple[str, ...]) -> str:
    out = []
    for piece, text in zip(pieces, _texts(pieces, values), strict=True):
        if isinstance(piece, _Glob):
            out.extend(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        else:
            out.append(re.escape(text))
    return "".join(out)


def _arn_regex(pieces: tuple[_Piece, ...], values: tuple[str, ...]) -> str:
    out = []
    colons = 0
    for piece, text in zip(pieces, _texts(pieces, values), strict=True):
        if not isinstance(piece, _Glob):
            out.append(re.escape(text))
            colons += text.count(":")
            continue
        for c in text:
            in_resource = colons >= _ARN_PREFIX_PARTS
            if c == "*":
                out.append(".*" if in_resource else "[^:]*")
            elif c == "?":
                out.append("." if in_resource else "[^:]")
            else:
                out.append(re.escape(c))
                colons += c == ":"
    return "".join(out)
