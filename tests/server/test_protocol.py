"""DynamoDB's wire protocol as clients see it: the HTTP envelope, JSON 1.0 errors, SigV4 scope checks.

Most cases are sent as raw HTTP, byte for byte, because the SDKs never send them. Expected bodies,
checksums and wording are the live service's, as captured by dynalite's suite (architect/dynalite,
test/connection.js, test/listTables.js, test/helpers.js) unless a comment names another source.
"""

from __future__ import annotations

import re
import sqlite3
import time
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server, client_for, free_port
from tests.helpers import ACCESS_KEY, JSON_10, REGION, SECRET_KEY, TARGET, Reply, create_table, send, signed

REQUEST_ID = re.compile(r"[0-9A-Z]{52}")
# Scoped to the server's region and service; the signature itself is not verified yet.
AUTH = (f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)
DATE = "20260101T000000Z"

UNKNOWN_OPERATION = {"__type": "com.amazon.coral.service#UnknownOperationException"}
SERIALIZATION = {"__type": "com.amazon.coral.service#SerializationException"}
MISSING_TOKEN = {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                 "message": "Request is missing Authentication Token"}
NOT_FOUND_XML = b"<UnknownOperationException/>\n"


def call(server, operation: str | None, body: bytes, *, auth: str | None = AUTH, date: str | None = DATE,
         content_type: str | None = JSON_10, extra: dict | None = None) -> Reply:
    """A JSON 1.0 request with whichever of its parts a test wants present."""
    headers = dict(extra or {})
    if operation is not None:
        headers["X-Amz-Target"] = TARGET + operation if "." not in operation else operation
    if content_type is not None:
        headers["Content-Type"] = content_type
    if auth is not None:
        headers["Authorization"] = auth
    if date is not None:
        headers["X-Amz-Date"] = date
    return send(server, body=body, headers=headers)


def assert_envelope(reply: Reply) -> None:
    """What every DynamoDB reply carries: a request id, and a CRC32 of the body that botocore checks."""
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"]), reply.headers
    assert reply.headers["x-amz-crc32"] == str(zlib.crc32(reply.body))
    assert reply.headers["content-length"] == str(len(reply.body))


# --- The envelope ------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_kind", ["success", "json error", "unknown route", "health check"])
def test_every_reply_carries_a_request_id_and_a_crc32_of_its_exact_body(server, request_kind):
    reply = {
        "success": lambda: signed(server, "ListTables", {}),
        "json error": lambda: call(server, "NoSuchOperation", b"{}"),
        "unknown route": lambda: send(server, method="PUT", body=b"x"),
        "health check": lambda: send(server, method="GET"),
    }[request_kind]()
    assert_envelope(reply)


def test_each_request_gets_its_own_request_id(server):
    ids = {signed(server, "ListTables", {}).headers["x-amzn-requestid"] for _ in range(5)}
    assert len(ids) == 5


def test_a_json_reply_is_typed_application_x_amz_json_1_0(server):
    reply = signed(server, "ListTables", {})
    assert reply.status == 200
    assert reply.headers["content-type"] == JSON_10
    assert isinstance(reply.json()["TableNames"], list)


def test_a_request_sent_as_application_json_is_answered_as_application_json(server):
    # dynalite test/listTables.js "should return 200 if no params and application/json" (live capture).
    reply = signed(server, "ListTables", body=b"{}", content_type="application/json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"


def test_a_content_type_with_a_charset_parameter_is_still_json(server):
    reply = signed(server, "ListTables", body=b"{}", content_type=JSON_10 + "; charset=utf-8")
    assert reply.status == 200
    assert "TableNames" in reply.json()


def test_botocore_accepts_the_checksums_it_verifies(ddb):
    # botocore raises on an x-amz-crc32 mismatch for DynamoDB, so a plain call is the check.
    assert "TableNames" in ddb.list_tables()


# --- Routing: target, content type, method --------------------------------------------------------------


@pytest.mark.parametrize("target", [None, "whatever", TARGET + "ListTable", TARGET],
                         ids=["missing", "no-prefix", "misspelt-operation", "empty-operation"])
def test_a_target_that_names_no_operation_is_an_unknown_operation(server, target):
    headers = {"Content-Type": JSON_10, "Authorization": AUTH, "X-Amz-Date": DATE}
    if target is not None:
        headers["X-Amz-Target"] = target
    reply = send(server, body=b"{}", headers=headers)
    assert (reply.status, reply.json()) == (400, UNKNOWN_OPERATION)
    assert reply.headers["content-type"] == JSON_10
    assert reply.headers["x-amz-crc32"] == "1368724161"  # the live service's checksum of this exact body


def test_an_unknown_operation_is_reported_before_authentication_is_looked_at(server):
    reply = call(server, "ListTable", b"{}", auth=None, date=None)
    assert (reply.status, reply.json()) == (400, UNKNOWN_OPERATION)


@pytest.mark.parametrize("body", [b"hi", b"{", b'{"Limit": 1,}', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_serialization_exception(server, body):
    reply = call(server, "ListTables", body)
    assert (reply.status, reply.json()) == (400, SERIALIZATION)
    assert reply.headers["x-amz-crc32"] == "3948637019"


def test_malformed_json_is_reported_before_the_target_or_authentication(server):
    reply = call(server, None, b"hi", auth=None, date=None)
    assert (reply.status, reply.json()) == (400, SERIALIZATION)


def test_an_empty_body_for_an_operation_is_a_serialization_exception(server):
    # dynalite test/listTables.js "should return 400 if no body".
    reply = signed(server, "ListTables", body=b"")
    assert (reply.status, reply.json()) == (400, SERIALIZATION)


@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},
    {"Content-Type": "whatever"},
    {},
], ids=["text-plain", "nonsense", "none"])
def test_a_body_without_a_json_content_type_gets_coral_s_bare_404(server, headers):
    reply = send(server, body=b'{"Limit": 1}', headers={**headers, "X-Amz-Target": TARGET + "ListTables",
                                                        "Authorization": AUTH, "X-Amz-Date": DATE})
    assert (reply.status, reply.body) == (404, NOT_FOUND_XML)
    assert reply.headers["x-amz-crc32"] == "3552371480"
    assert reply.headers["content-length"] == "29"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_any_method_but_post_and_get_is_a_bare_404(server, method):
    reply = send(server, method=method)
    assert (reply.status, reply.body) == (404, NOT_FOUND_XML)
    assert_envelope(reply)


def test_the_bare_404_carries_no_content_type(server):
    # smithy-rs (AWS's server framework), rust-runtime aws-smithy-http-server routing: "Coral servers answer
    # such a request with 404 and the XML body <UnknownOperationException/> ... Coral sends no Content-Type".
    reply = send(server, method="PUT")
    assert reply.status == 404
    assert "content-type" not in reply.headers


def test_get_on_the_root_is_dynamodb_s_health_answer(server):
    reply = send(server, method="GET")
    assert reply.status == 200
    # Trailing space included: it is part of the live body (dynalite test/connection.js).
    assert reply.body == f"healthy: dynamodb.{REGION}.amazonaws.com ".encode()
    assert reply.headers["content-length"] == str(len(reply.body))


def test_get_on_any_path_is_the_health_answer(server):
    # dynalite's current server answers every GET with the health body, and browser tooling measures
    # latency with GET https://dynamodb.<region>.amazonaws.com/ping.
    reply = send(server, method="GET", path="/ping")
    assert (reply.status, reply.body) == (200, f"healthy: dynamodb.{REGION}.amazonaws.com ".encode())


def test_a_cors_preflight_is_answered_for_browsers(server):
    # dynalite test/connection.js "should set CORS if OPTIONS and Origin and Headers and Method".
    reply = send(server, method="OPTIONS", headers={
        "Origin": "https://app.example", "Access-Control-Request-Headers": "a, b, c",
        "Access-Control-Request-Method": "POST"})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-headers"] == "a, b, c"
    assert reply.headers["access-control-allow-methods"] == "POST"
    assert reply.headers["access-control-max-age"] == "172800"
    assert reply.body == b""


def test_a_body_over_16_mb_is_refused_with_413(server):
    reply = call(server, "ListTables", b" " * (16 * 1024 * 1024 + 1))
    assert reply.status == 413
    assert REQUEST_ID.fullmatch(reply.headers["x-amzn-requestid"])
    assert b"Traceback" not in reply.body


def test_a_body_of_exactly_16_mb_is_read_and_parsed(server):
    # 16 MB of blanks is valid JSON framing around nothing: the parser, not the size check, answers.
    reply = call(server, "ListTables", b" " * (16 * 1024 * 1024))
    assert (reply.status, reply.json()) == (400, SERIALIZATION)


# --- Authentication: presence and shape of the SigV4 header ----------------------------------------------


@pytest.mark.parametrize("authorization", [None, "AWS4", "Bearer abc", ""], ids=["absent", "AWS4", "bearer", "empty"])
def test_a_request_without_a_sigv4_authorization_is_missing_its_token(server, authorization):
    reply = call(server, "ListTables", b"{}", auth=authorization)
    assert (reply.status, reply.json()) == (400, MISSING_TOKEN)
    assert reply.headers["x-amz-crc32"] == "2088342776"


def test_an_authorization_of_just_aws4_dash_lists_every_missing_part(server):
    reply = call(server, "ListTables", b"{}", auth="AWS4-", date=None)
    assert reply.status == 400
    assert reply.json() == {
        "__type": "com.amazon.coral.service#IncompleteSignatureException",
        "message": "Authorization header requires 'Credential' parameter. "
                   "Authorization header requires 'Signature' parameter. "
                   "Authorization header requires 'SignedHeaders' parameter. "
                   "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                   "Authorization=AWS4-",
    }
    assert reply.headers["x-amz-crc32"] == "1828866742"


CREDENTIAL = f"Credential={ACCESS_KEY}/20260101/{REGION}/dynamodb/aws4_request"


@pytest.mark.parametrize(("authorization", "missing"), [
    ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", "Credential"),
    (f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host", "Signature"),
    (f"AWS4-HMAC-SHA256 {CREDENTIAL}, Signature=abc", "SignedHeaders"),
])
def test_an_authorization_missing_one_part_names_that_part_and_echoes_the_header(server, authorization, missing):
    reply = call(server, "ListTables", b"{}", auth=authorization)
    assert reply.status == 400
    assert reply.json() == {
        "__type": "com.amazon.coral.service#IncompleteSignatureException",
        "message": f"Authorization header requires '{missing}' parameter. Authorization={authorization}",
    }


def test_a_signed_request_without_any_date_header_is_incomplete(server):
    reply = call(server, "ListTables", b"{}", date=None)
    assert reply.status == 400
    assert reply.json()["__type"] == "com.amazon.coral.service#IncompleteSignatureException"
    assert reply.json()["message"] == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={AUTH}")


def test_a_credential_without_its_five_parts_is_incomplete(server):
    # Wording from awslabs' SigV4 signature test suite (aws-sigv4 "Credential must have exactly 5 ...").
    # The date is current: DynamoDB judges the date before the credential's shape.
    authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=abc"
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    reply = call(server, "ListTables", b"{}", auth=authorization, date=now)
    assert reply.status == 400
    assert reply.json() == {
        "__type": "com.amazon.coral.service#IncompleteSignatureException",
        "message": "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
                   " got 'AKIDEXAMPLE'",
    }


def test_a_date_header_stands_in_for_x_amz_date_but_only_in_iso_8601_basic_format(server):
    # SigV4 takes the time from X-Amz-Date or Date, in ISO 8601 basic format either way (dynalite's
    # index.js, a DynamoDB capture: "Date must be in ISO-8601 'basic format'. Got '201'").
    reply = call(server, "ListTables", b"{}", date=None, extra={"Date": "Thu, 01 Jan 2026 00:00:00 GMT"})
    assert reply.status == 400
    assert reply.json() == {
        "__type": "com.amazon.coral.service#IncompleteSignatureException",
        "message": "Date must be in ISO-8601 'basic format'. Got 'Thu, 01 Jan 2026 00:00:00 GMT'. "
                   "See http://en.wikipedia.org/wiki/ISO_8601",
    }


def test_a_credential_scoped_to_another_region_is_an_invalid_signature(server):
    eu = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="eu-west-1",
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as caught:
        eu.list_tables()
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["Error"]["Message"].startswith("Credential should be scoped to a valid region")


@pytest.mark.parametrize(("region", "service", "message"), [
    ("eu-west-1", "dynamodb", "Credential should be scoped to a valid region. "),
    (REGION, "s3", "Credential should be scoped to correct service: 'dynamodb'. "),
    ("eu-west-1", "s3", "Credential should be scoped to a valid region. "
                        "Credential should be scoped to correct service: 'dynamodb'. "),
], ids=["region", "service", "region-and-service"])
def test_a_credential_scope_complaint_is_worded_as_dynamodb_words_it(server, region, service, message):
    # Live DynamoDB, 2026-09-16: ExtendDB's tests/.../test_auth_errors.py, TestRequestChecks
    # (test_scope_for_another_region_is_rejected, test_scope_wrong_in_region_and_service_reports_both).
    # Older captures of other services name the region ("..., not 'eu-west-1'. "); DynamoDB no longer does.
    reply = signed(server, "ListTables", {}, region=region, service=service)
    assert reply.status == 400
    assert reply.json() == {"__type": "com.amazon.coral.service#InvalidSignatureException", "message": message}


# --- Model validation seen through the server --------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"Limit": 0}, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                   "Member must have value greater than or equal to 1"),
    ({"Limit": 101}, "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
                     "Member must have value less than or equal to 100"),
    ({"ExclusiveStartTableName": "a;", "Limit": 500},
     "3 validation errors detected: "
     "Value '500' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100; "
     "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
     "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
     "Member must have length greater than or equal to 3"),
], ids=["limit-0", "limit-101", "three-errors-in-coral-order"])
def test_model_constraints_come_back_in_coral_s_words(server, params, message):
    reply = signed(server, "ListTables", params)
    assert reply.status == 400
    assert reply.json() == {"__type": "com.amazon.coral.validate#ValidationException", "message": message}


def test_boto3_sees_a_model_violation_as_a_validation_exception(server):
    client = client_for(server.endpoint, parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        client.list_tables(Limit=0)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                   "Member must have value greater than or equal to 1",
    }


@pytest.mark.parametrize(("operation", "body", "message"), [
    ("ListTables", b'{"Limit": "5"}', "STRING_VALUE cannot be converted to Integer"),
    ("ListTables", b'{"Limit": true}', "TRUE_VALUE cannot be converted to Integer"),
    ("DescribeTable", b'{"TableName": 23}', "NUMBER_VALUE cannot be converted to String"),
    ("UpdateTable", b'{"TableName": "abc", "ProvisionedThroughput": {"ReadCapacityUnits": "5", '
                    b'"WriteCapacityUnits": 5}}', "STRING_VALUE cannot be converted to Long"),
], ids=["string-for-integer", "boolean-for-integer", "number-for-string", "string-for-long"])
def test_a_value_of_the_wrong_json_type_is_a_serialization_exception(server, operation, body, message):
    # dynalite test/helpers.js assertType: Coral names the JSON token and the Java type it wanted.
    # Types are checked after the signature (dynalite's index.js, DynamoDB's order), so it is signed.
    reply = signed(server, operation, body=body)
    assert reply.status == 400
    assert reply.json() == {"__type": "com.amazon.coral.service#SerializationException", "Message": message}


def test_null_members_count_as_absent(server):
    # dynalite test/listTables.js "should return 200 if null attributes are supplied".
    reply = signed(server, "ListTables", {"ExclusiveStartTableName": None, "Limit": None})
    assert reply.status == 200
    assert isinstance(reply.json()["TableNames"], list)


def test_members_the_model_does_not_know_are_ignored(server):
    reply = signed(server, "ListTables", {"hi": "yo", "stuff": "things"})
    assert reply.status == 200


@pytest.mark.parametrize(("operation", "params", "type_"), [
    ("DescribeTable", {"TableName": "no-such-table"}, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"),
    ("DescribeTable", {"TableName": "a;"}, "com.amazon.coral.validate#ValidationException"),
    ("GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}},
     "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"),
    ("UpdateTable", {"TableName": "abc"}, "com.amazon.coral.validate#ValidationException"),
])
def test_an_error_reply_names_its_type_with_its_namespace_and_carries_a_message(server, operation, params, type_):
    reply = signed(server, operation, params)
    assert reply.status == 400
    assert reply.headers["content-type"] == JSON_10
    body = reply.json()
    assert body["__type"] == type_
    assert isinstance(body["message"], str) and body["message"]
    assert_envelope(reply)


# --- Internal failures -------------------------------------------------------------------------------------


@pytest.fixture
def broken_store_server(tmp_path):
    """A server of its own whose database loses its items table behind its back (a damaged store)."""
    srv = Server(tmp_path, free_port()).start()
    yield srv
    srv.stop()


def test_an_internal_failure_is_a_500_that_reveals_nothing_of_the_server(broken_store_server):
    # No request can make a healthy moatdb fail on its own, so the store is damaged from outside: the
    # items table of the SQLite file is renamed away while the server runs.
    client = client_for(broken_store_server.endpoint)
    create_table(client, None, name="victim")
    (database,) = broken_store_server.data_dir.glob("*.sqlite3")
    with sqlite3.connect(database) as conn:
        conn.execute("ALTER TABLE items RENAME TO items_lost")
    reply = signed(broken_store_server, "GetItem", {"TableName": "victim", "Key": {"pk": {"S": "a"}}})
    assert reply.status == 500
    assert reply.json() == {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                            "message": "Internal server error"}
    for leak in (b"Traceback", b"sqlite", b"items", b".py", b"Error:"):
        assert leak not in reply.body
    assert_envelope(reply)
