"""The tokens of DynamoDB's PartiQL, and the "wasn't well formed" errors the parser words with them.

PartiQL's lexical rules (partiql.org's specification, as DynamoDB applies them): keywords and bare
names are case-insensitive words; ``"name"`` is a quoted name (``""`` inside it is one ``"``);
``'text'`` is a string (``''`` inside it is one ``'``); ``<<`` and ``>>`` delimit a bag (a set to
DynamoDB); ``--`` comments run to the end of the line and ``/* */`` comments may span lines.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from moatdb.errors import ValidationException

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "

WORD = "WORD"  # a bare name or keyword, compared upper-cased
QUOTED = "QUOTED"  # a "quoted name"
STRING = "STRING"
NUMBER = "NUMBER"
EOF = "EOF"

# The words the statements of DynamoDB's subset are built from: a bare name cannot be one of them.
KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IS", "IN", "BETWEEN", "MISSING", "NULL", "TRUE", "FALSE",
    "INSERT", "INTO", "VALUE", "VALUES", "UPDATE", "SET", "REMOVE", "DELETE", "RETURNING", "ORDER", "BY",
    "ASC", "DESC", "AS", "EXISTS", "LIKE", "LIMIT", "GROUP", "HAVING", "JOIN", "UNION", "ALL", "DISTINCT",
})

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<line_comment>--[^\n]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<open_comment>/\*)
    | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<string>'(?:[^']|'')*')
    | (?P<op><<|>>|<>|!=|<=|>=|\|\||[=<>()\[\]{},.:?*+\-/;%])
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    kind: str  # WORD, QUOTED, STRING, NUMBER, EOF, or the operator's text ("<=", "(")
    text: str  # the word as written, a name or string unquoted, a number as written
    start: int  # offset in the statement
    end: int

    @property
    def word(self) -> str | None:
        """The upper-cased word of a bare word token, else None."""
        return self.text.upper() if self.kind == WORD else None

    def is_keyword(self, *words: str) -> bool:
        return self.kind == WORD and self.text.upper() in words


def malformed(detail: str = "") -> ValidationException:
    return ValidationException(NOT_WELL_FORMED + detail)


def tokenize(statement: str) -> list[Token]:
    """The tokens of ``statement``, comments and spaces dropped, ending with an EOF token. A
    character no token starts with (``#``, an unterminated comment or string) is refused with
    nothing after the colon, as AWS answers ``1 # note`` and ``1 /* note`` (paritysuite's
    dynamodb-conformance, tests/tier3/error-messages/partiqlGrammar.test.ts, pinned against AWS)."""
    tokens = []
    position = 0
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None:
            raise malformed()
        kind, text = match.lastgroup, match.group()
        position = match.end()
        if kind == "open_comment":  # a comment that never ends
            raise malformed()
        if kind in ("space", "line_comment", "block_comment"):
            continue
        if kind == "quoted":
            tokens.append(Token(QUOTED, text[1:-1].replace('""', '"'), match.start(), match.end()))
        elif kind == "string":
            tokens.append(Token(STRING, text[1:-1].replace("''", "'"), match.start(), match.end()))
        elif kind == "number":
            tokens.append(Token(NUMBER, text, match.start(), match.end()))
        elif kind == "word":
            tokens.append(Token(WORD, text, match.start(), match.end()))
        else:
            tokens.append(Token(text, text, match.start(), match.end()))
    tokens.append(Token(EOF, "", len(statement), len(statement)))
    return tokens


def location(statement: str, token: Token) -> str:
    """``line:column:length`` of a token, counted from 1 in characters, as AWS places some errors
    (``Unrecognized function: exists at 1:52:6``)."""
    line = statement.count("\n", 0, token.start) + 1
    column = token.start - (statement.rfind("\n", 0, token.start) + 1) + 1
    return f"{line}:{column}:{token.end - token.start}"
