"""ProjectionExpression: which parts of an item a read returns, keeping the item's shape.

Behaviour from ScyllaDB Alternator's test_projection_expression.py (run against AWS).
"""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import ExpressionContext, parse_projection

ITEM = {
    "p": {"S": "key"},
    "a": {"M": {"b": {"L": [{"N": "2"}, {"N": "4"}, {"M": {"x": {"S": "hi"}, "y": {"S": "yo"}}}]},
                "c": {"N": "5"}}},
    "b": {"S": "hello"},
    "a.b": {"S": "dotted"},
}
A = ITEM["a"]["M"]


def projected(text: str, names: dict | None = None) -> dict:
    return parse_projection(text, ExpressionContext(names, None)).apply(ITEM)


@pytest.mark.parametrize(("text", "expected"), [
    ("a", {"a": ITEM["a"]}),
    ("b, p", {"b": ITEM["b"], "p": ITEM["p"]}),
    (" b  ,   p ", {"b": ITEM["b"], "p": ITEM["p"]}),
    ("nonexistent", {}),
    ("a.b", {"a": {"M": {"b": A["b"]}}}),
    ("a.b[0]", {"a": {"M": {"b": {"L": [{"N": "2"}]}}}}),
    ("a.b[2].y", {"a": {"M": {"b": {"L": [{"M": {"y": {"S": "yo"}}}]}}}}),
    # elements projected from one list come back together, in index order, without gaps
    ("a.b[2], a.b[0]", {"a": {"M": {"b": {"L": [{"N": "2"}, A["b"]["L"][2]]}}}}),
    ("a.b[0],a.c", {"a": {"M": {"b": {"L": [{"N": "2"}]}, "c": {"N": "5"}}}}),
    ("a.c,b", {"a": {"M": {"c": {"N": "5"}}}, "b": ITEM["b"]}),
    ("a.x, a.b[0], x, a.b[3].x", {"a": {"M": {"b": {"L": [{"N": "2"}]}}}}),
])
def test_projection_keeps_the_shape_of_the_projected_parts(text, expected):
    assert projected(text) == expected


@pytest.mark.parametrize("text", ["x", "a.b[3]", "a.x", "a.x.y", "a.b[3].x", "a.b.x", "a[0]", "a.b[0].x",
                                  "a.b[0][0]", "b.c", "b[0]"])
def test_paths_that_lead_nowhere_project_nothing(text):
    assert projected(text) == {}


def test_a_placeholder_is_one_path_element_even_with_a_dot_in_it():
    assert projected("#n", {"#n": "a.b"}) == {"a.b": ITEM["a.b"]}
    assert projected("#n1.#n2", {"#n1": "a", "#n2": "c"}) == {"a": {"M": {"c": {"N": "5"}}}}


def test_the_projection_reports_its_paths_and_attributes():
    projection = parse_projection("a.b[1], #x, c", ExpressionContext({"#x": "x"}, None))
    assert projection.paths == (("a", "b", 1), ("x",), ("c",))
    assert projection.attributes == {"a", "x", "c"}
    assert projection.nested_attributes == {"a"}


def error(text: str, names: dict | None = None) -> str:
    with pytest.raises(ValidationException) as raised:
        parse_projection(text, ExpressionContext(names, None))
    return raised.value.message


@pytest.mark.parametrize(("text", "one", "two"), [
    ("a, a", "[a]", "[a]"), ("a.b, a", "[a, b]", "[a]"), ("a[1], a[1]", "[a, [1]]", "[a, [1]]"),
    ("a.b[0],a.b[0]", "[a, b, [0]]", "[a, b, [0]]"), ("a, a.b[2].c", "[a]", "[a, b, [2], c]"),
    ("a.b, a.b.d.e", "[a, b]", "[a, b, d, e]"),
])
def test_overlapping_paths_are_refused(text, one, two):
    assert error(text) == ("Invalid ProjectionExpression: Two document paths overlap with each other; "
                           f"must remove or rewrite one of these paths; path one: {one}, path two: {two}")


@pytest.mark.parametrize("text", ["a, b", "a.b, a.c", "a.b.d, a.b.e", "a[1], a[2]", "a.b, a.c[2]"])
def test_paths_sharing_only_a_prefix_are_accepted(text):
    parse_projection(text, ExpressionContext(None, None))


def test_a_path_read_as_a_map_and_as_a_list_is_a_conflict():
    assert error("a.b, a[1]") == (
        "Invalid ProjectionExpression: Two document paths conflict with each other; "
        "must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"
    )


@pytest.mark.parametrize(("text", "names", "message"), [
    ("#name", {"#wrong": "a"}, "An expression attribute name used in the document path is not defined; "
                               "attribute name: #name"),
    ("status, #n", None, "Attribute name is a reserved keyword; reserved keyword: status"),
    # the reserved word is reported before the undefined name and the overlap (dynalite, AWS)
    ("#n, a, a, name", None, "Attribute name is a reserved keyword; reserved keyword: name"),
    ("#n, a, a", None,
     "An expression attribute name used in the document path is not defined; attribute name: #n"),
])
def test_projection_errors_are_reported_in_dynamodbs_order(text, names, message):
    assert error(text, names) == f"Invalid ProjectionExpression: {message}"
