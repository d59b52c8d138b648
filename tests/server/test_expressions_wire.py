"""Expressions over the wire: UpdateExpression semantics, ProjectionExpression on GetItem, and the
errors of expressions and of their ExpressionAttributeNames/Values, as a boto3 user sees them.

Ground truth: Developer Guide, "Using expressions in DynamoDB" (update, projection and condition
expressions, expression attribute names and values); exact messages and edge cases from dynalite's
test/*.js and ScyllaDB Alternator's test/alternator/*.py, both run against AWS.
"""

from __future__ import annotations

import pytest

from tests.helpers import INVALID, L, M, N, S, error, invalid, stored

MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
INVALID_PATH = "The document path provided in the update expression is invalid for update"
INCORRECT_TYPE = "An operand in the update expression has an incorrect data type"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"


# Not test_item_values' unordered (one value, sets at every depth): a whole item, top-level sets only.
def sets_sorted(item: dict) -> dict:
    """The item with its top-level sets' members sorted (DynamoDB keeps no order in a set)."""
    return {name: {tag: sorted(member) if tag in ("SS", "NS", "BS") else member for tag, member in value.items()}
            for name, value in item.items()}


KEY = {"pk": S("u")}
BEFORE = {
    **KEY, "n": N("10"), "s": S("str"), "l": L(S("a"), S("b"), S("c"), S("d")),
    "m": M(x=N("1"), child=M()), "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]},
}


def update(ddb, table: str, expression: str, values: dict | None = None, names: dict | None = None, **extra):
    params = {"TableName": table, "Key": KEY, "UpdateExpression": expression, **extra}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    return ddb.update_item(**params)


# --- UpdateExpression semantics ----------------------------------------------------------------


@pytest.mark.parametrize(("expression", "values", "changes"), [
    # SET, with arithmetic on numbers (exact decimals, DynamoDB's spelling of the result)
    ("SET n = n + :v", {":v": N("0.5")}, {"n": N("10.5")}),
    ("SET n = n - :v", {":v": N("10.25")}, {"n": N("-0.25")}),
    ("SET n = :a - :b", {":a": N("1"), ":b": N("3")}, {"n": N("-2")}),
    ("SET c = n, n = s", None, {"c": N("10"), "n": S("str")}),  # values come from the item before
    ("SET m.x = m.x + :one", {":one": N("1")}, {"m": M(x=N("2"), child=M())}),
    # if_not_exists
    ("SET q = if_not_exists(n, :d)", {":d": N("0")}, {"q": N("10")}),
    ("SET q = if_not_exists(nope, :d)", {":d": N("0")}, {"q": N("0")}),
    ("SET c = if_not_exists(c, :z) + :one", {":z": N("0"), ":one": N("1")}, {"c": N("1")}),
    ("SET q = if_not_exists(m.x, :d)", {":d": N("0")}, {"q": N("1")}),
    # list_append, either way round
    ("SET l = list_append(l, :e)", {":e": L(S("z"))}, {"l": L(S("a"), S("b"), S("c"), S("d"), S("z"))}),
    ("SET l = list_append(:e, l)", {":e": L(S("z"))}, {"l": L(S("z"), S("a"), S("b"), S("c"), S("d"))}),
    ("SET e = list_append(if_not_exists(e, :empty), :e)", {":empty": L(), ":e": L(N("1"))}, {"e": L(N("1"))}),
    # nested map paths and list indexes
    ("SET m.child.deep = :v", {":v": S("D")}, {"m": M(x=N("1"), child=M(deep=S("D")))}),
    ("SET m.y = :v", {":v": L()}, {"m": M(x=N("1"), child=M(), y=L())}),
    ("SET l[1] = :v", {":v": S("B")}, {"l": L(S("a"), S("B"), S("c"), S("d"))}),
    # past the end appends, several in index order
    ("SET l[9] = :e, l[7] = :f", {":e": S("E"), ":f": S("F")},
     {"l": L(S("a"), S("b"), S("c"), S("d"), S("F"), S("E"))}),
    ("SET #a.#b = :v", {":v": N("5")}, {"m": M(x=N("5"), child=M())}),
    # REMOVE, including list indexes: the indexes name elements as they were before the update
    ("REMOVE s, nope", None, {"s": None}),
    ("REMOVE m.x", None, {"m": M(child=M())}),
    ("REMOVE l[0], l[2]", None, {"l": L(S("b"), S("d"))}),
    ("REMOVE l[1] SET l[3] = :v", {":v": S("D")}, {"l": L(S("a"), S("c"), S("D"))}),
    ("REMOVE l[10]", None, {}),
    # ADD: numbers (a missing attribute counts as 0) and sets (a missing attribute as an empty set)
    ("ADD n :v", {":v": N("-15")}, {"n": N("-5")}),
    ("ADD newn :v", {":v": N("2.50")}, {"newn": N("2.5")}),
    ("ADD ss :v", {":v": {"SS": ["b", "c"]}}, {"ss": {"SS": ["a", "b", "c"]}}),
    ("ADD ns :v", {":v": {"NS": ["2.0", "3"]}}, {"ns": {"NS": ["1", "2", "3"]}}),
    ("ADD bs :v", {":v": {"BS": [b"\x02"]}}, {"bs": {"BS": [b"\x01", b"\x02"]}}),
    ("ADD newset :v", {":v": {"SS": ["q"]}}, {"newset": {"SS": ["q"]}}),
    # DELETE from sets; emptying a set removes the attribute (DynamoDB has no empty sets)
    ("DELETE ss :v", {":v": {"SS": ["a", "zzz"]}}, {"ss": {"SS": ["b"]}}),
    ("DELETE ns :v", {":v": {"NS": ["1.0"]}}, {"ns": {"NS": ["2"]}}),
    ("DELETE ss :v", {":v": {"SS": ["a", "b"]}}, {"ss": None}),
    ("DELETE nope :v", {":v": {"SS": ["a"]}}, {}),
    # all four clauses at once, in any order
    ("ADD n :one DELETE ss :a REMOVE s SET t = :t", {":one": N("1"), ":a": {"SS": ["a"]}, ":t": {"BOOL": True}},
     {"n": N("11"), "ss": {"SS": ["b"]}, "s": None, "t": {"BOOL": True}}),
])
def test_update_expressions_change_the_item_as_dynamodb_does(ddb, hash_table, expression, values, changes):
    ddb.put_item(TableName=hash_table, Item=BEFORE)
    names = {"#a": "m", "#b": "x"} if "#a" in expression else None
    update(ddb, hash_table, expression, values, names)
    expected = {**BEFORE, **changes}
    expected = {name: value for name, value in expected.items() if value is not None}
    assert sets_sorted(stored(ddb, hash_table, KEY)) == sets_sorted(expected)


@pytest.mark.parametrize(("expression", "values", "message"), [
    ("SET n = nope + :one", {":one": N("1")}, MISSING_ATTRIBUTE),
    ("SET n = m.nope", None, MISSING_ATTRIBUTE),
    ("SET l = list_append(nope, :e)", {":e": L()}, MISSING_ATTRIBUTE),
    ("SET s = s + :one", {":one": N("1")}, INCORRECT_TYPE),
    ("SET l = list_append(s, :e)", {":e": L()}, INCORRECT_TYPE),
    ("ADD s :one", {":one": N("1")}, INCORRECT_TYPE),
    ("ADD ss :v", {":v": {"NS": ["1"]}}, INCORRECT_TYPE),
    ("DELETE ns :v", {":v": {"SS": ["1"]}}, INCORRECT_TYPE),
    ("SET nope.x = :v", {":v": S("x")}, INVALID_PATH),
    ("SET s.x = :v", {":v": S("x")}, INVALID_PATH),
    ("SET l.x = :v", {":v": S("x")}, INVALID_PATH),
    ("SET m[0] = :v", {":v": S("x")}, INVALID_PATH),
    ("SET l[1].x = :v", {":v": S("x")}, INVALID_PATH),
    ("SET m.child.a.b = :v", {":v": S("x")}, INVALID_PATH),
    ("REMOVE nope.deeper", None, INVALID_PATH),
    # a sum needing more than 38 digits (Alternator test_update_expression_plus_imprecise)
    ("SET n = n + :big", {":big": N("1E50")}, OVERFLOW),
])
def test_an_update_that_does_not_fit_the_item_is_refused_and_changes_nothing(ddb, hash_table, expression, values,
                                                                            message):
    ddb.put_item(TableName=hash_table, Item=BEFORE)
    assert error(update, ddb, hash_table, expression, values) == invalid(message)
    assert stored(ddb, hash_table, KEY) == BEFORE


@pytest.mark.parametrize("expression", [
    "SET pk = :v", "SET #k = :v", "REMOVE sk", "ADD pk :n", "DELETE sk :s", "SET pk.x = :v", "SET a = :v, sk = :v",
])
def test_updating_a_key_attribute_is_refused(ddb, table, expression):
    key = {"pk": S("p"), "sk": S("s")}
    ddb.put_item(TableName=table, Item=key)
    values = {name: value for name, value in {":v": S("x"), ":n": N("1"), ":s": {"SS": ["x"]}}.items()
              if name in expression}
    params = {"TableName": table, "Key": key, "UpdateExpression": expression}
    if values:
        params["ExpressionAttributeValues"] = values
    if "#k" in expression:
        params["ExpressionAttributeNames"] = {"#k": "sk"}
    attribute = "pk" if "pk" in expression else "sk"
    assert error(ddb.update_item, **params) == invalid(
        f"{INVALID}Cannot update attribute {attribute}. This attribute is part of the key")
    assert stored(ddb, table, key) == key


# --- UpdateExpression and ConditionExpression text errors --------------------------------------


def syntax(kind: str, token: str, near: str) -> str:
    return f'Invalid {kind}: Syntax error; token: "{token}", near: "{near}"'


@pytest.mark.parametrize(("expression", "values", "message"), [
    # Captured against DynamoDB: moto's reserved-words docstring ("VALUE 1"), Alternator
    # test_update_expression_name_token ("_123"), a DynamoDB Local session ("Invalid-Name").
    ("SET a = VALUE 1", None, syntax("UpdateExpression", "1", "VALUE 1")),
    ("SET _123 = :v", {":v": N("1")}, syntax("UpdateExpression", "_", "SET _123")),
    ("SET Invalid-Name = :v", {":v": N("1")}, syntax("UpdateExpression", "-", "Invalid-Name")),
    ("SET", None, syntax("UpdateExpression", "<EOF>", "SET")),
    ("SET a = :v,", {":v": N("1")}, syntax("UpdateExpression", "<EOF>", ",")),
    ("SET a :v", {":v": N("1")}, syntax("UpdateExpression", ":v", "a :v")),
    ("UPDATE a = :v", {":v": N("1")}, syntax("UpdateExpression", "UPDATE", "UPDATE a")),
    ("", None, "Invalid UpdateExpression: The expression can not be empty;"),
    ("SET a = :v SET b = :v", {":v": N("1")},
     'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    ("SET a = :v REMOVE a", {":v": N("1")},
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these"
     " paths; path one: [a], path two: [a]"),
    ("SET name = :v", {":v": N("1")},
     "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    ("SET a = :nope", {":v": N("1")},
     "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute"
     " value: :nope"),
    ("SET #nope = :v", {":v": N("1")},
     "Invalid UpdateExpression: An expression attribute name used in the document path is not defined;"
     " attribute name: #nope"),
    ("SET a = foo(b)", None, "Invalid UpdateExpression: Invalid function name; function: foo"),
    ("ADD a :v", {":v": S("x")},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type:"
     " STRING"),
    ("SET a = :v + :w", {":v": N("1"), ":w": S("x")},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +,"
     " operand type: S"),
])
def test_update_expression_errors_are_worded_as_dynamodb_words_them(ddb, hash_table, expression, values, message):
    assert error(update, ddb, hash_table, expression, values) == invalid(message)


@pytest.mark.parametrize(("condition", "message"), [
    ("a = ", syntax("ConditionExpression", "<EOF>", "= ")),
    ("a = :v AND", syntax("ConditionExpression", "<EOF>", "AND")),
    ("a == :v", syntax("ConditionExpression", "=", "== :v")),
    ("size = :v", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    ("foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"),
    ("contains(a)", "Invalid ConditionExpression: Incorrect number of operands for operator or function;"
                    " operator or function: contains, number of operands: 1"),
    ("a = :nope", "Invalid ConditionExpression: An expression attribute value used in expression is not defined;"
                  " attribute value: :nope"),
])
@pytest.mark.parametrize("operation", ["put_item", "update_item", "delete_item"])
def test_condition_expression_errors_are_worded_as_dynamodb_words_them(ddb, hash_table, operation, condition,
                                                                      message):
    params = {"TableName": hash_table, "ConditionExpression": condition}
    if ":v" in condition:
        params["ExpressionAttributeValues"] = {":v": N("1")}
    if operation == "put_item":
        params["Item"] = KEY
    else:
        params["Key"] = KEY
    assert error(getattr(ddb, operation), **params) == invalid(message)
    assert stored(ddb, hash_table, KEY) is None


# --- ProjectionExpression on GetItem -----------------------------------------------------------

ITEM = {**KEY, "a": M(b=L(S("x"), M(c=N("1"), d=N("2")), S("z")), e=S("E")), "f": L(N("0"), N("1"), N("2")),
        "g": S("G"), "dot.ted": S("literal")}


@pytest.mark.parametrize(("projection", "names", "expected"), [
    ("g", None, {"g": S("G")}),
    ("pk, g", None, {**KEY, "g": S("G")}),
    ("a.e", None, {"a": M(e=S("E"))}),
    ("a.b[1].c, f[2], g", None, {"a": M(b=L(M(c=N("1")))), "f": L(N("2")), "g": S("G")}),
    ("a.b[0], a.b[2]", None, {"a": M(b=L(S("x"), S("z")))}),
    ("a.b[0], a.e", None, {"a": M(b=L(S("x")), e=S("E"))}),
    ("#a.#b[2], #dot", {"#a": "a", "#b": "b", "#dot": "dot.ted"}, {"a": M(b=L(S("z"))), "dot.ted": S("literal")}),
    ("#n", {"#n": "name"}, {}),
    # paths that lead nowhere are left out; an item with none of them is an empty Item
    ("nope", None, {}),
    ("f[5]", None, {}),
    ("a.nope.deeper", None, {}),
    ("a.b.x", None, {}),
    ("a[0]", None, {}),
    ("a.x, a.b[0], x, a.b[3].x", None, {"a": M(b=L(S("x")))}),
])
def test_get_item_projections_return_only_the_paths_asked_for(ddb, hash_table, projection, names, expected):
    # Alternator test_projection_expression.py (run on AWS): test_projection_expression_path.
    ddb.put_item(TableName=hash_table, Item=ITEM)
    params = {"ExpressionAttributeNames": names} if names else {}
    reply = ddb.get_item(TableName=hash_table, Key=KEY, ProjectionExpression=projection, **params)
    assert reply["Item"] == expected


def test_a_projection_of_a_missing_item_returns_no_item(ddb, hash_table):
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=KEY, ProjectionExpression="a")


@pytest.mark.parametrize(("projection", "names", "message"), [
    ("", None, "Invalid ProjectionExpression: The expression can not be empty;"),
    ("a,", None, syntax("ProjectionExpression", "<EOF>", ",")),
    ("a,,b", None, syntax("ProjectionExpression", ",", ",,b")),
    ("a b", None, syntax("ProjectionExpression", "b", "a b")),
    ("a, a", None, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite"
                   " one of these paths; path one: [a], path two: [a]"),
    ("a, a.b", None, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or"
                     " rewrite one of these paths; path one: [a], path two: [a, b]"),
    ("a.b, a[1]", None, "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or"
                        " rewrite one of these paths; path one: [a, b], path two: [a, [1]]"),
    ("name", None, "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    ("#q", {"#n": "v"}, "Invalid ProjectionExpression: An expression attribute name used in the document path is"
                        " not defined; attribute name: #q"),
    ("#n", {"#n": "v", "#m": "w"}, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#m}"),
])
def test_projection_errors_are_worded_as_dynamodb_words_them(ddb, hash_table, projection, names, message):
    params = {"ExpressionAttributeNames": names} if names else {}
    assert error(ddb.get_item, TableName=hash_table, Key=KEY, ProjectionExpression=projection, **params) == (
        invalid(message))


# --- ExpressionAttributeNames and ExpressionAttributeValues ------------------------------------


def request(operation: str, table: str, **extra) -> dict:
    params = {"TableName": table, **extra}
    if operation == "put_item":
        params["Item"] = KEY
    else:
        params["Key"] = KEY
    return params


@pytest.mark.parametrize("operation", ["put_item", "get_item", "update_item", "delete_item"])
def test_names_without_an_expression_are_refused(ddb, hash_table, operation):
    params = request(operation, hash_table, ExpressionAttributeNames={"#a": "a"})
    assert error(getattr(ddb, operation), **params) == invalid(
        "ExpressionAttributeNames can only be specified when using expressions")


@pytest.mark.parametrize(("operation", "message"), [
    ("put_item", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is"
                 " null"),
    ("delete_item", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is"
                    " null"),
    ("update_item", "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and"
                    " ConditionExpression are null"),
])
def test_values_without_an_expression_are_refused(ddb, hash_table, operation, message):
    params = request(operation, hash_table, ExpressionAttributeValues={":v": S("x")})
    assert error(getattr(ddb, operation), **params) == invalid(message)
    assert stored(ddb, hash_table, KEY) is None


@pytest.mark.parametrize(("extra", "message"), [
    ({"ExpressionAttributeValues": {":v": S("x"), ":x": S("unused")}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"),
    ({"ExpressionAttributeValues": {":v": S("x")}, "ExpressionAttributeNames": {"#unused": "a"}},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"),
    ({"ExpressionAttributeValues": {":v": S("x")}, "ExpressionAttributeNames": {}},
     "ExpressionAttributeNames must not be empty"),
    ({"ExpressionAttributeValues": {":v": S("x"), "x": S("y")}},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "x"'),
    ({"ExpressionAttributeValues": {":v": S("x")}, "ExpressionAttributeNames": {"a": "a"}},
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ({"ExpressionAttributeValues": {":v": {"NULL": False}}},
     f"ExpressionAttributeValues contains invalid value: {INVALID}Null attribute value types must have the value of"
     " true for key :v"),
    ({"ExpressionAttributeValues": {":v": N("1E126")}},
     f"ExpressionAttributeValues contains invalid value: {OVERFLOW} for key :v"),
    ({"ExpressionAttributeValues": {":v": {"SS": []}}},
     f"ExpressionAttributeValues contains invalid value: {INVALID}An string set  may not be empty for key :v"),
])
def test_badly_formed_names_and_values_are_refused(ddb, hash_table, extra, message):
    assert error(update, ddb, hash_table, "SET a = :v", **extra) == invalid(message)
    assert stored(ddb, hash_table, KEY) is None


def test_names_and_values_shared_by_the_update_and_the_condition_are_all_used(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={**KEY, "count": N("1")})
    update(ddb, hash_table, "SET #c = #c + :one", {":one": N("1"), ":max": N("5")}, {"#c": "count"},
           ConditionExpression="#c < :max")
    assert stored(ddb, hash_table, KEY)["count"] == N("2")


# --- expressions are checked before the table is looked up -------------------------------------


@pytest.mark.parametrize(("operation", "params", "message"), [
    ("update_item", {"UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": S("x"), ":x": S("y")}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"),
    ("update_item", {"UpdateExpression": "SET a = "}, syntax("UpdateExpression", "<EOF>", "= ")),
    ("update_item", {"UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": {"NULL": False}}},
     f"ExpressionAttributeValues contains invalid value: {INVALID}Null attribute value types must have the value of"
     " true for key :v"),
    ("put_item", {"ConditionExpression": "size = :v", "ExpressionAttributeValues": {":v": N("1")}},
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
    ("put_item", {"ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ("put_item", {"ReturnValues": "ALL_NEW"}, "Return values set to invalid value"),
    ("delete_item", {"ConditionExpression": "a = :x"},
     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute"
     " value: :x"),
    ("get_item", {"ProjectionExpression": "a,,b"}, syntax("ProjectionExpression", ",", ",,b")),
])
def test_expression_errors_are_reported_before_a_missing_table(ddb, table_name, operation, params, message):
    assert error(getattr(ddb, operation), **request(operation, table_name, **params)) == invalid(message)
