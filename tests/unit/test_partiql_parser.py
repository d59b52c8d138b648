"""DynamoDB's PartiQL without a server: the parser's errors, each statement's native request (the
plan) and what it is authorized as (the access). Expected messages are AWS's where a source pins
them: paritysuite's dynamodb-conformance suite, pinned against AWS (tests/tier3/error-messages/
partiqlGrammar.test.ts, partiqlFunctions.test.ts, partiqlParameterNumbers.test.ts), moto's PartiQL
tests, and partiql-lang-kotlin's parser for "Expected data manipulation"."""

from __future__ import annotations

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb.authorization import KeySchema, needs
from moatdb.services.dynamodb.partiql import nodes as n
from moatdb.services.dynamodb.partiql.access import access
from moatdb.services.dynamodb.partiql.parser import parse
from moatdb.services.dynamodb.partiql.plan import Read, Schema, Write, plan

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
LEFTOVER = NOT_WELL_FORMED + "Unexpected token after expression"
TABLE = Schema("pk", "sk", {"by-email": ("email", None)})
HASH_ONLY = Schema("pk")


def error_of(statement: str, parameters: list | None = None, schema: Schema = TABLE, **options) -> str:
    with pytest.raises(ValidationException) as raised:
        plan(statement, parameters, schema, **options)
    return raised.value.message


# --- the grammar -------------------------------------------------------------------------------------


def test_keywords_are_case_insensitive_and_names_may_be_quoted():
    parsed = parse('select "a"."b", c[1] from "My.Table" where "pk" = \'x\' -- a comment\n;').statement
    assert type(parsed) is n.Select
    assert parsed.table == "My.Table"
    assert [path.elements for path in parsed.projection] == [("a", "b"), ("c", 1)]


def test_strings_and_names_double_their_quotes():
    parsed = parse("""SELECT * FROM "t""q" WHERE a = 'it''s' /* block
    comment */""").statement
    assert parsed.table == 't"q'
    assert parsed.where.right.value == {"S": "it's"}


def test_parameters_are_numbered_in_order():
    assert parse("UPDATE t SET a = ? WHERE pk = ? AND sk = ?").parameters == 3


@pytest.mark.parametrize(("statement", "message"), [
    ("SELECT * FROM t WHERE pk = 1 foo", LEFTOVER),
    ("SELECT * FROM t WHERE pk = 1 e5", LEFTOVER),
    ("SELECT * FROM t WHERE pk = 1)", LEFTOVER),
    ("DELETE FROM t WHERE pk = 1 ORDER BY pk", LEFTOVER),
    ("SELECT * FROM t ORDER BY pk WHERE pk = 1", LEFTOVER),
    ("INSERT INTO t x VALUE {'pk': 'x'}", LEFTOVER),
    ("SELECT * FROM t WHERE pk = 1e2147483648", NOT_WELL_FORMED),
    ("SELECT * FROM t WHERE pk = 1 # note", NOT_WELL_FORMED),
    ("SELECT * FROM t WHERE pk = 1 /* note", NOT_WELL_FORMED),
    ("SELECT * FROM t t WHERE pk = 'x'", "Aliasing is not supported"),
    ("SELECT * FROM t AS t WHERE pk = 'x'", "Aliasing is not supported"),
    ("UPDATE t t SET a = 3 WHERE pk = 'x'", "Aliasing is not supported"),
    ("DELETE FROM t t WHERE pk = 'x'", "Aliasing is not supported"),
    ("SELECT * FROM t WHERE", NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM t WHERE;", NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM t WHERE NOT", NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM t WHERE (", NOT_WELL_FORMED + "Unexpected term"),
    ("UPDATE t SET a = 1 WHERE", NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM t WHERE pk = 'p1' AND", NOT_WELL_FORMED + "Missing right-hand side expression of infix operator"),
    ("SELECT * FROM t WHERE pk = 'p1' OR", NOT_WELL_FORMED + "Missing right-hand side expression of infix operator"),
    ("SELECT * FROM t WHERE ORDER BY pk", NOT_WELL_FORMED + "Unexpected keyword"),
    ("SELECT * FROM t WHERE pk = 'a' AND x IS FOO", NOT_WELL_FORMED + "Expected type name"),
    ("SELECT * FROM t WHERE IS NULL", NOT_WELL_FORMED + "Unexpected operator"),
    ("SELECT * FROM t WHERE pk = LIKE", NOT_WELL_FORMED + "Unexpected operator"),
    ("DELETE FROM", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("DELETE FROM;", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("DELETE FROM WHERE pk = 'a'", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("SELECT * FROM", NOT_WELL_FORMED + "Unexpected term"),
    ("SLECT * FROM t WHERE pk = 'batch-dup'", NOT_WELL_FORMED + "Expected data manipulation"),
    ("SELECT * FROM t WHERE pk = 'a' AND EXISTS(ss)", "Unrecognized function: exists at 1:36:6"),
    ("SELECT * FROM t WHERE pk = 'a' AND set_add(ss, <<'x'>>) = ss", "Unrecognized function: set_add at 1:36:7"),
    ("SELECT attribute_exists(ss) FROM t WHERE pk = 'a'", "Unexpected path component at 1:8:16"),
])
def test_statements_that_do_not_parse_are_refused_in_dynamodbs_words(statement, message):
    with pytest.raises(ValidationException) as raised:
        parse(statement)
    assert raised.value.message == message


def test_a_statement_too_deep_for_the_parser_is_refused_not_crashed():
    with pytest.raises(ValidationException):
        parse("SELECT * FROM t WHERE " + "(" * 5000 + "a = 1" + ")" * 5000)


# --- plans -------------------------------------------------------------------------------------------


def test_a_partition_key_equality_is_a_query_with_the_whole_where_as_filter():
    found = plan("SELECT a FROM t WHERE sk > 3 AND pk = ? ORDER BY sk DESC", [{"S": "p"}], TABLE)
    assert type(found) is Read and found.operation == "Query"
    assert found.requests == [{"TableName": "t", "KeyConditionExpression": "#n0 = :v0 AND #n1 > :v1",
                            "ExpressionAttributeNames": {"#n0": "pk", "#n1": "sk"},
                            "ExpressionAttributeValues": {":v0": {"S": "p"}, ":v1": {"N": "3"}},
                            "ScanIndexForward": False}]
    assert found.condition == "(#n0 > :v0) AND (#n1 = :v1)"
    assert found.names == {"#n0": "sk", "#n1": "pk", "#n2": "a"} and found.projection == "#n2"


def test_a_sort_key_written_first_or_with_between_or_begins_with_is_a_key_condition():
    def key_condition(statement: str) -> str:
        (request,) = plan(statement, None, TABLE).requests
        return request["KeyConditionExpression"]

    assert key_condition("SELECT * FROM t WHERE 3 < sk AND pk = 'a'") == "#n0 = :v0 AND #n1 > :v1"
    assert key_condition("SELECT * FROM t WHERE pk = 'a' AND sk BETWEEN 1 AND 2") == (
        "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2")
    assert key_condition("SELECT * FROM t WHERE pk = 'a' AND begins_with(sk, 'x')") == (
        "#n0 = :v0 AND begins_with(#n1, :v1)")


def test_partition_key_values_in_a_list_are_a_query_each():
    found = plan("SELECT * FROM t WHERE pk IN ['a', ?, 'a'] AND sk = '1'", [{"S": "b"}], TABLE)
    assert found.operation == "Query"
    assert [(request["ExpressionAttributeValues"][":v0"], request["KeyConditionExpression"])
            for request in found.requests] == [({"S": "a"}, "#n0 = :v0 AND #n1 = :v1"),
                                               ({"S": "b"}, "#n0 = :v0 AND #n1 = :v1")]


def test_anything_else_is_a_scan():
    assert plan("SELECT * FROM t", None, TABLE).operation == "Scan"
    assert plan("SELECT * FROM t WHERE pk = 'a' OR pk = 'b'", None, TABLE).operation == "Scan"
    assert plan("SELECT * FROM t WHERE pk > 'a'", None, TABLE).operation == "Scan"


def test_an_index_is_read_by_its_own_key():
    found = plan("SELECT * FROM t.\"by-email\" WHERE email = 'x'", None, TABLE)
    assert found.operation == "Query" and found.requests[0]["IndexName"] == "by-email"
    assert plan("SELECT * FROM t.\"by-email\" WHERE pk = 'x'", None, TABLE).operation == "Scan"


def test_order_by_needs_a_query_on_a_key_attribute():
    assert error_of("SELECT * FROM t ORDER BY sk") == "Must have WHERE clause in the statement when using ORDER BY clause."
    assert error_of("SELECT * FROM t WHERE pk = 'a' ORDER BY x") == "Order by is supported only on the sort key"


def test_conditions_become_dynamodb_expressions():
    found = plan("SELECT * FROM t WHERE NOT a IN [1, 2] AND b IS MISSING AND c IS NOT NULL OR size(d) >= 2"
                 " AND contains(e, 'x') AND f <> 1", None, HASH_ONLY)
    # AND binds tighter than OR; NOT tighter than AND.
    assert found.condition == (
        "(((NOT (#n0 IN (:v0, :v1))) AND (attribute_not_exists(#n1))) AND"
        " (attribute_exists(#n2) AND NOT attribute_type(#n2, :v2))) OR"
        " (((size(#n3) >= :v3) AND (contains(#n4, :v4))) AND (#n5 <> :v5))")


def test_insert_is_a_put_that_must_not_find_the_item():
    found = plan("INSERT INTO t VALUE {'pk': 'a', 'n': -1.50, 'm': {'l': [true, null]}, 's': <<1, 2>>, 'gone': MISSING}",
                 None, HASH_ONLY)
    assert found == Write("PutItem", "t", {
        "TableName": "t",
        "Item": {"pk": {"S": "a"}, "n": {"N": "-1.5"}, "m": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}},
                 "s": {"NS": ["1", "2"]}},
        "ConditionExpression": "attribute_not_exists(#n0)", "ExpressionAttributeNames": {"#n0": "pk"}}, insert=True)


def test_update_names_the_key_and_must_find_the_item():
    found = plan("UPDATE t SET a = a + ?, b.c[0] = list_append(b.c, [1]) REMOVE d SET e = set_delete(e, <<'x'>>)"
                 " WHERE sk = '1' AND pk = 'a' AND f = 2 RETURNING MODIFIED NEW *", [{"N": "1"}], TABLE)
    assert found.operation == "UpdateItem"
    assert found.params["Key"] == {"pk": {"S": "a"}, "sk": {"S": "1"}}
    assert found.params["UpdateExpression"] == "SET #n0 = #n0 + :v0, #n1.#n2[0] = list_append(#n1.#n2, :v1) REMOVE #n4" \
        " DELETE #n3 :v2"
    assert found.params["ExpressionAttributeNames"]["#n3"] == "e"
    assert found.params["ConditionExpression"] == "(attribute_exists(#n5)) AND (#n6 = :v3)"
    assert found.params["ReturnValues"] == "UPDATED_NEW"


def test_delete_names_the_key():
    found = plan("DELETE FROM t WHERE pk = 'a' AND sk = 'b' RETURNING ALL OLD *", None, TABLE)
    assert found == Write("DeleteItem", "t", {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}},
                                              "ReturnValues": "ALL_OLD"})


@pytest.mark.parametrize("statement", [
    "UPDATE t SET a = 1 WHERE pk = 'a'",
    "UPDATE t SET a = 1",
    "DELETE FROM t WHERE pk = 'a' OR sk = 'b'",
    "DELETE FROM t WHERE pk > 'a' AND sk = 'b'",
])
def test_a_write_without_the_whole_key_is_refused(statement):
    assert error_of(statement) == "Where clause does not contain a mandatory equality on all key attributes"


def test_set_functions_are_checked_where_they_are_written():
    # Conformance suite, partiqlFunctions: placed at the function, or at its first argument.
    statement = "UPDATE t SET t2 = set_add(ss, <<'x'>>) WHERE pk = 'a'"
    assert error_of(statement, schema=HASH_ONLY) == "The first argument to SET_ADD must equal the assignment value at 1:19:7"
    statement = "UPDATE t SET ss = set_add(ss, 'x') WHERE pk = 'a'"
    assert error_of(statement, schema=HASH_ONLY) == "The second argument to SET_ADD must be a value with type SET at 1:27:2"
    statement = "UPDATE t SET ss = set_add(ss) WHERE pk = 'a'"
    assert error_of(statement, schema=HASH_ONLY) == "SET_ADD must have exactly two arguments at 1:19:7"
    assert error_of("UPDATE t SET ss = set_add(ss, <<>>) WHERE pk = 'a'", schema=HASH_ONLY) == "Empty bags are not supported"
    statement = "INSERT INTO t VALUE {'pk': 'a', 'ss': set_add(<<'a'>>, <<'b'>>)}"
    assert error_of(statement, schema=HASH_ONLY) == "Unsupported data type: set_add under key root at 1:39:7"


def test_numbers_out_of_range_name_their_place_in_the_value():
    overflow = "Number overflow. Attempting to store a number with magnitude larger than supported range"
    assert error_of("SELECT * FROM t WHERE pk = 1e126") == f"{overflow} under root"
    assert error_of("INSERT INTO t VALUE {'pk': 1, 'm': {'x': 1e126}}") == f"{overflow} under root.x"
    assert error_of("INSERT INTO t VALUE {'pk': 1, 'l': [1, 1e126]}") == f"{overflow} under root[1]"


UNCONVERTIBLE = "The parameter cannot be converted to a numeric value"


@pytest.mark.parametrize(("value", "message"), [
    ({"N": "1e99999999999"}, f"{UNCONVERTIBLE}: 1e99999999999"),
    ({"N": "1e-2147483648"}, f"{UNCONVERTIBLE}: 1e-2147483648"),
    ({"L": [{"N": "1"}, {"N": "1e99999999999"}]}, f"{UNCONVERTIBLE}: 1e99999999999"),
    ({"NS": ["1", "1e99999999999"]}, f"{UNCONVERTIBLE}: 1e99999999999"),
    ({"N": ""}, UNCONVERTIBLE),
])
def test_a_parameter_number_beyond_a_32_bit_exponent_cannot_be_converted(value, message):
    assert error_of("SELECT * FROM t WHERE pk = ?", [value]) == message


def test_a_parameter_nested_too_deep_is_refused_before_a_later_number():
    deep = {"S": "leaf"}
    for _ in range(40):
        deep = {"M": {"n": deep}}
    assert error_of("SELECT * FROM t WHERE pk = 'a' AND x = ? AND y = ?", [deep, {"N": "abc"}]) == (
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")


def test_too_few_parameters_are_refused_and_more_are_not():
    assert error_of("SELECT * FROM t WHERE pk = ? AND a = ?", [{"S": "a"}]) == (
        "Number of parameters in request and statement don't match.")
    assert plan("SELECT * FROM t WHERE pk = ?", [{"S": "a"}, {"S": "b"}], TABLE).operation == "Query"


def test_a_batch_or_transaction_select_reads_one_item_by_its_key():
    found = plan("SELECT a FROM t WHERE pk = 'a' AND sk = 'b'", None, TABLE, single="BatchExecuteStatement")
    assert found == Read("GetItem", "t", [{"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}},
                                           "ProjectionExpression": "#n0", "ExpressionAttributeNames": {"#n0": "a"}}])
    assert error_of("SELECT * FROM t WHERE pk = 'a' AND sk = 'b' AND attribute_exists(ss)",
                    single="ExecuteTransaction") == (
        "Select statements within ExecuteTransaction must specify the primary key in the where clause.")


def test_exists_is_a_condition_check_that_needs_a_condition():
    found = plan("EXISTS(SELECT * FROM t WHERE pk = 'a' AND sk = 'b' AND v = 1)", None, TABLE)
    assert found.operation == "ConditionCheck" and found.params["ConditionExpression"] == "(#n0 = :v0)"
    assert error_of("EXISTS(SELECT * FROM t WHERE pk = 'a' AND sk = 'b')") == (
        "EXISTS() must contain a single item read with additional condition")


# --- access ------------------------------------------------------------------------------------------


def partition_key(table: str, index: str | None) -> str | None:
    if table != "t":
        return None
    return {None: "pk", "by-email": "email"}.get(index)


@pytest.mark.parametrize(("statement", "action", "index", "scan", "leading"), [
    ("SELECT * FROM t WHERE pk = ?", "dynamodb:PartiQLSelect", None, False, ({"S": "p"},)),
    ("SELECT * FROM t WHERE a = 1", "dynamodb:PartiQLSelect", None, True, ()),
    ("SELECT * FROM t WHERE pk IN [?, 'q']", "dynamodb:PartiQLSelect", None, False, ({"S": "p"}, {"S": "q"})),
    ("SELECT * FROM t WHERE pk IN [?, a]", "dynamodb:PartiQLSelect", None, True, ()),
    ("SELECT * FROM t", "dynamodb:PartiQLSelect", None, True, ()),
    ("SELECT * FROM t.\"by-email\" WHERE email = 'e'", "dynamodb:PartiQLSelect", "by-email", False, ({"S": "e"},)),
    ("SELECT * FROM other WHERE pk = 1", "dynamodb:PartiQLSelect", None, None, ()),
    ("SELECT * FROM other", "dynamodb:PartiQLSelect", None, True, ()),
    ("INSERT INTO t VALUE {'pk': 'i'}", "dynamodb:PartiQLInsert", None, None, ({"S": "i"},)),
    ("UPDATE t SET a = 1 WHERE pk = 2 AND sk = 'x'", "dynamodb:PartiQLUpdate", None, None, ({"N": "2"},)),
    ("DELETE FROM t WHERE pk = 'd' AND sk = 'x'", "dynamodb:PartiQLDelete", None, None, ({"S": "d"},)),
    ("EXISTS(SELECT * FROM t WHERE pk = 'c' AND v = 1)", "dynamodb:PartiQLSelect", None, None, ({"S": "c"},)),
])
def test_each_statement_is_authorized_as_its_partiql_action(statement, action, index, scan, leading):
    found = access(statement, [{"S": "p"}], partition_key)
    assert (found.action, found.index, found.full_table_scan, found.leading_keys) == (action, index, scan, leading)


def test_a_statement_that_does_not_parse_has_no_access():
    assert access("SELECT * FROM", None, partition_key) is None
    assert access(None, None, partition_key) is None
    # A parameter that is missing or invalid gives no leading key, and no error.
    assert access("SELECT * FROM t WHERE pk = ?", None, partition_key).leading_keys == ()
    assert access("SELECT * FROM t WHERE pk = ?", [{"N": "x"}], partition_key).leading_keys == ()


# --- the authorization map's PartiQL rules -----------------------------------------------------------


def statement_needs(operation: str, params: dict) -> list:
    return needs(operation, params, account="111122223333", region="us-east-1",
                 table=lambda name: KeySchema("pk", {"by-email": "email"}) if name == "t" else None)


def test_a_statement_needs_its_partiql_action_with_full_table_scan_and_leading_keys():
    (need,) = statement_needs("ExecuteStatement", {"Statement": "SELECT * FROM t WHERE pk = ?",
                                                   "Parameters": [{"N": "1.50"}]})
    assert need.action == "dynamodb:PartiQLSelect"
    assert need.resource == "arn:aws:dynamodb:us-east-1:111122223333:table/t"
    assert need.context == {"dynamodb:fulltablescan": ("false",), "dynamodb:leadingkeys": ("1.5",)}
    (scan,) = statement_needs("ExecuteStatement", {"Statement": 'SELECT * FROM t."by-email"'})
    assert scan.resource.endswith("table/t/index/by-email")
    assert scan.context == {"dynamodb:fulltablescan": ("true",)}


def test_a_batch_or_transaction_needs_each_statements_action():
    statements = [{"Statement": "INSERT INTO t VALUE {'pk': 'a'}"}, {"Statement": "DELETE FROM u WHERE pk = 'b'"},
                  {"Statement": "not a statement"}]
    for operation, member in (("BatchExecuteStatement", "Statements"), ("ExecuteTransaction", "TransactStatements")):
        found = statement_needs(operation, {member: statements})
        assert [(need.action, need.resource.rsplit("/", 1)[1]) for need in found] == [
            ("dynamodb:PartiQLInsert", "t"), ("dynamodb:PartiQLDelete", "u")]


@pytest.mark.parametrize("params", [
    {},
    {"Statement": 5, "Parameters": {"x": 1}},
    {"Statement": "SELECT * FROM t WHERE pk = ?", "Parameters": "x"},
    {"Statement": "SELECT * FROM t WHERE pk = ? AND a = ?", "Parameters": [5, None]},
    {"Statements": "x", "TransactStatements": {"a": 1}},
    {"Statements": [None, 5, {"Statement": None}, {"Statement": "SELECT * FROM t WHERE pk = ?", "Parameters": [[]]}]},
    {"TransactStatements": [{"Statement": "INSERT INTO t VALUE {'pk': ?}", "Parameters": [{"N": "x"}]}]},
])
def test_wrong_parameters_never_raise(params):
    for operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        for need in statement_needs(operation, params):
            assert all(type(value) is str for found in need.context.values() for value in found)
