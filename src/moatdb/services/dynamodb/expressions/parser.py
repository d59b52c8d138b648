"""Recursive-descent parsers for DynamoDB's three expression grammars.

The grammar is DynamoDB's own (the ANTLR ``DynamoDbGrammar.g4`` AWS ships in its DAX clients):

    condition  : operand comparator operand | operand BETWEEN operand AND operand
               | operand IN '(' operand (',' operand)* ')' | function | '(' condition ')'
               | NOT condition | condition AND condition | condition OR condition
    update     : (SET set_action (',' set_action)* | REMOVE path (',' path)*
               |  ADD path :value (',' path :value)* | DELETE path :value (',' ...)*)+
    set_action : path '=' (operand | arithmetic)
    arithmetic : operand ('+' | '-') operand | '(' arithmetic ')'
    projection : path (',' path)*
    operand    : path | :value | function | '(' operand ')'
    function   : name '(' operand (',' operand)* ')'
    path       : (name | #name) ('.' (name | #name) | '[' index ']')*

Precedence, highest first: comparisons, IN, BETWEEN, functions, parentheses, NOT, AND, OR
(Developer Guide, "Condition and filter expressions, operators, and functions").

Two things are reported while parsing, as DynamoDB's parser does: syntax errors, at the first
token no continuation of the grammar accepts, and redundant parentheses (``((x))``), which the
grammar's actions throw as they close. A condition's first operand is the one subtle case: the
grammar cannot tell ``((a)) = :v`` from a parenthesized condition until it sees the comparator,
so there a redundant pair is only reported once the comparator is there, and ``((a)) b`` is a
syntax error at ``b``.
"""

from __future__ import annotations

from moatdb.services.dynamodb.expressions import lexer, messages
from moatdb.services.dynamodb.expressions.lexer import EOF, ID, INDEX, NAME, VALUE, Token
from moatdb.services.dynamodb.expressions.messages import ExpressionError
from moatdb.services.dynamodb.expressions.nodes import (
    Action,
    And,
    Arithmetic,
    Between,
    Call,
    Comparison,
    Condition,
    In,
    Name,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    UpdateTree,
    Value,
)

# What a parsed piece of a condition can stand for: a condition, an operand, or a function call,
# which is either until its context decides (``begins_with(a, :p)`` alone, ``size(a) > :n``).
_CONDITION, _OPERAND, _CALL = "condition", "operand", "call"
_CLAUSES = frozenset({"SET", "REMOVE", "ADD", "DELETE"})
_OPERATORS = lexer.COMPARATORS | {"AND", "OR", "NOT", "BETWEEN", "IN", "+", "-"}
_FOLLOWS_OPERAND = lexer.COMPARATORS | {"BETWEEN", "IN"}  # what makes an operand a comparison


def parse_condition(text: str) -> tuple[Condition, int]:
    """The tree of a ConditionExpression, FilterExpression or KeyConditionExpression, and how many
    operators and functions it uses."""
    return _Parser(text).run(_Parser.condition_root)


def parse_update(text: str) -> tuple[UpdateTree, int]:
    return _Parser(text).run(_Parser.update_root)


def parse_projection(text: str) -> tuple[tuple[Path, ...], int]:
    return _Parser(text).run(_Parser.projection_root)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = lexer.tokenize(text)
        self.pos = 0
        self.operators = 0
        # A redundant pair of parentheses around a condition's first operand, reported only once a
        # comparator confirms it is an operand (see the module docstring).
        self.pending_redundant = False

    def run(self, root):
        try:
            return root(self), self.operators
        except RecursionError:
            # Only thousands of nested parentheses get here. DynamoDB's parser has no such limit;
            # it would stop at the first redundant pair, or count more than 300 operators.
            count = sum(1 for i, token in enumerate(self.tokens) if token.kind in _OPERATORS
                        or (token.kind == ID and self.tokens[i + 1].kind == "("))
            if count > messages.MAX_OPERATORS:
                raise ExpressionError(messages.too_many_operators(count)) from None
            raise ExpressionError(messages.REDUNDANT_PARENTHESES) from None

    # --- tokens --------------------------------------------------------------------------------

    def kind(self, ahead: int = 0) -> str:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)].kind

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str) -> Token:
        if self.tokens[self.pos].kind != kind:
            raise self.error()
        return self.advance()

    def error(self) -> ExpressionError:
        return lexer.syntax_error(self.text, self.tokens, self.pos)

    # --- paths and operands --------------------------------------------------------------------

    def path(self) -> Path:
        elements = [self.path_name()]
        while True:
            kind = self.kind()
            if kind == ".":
                self.advance()
                elements.append(self.path_name())
            elif kind == "[":
                self.advance()
                index = self.expect(INDEX)
                self.expect("]")
                elements.append(int(index.text))
            else:
                break
        if len(elements) > messages.MAX_PATH_DEPTH:
            raise ExpressionError(messages.too_deep(len(elements)))
        return Path(tuple(elements))

    def path_name(self) -> PathElement:
        token = self.tokens[self.pos]
        if token.kind == ID:
            self.advance()
            return token.text
        if token.kind == NAME:
            self.advance()
            return Name(token.text)
        raise self.error()

    def atom(self) -> Operand:
        """An operand without parentheses: a path, a :value or a function call."""
        kind = self.kind()
        if kind == VALUE:
            return Value(self.advance().text)
        if kind == ID and self.kind(1) == "(":
            return self.call()
        if kind in (ID, NAME):
            return self.path()
        raise self.error()

    def call(self) -> Call:
        name = self.advance().text
        self.advance()  # "("
        self.operators += 1
        args = [self.operand()]
        while self.kind() == ",":
            self.advance()
            args.append(self.operand())
        self.expect(")")
        return Call(name, tuple(args))

    def operand(self) -> Operand:
        return self.parenthesized_operand()[0]

    def parenthesized_operand(self) -> tuple[Operand, bool]:
        """An operand, and whether it was written in parentheses."""
        if self.kind() != "(":
            return self.atom(), False
        self.advance()
        inner, parenthesized = self.parenthesized_operand()
        self.expect(")")
        if parenthesized:
            raise ExpressionError(messages.REDUNDANT_PARENTHESES)
        return inner, True

    # --- conditions ----------------------------------------------------------------------------

    def condition_root(self) -> Condition:
        node, shape, _ = self.disjunction()
        condition = self.as_condition(node, shape)
        self.expect(EOF)
        return condition

    def as_condition(self, node, shape: str) -> Condition:
        if shape == _OPERAND:  # an operand that no comparator followed
            raise self.error()
        return node

    def disjunction(self) -> tuple:
        node, shape, parenthesized = self.conjunction()
        if self.kind() != "OR":
            return node, shape, parenthesized
        parts = [self.as_condition(node, shape)]
        while self.kind() == "OR":
            self.advance()
            self.operators += 1
            node, shape, _ = self.conjunction()
            parts.append(self.as_condition(node, shape))
        return _fold(Or, parts), _CONDITION, False

    def conjunction(self) -> tuple:
        node, shape, parenthesized = self.negation()
        if self.kind() != "AND":
            return node, shape, parenthesized
        parts = [self.as_condition(node, shape)]
        while self.kind() == "AND":
            self.advance()
            self.operators += 1
            node, shape, _ = self.negation()
            parts.append(self.as_condition(node, shape))
        return _fold(And, parts), _CONDITION, False

    def negation(self) -> tuple:
        if self.kind() != "NOT":
            return self.primary()
        self.advance()
        self.operators += 1
        node, shape, _ = self.negation()
        return Not(self.as_condition(node, shape)), _CONDITION, False

    def primary(self) -> tuple:
        """A comparison, a function, a parenthesized condition, or a condition's first operand."""
        if self.kind() == "(":
            self.advance()
            node, shape, parenthesized = self.disjunction()
            self.expect(")")
            if parenthesized:
                if shape == _OPERAND:
                    self.pending_redundant = True
                else:
                    raise ExpressionError(messages.REDUNDANT_PARENTHESES)
            parenthesized = True
        else:
            node = self.atom()
            shape, parenthesized = (_CALL if type(node) is Call else _OPERAND), False
        if shape != _CONDITION and self.kind() in _FOLLOWS_OPERAND:
            return self.comparison(node), _CONDITION, False
        return node, shape, parenthesized

    def comparison(self, left: Operand) -> Condition:
        if self.pending_redundant:
            raise ExpressionError(messages.REDUNDANT_PARENTHESES)
        operator = self.advance().kind
        self.operators += 1
        if operator == "BETWEEN":
            low = self.operand()
            self.expect("AND")
            return Between(left, low, self.operand())
        if operator == "IN":
            self.expect("(")
            choices = [self.operand()]
            while self.kind() == ",":
                self.advance()
                choices.append(self.operand())
            self.expect(")")
            return In(left, tuple(choices))
        return Comparison(operator, left, self.operand())

    # --- update --------------------------------------------------------------------------------

    def update_root(self) -> UpdateTree:
        if self.kind() not in _CLAUSES:
            raise self.error()
        actions: list[Action] = []
        seen: set[str] = set()
        repeated = None
        while self.kind() in _CLAUSES:
            clause = self.advance().kind
            if clause in seen and repeated is None:
                repeated = clause
            seen.add(clause)
            actions.append(self.action(clause))
            while self.kind() == ",":
                self.advance()
                actions.append(self.action(clause))
        self.expect(EOF)
        return UpdateTree(tuple(actions), repeated)

    def action(self, clause: str) -> Action:
        path = self.path()
        if clause == "SET":
            self.expect("=")
            return Action(clause, path, self.set_value()[0])
        if clause == "REMOVE":
            return Action(clause, path, None)
        return Action(clause, path, Value(self.expect(VALUE).text))

    def set_value(self) -> tuple[Operand, bool]:
        """``operand``, ``operand +|- operand`` or ``( ... )`` of either; and whether parenthesized."""
        if self.kind() == "(":
            self.advance()
            node, parenthesized = self.set_value()
            self.expect(")")
            if parenthesized:
                raise ExpressionError(messages.REDUNDANT_PARENTHESES)
            parenthesized = True
        else:
            node, parenthesized = self.atom(), False
        if type(node) is not Arithmetic and self.kind() in ("+", "-"):
            operator = self.advance().kind
            self.operators += 1
            return Arithmetic(operator, node, self.operand()), False
        return node, parenthesized

    # --- projection ----------------------------------------------------------------------------

    def projection_root(self) -> tuple[Path, ...]:
        paths = [self.path()]
        while self.kind() == ",":
            self.advance()
            paths.append(self.path())
        self.expect(EOF)
        return tuple(paths)



def _fold(node_type, parts: list[Condition]) -> Condition:
    # DynamoDB's AND and OR associate to the right: a AND b AND c is a AND (b AND c).
    node = parts[-1]
    for part in reversed(parts[:-1]):
        node = node_type(part, node)
    return node
