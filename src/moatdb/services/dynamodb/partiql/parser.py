"""A recursive-descent parser for the PartiQL statements DynamoDB runs (Developer Guide, "PartiQL
- a SQL-compatible query language for Amazon DynamoDB"): SELECT, INSERT, UPDATE, DELETE, and
EXISTS(SELECT ...) as a transaction's condition check.

Errors are DynamoDB's. Where a statement cannot be read, the message is the "wasn't well formed"
envelope with the parser's detail; the details are those paritysuite's dynamodb-conformance suite
pinned against AWS (tests/tier3/error-messages/partiqlGrammar.test.ts and partiqlFunctions.test.ts),
and "Expected data manipulation" for an unknown first word (the same suite's batch test and
partiql-lang-kotlin's SqlParser, which DynamoDB's wording comes from). Others are marked
"wording assumed" where they are raised.
"""

from __future__ import annotations

import functools

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.partiql import nodes as n
from moatdb.services.dynamodb.partiql.lexer import (
    EOF,
    KEYWORDS,
    NUMBER,
    QUOTED,
    STRING,
    WORD,
    Token,
    location,
    malformed,
    tokenize,
)

LEFTOVER = "Unexpected token after expression"
ALIASING = "Aliasing is not supported"
MISSING_RIGHT = "Missing right-hand side expression of infix operator"

COMPARATORS = frozenset({"=", "<>", "!=", "<", "<=", ">", ">="})
# Words that are operators where a term is expected ("WHERE IS NULL" is an unexpected operator).
_OPERATOR_WORDS = frozenset({"IS", "IN", "LIKE", "BETWEEN", "AND", "OR"})
# The functions DynamoDB's PartiQL knows where a condition is written, and where a SET value is.
CONDITION_FUNCTIONS = frozenset({"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with",
                                 "contains", "size"})
VALUE_FUNCTIONS = frozenset({"list_append", "set_add", "set_delete", "if_not_exists"})
_RETURNING = {("ALL", "OLD"): "ALL_OLD", ("ALL", "NEW"): "ALL_NEW", ("MODIFIED", "OLD"): "UPDATED_OLD",
              ("MODIFIED", "NEW"): "UPDATED_NEW"}
# Bounds that keep the parser's and the planner's recursion far from Python's limit, whatever the
# statement: DynamoDB's expressions allow 300 operators, and no real statement nests 50 levels.
MAX_OPERATORS = 300
MAX_NESTING = 50
TOO_COMPLEX = "Statement is too complex: too many operators or nesting levels"  # wording assumed
# A number literal whose exponent does not fit a 32-bit integer cannot be read at all (the
# conformance suite's "1e2147483648": nothing after the colon).
_MAX_EXPONENT = 2**31 - 1


@functools.lru_cache(maxsize=1024)
def parse(statement: str) -> n.Parsed:
    """The parsed ``statement``; raises ValidationException with DynamoDB's wording."""
    return _Parser(statement).statement()


class _Parser:
    def __init__(self, statement: str):
        self.text = statement
        self.tokens = tokenize(statement)
        self.position = 0
        self.parameters = 0
        self.operators = 0
        self.nesting = 0

    # --- tokens ------------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        if token.kind != EOF:
            self.position += 1
        return token

    def accept(self, kind: str) -> Token | None:
        return self.advance() if self.token.kind == kind else None

    def accept_word(self, *words: str) -> Token | None:
        return self.advance() if self.token.is_keyword(*words) else None

    def expect(self, kind: str, detail: str) -> Token:
        if self.token.kind != kind:
            raise malformed(detail)
        return self.advance()

    def expect_word(self, word: str, detail: str) -> Token:
        if not self.token.is_keyword(word):
            raise malformed(detail)
        return self.advance()

    def at(self, token: Token) -> str:
        return location(self.text, token)

    # --- statements --------------------------------------------------------------------------------

    def statement(self) -> n.Parsed:
        first = self.token
        if first.is_keyword("SELECT"):
            statement = self.select()
        elif first.is_keyword("INSERT"):
            statement = self.insert()
        elif first.is_keyword("UPDATE"):
            statement = self.update()
        elif first.is_keyword("DELETE"):
            statement = self.delete()
        elif first.is_keyword("EXISTS"):
            statement = self.exists()
        elif first.kind == EOF or first.kind == ";":
            raise malformed("Unexpected term")  # wording assumed
        else:
            raise malformed("Expected data manipulation")
        self.accept(";")
        if self.token.kind != EOF:
            raise malformed(LEFTOVER)
        return n.Parsed(statement, self.parameters)

    def select(self) -> n.Select:
        self.advance()  # SELECT
        projection = self.projection()
        self.expect_word("FROM", "Expected FROM")  # wording assumed
        if self.token.kind in (EOF, ";"):
            raise malformed("Unexpected term")
        table, index = self.table_reference()
        self.no_alias()
        where = self.where() if self.accept_word("WHERE") else None
        order_by = self.order_by() if self.token.is_keyword("ORDER") else ()
        return n.Select(table, index, projection, where, order_by)

    def projection(self) -> tuple[n.Path, ...] | None:
        if self.accept("*"):
            return None
        paths = [self.projected_path()]
        while self.accept(","):
            paths.append(self.projected_path())
        return tuple(paths)

    def projected_path(self) -> n.Path:
        token = self.token
        if token.kind == WORD and self.peek().kind == "(":
            # A function is no attribute to project (the conformance suite's "attribute_exists as a
            # SELECT projection").
            raise ValidationException(f"Unexpected path component at {self.at(token)}")
        if not self.starts_path():
            raise malformed("Unexpected term")  # wording assumed
        return self.path()

    def table_reference(self) -> tuple[str, str | None]:
        table = self.name("Expected identifier for simple path")
        index = None
        if self.accept("."):
            index = self.name("Expected identifier for simple path")
        return table, index

    def name(self, detail: str) -> str:
        token = self.token
        if token.kind == QUOTED or (token.kind == WORD and token.text.upper() not in KEYWORDS):
            self.advance()
            return token.text
        raise malformed(detail)

    def no_alias(self) -> None:
        """A table alias is refused in its own words, without the envelope (conformance suite)."""
        if self.token.kind == QUOTED or self.token.is_keyword("AS") or (
                self.token.kind == WORD and self.token.text.upper() not in KEYWORDS):
            raise ValidationException(ALIASING)

    def where(self) -> object:
        return self.expression(CONDITION_FUNCTIONS)

    def order_by(self) -> tuple[tuple[n.Path, bool], ...]:
        self.advance()  # ORDER
        self.expect_word("BY", "Expected BY")  # wording assumed
        orders = []
        while True:
            if not self.starts_path():
                raise malformed("Unexpected term")  # wording assumed
            path = self.path()
            ascending = True
            if self.accept_word("DESC"):
                ascending = False
            else:
                self.accept_word("ASC")
            orders.append((path, ascending))
            if not self.accept(","):
                return tuple(orders)

    def insert(self) -> n.Insert:
        self.advance()  # INSERT
        self.expect_word("INTO", "Expected INTO")  # wording assumed
        table = self.name("Expected identifier for simple path")
        if not self.accept_word("VALUE"):
            # An alias, or the SQL form "(columns) VALUES (...)": both leftovers to AWS (conformance
            # suite: "an alias on an INSERT is a leftover token").
            raise malformed(LEFTOVER)
        value = self.expression(frozenset())
        return n.Insert(table, value)

    def update(self) -> n.Update:
        self.advance()  # UPDATE
        table = self.name("Expected identifier for simple path")
        self.no_alias()
        sets: list[n.Assignment] = []
        removes: list[n.Path] = []
        while True:
            if self.accept_word("SET"):
                sets.append(self.assignment())
                while self.accept(","):
                    sets.append(self.assignment())
            elif self.accept_word("REMOVE"):
                removes.append(self.target_path())
                while self.accept(","):
                    removes.append(self.target_path())
            else:
                break
        if not sets and not removes:
            raise malformed("Expected data manipulation")
        where = self.where() if self.accept_word("WHERE") else None
        return n.Update(table, tuple(sets), tuple(removes), where, self.returning())

    def assignment(self) -> n.Assignment:
        path = self.target_path()
        self.expect("=", "Expected '='")  # wording assumed
        return n.Assignment(path, self.expression(VALUE_FUNCTIONS))

    def target_path(self) -> n.Path:
        if not self.starts_path():
            raise malformed("Expected identifier for simple path")
        return self.path()

    def delete(self) -> n.Delete:
        self.advance()  # DELETE
        self.expect_word("FROM", "Expected FROM after DELETE")
        table = self.name("Expected identifier for simple path")
        self.no_alias()
        where = self.where() if self.accept_word("WHERE") else None
        return n.Delete(table, where, self.returning())

    def returning(self) -> str | None:
        if not self.accept_word("RETURNING"):
            return None
        first, second = self.advance(), self.advance()
        returning = _RETURNING.get(((first.word or ""), (second.word or "")))
        if returning is None or self.advance().kind != "*":
            raise malformed("Expected ( ALL | MODIFIED ) ( OLD | NEW ) *")  # wording assumed
        return returning

    def exists(self) -> n.Exists:
        self.advance()  # EXISTS
        self.expect("(", "Expected (")  # wording assumed
        if not self.token.is_keyword("SELECT"):
            raise malformed("Expected SELECT")  # wording assumed
        select = self.select()
        self.expect(")", "Expected )")  # wording assumed
        return n.Exists(select)

    # --- expressions -------------------------------------------------------------------------------

    def expression(self, functions: frozenset[str]) -> object:
        """An expression, at one more level of nesting (a statement's top-level ones, and each one
        inside parentheses, brackets or a function's arguments)."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise malformed(TOO_COMPLEX)
        found = self.disjunction(functions)
        self.nesting -= 1
        return found

    def operator(self) -> None:
        """Counts an operator or function of the statement."""
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise malformed(TOO_COMPLEX)

    def disjunction(self, functions: frozenset[str]) -> object:
        left = self.conjunction(functions)
        while (token := self.accept_word("OR")) is not None:
            self.operator()
            left = n.Binary("OR", left, self.right_operand(self.conjunction, functions), token)
        return left

    def conjunction(self, functions: frozenset[str]) -> object:
        left = self.negation(functions)
        while (token := self.accept_word("AND")) is not None:
            self.operator()
            left = n.Binary("AND", left, self.right_operand(self.negation, functions), token)
        return left

    def right_operand(self, parse, functions: frozenset[str]) -> object:
        if self.token.kind in (EOF, ";"):
            raise malformed(MISSING_RIGHT)
        return parse(functions)

    def negation(self, functions: frozenset[str]) -> object:
        negations = []
        while (token := self.accept_word("NOT")) is not None:
            self.operator()
            negations.append(token)
        found = self.comparison(functions)
        for token in reversed(negations):
            found = n.Not(found, token)
        return found

    def comparison(self, functions: frozenset[str]) -> object:
        left = self.additive(functions)
        token = self.token
        if token.kind in COMPARATORS or token.is_keyword("IS", "IN", "BETWEEN", "NOT"):
            self.operator()
        if token.kind in COMPARATORS:
            self.advance()
            operator = "<>" if token.kind == "!=" else token.kind
            return n.Binary(operator, left, self.right_operand(self.additive, functions), token)
        if token.is_keyword("IS"):
            self.advance()
            negated = self.accept_word("NOT") is not None
            kind = self.accept_word("MISSING", "NULL")
            if kind is None:
                raise malformed("Expected type name")
            return n.Is(left, kind.text.upper(), negated, token)
        negated_token = self.accept_word("NOT") if self.peek().is_keyword("IN", "BETWEEN", "LIKE") else None
        if self.token.is_keyword("IN"):
            within = self.advance()
            node: object = n.In(left, self.candidates(functions), within)
        elif self.token.is_keyword("BETWEEN"):
            between = self.advance()
            low = self.right_operand(self.additive, functions)
            self.expect_word("AND", "Expected AND")  # wording assumed
            node = n.Between(left, low, self.right_operand(self.additive, functions), between)
        elif self.token.is_keyword("LIKE"):
            raise ValidationException("Unsupported operation: Like")  # wording assumed
        else:
            return left
        return n.Not(node, negated_token) if negated_token is not None else node

    def candidates(self, functions: frozenset[str]) -> tuple:
        closing = {"(": ")", "[": "]"}.get(self.token.kind)
        if closing is None:
            raise malformed("Unexpected term")  # wording assumed
        self.advance()
        found = [self.right_operand(self.additive, functions)]
        while self.accept(","):
            found.append(self.right_operand(self.additive, functions))
        self.expect(closing, "Expected " + closing)  # wording assumed
        return tuple(found)

    def additive(self, functions: frozenset[str]) -> object:
        left = self.primary(functions)
        while self.token.kind in ("+", "-"):
            self.operator()
            token = self.advance()
            left = n.Binary(token.kind, left, self.right_operand(self.primary, functions), token)
        return left

    def primary(self, functions: frozenset[str]) -> object:
        token = self.token
        kind = token.kind
        if kind == STRING:
            self.advance()
            return n.Literal({"S": token.text}, token)
        if kind == NUMBER:
            self.advance()
            return n.Literal({"N": self.number(token.text)}, token)
        if kind == "-" and self.peek().kind == NUMBER:
            self.advance()
            number = self.advance()
            return n.Literal({"N": "-" + self.number(number.text)}, token)
        if kind == "?":
            self.advance()
            self.parameters += 1
            return n.Parameter(self.parameters - 1, token)
        if kind == "(":
            self.advance()
            inner = self.expression(functions)
            self.expect(")", "Expected )")  # wording assumed
            return inner
        if kind == "[":
            return n.ListValue(self.elements("]", functions), token)
        if kind == "{":
            return self.map_value(functions)
        if kind == "<<":
            return n.BagValue(self.elements(">>", functions), token)
        if kind == WORD:
            word = token.text.upper()
            if self.peek().kind == "(":
                return self.call(functions)
            if word in ("TRUE", "FALSE"):
                self.advance()
                return n.Literal({"BOOL": word == "TRUE"}, token)
            if word == "NULL":
                self.advance()
                return n.Literal({"NULL": True}, token)
            if word == "MISSING":
                self.advance()
                return n.Missing(token)
            if word in _OPERATOR_WORDS:
                raise malformed("Unexpected operator")
            if word in KEYWORDS:
                raise malformed("Unexpected keyword")
            return self.path()
        if kind == QUOTED:
            return self.path()
        if kind in (EOF, ";", ")", "]", "}", ">>", ","):
            raise malformed("Unexpected term")
        raise malformed("Unexpected operator")

    def number(self, text: str) -> str:
        mantissa, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > _MAX_EXPONENT:
            raise malformed()
        return text

    def elements(self, closing: str, functions: frozenset[str]) -> tuple:
        self.advance()  # the opening bracket
        found: list = []
        if self.accept(closing):
            return ()
        found.append(self.expression(functions))
        while self.accept(","):
            found.append(self.expression(functions))
        self.expect(closing, "Expected " + closing)  # wording assumed
        return tuple(found)

    def map_value(self, functions: frozenset[str]) -> n.MapValue:
        token = self.advance()  # {
        entries: list = []
        if not self.accept("}"):
            while True:
                key = self.expression(functions)
                self.expect(":", "Expected :")  # wording assumed
                entries.append((key, self.expression(functions)))
                if not self.accept(","):
                    break
            self.expect("}", "Expected }")  # wording assumed
        return n.MapValue(tuple(entries), token)

    def call(self, functions: frozenset[str]) -> n.Call:
        self.operator()
        token = self.advance()
        name = token.text.lower()
        if name not in functions and functions:
            # The conformance suite's "EXISTS(path) in a WHERE is not a function" and "set_add in a
            # SELECT WHERE": the name lower-cased, placed at the name.
            raise ValidationException(f"Unrecognized function: {name} at {self.at(token)}")
        arguments = self.elements(")", functions)
        return n.Call(name, arguments, token)

    def starts_path(self) -> bool:
        token = self.token
        return token.kind == QUOTED or (token.kind == WORD and token.text.upper() not in KEYWORDS)

    def path(self) -> n.Path:
        token = self.token
        elements: list[str | int] = [self.name("Expected identifier for simple path")]
        while True:
            if self.accept("."):
                elements.append(self.name("Invalid path dot component"))
            elif self.token.kind == "[":
                self.advance()
                index = self.token
                if index.kind == NUMBER and index.text.isdigit():
                    elements.append(int(index.text))
                elif index.kind == STRING:
                    elements.append(index.text)
                else:
                    raise malformed("Invalid path component")  # wording assumed
                self.advance()
                self.expect("]", "Expected ]")  # wording assumed
            else:
                return n.Path(tuple(elements), token)
