"""Tokens of DynamoDB's expression language, and the ``Syntax error`` message built from them.

The token rules are DynamoDB's own, as its ANTLR grammar (shipped in AWS's DAX clients as
``Tokens.g4``) defines them: names start with an ASCII letter; ``#name`` and ``:value`` placeholders
take letters, digits and ``_``; list indexes are decimal without leading zeros; the nine keywords
(SET, REMOVE, ADD, DELETE, AND, OR, NOT, BETWEEN, IN) are case-insensitive; quoted strings are
tokens no rule accepts; any other character is a one-character token of its own. So ``_abc`` is
the tokens ``_`` and ``abc``, which is why DynamoDB answers ``token: "_", near: "SET _123"``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from moatdb.services.dynamodb.expressions import messages

ID = "ID"
NAME = "NAME"  # #placeholder
VALUE = "VALUE"  # :placeholder
INDEX = "INDEX"
EOF = "EOF"
KEYWORDS = frozenset({"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN"})
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})

# First match wins, which gives ANTLR's longest-match result here: "<>" and "<=" come before "<",
# and keywords are told apart from longer names ("index", "order") after matching the whole name.
_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\n\r]+)
    | (?P<id>[A-Za-z][A-Za-z0-9_]*)
    | (?P<name>\#[A-Za-z0-9_]+)
    | (?P<value>:[A-Za-z0-9_]+)
    | (?P<index>0|[1-9][0-9]*)
    | (?P<op><>|<=|>=|[=<>+\-()\[\],.])
    | (?P<string>"(?:\\"|.)*?"|'(?:\\'|.)*?')
    | (?P<unknown>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    kind: str  # ID, NAME, VALUE, INDEX, EOF, a keyword ("AND"), or the operator text ("<=", "(")
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, whitespace dropped, ending with an EOF token."""
    tokens = []
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        if group == "ws":
            continue
        word = match.group()
        if group == "id":
            upper = word.upper()
            kind = upper if upper in KEYWORDS else ID
        elif group == "op":
            kind = word
        else:
            kind = group.upper()
        tokens.append(Token(kind, word, match.start(), match.end()))
    tokens.append(Token(EOF, "", len(text), len(text)))
    return tokens


def syntax_error(text: str, tokens: list[Token], index: int) -> messages.ExpressionError:
    """DynamoDB's error for the token at ``index``, which no rule of the grammar accepts.

    ``near`` is the source text from the token before it through the token after it, whitespace
    as written, or to the end of the text when the offending token is (or is followed by) the end:
    ``SET a = b / c`` -> ``token: "/", near: "b / c"``; ``SET a = :v,`` -> ``token: "<EOF>", near: ","``
    (examples captured from AWS).
    """
    token = tokens[index]
    first = tokens[index - 1] if index > 0 else token
    if token.kind == EOF or tokens[index + 1].kind == EOF:
        end = len(text)
    else:
        end = tokens[index + 1].end
    shown = "<EOF>" if token.kind == EOF else token.text
    return messages.ExpressionError(messages.syntax(shown, text[first.start:end]))
