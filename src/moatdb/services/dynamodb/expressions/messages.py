"""DynamoDB's wording for expression errors, and the exception that carries one through parsing.

Sources: dynalite's tests and parsers (messages captured from AWS), ScyllaDB Alternator's tests
(run against AWS), the dynamodb-conformance suite (captured from AWS), and the DynamoDB Developer
Guide. Expression errors are reported as ``Invalid <ExpressionKind>: <message>``; errors found
while applying an update to an item have no prefix.
"""

from __future__ import annotations

from moatdb.errors import ValidationException


class ExpressionError(Exception):
    """A problem with an expression's text, worded without the ``Invalid <Kind>:`` prefix.

    Raised deep in the parser and checkers, which do not know which parameter they are reading;
    the public ``parse_*`` functions add the prefix and turn it into a ``ValidationException``.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def invalid(kind: str, message: str) -> ValidationException:
    return ValidationException(f"Invalid {kind}: {message}")


EMPTY = "The expression can not be empty;"
REDUNDANT_PARENTHESES = "The expression has redundant parentheses;"
# Developer Guide, "Service, account, and table quotas": expression strings are limited to 4 KB and
# to 300 operators or functions; document paths to 32 levels.
MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_PATH_DEPTH = 32
MAX_IN_OPERANDS = 100

# Raised while applying an update to an item (no "Invalid UpdateExpression:" prefix).
MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
INVALID_UPDATE_PATH = "The document path provided in the update expression is invalid for update"
INCORRECT_DATA_TYPE = "An operand in the update expression has an incorrect data type"


def syntax(token: str, near: str) -> str:
    return f'Syntax error; token: "{token}", near: "{near}"'


def too_large(size: int) -> str:
    return f"Expression size has exceeded the maximum allowed size; expression size: {size}"


def too_many_operators(count: int) -> str:
    return f"The expression contains too many operators; operator count: {count}"


def too_deep(levels: int) -> str:
    return f"The document path has too many nesting levels; nesting levels: {levels}"


def reserved(word: str) -> str:
    return f"Attribute name is a reserved keyword; reserved keyword: {word}"


def undefined_name(name: str) -> str:
    return ("An expression attribute name used in the document path is not defined; "
            f"attribute name: {name}")


def undefined_value(name: str) -> str:
    return f"An expression attribute value used in expression is not defined; attribute value: {name}"


def unknown_function(name: str) -> str:
    return f"Invalid function name; function: {name}"


def function_not_allowed(name: str, where: str) -> str:
    return f"The function is not allowed in {where}; function: {name}"


def misused_function(name: str) -> str:
    return f"The function is not allowed to be used this way in an expression; function: {name}"


def operand_count(name: str, count: int) -> str:
    return ("Incorrect number of operands for operator or function; "
            f"operator or function: {name}, number of operands: {count}")


def operand_type(name: str, type_name: str) -> str:
    return ("Incorrect operand type for operator or function; "
            f"operator or function: {name}, operand type: {type_name}")


def requires_path(name: str) -> str:
    return f"Operator or function requires a document path; operator or function: {name}"


def not_distinct(operator: str, path: str) -> str:
    return (
        "The first operand must be distinct from the remaining operands for this operator or function; "
        f"operator: {operator}, first operand: {path}"
    )


def overlap(one: str, two: str) -> str:
    return ("Two document paths overlap with each other; must remove or rewrite one of these paths; "
            f"path one: {one}, path two: {two}")


def conflict(one: str, two: str) -> str:
    return ("Two document paths conflict with each other; must remove or rewrite one of these paths; "
            f"path one: {one}, path two: {two}")
