"""The expression grammar's errors: syntax errors with DynamoDB's token and "near" text, redundant
parentheses, and the limits on an expression's text. Expected messages are AWS's own, as captured by
dynalite, ScyllaDB Alternator, moto and the dynamodb-conformance suite (cited per case)."""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import (
    ExpressionContext,
    parse_condition,
    parse_projection,
    parse_update,
)
from moatdb.services.dynamodb.expressions.reserved import RESERVED_WORDS

ANY_VALUES = {f":{name}": {"N": "1"} for name in ("v", "w", "a", "b", "c", "val1", "val2", "x", "y", "one")}


def error_of(parse, text: str, values: dict | None = None) -> str:
    with pytest.raises(ValidationException) as raised:
        parse(text, ExpressionContext(None, values))
    return raised.value.message


@pytest.mark.parametrize(("text", "message"), [
    # conformance suite, tier3/error-messages/updateItem: the first token has no token before it
    ("INVALID SYNTAX HERE", 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
    # moto's exceptions tests (AWS): a trailing comma ends at <EOF>, near the comma alone
    ("SET #a = :val1, #b = :val2,", 'Syntax error; token: "<EOF>", near: ","'),
    # Alternator's test_update_expression_name_token: names cannot start with "_" or a digit
    ("SET _123 = :val1", 'Syntax error; token: "_", near: "SET _123"'),
    ("SET path = VALUE 1", 'Syntax error; token: "1", near: "VALUE 1"'),
    ("SET a = b / c", 'Syntax error; token: "/", near: "b / c"'),
    ("SET", 'Syntax error; token: "<EOF>", near: "SET"'),
    ("SET a = ", 'Syntax error; token: "<EOF>", near: "= "'),
    ("whatever", 'Syntax error; token: "whatever", near: "whatever"'),
    ("set a=set", 'Syntax error; token: "set", near: "=set"'),
    ("remove a = b", 'Syntax error; token: "=", near: "a = b"'),
    ("add a = b", 'Syntax error; token: "=", near: "a = b"'),
    ("delete a b", 'Syntax error; token: "b", near: "a b"'),
    ("set :a = b", 'Syntax error; token: ":a", near: "set :a ="'),
    ('set a[1] = "eight"', 'Syntax error; token: ""eight"", near: "= "eight""'),
    ("set a = b + c + d", 'Syntax error; token: "+", near: "c + d"'),
    ("set a = (b.c).d + e", 'Syntax error; token: ".", near: ").d"'),
    ("set a[:i] = :v", 'Syntax error; token: ":i", near: "[:i]"'),
    ("set a = if_not_exists(c, :v+:w)", 'Syntax error; token: "+", near: ":v+:w"'),
])
def test_an_update_syntax_error_names_the_token_and_what_surrounds_it(text, message):
    assert error_of(parse_update, text, ANY_VALUES) == f"Invalid UpdateExpression: {message}"


@pytest.mark.parametrize(("text", "message"), [
    # a real ConditionExpression error (LowVoltage's tests against AWS)
    ("foo", 'Syntax error; token: "<EOF>", near: "foo"'),
    ("a = :v :w", 'Syntax error; token: ":w", near: ":v :w"'),
    ("a == :v", 'Syntax error; token: "=", near: "== :v"'),
    ("a > 4", 'Syntax error; token: "4", near: "> 4"'),
    ("a IN ()", 'Syntax error; token: ")", near: "()"'),
    ("attribute_exists a", 'Syntax error; token: "a", near: "attribute_exists a"'),
    ("a = :v AND", 'Syntax error; token: "<EOF>", near: "AND"'),
    ("a AND b = :v", 'Syntax error; token: "AND", near: "a AND b"'),
    ("NOT a", 'Syntax error; token: "<EOF>", near: "a"'),
    ("(a = :v", 'Syntax error; token: "<EOF>", near: ":v"'),
    ("a.set = :v", 'Syntax error; token: "set", near: ".set ="'),
    ("a[-1] = :v", 'Syntax error; token: "-", near: "[-1"'),
    ("f() = :v", 'Syntax error; token: ")", near: "() ="'),
    ("a = :v !", 'Syntax error; token: "!", near: ":v !"'),
])
def test_a_condition_syntax_error_names_the_token_and_what_surrounds_it(text, message):
    assert error_of(parse_condition, text, ANY_VALUES) == f"Invalid ConditionExpression: {message}"


@pytest.mark.parametrize(("text", "message"), [
    ("a b", 'Syntax error; token: "b", near: "a b"'),
    ("a,", 'Syntax error; token: "<EOF>", near: ","'),
    (",a", 'Syntax error; token: ",", near: ",a"'),
    ("a,,b", 'Syntax error; token: ",", near: ",,b"'),
    ("(a)", 'Syntax error; token: "(", near: "(a"'),
    ("size(a)", 'Syntax error; token: "(", near: "size(a"'),
])
def test_a_projection_syntax_error_names_the_token_and_what_surrounds_it(text, message):
    assert error_of(parse_projection, text) == f"Invalid ProjectionExpression: {message}"


@pytest.mark.parametrize("text", [
    "((a = :v))",
    "((a)) = :v",
    "(((a)) = :v)",
    "a = ((:v))",
    "((attribute_exists(a)))",
    "((size(a))) = :v",
    "begins_with(((a)), :v)",
    # KeyConditionExpression shares the grammar: one extra level is allowed, two are not
    "((c = :v) AND ((a = :v)))",
])
def test_two_pairs_of_parentheses_around_one_thing_are_redundant(text):
    assert error_of(parse_condition, text, ANY_VALUES) == \
        "Invalid ConditionExpression: The expression has redundant parentheses;"


@pytest.mark.parametrize("text", ["SET a = ((b + c))", "SET a = ((b)) + c", "SET a = b + ((c))"])
def test_redundant_parentheses_are_refused_in_updates_too(text):
    assert error_of(parse_update, text) == \
        "Invalid UpdateExpression: The expression has redundant parentheses;"


@pytest.mark.parametrize("text", ["(a = :v)", "(a) = :v", "((a) = :v)", "((c = :v) AND (a = :v))",
                                  "(a = :v OR b = :w) AND (c = :x)"])
def test_one_pair_of_parentheses_at_each_level_is_accepted(text):
    parse_condition(text, ExpressionContext(None, ANY_VALUES))


def test_a_redundant_pair_around_a_first_operand_not_followed_by_a_comparator_is_a_syntax_error():
    # The grammar cannot know "((a))" is an operand until a comparator follows it.
    assert error_of(parse_condition, "((a)) b") == \
        'Invalid ConditionExpression: Syntax error; token: "b", near: ") b"'


@pytest.mark.parametrize(("parse", "kind"), [(parse_condition, "ConditionExpression"),
                                             (parse_update, "UpdateExpression"),
                                             (parse_projection, "ProjectionExpression")])
@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_expression_is_refused(parse, kind, text):
    assert error_of(parse, text) == f"Invalid {kind}: The expression can not be empty;"


def test_an_expression_over_4_kb_is_refused_with_its_size():
    # Developer Guide, "Service, account, and table quotas": 4 KB, counted on the text as sent.
    text = " OR ".join(f"attr{i:03} = :v" for i in range(300))
    assert error_of(parse_condition, text) == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
        f"expression size: {len(text)}"
    )


def test_more_than_300_operators_are_refused_with_their_count():
    text = " AND ".join(["a = :v"] * 151)  # 151 comparisons and 150 ANDs
    assert error_of(parse_condition, text, ANY_VALUES) == \
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"


def test_a_document_path_deeper_than_32_levels_is_refused():
    # Alternator's test_projection_expression: 32 levels work, 33 do not.
    parse_projection("a" + ".b" * 31, ExpressionContext(None, None))
    assert error_of(parse_projection, "a" + ".b" * 32) == \
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"


def test_thousands_of_nested_parentheses_end_in_an_error_not_a_crash():
    assert error_of(parse_condition, "(" * 2000 + "a = :v" + ")" * 2000, ANY_VALUES) == \
        "Invalid ConditionExpression: The expression has redundant parentheses;"


def test_the_reserved_word_list_is_dynamodbs_573_words():
    # Developer Guide, "Reserved words in DynamoDB".
    assert len(RESERVED_WORDS) == 573
    assert {"STATUS", "NAME", "SIZE", "KEY", "TTL", "ZONE"} <= RESERVED_WORDS


@pytest.mark.parametrize(("parse", "text", "word"), [
    (parse_condition, "status = :v", "status"),
    (parse_condition, "a.Name = :v", "Name"),
    (parse_update, " set #c = :c set abOrt = true ", "abOrt"),  # dynalite: before the repeated SET
    (parse_update, " remove Absolute ", "Absolute"),
    (parse_projection, "a, b.ttl", "ttl"),
])
def test_a_reserved_word_used_bare_is_quoted_as_written(parse, text, word):
    message = error_of(parse, text, ANY_VALUES)
    assert message.endswith(f": Attribute name is a reserved keyword; reserved keyword: {word}")


def test_keywords_are_case_insensitive_and_function_names_are_not():
    context = ExpressionContext(None, {":v": {"S": "a"}, ":w": {"S": "b"}})
    parse_condition("a BeTwEeN :v aNd :w oR NoT a = :v", context)
    assert error_of(parse_condition, "BEGINS_WITH(a, :v)", {":v": {"S": "a"}}) == \
        "Invalid ConditionExpression: Invalid function name; function: BEGINS_WITH"
