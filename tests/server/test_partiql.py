"""PartiQL over the wire: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction through boto3
against a real server, with DynamoDB's answers and errors, and the PartiQL actions of IAM.

Sources, named again where a test pins their wording: the API Reference (ExecuteStatement,
BatchExecuteStatement, ExecuteTransaction, BatchStatementError); the Developer Guide ("PartiQL - a
SQL-compatible query language for Amazon DynamoDB", "IAM policies with PartiQL for DynamoDB");
paritysuite's dynamodb-conformance suite, pinned against AWS (tests/tier2/partiql/writeResponses.test.ts,
tests/tier3/error-messages/partiqlGrammar.test.ts, partiqlFunctions.test.ts); moto's PartiQL tests
(tests/test_dynamodb/test_dynamodb_statements.py); a conformance project's recordings of DynamoDB Local.
"""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.helpers import ACCOUNT, REGION, N, S, allow, deny, error, new_user, policy, stored

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "


def run(ddb, statement: str, *parameters: dict, **params) -> dict:
    if parameters:
        params["Parameters"] = list(parameters)
    return ddb.execute_statement(Statement=statement, **params)


def rows(ddb, statement: str, *parameters: dict, **params) -> list[dict]:
    """Every item a SELECT answers, following NextToken to the end."""
    found = []
    for _ in range(1000):
        reply = run(ddb, statement, *parameters, **params)
        found.extend(reply["Items"])
        if "NextToken" not in reply:
            return found
        params["NextToken"] = reply["NextToken"]
    raise AssertionError("NextToken never ran out")


def validation(message: str) -> tuple[str, str, int]:
    return "ValidationException", message, 400


@pytest.fixture
def songs(ddb, table) -> str:
    """The table fixture (pk, sk strings) with two partitions of items."""
    for pk, sk, year in [("a", "1", "2001"), ("a", "2", "2002"), ("a", "3", "2003"), ("b", "1", "1999")]:
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S(sk), "year": N(year), "tags": {"SS": ["x"]}})
    return table


# --- SELECT ------------------------------------------------------------------------------------------


def test_select_by_partition_key_reads_its_items_in_sort_key_order(ddb, songs):
    found = rows(ddb, f'SELECT * FROM "{songs}" WHERE pk = ?', S("a"))
    assert [item["sk"]["S"] for item in found] == ["1", "2", "3"]
    assert found[0] == {"pk": S("a"), "sk": S("1"), "year": N("2001"), "tags": {"SS": ["x"]}}


def test_order_by_the_sort_key_descending_reverses_the_order(ddb, songs):
    found = rows(ddb, f"SELECT sk FROM \"{songs}\" WHERE pk = 'a' ORDER BY sk DESC")
    assert found == [{"sk": S("3")}, {"sk": S("2")}, {"sk": S("1")}]


def test_select_projects_attributes_and_filters_with_any_condition(ddb, songs):
    found = rows(ddb, f"SELECT sk, \"year\" FROM \"{songs}\" WHERE pk = 'a' AND sk >= '2' AND \"year\" < 2003")
    assert found == [{"sk": S("2"), "year": N("2002")}]


def test_select_without_the_partition_key_scans_the_table(ddb, songs):
    found = rows(ddb, f'SELECT pk, sk FROM "{songs}" WHERE sk = ?', S("1"))
    assert sorted((item["pk"]["S"], item["sk"]["S"]) for item in found) == [("a", "1"), ("b", "1")]
    assert len(rows(ddb, f'SELECT * FROM "{songs}"')) == 4


def test_functions_and_operators_of_the_where_clause(ddb, songs):
    ddb.put_item(TableName=songs, Item={"pk": S("c"), "sk": S("1"), "name": S("hello world"), "n": {"NULL": True}})
    table = f'"{songs}"'
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND begins_with(name, 'hello')") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND contains(name, 'wor')") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND size(name) = 11") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND attribute_type(name, 'S')") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND missing_one IS MISSING") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND name IS NOT MISSING") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'c' AND n IS NULL") == [{"sk": S("1")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'a' AND sk IN ['1', '3']") == [{"sk": S("1")}, {"sk": S("3")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'a' AND sk BETWEEN '2' AND '3' AND NOT sk = '3'") == [
        {"sk": S("2")}]
    assert rows(ddb, f"SELECT sk FROM {table} WHERE pk = 'a' AND (sk = '1' OR \"year\" = 2003)") == [
        {"sk": S("1")}, {"sk": S("3")}]


def test_partition_keys_in_a_list_are_read_one_partition_after_another(ddb, songs):
    statement = f"SELECT pk, sk FROM \"{songs}\" WHERE pk IN ['b', 'a', 'none'] AND sk <> '2'"
    expected = [{"pk": S("b"), "sk": S("1")}, {"pk": S("a"), "sk": S("1")}, {"pk": S("a"), "sk": S("3")}]
    assert rows(ddb, statement) == expected
    # Limit counts the items read across the partitions; the pages resume where they stopped.
    pages = []
    params: dict = {"Limit": 2}
    while True:
        reply = run(ddb, statement, **params)
        pages.append(reply["Items"])
        if "NextToken" not in reply:
            break
        params["NextToken"] = reply["NextToken"]
    assert [item for page in pages for item in page] == expected
    assert len(pages) >= 2


def test_limit_and_next_token_page_through_the_items(ddb, songs):
    first = run(ddb, f"SELECT sk FROM \"{songs}\" WHERE pk = 'a'", Limit=2)
    assert first["Items"] == [{"sk": S("1")}, {"sk": S("2")}]
    assert "NextToken" in first
    second = run(ddb, f"SELECT sk FROM \"{songs}\" WHERE pk = 'a'", Limit=2, NextToken=first["NextToken"])
    assert second["Items"] == [{"sk": S("3")}]
    assert "NextToken" not in second


def test_a_next_token_of_another_statement_is_refused(ddb, songs):
    # Recorded against DynamoDB Local ("the next page of another statement" fails); wording assumed.
    first = run(ddb, f"SELECT sk FROM \"{songs}\" WHERE pk = 'a'", Limit=1)
    code, _, status = error(ddb.execute_statement, Statement=f"SELECT sk FROM \"{songs}\" WHERE pk = 'b'",
                            NextToken=first["NextToken"])
    assert (code, status) == ("ValidationException", 400)


def test_consistent_read_and_consumed_capacity(ddb, songs):
    reply = run(ddb, f"SELECT * FROM \"{songs}\" WHERE pk = 'b'", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert len(reply["Items"]) == 1
    assert reply["ConsumedCapacity"] == {"TableName": songs, "CapacityUnits": 1.0}


def test_a_map_and_list_path_is_projected(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("m"), "sk": S("1"),
                                        "doc": {"M": {"a": {"L": [S("zero"), S("one")]}, "b": S("bee")}}})
    assert rows(ddb, f"SELECT doc.a[1], doc.b FROM \"{table}\" WHERE pk = 'm'") == [
        {"doc": {"M": {"a": {"L": [S("one")]}, "b": S("bee")}}}]


# --- INSERT, UPDATE, DELETE --------------------------------------------------------------------------


def test_insert_writes_the_item_and_answers_no_items(ddb, table):
    # An INSERT answers an empty Items list (conformance suite, writeResponses, pinned against AWS).
    reply = run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'i', 'sk': ?, 'n': 1.50, 'l': [1, 'two'], "
                     "'m': {'k': true}, 's': <<'a', 'b'>>, 'nothing': null}", S("1"))
    assert reply["Items"] == []
    assert stored(ddb, table, {"pk": S("i"), "sk": S("1")}) == {
        "pk": S("i"), "sk": S("1"), "n": N("1.5"), "l": {"L": [N("1"), S("two")]}, "m": {"M": {"k": {"BOOL": True}}},
        "s": {"SS": ["a", "b"]}, "nothing": {"NULL": True}}


def test_insert_of_an_existing_key_is_a_duplicate_item(ddb, table):
    # "Duplicate primary key exists in table": AWS's documentation of the PartiQL insert, and the AWS CLI
    # output recorded in a public guide.
    run(ddb, f"INSERT INTO \"{table}\" VALUE {{'pk': 'd', 'sk': '1', 'v': 1}}")
    assert error(ddb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'd', 'sk': '1', 'v': 2}}") == (
        "DuplicateItemException", "Duplicate primary key exists in table", 400)
    assert stored(ddb, table, {"pk": S("d"), "sk": S("1")})["v"] == N("1")


def test_update_sets_and_removes_and_returns_what_it_is_asked_for(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("u"), "sk": S("1"), "n": N("1"), "gone": S("x"), "s": {"SS": ["a"]}})
    reply = run(ddb, f"UPDATE \"{table}\" SET n = n + 2 SET s = set_add(s, <<'b'>>) SET l = list_append([1], [2]) "
                     "REMOVE gone WHERE pk = 'u' AND sk = '1' RETURNING ALL NEW *")
    assert reply["Items"] == [{"pk": S("u"), "sk": S("1"), "n": N("3"), "s": {"SS": ["a", "b"]},
                               "l": {"L": [N("1"), N("2")]}}]
    reply = run(ddb, f"UPDATE \"{table}\" SET n = ? WHERE pk = 'u' AND sk = '1' RETURNING MODIFIED OLD *", N("7"))
    assert reply["Items"] == [{"n": N("3")}]
    assert run(ddb, f"UPDATE \"{table}\" SET n = 8 WHERE pk = 'u' AND sk = '1'")["Items"] == []
    assert stored(ddb, table, {"pk": S("u"), "sk": S("1")})["n"] == N("8")


def test_update_of_a_missing_item_fails_its_condition(ddb, table):
    # Recorded against DynamoDB Local: "crud: update a row that does not exist".
    assert error(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET a = 1 WHERE pk = 'none' AND sk = '1'") == (
        "ConditionalCheckFailedException", "The conditional request failed", 400)
    assert stored(ddb, table, {"pk": S("none"), "sk": S("1")}) is None


def test_conditions_beyond_the_key_are_checked_before_a_write(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("c"), "sk": S("1"), "v": N("1")})
    statement = f"UPDATE \"{table}\" SET v = 2 WHERE pk = 'c' AND sk = '1' AND v = 5"
    response = error(ddb.execute_statement, Statement=statement)
    assert response[0] == "ConditionalCheckFailedException"
    run(ddb, f"UPDATE \"{table}\" SET v = 2 WHERE pk = 'c' AND sk = '1' AND v = 1")
    assert stored(ddb, table, {"pk": S("c"), "sk": S("1")})["v"] == N("2")
    assert error(ddb.execute_statement, Statement=f"DELETE FROM \"{table}\" WHERE pk = 'c' AND sk = '1' AND v = 1")[0] == (
        "ConditionalCheckFailedException")


def test_delete_removes_the_item_and_may_return_it(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("x"), "sk": S("1"), "v": N("1")})
    reply = run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'x' AND sk = '1' RETURNING ALL OLD *")
    assert reply["Items"] == [{"pk": S("x"), "sk": S("1"), "v": N("1")}]
    assert stored(ddb, table, {"pk": S("x"), "sk": S("1")}) is None
    # A DELETE that finds nothing succeeds with no items (conformance suite, writeResponses).
    assert run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'x' AND sk = '1'")["Items"] == []


def test_a_write_must_name_the_whole_key(ddb, table):
    # Conformance suite, partiqlGrammar ("Where clause does not contain a mandatory equality on all key
    # attributes", pinned against AWS).
    message = "Where clause does not contain a mandatory equality on all key attributes"
    assert error(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET a = 1 WHERE pk = 'a'") == validation(message)
    assert error(ddb.execute_statement, Statement=f"DELETE FROM \"{table}\" WHERE pk = 'a' OR sk = '1'") == (
        validation(message))


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("statement", "message"), [
    # Conformance suite, partiqlGrammar, pinned against AWS.
    ("SELECT * FROM \"{t}\" WHERE pk = 'a' foo", NOT_WELL_FORMED + "Unexpected token after expression"),
    ("SELECT * FROM \"{t}\" WHERE", NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'p1' AND", NOT_WELL_FORMED + "Missing right-hand side expression of infix operator"),
    ("SELECT * FROM \"{t}\" WHERE ORDER BY pk", NOT_WELL_FORMED + "Unexpected keyword"),
    ("SELECT * FROM \"{t}\" WHERE IS NULL", NOT_WELL_FORMED + "Unexpected operator"),
    ("SELECT * FROM \"{t}\" WHERE pk = 1 # note", NOT_WELL_FORMED),
    ("DELETE FROM", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("SELECT * FROM \"{t}\" t WHERE pk = 'x'", "Aliasing is not supported"),
    ("INSERT INTO \"{t}\" VALUE {{'pk': 1e126}}", "Number overflow. Attempting to store a number with magnitude"
     " larger than supported range under root"),
    # moto's BatchExecuteStatement test, from an unknown first word (the message of partiql-lang-kotlin).
    ("SLECT * FROM \"{t}\"", NOT_WELL_FORMED + "Expected data manipulation"),
    # Conformance suite, partiqlFunctions, pinned against AWS: the expression parser's own words, bare.
    ("SELECT * FROM \"{t}\" WHERE pk = 'a' AND attribute_exists('ss')",
     "Operator or function requires a document path; operator or function: attribute_exists"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'a' AND EXISTS(ss)", "Unrecognized function: exists at 1:{at}:6"),
])
def test_statements_dynamodb_refuses_are_refused_in_its_words(ddb, table, statement, message):
    text = statement.format(t=table, at="")
    if "{at}" in message:
        message = message.format(at=text.index("EXISTS") + 1)
    assert error(ddb.execute_statement, Statement=text) == validation(message)


@pytest.mark.parametrize("statement", [
    "SELECT * FROM \"{t}\" WHERE " + "(" * 2000 + "a = 1" + ")" * 2000,
    "SELECT * FROM \"{t}\" WHERE " + "NOT " * 1500 + "a = 1",
    "SELECT * FROM \"{t}\" WHERE pk = 'a' AND " + " AND ".join(["a = 1"] * 600),
    "INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 'b', 'l': " + "[" * 2000 + "]" * 2000 + "}}",
    "SELECT * FROM \"{t}\" WHERE pk = '\u0000\ud7ff' AND x = 'unterminated",
])
def test_a_statement_of_any_shape_is_answered_with_a_validation_error(ddb, table, statement):
    code, _, status = error(ddb.execute_statement, Statement=statement.format(t=table))
    assert (code, status) == ("ValidationException", 400)


def test_exists_outside_a_transaction_is_refused(ddb, table):
    statement = f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = '1' AND v = 1)"
    code, _, status = error(ddb.execute_statement, Statement=statement)  # wording assumed
    assert (code, status) == ("ValidationException", 400)
    (response,) = ddb.batch_execute_statement(Statements=[{"Statement": statement}])["Responses"]
    assert response["Error"]["Code"] == "ValidationError"


def test_too_few_parameters_are_refused(ddb, table):
    # moto's test_batch_update__not_enough_parameters; recorded against DynamoDB Local too.
    assert error(ddb.execute_statement, Statement=f'SELECT * FROM "{table}" WHERE pk = ? AND sk = ?',
                 Parameters=[S("a")]) == validation("Number of parameters in request and statement don't match.")


def test_a_missing_table_is_resource_not_found(ddb):
    assert error(ddb.execute_statement, Statement="SELECT * FROM \"no-such-table\" WHERE pk = 'a'") == (
        "ResourceNotFoundException", "Requested resource not found", 400)


# --- BatchExecuteStatement ---------------------------------------------------------------------------


def test_batch_reads_answer_each_statement_in_its_place(ddb, songs):
    responses = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT sk FROM \"{songs}\" WHERE pk = ? AND sk = ?", "Parameters": [S("a"), S("1")]},
        {"Statement": f"SELECT * FROM \"{songs}\" WHERE pk = 'zz' AND sk = '1'"},
        {"Statement": f"SELECT * FROM \"{songs}\" WHERE pk = 'a'"},
        {"Statement": "SELECT * FROM \"no-such-table\" WHERE pk = 'a'"},
    ])["Responses"]
    # moto's TestBatchExecuteStatement: a failed statement's Error, with the table once it is known.
    assert responses == [
        {"TableName": songs, "Item": {"sk": S("1")}},
        {"TableName": songs},
        {"TableName": songs, "Error": {"Code": "ValidationError", "Message": "Select statements within"
                                       " BatchExecuteStatement must specify the primary key in the where clause."}},
        {"Error": {"Code": "ResourceNotFound", "Message": "Requested resource not found"}},
    ]


def test_batch_writes_run_each_statement_on_its_own(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("dup"), "sk": S("1")})
    responses = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'new', 'sk': '1'}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup', 'sk': '1'}}"},
        {"Statement": f"UPDATE \"{table}\" SET v = 1 WHERE pk = 'dup' AND sk = '1' AND v = 2"},
        {"Statement": "SLECT"},
    ])["Responses"]
    assert responses == [
        {"TableName": table},
        {"TableName": table, "Error": {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}},
        {"TableName": table, "Error": {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}},
        {"Error": {"Code": "ValidationError", "Message": NOT_WELL_FORMED + "Expected data manipulation"}},
    ]
    assert stored(ddb, table, {"pk": S("new"), "sk": S("1")}) is not None


def test_a_batch_of_reads_and_writes_is_refused(ddb, table):
    code, _, status = error(ddb.batch_execute_statement, Statements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = '1'"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': '1'}}"},
    ])
    assert (code, status) == ("ValidationException", 400)


# --- ExecuteTransaction ------------------------------------------------------------------------------


def test_a_transaction_of_writes_applies_all_and_answers_no_responses(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("t"), "sk": S("1"), "v": N("1")})
    ddb.put_item(TableName=table, Item={"pk": S("u"), "sk": S("1"), "v": N("1")})
    reply = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': '2'}}"},
        {"Statement": f"UPDATE \"{table}\" SET v = v + 1 WHERE pk = 't' AND sk = '1'"},
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'u' AND sk = '1' AND v = 1)"},
    ], ClientRequestToken="token-1")
    # An ExecuteTransaction of writes answers an empty Responses list (conformance suite, writeResponses).
    assert reply["Responses"] == []
    assert stored(ddb, table, {"pk": S("t"), "sk": S("2")}) == {"pk": S("t"), "sk": S("2")}
    assert stored(ddb, table, {"pk": S("t"), "sk": S("1")})["v"] == N("2")


def test_a_client_request_token_runs_a_transaction_once(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("once"), "sk": S("1"), "v": N("1")})
    statements = [{"Statement": f"UPDATE \"{table}\" SET v = v + 1 WHERE pk = 'once' AND sk = '1'"}]
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="once-token")
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="once-token")
    assert stored(ddb, table, {"pk": S("once"), "sk": S("1")})["v"] == N("2")


def test_a_failed_statement_cancels_the_whole_transaction(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": S("t"), "sk": S("1"), "v": N("1")})
    ddb.put_item(TableName=table, Item={"pk": S("t"), "sk": S("2")})
    response = error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': '3'}}"},
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 't' AND sk = '1' AND v = 5)"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': '2'}}"},
    ])
    assert response[0] == "TransactionCanceledException"
    assert "[None, ConditionalCheckFailed, DuplicateItem]" in response[1]
    assert stored(ddb, table, {"pk": S("t"), "sk": S("3")}) is None


def test_a_transaction_of_reads_answers_each_item(ddb, songs):
    reply = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT sk FROM \"{songs}\" WHERE pk = 'a' AND sk = '2'"},
        {"Statement": f"SELECT * FROM \"{songs}\" WHERE pk = 'zz' AND sk = '1'"},
    ])
    assert reply["Responses"] == [{"Item": {"sk": S("2")}}, {}]


def test_transaction_errors_name_the_statement(ddb, table):
    # Conformance suite, partiqlGrammar and partiqlFunctions, pinned against AWS.
    assert error(ddb.execute_transaction, TransactStatements=[{"Statement": f'SELECT * FROM "{table}" WHERE'}]) == (
        validation(f"Validation failed in TransactStatements[0]: {NOT_WELL_FORMED}Unexpected term"))
    assert error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = '1')"},
        {"Statement": f"UPDATE \"{table}\" SET z = 1 WHERE pk = 'b' AND sk = '1'"},
    ]) == validation("Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with"
                     " additional condition")
    # Recorded against DynamoDB Local ("a transaction of a read and a write").
    assert error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = '1'"},
        {"Statement": f"UPDATE \"{table}\" SET z = 1 WHERE pk = 'b' AND sk = '1'"},
    ]) == validation("ExecuteTransaction API does not support both read and write operations in the same request.")


# --- authorization -----------------------------------------------------------------------------------


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def test_a_policy_denying_full_table_scans_allows_a_key_lookup(server, songs):
    # The Developer Guide's example ("IAM policies with PartiQL for DynamoDB"): allow PartiQLSelect, deny it
    # where dynamodb:FullTableScan is true.
    user = new_user(server, policy(
        allow("dynamodb:PartiQLSelect", table_arn(songs)),
        deny("dynamodb:PartiQLSelect", table_arn(songs), Condition={"Bool": {"dynamodb:FullTableScan": "true"}}),
    ))
    client = client_for(server.endpoint, credentials=user.credentials)
    assert len(client.execute_statement(Statement=f"SELECT * FROM \"{songs}\" WHERE pk = 'a'")["Items"]) == 3
    code, message, status = error(client.execute_statement, Statement=f'SELECT * FROM "{songs}"')
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"dynamodb:PartiQLSelect on resource: {table_arn(songs)}" in message
    assert error(client.execute_statement, Statement=f"SELECT * FROM \"{songs}\" WHERE sk = '1'")[0] == (
        "AccessDeniedException")
    # "Use the equality or IN operator" on the partition key (Developer Guide, PartiQL select statements).
    assert len(client.execute_statement(Statement=f"SELECT * FROM \"{songs}\" WHERE pk IN ['a', 'b']")["Items"]) == 4


def test_each_statement_needs_its_own_partiql_action(server, ddb, table):
    user = new_user(server, policy(allow(["dynamodb:PartiQLInsert", "dynamodb:PartiQLSelect"], table_arn(table))))
    client = client_for(server.endpoint, credentials=user.credentials)
    client.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': '1'}}")
    assert client.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'p'")["Items"]
    code, message, _ = error(client.execute_statement, Statement=f"DELETE FROM \"{table}\" WHERE pk = 'p' AND sk = '1'")
    assert code == "AccessDeniedException"
    assert "dynamodb:PartiQLDelete" in message
    # The native actions are not what a statement needs, nor what it grants.
    assert error(client.get_item, TableName=table, Key={"pk": S("p"), "sk": S("1")})[0] == "AccessDeniedException"
    assert stored(ddb, table, {"pk": S("p"), "sk": S("1")}) is not None


def test_leading_keys_confine_statements_to_a_partition(server, ddb, table):
    user = new_user(server, policy(allow(["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert"], table_arn(table),
                                         Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["mine"]}})))
    client = client_for(server.endpoint, credentials=user.credentials)
    client.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'mine', 'sk': '1'}}")
    assert client.execute_statement(Statement=f'SELECT * FROM "{table}" WHERE pk = ?', Parameters=[S("mine")])["Items"]
    assert error(client.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'theirs'")[0] == (
        "AccessDeniedException")
    assert error(client.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'theirs', 'sk': '1'}}")[
        0] == "AccessDeniedException"


def not_allowed(user, action: str, table: str) -> dict:
    """A batch statement's Error when ``user`` may not ``action`` ``table``. The Code is the API
    Reference's (BatchStatementError, BatchStatementErrorCodeEnum: "AccessDenied"); the Message is the
    wording of DynamoDB's AccessDeniedException, in a batch assumed (no capture from AWS found)."""
    return {"Code": "AccessDenied", "Message": f"User: {user.arn} is not authorized to perform: {action} on resource:"
            f" {table_arn(table)} because no identity-based policy allows the {action} action"}


def test_a_batch_answers_a_statement_not_allowed_with_access_denied_in_its_place(server, songs, make_table, ddb):
    other = make_table()
    ddb.put_item(TableName=other, Item={"pk": S("a"), "sk": S("1")})
    user = new_user(server, policy(allow("dynamodb:PartiQLSelect", table_arn(songs))))
    client = client_for(server.endpoint, credentials=user.credentials)
    responses = client.batch_execute_statement(Statements=[
        {"Statement": f"SELECT sk FROM \"{songs}\" WHERE pk = 'a' AND sk = '1'"},
        {"Statement": f"SELECT * FROM \"{other}\" WHERE pk = 'a' AND sk = '1'"},
        {"Statement": f"SELECT sk FROM \"{songs}\" WHERE pk = 'b' AND sk = '1'"},
        # A table that does not exist is no ResourceNotFound to a caller who may not touch it.
        {"Statement": "SELECT * FROM \"no-such-table\" WHERE pk = 'a' AND sk = '1'"},
        # A statement that does not parse needs no action: its own error, as for anyone.
        {"Statement": "SLECT"},
    ])["Responses"]
    assert responses == [
        {"TableName": songs, "Item": {"sk": S("1")}},
        {"Error": not_allowed(user, "dynamodb:PartiQLSelect", other)},
        {"TableName": songs, "Item": {"sk": S("1")}},
        {"Error": not_allowed(user, "dynamodb:PartiQLSelect", "no-such-table")},
        {"Error": {"Code": "ValidationError", "Message": NOT_WELL_FORMED + "Expected data manipulation"}},
    ]


def test_a_batch_write_not_allowed_writes_nothing_and_the_others_run(server, ddb, table, make_table):
    other = make_table()
    user = new_user(server, policy(allow("dynamodb:PartiQLInsert", table_arn(table)),
                                   allow("dynamodb:PartiQLUpdate", table_arn(other))))
    client = client_for(server.endpoint, credentials=user.credentials)
    responses = client.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{other}\" VALUE {{'pk': 'p', 'sk': '1'}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': '1'}}"},
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'p' AND sk = '1'"},
    ])["Responses"]
    assert responses == [
        {"Error": not_allowed(user, "dynamodb:PartiQLInsert", other)},
        {"TableName": table},
        {"Error": not_allowed(user, "dynamodb:PartiQLDelete", table)},
    ]
    assert stored(ddb, other, {"pk": S("p"), "sk": S("1")}) is None
    assert stored(ddb, table, {"pk": S("p"), "sk": S("1")}) is not None


def test_a_batch_statement_is_judged_with_its_leading_keys_and_the_table_policy(server, ddb, table):
    # The table's resource-based policy denies this user one partition: each statement's own
    # dynamodb:LeadingKeys decide, against the caller's policies and the table's.
    user = new_user(server, policy(allow("dynamodb:PartiQLSelect", table_arn(table))))
    for pk in ("mine", "secret"):
        ddb.put_item(TableName=table, Item={"pk": S(pk), "sk": S("1")})
    ddb.put_resource_policy(ResourceArn=table_arn(table), Policy=policy(
        deny("dynamodb:PartiQLSelect", table_arn(table), Principal={"AWS": user.arn},
             Condition={"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["secret"]}})))
    client = client_for(server.endpoint, credentials=user.credentials)
    responses = client.batch_execute_statement(Statements=[
        {"Statement": f"SELECT sk FROM \"{table}\" WHERE pk = ? AND sk = '1'", "Parameters": [S("mine")]},
        {"Statement": f"SELECT sk FROM \"{table}\" WHERE pk = ? AND sk = '1'", "Parameters": [S("secret")]},
    ])["Responses"]
    assert responses == [
        {"TableName": table, "Item": {"sk": S("1")}},
        {"Error": {"Code": "AccessDenied", "Message": f"User: {user.arn} is not authorized to perform:"
                   f" dynamodb:PartiQLSelect on resource: {table_arn(table)} with an explicit deny in a"
                   " resource-based policy"}},
    ]


# --- indexes -----------------------------------------------------------------------------------------


def test_a_select_reads_a_global_index_named_after_its_table(ddb, table_name):
    ddb.create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
    )
    try:
        for pk, email in [("1", "a@example.com"), ("2", "b@example.com")]:
            ddb.put_item(TableName=table_name, Item={"pk": S(pk), "email": S(email)})
        assert rows(ddb, f"SELECT pk FROM \"{table_name}\".\"by-email\" WHERE email = 'b@example.com'") == [
            {"pk": S("2")}]
        assert len(rows(ddb, f'SELECT * FROM "{table_name}"."by-email"')) == 2
        # A PartiQL write is a native write: the index follows it.
        run(ddb, f"INSERT INTO \"{table_name}\" VALUE {{'pk': '3', 'email': 'c@example.com'}}")
        assert rows(ddb, f"SELECT pk FROM \"{table_name}\".\"by-email\" WHERE email = ?", S("c@example.com")) == [
            {"pk": S("3")}]
        code, _, status = error(ddb.execute_statement, Statement=f'SELECT * FROM "{table_name}"."no-such-index"')
        assert (code, status) == ("ValidationException", 400)
    finally:
        ddb.delete_table(TableName=table_name)


def test_a_batch_holds_at_most_25_statements(raw_ddb, table):
    statement = {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = '1'"}
    code, message, status = error(raw_ddb.batch_execute_statement, Statements=[statement] * 26)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length less than or equal to 25" in message
