"""ConditionExpression and FilterExpression: every comparator and function, precedence, and errors.

Semantics follow the Developer Guide ("Condition and filter expressions, operators, and functions")
where it is precise, and ScyllaDB Alternator's test_condition_expression.py (run against AWS) where
it is not: missing attributes and mismatched types make a comparison false, never an error.
"""

from __future__ import annotations

import base64
import re

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import ExpressionContext, parse_condition
from moatdb.services.dynamodb.expressions import condition as condition_module


def S(text: str) -> dict:
    return {"S": text}


def N(text: str) -> dict:
    return {"N": text}


def B(raw: bytes) -> dict:
    return {"B": base64.b64encode(raw).decode()}


def holds(text: str, item: dict | None, values: dict | None = None, names: dict | None = None) -> bool:
    return parse_condition(text, ExpressionContext(names, values)).evaluate(item)


def error(text: str, values: dict | None = None, names: dict | None = None,
          kind: str = "ConditionExpression") -> str:
    with pytest.raises(ValidationException) as raised:
        parse_condition(text, ExpressionContext(names, values), kind)
    prefix = f"Invalid {kind}: "
    assert raised.value.message.startswith(prefix)
    return raised.value.message[len(prefix):]


def operand_type(function: str, kind: str) -> str:
    return ("Incorrect operand type for operator or function; "
            f"operator or function: {function}, operand type: {kind}")


def operand_count(function: str, count: int) -> str:
    return ("Incorrect number of operands for operator or function; "
            f"operator or function: {function}, number of operands: {count}")


def not_distinct(operator: str, path: str) -> str:
    return ("The first operand must be distinct from the remaining operands for this operator or function; "
            f"operator: {operator}, first operand: {path}")


ORDERED_BOUNDS = "upper bound to be greater than or equal to lower bound"


def between_bounds(problem: str, low: str, high: str) -> str:
    return (f"The BETWEEN operator requires {problem}; "
            f"lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}")


EVERY_TYPE = [S("hello"), N("1"), B(b"xyz"), {"BOOL": True}, {"NULL": True}, {"L": [S("hello"), N("42")]},
              {"M": {"hello": S("world")}}, {"SS": ["hello", "world"]}, {"NS": ["1", "2", "3"]},
              {"BS": [base64.b64encode(b"xyz").decode()]}]


# --- comparisons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", EVERY_TYPE, ids=lambda v: next(iter(v)))
def test_a_value_equals_itself_for_every_type(value):
    assert holds("a = :v", {"a": value}, {":v": value})
    assert holds("a = b", {"a": value, "b": value})
    assert not holds("a <> :v", {"a": value}, {":v": value})


@pytest.mark.parametrize(("left", "right"), [(x, y) for x in EVERY_TYPE for y in EVERY_TYPE if x is not y])
def test_values_of_different_types_are_never_equal(left, right):
    assert not holds("a = :v", {"a": left}, {":v": right})
    assert holds("a <> :v", {"a": left}, {":v": right})


def test_sets_are_equal_whatever_their_order_even_nested():
    stored = {"M": {"d": {"L": [S("e"), {"SS": ["g", "h", "l"]}]}}}
    assert holds("a = :v", {"a": stored}, {":v": {"M": {"d": {"L": [S("e"), {"SS": ["l", "h", "g"]}]}}}})
    assert not holds("a = :v", {"a": stored}, {":v": {"M": {"d": {"L": [S("e"), {"SS": ["g", "h"]}]}}}})


def test_numbers_are_equal_by_value_not_spelling():
    assert holds("a = :v", {"a": N("1.5")}, {":v": N("1.50")})


def test_a_missing_attribute_equals_nothing_and_differs_from_everything():
    # Alternator's test_update_condition_eq_two_unset and _ne_two_unset (AWS): even two missing
    # attributes are unequal, and "<>" holds.
    assert not holds("q = :v", {}, {":v": N("1")})
    assert not holds("q = z", {})
    assert holds("q <> :v", {}, {":v": N("1")})
    assert holds("q <> z", {})


@pytest.mark.parametrize(("operator", "smaller", "larger"), [
    (op, small, large) for op in ("<", "<=", ">", ">=") for small, large in [
        (N("9"), N("10")), (N("-10"), N("-9")), (N("1.5"), N("1.50001")),
        (S("Z"), S("a")), (S("aardvark"), S("cat")), (S("é"), S("𝄞")),  # code point = UTF-8 byte order
        (B(b"\x7f"), B(b"\x80")), (B(b"ab"), B(b"abc")),  # unsigned bytes (Alternator issue #6573)
    ]
])
def test_ordering_follows_dynamodbs_order_for_numbers_strings_and_binaries(operator, smaller, larger):
    expected = operator in ("<", "<=")
    assert holds(f"a {operator} :v", {"a": smaller}, {":v": larger}) is expected
    assert holds(f"a {operator} b", {"a": smaller, "b": larger}) is expected
    assert holds(f":v {operator} a", {"a": larger}, {":v": smaller}) is expected  # a value may come first
    assert holds(f"a {operator} :v", {"a": smaller}, {":v": smaller}) is (operator in ("<=", ">="))


@pytest.mark.parametrize("text", ["a < :v", ":v < a", "q < :v", "a < b", "q < z"])
def test_ordering_is_false_when_an_operand_is_missing_or_of_another_type(text):
    assert not holds(text, {"a": N("1"), "b": S("2")}, {":v": S("17")})


def test_ordering_an_item_attribute_of_a_type_without_order_is_false_not_an_error():
    assert not holds("x < :v", {"x": {"L": [N("1")]}}, {":v": N("1")})


@pytest.mark.parametrize(("operator", "kind", "value"), [
    ("<", "BOOL", {"BOOL": True}), ("<=", "L", {"L": []}), (">", "NULL", {"NULL": True}),
    (">=", "SS", {"SS": ["a"]}), ("<", "M", {"M": {}}),
])
def test_ordering_a_value_of_a_type_without_order_is_the_requests_error(operator, kind, value):
    # Conformance suite, queryKeyConditionOperands: "an ordering comparison with a boolean operand".
    assert error(f"a {operator} :v", {":v": value}) == operand_type(operator, kind)
    assert error(f":v {operator} a", {":v": value}) == operand_type(operator, kind)


# --- BETWEEN and IN ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "low", "high", "expected"), [
    (N("5"), N("1"), N("10"), True), (N("1"), N("1"), N("10"), True), (N("10"), N("1"), N("10"), True),
    (N("0"), N("1"), N("10"), False), (N("11"), N("1"), N("10"), False),
    (S("cat"), S("aardvark"), S("dog"), True), (S("cat"), S("cat"), S("cat"), True),
    (S("zebra"), S("a"), S("b"), False),
    (B(b"cat"), B(b"aardvark"), B(b"dog"), True), (S("5"), N("1"), N("10"), False),
])
def test_between_is_inclusive_on_both_bounds(value, low, high, expected):
    assert holds("a BETWEEN :low AND :high", {"a": value}, {":low": low, ":high": high}) is expected
    assert holds("a between x and y", {"a": value, "x": low, "y": high}) is expected


def test_between_with_bounds_from_the_item_in_the_wrong_order_is_simply_false():
    assert not holds("a BETWEEN two AND :one", {"a": N("1"), "two": N("2")}, {":one": N("1")})
    assert not holds("q BETWEEN z AND x", {})


@pytest.mark.parametrize(("low", "high", "message"), [
    (N("5"), N("1"), between_bounds(ORDERED_BOUNDS, "{N:5}", "{N:1}")),
    (N("1"), S("a"), between_bounds("same data type for lower and upper bounds", "{N:1}", "{S:a}")),
    (S("b"), S("a"), between_bounds(ORDERED_BOUNDS, "{S:b}", "{S:a}")),
    ({"BOOL": False}, {"BOOL": True}, operand_type("BETWEEN", "BOOL")),
])
def test_between_bounds_given_as_values_are_checked_in_the_request(low, high, message):
    assert error("a BETWEEN :low AND :high", {":low": low, ":high": high}, kind="FilterExpression") == message


@pytest.mark.parametrize(("value", "expected"), [
    (N("74"), True), (S("dog"), True), ({"L": [N("1")]}, True), ({"SS": ["b", "a"]}, True),
    (N("174"), False), (S("cat"), False), ({"NULL": True}, False),
])
def test_in_holds_when_any_choice_equals_whatever_their_types(value, expected):
    values = {":n": N("74"), ":s": S("dog"), ":l": {"L": [N("1")]}, ":set": {"SS": ["a", "b"]}}
    assert holds("a IN (:n, :s, :l, :set)", {"a": value}, values) is expected


def test_in_compares_with_item_attributes_too_and_a_missing_subject_is_false():
    assert holds("a IN (b, c)", {"a": N("1"), "c": N("1")})
    assert not holds("q IN (b)", {"b": N("1")})


def test_in_accepts_100_operands_and_refuses_more():
    # Alternator found 99 choices (100 operands with the subject) accepted by AWS; AWS words the
    # refusal "The IN operator is provided with too many operands; number of operands: N".
    values = {f":v{i}": N(str(i)) for i in range(100)}
    accepted = dict(list(values.items())[:99])
    assert holds("a IN ({})".format(", ".join(accepted)), {"a": N("98")}, accepted)
    assert error("a IN ({})".format(", ".join(values)), values) == \
        "The IN operator is provided with too many operands; number of operands: 101"


# --- functions ---------------------------------------------------------------------------------------


def test_attribute_exists_and_not_exists_follow_nested_paths():
    item = {"b": {"M": {"x": N("1"), "y": {"L": [N("-1"), N("2")]}}}}
    assert holds("attribute_exists(b.x) AND attribute_exists(b.y[1])", item)
    assert holds("attribute_not_exists(b.z) AND attribute_not_exists(b.y[2])", item)
    assert holds("attribute_not_exists(b.x.q)", item)
    assert holds("attribute_not_exists(b[0]) AND attribute_not_exists(z)", item)
    assert holds("attribute_not_exists(p)", None)  # no item at all: the create-only idiom


@pytest.mark.parametrize("value", EVERY_TYPE, ids=lambda v: next(iter(v)))
def test_attribute_type_matches_exactly_the_values_type(value):
    kind = next(iter(value))
    assert holds("attribute_type(a, :t)", {"a": value}, {":t": S(kind)})
    other = "N" if kind != "N" else "S"
    assert not holds("attribute_type(a, :t)", {"a": value}, {":t": S(other)})
    assert not holds("attribute_type(q, :t)", {"a": value}, {":t": S(kind)})


def test_attribute_type_works_on_a_value_too():
    assert holds("attribute_type(:v, :t)", {}, {":v": N("0"), ":t": S("N")})


@pytest.mark.parametrize(("text", "expected"), [
    ("begins_with(a, :hell)", True), ("begins_with(a, :dog)", False), ("begins_with(b, :hi)", True),
    ("begins_with(b, :hell)", False), ("begins_with(:hellohi, a)", True), ("begins_with(a, c)", True),
    ("begins_with(q, :hell)", False), ("begins_with(n, :hell)", False),
])
def test_begins_with_tests_string_and_binary_prefixes_on_either_side(text, expected):
    item = {"a": S("hello"), "b": B(b"hi there"), "c": S("he"), "n": N("1")}
    values = {":hell": S("hell"), ":dog": S("dog"), ":hi": B(b"hi"), ":hellohi": S("hellohi")}
    used = {key: values[key] for key in re.findall(r":\w+", text)}
    assert holds(text, item, used or None) is expected


@pytest.mark.parametrize(("attribute", "member", "expected"), [
    (S("hello"), S("ell"), True), (S("hello"), S("dog"), False), (S("hello"), N("1"), False),
    (B(b"hi there"), B(b"here"), True), (B(b"hi there"), B(b"dog"), False),
    ({"SS": ["a", "b"]}, S("b"), True), ({"SS": ["a", "b"]}, S("c"), False),
    ({"NS": ["2", "4", "7"]}, N("4"), True), ({"NS": ["2", "4"]}, S("4"), False),
    ({"BS": [base64.b64encode(b"x").decode()]}, B(b"x"), True),
    ({"L": [N("2"), S("dog")]}, N("2"), True),
    ({"L": [S("hi"), {"SS": ["1", "2"]}]}, {"SS": ["2", "1"]}, True),
    ({"L": [{"L": [N("3"), N("4")]}]}, {"L": [N("3"), N("4")]}, True), ({"L": [N("2")]}, S("2"), False),
    ({"M": {"a": N("1")}}, S("a"), False), (N("12"), N("1"), False),
])
def test_contains_is_a_substring_test_on_strings_and_binaries_and_membership_on_collections(
        attribute, member, expected):
    assert holds("contains(a, :m)", {"a": attribute}, {":m": member}) is expected


@pytest.mark.parametrize(("value", "size"), [
    (S("hello"), 5), (S("é𝄞"), 3),  # UTF-16 code units: verified against AWS (ExtendDB issue #60)
    (B(b"hi there"), 8), (B(b""), 0), ({"SS": ["a", "b"]}, 2), ({"NS": ["2", "4", "7"]}, 3),
    ({"L": [N("2"), S("dog"), N("7")]}, 3), ({"M": {"x": N("2"), "y": {"M": {}}}}, 2),
])
def test_size_counts_characters_bytes_or_elements(value, size):
    assert holds("size(a) = :n", {"a": value}, {":n": N(str(size))})
    assert holds("size(a) > :n", {"a": value}, {":n": N(str(size - 1))})


@pytest.mark.parametrize("value", [N("5"), {"BOOL": True}, {"NULL": True}])
def test_size_of_an_attribute_without_a_size_makes_the_condition_false(value):
    assert not holds("size(a) = :n", {"a": value}, {":n": N("1")})
    assert holds("size(a) <> :n", {"a": value}, {":n": N("1")})  # no size is a missing operand: "<>" holds


def test_size_can_be_compared_with_an_attribute_or_a_value_of_any_type():
    assert holds("size(a) = f", {"a": S("hello"), "f": N("5")})
    assert not holds("size(a) = :s", {"a": S("hello")}, {":s": S("dog")})
    assert holds("size(:v) = :n", {}, {":v": S("abc"), ":n": N("3")})


# --- logic and precedence ---------------------------------------------------------------------------

ONE_TWO_THREE = {"a": N("1"), "b": N("2"), "c": N("3")}


@pytest.mark.parametrize(("text", "expected"), [
    ("a < b AND b < c", True), ("a < b aNd c < b", False),
    ("a < b OR c < b", True), ("b < a oR c < b", False),
    ("NOT b < a", True), ("nOt a < b", False), ("NOT NOT NOT NOT a < b", True),
    ("a < b OR c < b AND b < c", True),  # AND binds tighter than OR
    ("NOT a < b AND c < b", False),  # NOT binds tighter than AND
    ("NOT (a < b AND c < b)", True),
    ("b BETWEEN a AND c AND a < b", True),  # BETWEEN's AND is taken first
    ("(a < b OR b < a) AND (b < c AND (a < b OR b < c))", True),
    ("c < b OR b < a OR a < b", True), ("a < b AND b < c AND c < a", False),
])
def test_and_or_not_and_parentheses_follow_dynamodbs_precedence(text, expected):
    assert holds(text, ONE_TWO_THREE) is expected


def test_placeholders_name_any_attribute_including_reserved_words_and_dots():
    item = {"and": {"M": {"or": N("2")}}, "a.b": S("x")}
    assert holds("#n1.#n2 = :two AND #dot = :x", item, {":two": N("2"), ":x": S("x")},
                 {"#n1": "and", "#n2": "or", "#dot": "a.b"})


def test_the_same_text_is_parsed_once_and_bound_to_each_requests_values():
    parse_condition("cached = :v", ExpressionContext(None, {":v": N("1")}))
    hits = condition_module._template.cache_info().hits
    again = parse_condition("cached = :v", ExpressionContext(None, {":v": N("2")}))
    assert condition_module._template.cache_info().hits == hits + 1
    assert again.evaluate({"cached": N("2")}) and not again.evaluate({"cached": N("1")})


def test_the_condition_reports_the_attributes_it_reads():
    condition = parse_condition("a = :v AND b.c[1] = :v OR size(#d) > :v",
                                ExpressionContext({"#d": "d"}, {":v": N("1")}))
    assert condition.attributes == {"a", "b", "d"}
    assert condition.nested_attributes == {"b"}


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "values", "message"), [
    ("dog(a) = :v", {":v": N("1")}, "Invalid function name; function: dog"),
    ("if_not_exists(a, a) = :v", {":v": N("1")},
     "The function is not allowed in a condition expression; function: if_not_exists"),
    ("list_append(a, a) = :v", {":v": N("1")},
     "The function is not allowed in a condition expression; function: list_append"),
    ("if_not_exists(a) = :v", {":v": N("1")}, operand_count("if_not_exists", 1)),
    ("size(a)", None, "The function is not allowed to be used this way in an expression; function: size"),
    ("attribute_exists(a) < :v", {":v": N("1")},
     "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("begins_with(contains(a, :v), :v)", {":v": N("1")},
     "The function is not allowed to be used this way in an expression; function: contains"),
    ("a = :v AND size(b)", {":v": N("1")},
     "The function is not allowed to be used this way in an expression; function: size"),
    ("size(a, a) = :v", {":v": N("5")}, operand_count("size", 2)),
    ("attribute_exists(a, b)", None, operand_count("attribute_exists", 2)),
    ("contains(a)", None, operand_count("contains", 1)),
    ("attribute_exists(:v)", {":v": N("1")},
     "Operator or function requires a document path; operator or function: attribute_exists"),
    ("attribute_not_exists(size(a))", None,
     "Operator or function requires a document path; operator or function: attribute_not_exists"),
    ("attribute_type(a, :t)", {":t": S("DOG")},
     "Invalid attribute type name found; type: DOG, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("attribute_type(a, :t)", {":t": N("1")}, operand_type("attribute_type", "N")),
    ("attribute_type(a, b)", None, operand_type("attribute_type", "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")),
    ("begins_with(a, :v)", {":v": N("2")}, operand_type("begins_with", "N")),
    ("size(:v) = :v", {":v": N("2")}, operand_type("size", "N")),
    # ScyllaDB issue #14592 (AWS): size(size(x)) is refused for the same reason
    ("size(size(a)) = :v", {":v": N("2")}, operand_type("size", "N")),
    ("contains(a, a)", None, not_distinct("contains", "[a]")),
    ("a.b[1] = #x.b[1]", None, not_distinct("=", "[a, b, [1]]")),
    ("#x = :v", {":v": N("1")},
     "An expression attribute name used in the document path is not defined; attribute name: #x"),
    ("a = :v", None, "An expression attribute value used in expression is not defined; attribute value: :v"),
])
def test_errors_are_worded_as_dynamodb_words_them(text, values, message):
    names = {"#x": "a"} if "#x" in text and "#x = " not in text else None
    assert error(text, values, names) == message


def test_filter_expressions_name_themselves_in_their_errors():
    assert error("if_not_exists(a, a) = :v", {":v": N("1")}, kind="FilterExpression") == \
        "The function is not allowed in a filter expression; function: if_not_exists"


@pytest.mark.parametrize(("text", "values", "message"), [
    # unknown function before misused function before reserved word, wherever each is
    ("status = :v AND size(a) AND dog(b)", {":v": N("1")}, "Invalid function name; function: dog"),
    ("status = :v AND size(a)", {":v": N("1")},
     "The function is not allowed to be used this way in an expression; function: size"),
    ("#x = :v AND status = :v", {":v": N("1")},
     "Attribute name is a reserved keyword; reserved keyword: status"),
    # then the first condition with a problem; in it, an undefined placeholder first (conformance
    # suite, validation-ordering/queryKeyCondition)
    ("a = :missing AND begins_with(b, :n)", {":n": N("1")},
     "An expression attribute value used in expression is not defined; attribute value: :missing"),
    ("begins_with(b, :n) AND a = :missing", {":n": N("1")}, operand_type("begins_with", "N")),
    ("begins_with(:missing, :n)", {":n": N("1")},
     "An expression attribute value used in expression is not defined; attribute value: :missing"),
    ("size(a, b) = :n AND begins_with(a, :n)", {":n": N("1")}, operand_count("size", 2)),
    ("a = a AND begins_with(a, :n)", {":n": N("1")}, not_distinct("=", "[a]")),
])
def test_errors_are_reported_in_dynamodbs_order(text, values, message):
    assert error(text, values) == message


def test_evaluating_without_an_item_reads_every_attribute_as_missing():
    context = ExpressionContext(None, {":p": S("k")})
    condition = parse_condition("attribute_not_exists(pk) AND pk <> :p", context)
    assert condition.evaluate(None)
