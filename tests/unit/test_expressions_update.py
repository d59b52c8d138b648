"""UpdateExpression: SET (with + - if_not_exists list_append), REMOVE, ADD, DELETE, and their errors.

Semantics: Developer Guide, "Using update expressions in DynamoDB"; where it is silent, ScyllaDB
Alternator's test_update_expression.py and dynalite's updateItem tests, both run against AWS.
"""

from __future__ import annotations

import copy

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.expressions import ExpressionContext, parse_update
from tests.helpers import L, M, N, S


def updated(text: str, item: dict, values: dict | None = None, names: dict | None = None, **options) -> dict:
    return parse_update(text, ExpressionContext(names, values)).apply(item, **options)


def failure(text: str, item: dict, values: dict | None = None, names: dict | None = None, **options) -> str:
    with pytest.raises(ValidationException) as raised:
        updated(text, item, values, names, **options)
    return raised.value.message


def error(text: str, values: dict | None = None, names: dict | None = None) -> str:
    with pytest.raises(ValidationException) as raised:
        parse_update(text, ExpressionContext(names, values))
    assert raised.value.message.startswith("Invalid UpdateExpression: ")
    return raised.value.message[len("Invalid UpdateExpression: "):]


COUNT = "Incorrect number of operands for operator or function; operator or function: "
TYPE = "Incorrect operand type for operator or function; operator or function: "
MISSING = "The provided expression refers to an attribute that does not exist in the item"
BAD_PATH = "The document path provided in the update expression is invalid for update"
BAD_TYPE = "An operand in the update expression has an incorrect data type"


# --- SET ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "before", "after"), [
    ("SET b = :v", {"a": S("hi")}, {"a": S("hi"), "b": N("4")}),
    ("SET a = :v", {"a": S("hi")}, {"a": N("4")}),
    ("SET a.c = :v", {"a": M(b=N("3"), c=N("4"))}, {"a": M(b=N("3"), c=N("4"))}),
    ("SET a.d = :v", {"a": M(b=N("3"))}, {"a": M(b=N("3"), d=N("4"))}),
    ("SET a[1] = :v", {"a": L(S("one"), S("two"), S("three"))}, {"a": L(S("one"), N("4"), S("three"))}),
    ("SET a[7] = :v", {"a": L(S("one"), S("two"))}, {"a": L(S("one"), S("two"), N("4"))}),  # appends
    ("SET a[0] = :v", {"a": L()}, {"a": L(N("4"))}),
    ("SET a.c[1].x.y[1] = :v", {"a": M(c=L(S("hi"), M(x=M(y=L(N("3"), N("5"))))))},
     {"a": M(c=L(S("hi"), M(x=M(y=L(N("3"), N("4"))))))}),
    ("SET b = a", {"a": S("hello")}, {"a": S("hello"), "b": S("hello")}),
    ("SET z = a.c.x", {"a": M(c=M(x=N("7")))}, {"a": M(c=M(x=N("7"))), "z": N("7")}),
    ("SET a = a", {"a": S("hello")}, {"a": S("hello")}),
])
def test_set_writes_a_value_at_a_top_level_or_nested_path(text, before, after):
    assert updated(text, before, {":v": N("4")} if ":v" in text else None) == after


def test_set_past_the_end_of_a_list_appends_several_in_index_order():
    # Developer Guide: "If you add multiple elements in a single SET operation, the elements are
    # sorted in order by element number." Alternator's test_nested_attribute_update_array_out_of_bounds.
    values = {":v1": S("a1"), ":v2": S("a2"), ":v3": S("a3"), ":v4": S("a4")}
    assert updated("SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4", {"a": L(S("x"))}, values) == \
        {"a": L(S("x"), S("a3"), S("a2"), S("a4"), S("a1"))}


def test_every_value_is_computed_from_the_item_as_it_was_before_the_update():
    # dynalite's "should update nested attributes", checked against AWS.
    item = {"a": S("key"), "b": M(a=N("1"), b=N("2"), c=N("3")), "c": L(N("1"), N("3"))}
    text = "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a"
    assert updated(text, item, {":a": N("2"), ":b": {"SS": ["a"]}}) == {
        "a": S("key"), "b": M(a=S("key"), b=N("2"), c=N("4")),
        "c": L(N("1"), S("key"), N("3"), N("-1"), N("2"), {"SS": ["a"]}),
    }


@pytest.mark.parametrize(("text", "item"), [
    ("SET c = z", {"a": S("x")}), ("SET c = z", {}), ("SET z = z", {"a": S("x")}),
    ("SET x = :v, y = x", {}),  # x is only written by this update
    ("SET c = a.b + :v", {"a": M()}), ("SET e = list_append(b, :l)", {}), ("SET e = list_append(:l, b)", {}),
])
def test_set_reading_an_attribute_the_item_lacks_is_refused(text, item):
    assert failure(text, item, {":v": N("1"), ":l": L()} if ":" in text else None) == MISSING


@pytest.mark.parametrize(("text", "item"), [
    ("SET a.c = :v", {"a": S("hello")}), ("SET b.c = :v", {"b": L(S("hi"))}), ("SET c.c = :v", {}),
    ("SET a[0] = :v", {"a": S("hello")}), ("SET b[0] = :v", {}), ("SET m[0] = :v", {"m": M()}),
    ("SET a[5].b = :v", {"a": L(M())}), ("SET #a.#b.#c = :v", {"topLevel": S("val")}),
])
def test_set_under_a_parent_that_is_missing_or_of_the_wrong_type_is_refused(text, item):
    names = {"#a": "missing", "#b": "nested", "#c": "deep"} if "#" in text else None
    assert failure(text, item, {":v": N("7")}, names) == BAD_PATH


@pytest.mark.parametrize(("text", "before", "after"), [
    ("SET a = a + :v", N("2"), N("5")), ("SET a = :v + a", N("2"), N("5")),
    ("SET a = a - :v", N("2"), N("-1")),
    ("SET a = :v - a", N("2.5"), N("0.5")), ("SET a = a + a", N("0.1"), N("0.2")),
])
def test_set_adds_and_subtracts_numbers_exactly(text, before, after):
    assert updated(text, {"a": before}, {":v": N("3")} if ":v" in text else None) == {"a": after}


def test_arithmetic_beyond_38_digits_is_refused_as_an_overflow():
    # Alternator's test_update_expression_plus_imprecise (AWS): 1e50 + 1 needs 51 digits.
    assert failure("SET a = a + :one", {"a": N("1" + "0" * 50)}, {":one": N("1")}) == \
        "Number overflow. Attempting to store a number with magnitude larger than supported range"


@pytest.mark.parametrize(("text", "item"), [
    ("SET e = a + :v", {"a": S("x")}), ("SET e = b - :v", {"b": M()}),
    ("SET e = list_append(d, :l)", {"d": {"NS": ["1"]}}), ("SET e = list_append(:l, d)", {"d": S("x")}),
])
def test_arithmetic_on_a_non_number_or_appending_to_a_non_list_is_refused(text, item):
    assert failure(text, item, {":v": N("1"), ":l": L()} if ":v" in text else {":l": L()}) == BAD_TYPE


def test_list_append_concatenates_in_the_order_given():
    item = {"a": L(S("hi"), N("2"))}
    assert updated("SET a = list_append(a, :v)", item, {":v": L(N("4"))}) == {"a": L(S("hi"), N("2"), N("4"))}
    assert updated("SET a = list_append(:v, a)", item, {":v": L(N("4"))}) == {"a": L(N("4"), S("hi"), N("2"))}


def test_if_not_exists_reads_the_path_when_present_and_the_fallback_otherwise():
    assert updated("SET a = if_not_exists(a, :v)", {}, values={":v": N("2")}) == {"a": N("2")}
    assert updated("SET a = if_not_exists(a, :v)", {"a": N("1")}, {":v": N("2")}) == {"a": N("1")}
    assert updated("SET b = if_not_exists(a, :v) + :v", {}, {":v": N("2")}) == {"b": N("4")}
    values = {":empty": L(), ":new": L(S("x"))}
    appended = updated("SET l = list_append(if_not_exists(l, :empty), :new)", {}, values)
    assert appended == {"l": L(S("x"))}
    assert updated("SET x = if_not_exists(b, if_not_exists(a, :v))", {"a": N("3")}, {":v": N("4")}) == \
        {"a": N("3"), "x": N("3")}


# --- REMOVE ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "before", "after"), [
    ("REMOVE a", {"a": S("x"), "b": S("y")}, {"b": S("y")}),
    ("REMOVE c", {"a": S("x")}, {"a": S("x")}),
    ("REMOVE a.b", {"a": M(b=N("1"), c=N("2"))}, {"a": M(c=N("2"))}),
    ("REMOVE a.b", {"a": M(b=N("1"))}, {"a": M()}),  # an empty map stays
    ("REMOVE a[0]", {"a": L(N("1"))}, {"a": L()}),  # an empty list stays
    ("REMOVE a[1]", {"a": L(S("a"), S("b"), S("c"), S("d"))}, {"a": L(S("a"), S("c"), S("d"))}),  # shifts
    ("REMOVE a[1], a[2]", {"a": L(S("a"), S("b"), S("c"), S("d"))}, {"a": L(S("a"), S("d"))}),
    ("REMOVE a[17]", {"a": L(N("4"), N("5"))}, {"a": L(N("4"), N("5"))}),
    ("REMOVE a.y", {"a": M(x=N("3"))}, {"a": M(x=N("3"))}),
    ("REMOVE a.c[1].x.y[1], a.c[1].q", {"a": M(c=L(S("hi"), M(x=M(y=L(N("3"), N("5"), N("7"))), q=N("2"))))},
     {"a": M(c=L(S("hi"), M(x=M(y=L(N("3"), N("7"))))))}),
])
def test_remove_deletes_attributes_map_members_and_list_elements(text, before, after):
    assert updated(text, before) == after


def test_list_indexes_name_the_elements_as_they_were_before_the_update():
    # Alternator's test_update_expression_nested_remove_list_item_original_number (AWS).
    item = {"a": L(*(N(str(n)) for n in (2, 3, 4, 5, 6, 7)))}
    expected = {"a": L(N("2"), N("4"), N("17"), N("6"), N("7"))}
    assert updated("REMOVE a[1] SET a[3] = :v", item, {":v": N("17")}) == expected
    assert updated("SET a[3] = :v REMOVE a[1]", item, {":v": N("17")}) == expected


def test_remove_under_a_missing_parent_is_refused_unless_the_item_does_not_exist():
    # Alternator: REMOVE x.y fails when the item has no x, but does nothing when there is no item.
    assert failure("REMOVE x.y", {"p": S("k")}) == BAD_PATH
    assert failure("REMOVE x[0]", {"p": S("k"), "x": S("no list")}) == BAD_PATH
    assert updated("REMOVE x.y, z[0] SET a = :v", {"p": S("k")}, {":v": N("1")}, existing=False) == \
        {"p": S("k"), "a": N("1")}


# --- ADD and DELETE ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "operand", "after"), [
    (None, N("5"), N("5")), (N("3"), N("4"), N("7")), (N("-1.5"), N("1.5"), N("0")),
    (None, {"SS": ["a", "b"]}, {"SS": ["a", "b"]}),
    ({"SS": ["a", "b"]}, {"SS": ["b", "c", "d"]}, {"SS": ["a", "b", "c", "d"]}),
    ({"NS": ["1", "2"]}, {"NS": ["2", "3"]}, {"NS": ["1", "2", "3"]}),
    ({"BS": ["AQI=", "Ag=="]}, {"BS": ["Ag==", "AQ=="]}, {"BS": ["AQI=", "Ag==", "AQ=="]}),
])
def test_add_increments_a_number_or_unites_sets_creating_them_when_missing(before, operand, after):
    item = {} if before is None else {"a": before}
    assert updated("ADD a :v", item, {":v": operand}) == {"a": after}


def test_add_reaches_into_documents_and_appends_past_the_end_of_a_list():
    item = {"m": M(n=N("1")), "l": L(N("1"))}
    assert updated("ADD m.n :one, m.s :set, l[5] :one", item, {":one": N("1"), ":set": {"SS": ["x"]}}) == \
        {"m": M(n=N("2"), s={"SS": ["x"]}), "l": L(N("1"), N("1"))}


@pytest.mark.parametrize(("stored", "operand"), [
    (S("hi"), N("1")), ({"NS": ["1"]}, N("1")), ({"SS": ["1"]}, {"NS": ["1"]}), (M(), {"NS": ["1"]}),
    (L(N("1")), {"NS": ["1"]}), (N("1"), {"NS": ["1"]}),
])
def test_add_to_an_attribute_of_another_type_is_refused(stored, operand):
    assert failure("ADD a :v", {"a": stored}, {":v": operand}) == BAD_TYPE


@pytest.mark.parametrize(("before", "operand", "after"), [
    ({"SS": ["dog", "cat", "mouse"]}, {"SS": ["cat", "mouse"]}, {"a": {"SS": ["dog"]}}),
    ({"SS": ["dog"]}, {"SS": ["pig"]}, {"a": {"SS": ["dog"]}}),
    ({"NS": ["1", "2", "3"]}, {"NS": ["1", "4"]}, {"a": {"NS": ["2", "3"]}}),
    ({"SS": ["dog"]}, {"SS": ["dog"]}, {}),  # no empty sets in DynamoDB: the attribute goes
    (None, {"SS": ["dog"]}, {}),
])
def test_delete_removes_set_members_and_the_attribute_once_empty(before, operand, after):
    item = {} if before is None else {"a": before}
    assert updated("DELETE a :v", item, {":v": operand}) == after


@pytest.mark.parametrize(("stored", "operand"), [
    ({"NS": ["1"]}, {"SS": ["1"]}), (M(a={"SS": ["1"]}), {"NS": ["1"]}), (N("1"), {"NS": ["1"]}),
])
def test_delete_from_an_attribute_of_another_type_is_refused(stored, operand):
    assert failure("DELETE a :v", {"a": stored}, {":v": operand}) == BAD_TYPE


# --- what the update reports, and never changing its input -------------------------------------------


def test_the_update_reports_its_paths_and_the_top_level_attributes_it_writes():
    update = parse_update("SET #a.b = c[1], d = :v REMOVE e[0] ADD f :v",
                          ExpressionContext({"#a": "a"}, {":v": N("1")}))
    assert update.paths == (("a", "b"), ("d",), ("e", 0), ("f",))
    assert update.attributes == {"a", "d", "e", "f"}
    assert update.nested_attributes == {"a", "c", "e"}


def test_updated_projects_an_item_onto_the_written_paths_for_return_values():
    # dynalite's UPDATED_NEW check against AWS: list paths are read where they point afterwards.
    item = {"a": S("key"), "b": M(a=N("1"), b=N("2"), c=N("3")), "c": L(N("1"), N("3"))}
    update = parse_update("set b.c = :v, b.a = a, c[1] = a, c[4] = :v, c[2] = b.c",
                          ExpressionContext(None, {":v": N("9")}))
    new = update.apply(item)
    assert update.updated(new) == {"b": M(c=N("9"), a=S("key")), "c": L(S("key"), N("3"))}
    assert update.updated(item) == {"b": M(c=N("3"), a=N("1")), "c": L(N("3"))}


def test_applying_an_update_never_changes_the_item_it_was_given():
    item = {"a": L(N("1"), {"SS": ["x"]}), "m": M(n=N("1")), "s": {"NS": ["1"]}}
    before = copy.deepcopy(item)
    updated("SET a[0] = :v REMOVE m.n ADD a[1] :ss, s :ns DELETE q :ns",
            item, {":v": N("2"), ":ss": {"SS": ["y"]}, ":ns": {"NS": ["2"]}})
    assert item == before


# --- errors in the expression ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "clause"), [
    ("set a = :v set c = :v", "SET"), ("remove d set a = :v remove e", "REMOVE"),
    ("ADD x :v SET a = :v ADD y :v", "ADD"), ("delete d :v set a = :v delete e :v", "DELETE"),
])
def test_each_clause_may_appear_once(text, clause):
    assert error(text, {":v": N("1")}) == \
        f'The "{clause}" section can only be used once in an update expression;'


@pytest.mark.parametrize(("text", "one", "two"), [
    ("SET a = :v REMOVE a", "[a]", "[a]"),
    ("SET a = :v, a.b = :v", "[a]", "[a, b]"),
    ("SET a.b.c = :v, a.b = :v", "[a, b, c]", "[a, b]"),
    ("SET a[1][1] = :v, a[1] = :v", "[a, [1], [1]]", "[a, [1]]"),
    ("SET #a1 = :v, #a2 = :v", "[a]", "[a]"),
    # dynalite (AWS): an overlap is reported even after a conflict; "#d" may name "[3]"
    ("set d[1] = :v, d.b = :v, c[1].a = :v, #c = :v", "[c, [1], a]", "[c]"),
    ("set #c[3].#d = :v, #c[3] = :v", "[c, [3], [3]]", "[c, [3]]"),
])
def test_a_path_written_twice_or_inside_another_is_an_overlap(text, one, two):
    every_name = {"#a1": "a", "#a2": "a", "#c": "c", "#d": "[3]"}
    names = {name: value for name, value in every_name.items() if name in text}
    assert error(text, {":v": N("1")}, names or None) == (
        f"Two document paths overlap with each other; must remove or rewrite one of these paths; "
        f"path one: {one}, path two: {two}"
    )


@pytest.mark.parametrize(("text", "one", "two"), [
    ("SET a.b = :v, a[1] = :v", "[a, b]", "[a, [1]]"),
    ("remove a.#c set a[1] = :v", "[a, c]", "[a, [1]]"),
    ("set #c[3].#d = :v, #c.#d[3] = :v", "[c, [3], [3]]", "[c, [3], [3]]"),
])
def test_a_path_reaching_the_same_value_as_a_map_and_as_a_list_is_a_conflict(text, one, two):
    assert error(text, {":v": N("1")}, {"#c": "c", "#d": "[3]"} if "#d" in text else {"#c": "c"}) == (
        f"Two document paths conflict with each other; must remove or rewrite one of these paths; "
        f"path one: {one}, path two: {two}"
    )


@pytest.mark.parametrize(("clause", "operand", "type_name"), [
    ("ADD", {"S": "a"}, "STRING"), ("DELETE", {"S": "a"}, "STRING"), ("ADD", {"NULL": True}, "NULL"),
    ("ADD", {"BOOL": False}, "BOOLEAN"), ("DELETE", {"B": "YQ=="}, "BINARY"), ("ADD", M(), "MAP"),
    ("ADD", L(N("1")), "LIST"), ("DELETE", N("1"), "NUMBER"),
])
def test_add_takes_a_number_or_a_set_and_delete_a_set(clause, operand, type_name):
    # dynalite's "incorrect types in UpdateExpression" (AWS): note "operator:", not "operator or function:".
    assert error(f"{clause} a.b :v", {":v": operand}) == \
        f"Incorrect operand type for operator or function; operator: {clause}, operand type: {type_name}"


@pytest.mark.parametrize(("text", "message"), [
    ("SET a = f(b, c)", "Invalid function name; function: f"),
    ("SET a = LIST_APPEND(:l, :l)", "Invalid function name; function: LIST_APPEND"),
    ("SET a = size(b)", "The function is not allowed in an update expression; function: size"),
    ("SET a = size(b, c)", f"{COUNT}size, number of operands: 2"),
    ("SET a = begins_with(b, :s)",
     "The function is not allowed in an update expression; function: begins_with"),
    ("SET a = list_append(list_append(:l, :l), :l)",
     "The function is not allowed to be used this way in an expression; function: list_append"),
    ("SET a = if_not_exists(b)", f"{COUNT}if_not_exists, number of operands: 1"),
    ("SET a = list_append(:l)", f"{COUNT}list_append, number of operands: 1"),
    ("SET a = if_not_exists(:n, b)",
     "Operator or function requires a document path; operator or function: if_not_exists"),
    ("SET a = list_append(:s, a)", f"{TYPE}list_append, operand type: S"),
    ("SET a = list_append(a, :n)", f"{TYPE}list_append, operand type: N"),
    ("SET a = a + :s", f"{TYPE}+, operand type: S"),
    ("SET a = :l - a", f"{TYPE}-, operand type: L"),
    ("SET #x = :n",
     "An expression attribute name used in the document path is not defined; attribute name: #x"),
    ("SET a = :missing",
     "An expression attribute value used in expression is not defined; attribute value: :missing"),
])
def test_function_and_placeholder_errors_are_worded_as_dynamodb_words_them(text, message):
    assert error(text, {":l": L(), ":n": N("1"), ":s": S("x")}) == message


@pytest.mark.parametrize(("text", "message"), [
    # reserved word first, then unknown function, then a repeated clause (dynalite, AWS)
    ("SET a = f(b) SET status = :n", "Attribute name is a reserved keyword; reserved keyword: status"),
    ("SET #c = if_not_exist(:c) SET c = d", "Invalid function name; function: if_not_exist"),
    ("SET #x = :missing SET a = :n", 'The "SET" section can only be used once in an update expression;'),
    # then any undefined name before any undefined value, wherever each is written
    ("SET a = :missing, #x = :n", "An expression attribute name used in the document path is not defined; "
                                  "attribute name: #x"),
    # then overlapping paths, then ADD and DELETE operands, then function operands
    ("SET a = list_append(:n, a), b = if_not_exists(a) ADD a.b :s",
     "Two document paths overlap with each other; must remove or rewrite one of these paths; "
     "path one: [a], path two: [a, b]"),
    ("SET b = list_append(:s, a), c = if_not_exists(a) ADD a.b :s",
     "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
])
def test_errors_are_reported_in_dynamodbs_order(text, message):
    assert error(text, {":n": N("1"), ":s": S("x"), ":c": S("c")}) == message
