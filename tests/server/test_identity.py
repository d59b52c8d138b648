"""Who sent a request, as the server judges it over the wire: SigV4 signatures made by boto3 and by
botocore's signer pass; every tampering is refused with DynamoDB's error type, HTTP 400 and its exact
words; keys changed by `moatdb keys` count from the very next request; secrets stay out of the log.

Wording: architect/dynalite's test/connection.js (captured from DynamoDB) and the verifier's notes in
src/moatdb/auth/sigv4.py, which name their sources; the refusals are listed in docs/identity.md.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import socket
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import Server, client_for, free_port, seed_test_credentials
from tests.helpers import (
    ACCESS_KEY,
    JSON_10,
    REGION,
    SECRET_KEY,
    TARGET,
    Reply,
    error,
    profile_credentials,
    send,
)

MOATDB = str(Path(sys.executable).parent / "moatdb")

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
UNKNOWN_KEY = "The security token included in the request is invalid."
HOST_NOT_SIGNED = "'Host' must be a 'SignedHeader' in the AWS Authorization."
MISSING_TOKEN = "Request is missing Authentication Token"
CORAL = "com.amazon.coral.service#"
BASIC = r"(\d{8}T\d{6}Z)"


def utc_now() -> datetime.datetime:
    """Now in UTC, naive, as botocore's clock (botocore.auth.get_current_datetime) answers it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def sign(endpoint: str, operation: str = "ListTables", body: bytes = b"{}", *, key: str = ACCESS_KEY,
         secret: str = SECRET_KEY, region: str = REGION, service: str = "dynamodb",
         at: datetime.datetime | None = None) -> AWSRequest:
    """A DynamoDB request signed by botocore's SigV4 signer, as of ``at`` (now by default)."""
    request = AWSRequest(method="POST", url=endpoint + "/", data=body,
                         headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET + operation})
    clock = mock.patch("botocore.auth.get_current_datetime", return_value=at) if at else nullcontext()
    with clock:
        SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return request


def deliver(server, request: AWSRequest, *, body: bytes | None = None, headers: dict | None = None) -> Reply:
    """Sends a signed request over http.client, with its body or headers replaced if a test says so."""
    sent_headers = dict(request.headers.items())
    sent_headers.update(headers or {})
    return send(server, body=request.body if body is None else body, headers=sent_headers)


def refusal(reply: Reply) -> tuple[int, str, str]:
    """(HTTP status, error type without its namespace, message) of a JSON error reply."""
    parsed = reply.json()
    assert parsed["__type"].startswith(CORAL), parsed
    return reply.status, parsed["__type"][len(CORAL):], parsed["message"]


def without_host(request: AWSRequest) -> dict:
    authorization = request.headers["Authorization"]
    signed_headers = re.search(r"SignedHeaders=([^,]+)", authorization).group(1)
    kept = ";".join(name for name in signed_headers.split(";") if name != "host")
    return {"Authorization": authorization.replace(f"SignedHeaders={signed_headers}", f"SignedHeaders={kept}")}


# --- correct signatures pass ------------------------------------------------------------------------------


def test_a_request_boto3_signs_is_answered(server, ddb):
    reply = ddb.list_tables()

    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert isinstance(reply["TableNames"], list)


def test_a_request_botocore_signs_and_http_client_sends_is_answered(server):
    reply = deliver(server, sign(server.endpoint, "DescribeLimits"))

    assert reply.status == 200
    assert reply.json()["AccountMaxReadCapacityUnits"] > 0


def test_a_request_signed_with_a_signed_payload_hash_header_is_answered(server):
    # What S3-minded signers add: x-amz-content-sha256, signed, with the body's real hash.
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=b"{}",
                         headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET + "ListTables",
                                  "X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION).add_auth(request)

    reply = deliver(server, request)

    assert reply.status == 200, reply.body
    assert "TableNames" in reply.json()


# --- each tampering is refused, in DynamoDB's words ---------------------------------------------------------

SIX_MINUTES = datetime.timedelta(minutes=6)

TAMPERING: list = [
    pytest.param(lambda s: deliver(s, sign(s.endpoint), body=b'{"Limit": 1}'),
                 "InvalidSignatureException", MISMATCH, id="body changed after signing"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint), headers={"X-Amz-Target": TARGET + "DescribeLimits"}),
                 "InvalidSignatureException", MISMATCH, id="x-amz-target changed after signing"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint), headers={"Content-Type": "application/json"}),
                 "InvalidSignatureException", MISMATCH, id="content-type changed after signing"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint, region="eu-west-1")),
                 "InvalidSignatureException", "Credential should be scoped to a valid region. ",
                 id="another region in the scope"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint, service="sts")),
                 "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'. ",
                 id="another service in the scope"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint, key="AKIAUNKNOWNKEY000000")),
                 "UnrecognizedClientException", UNKNOWN_KEY, id="unknown access key"),
    pytest.param(lambda s: deliver(s, sign(s.endpoint, secret=SECRET_KEY[:-1] + "X")),
                 "InvalidSignatureException", MISMATCH, id="wrong secret"),
    pytest.param(lambda s: deliver(s, (r := sign(s.endpoint)), headers=without_host(r)),
                 "InvalidSignatureException", HOST_NOT_SIGNED, id="host not signed"),
    pytest.param(lambda s: send(s, body=b"{}", headers={"Content-Type": JSON_10,
                                                        "X-Amz-Target": TARGET + "ListTables"}),
                 "MissingAuthenticationTokenException", MISSING_TOKEN, id="no authorization at all"),
]


@pytest.mark.parametrize(("tamper", "error_type", "message"), TAMPERING)
def test_a_tampered_request_is_refused_with_dynamodbs_error_and_words(server, tamper, error_type, message):
    assert refusal(tamper(server)) == (400, error_type, message)


@pytest.mark.parametrize("credentials", [(ACCESS_KEY, "not-the-secret"), ("AKIAUNKNOWNKEY000000", SECRET_KEY)],
                         ids=["wrong secret", "unknown key"])
def test_boto3_sees_a_refused_signature_as_dynamodb_reports_it(server, credentials):
    code, message, status = error(client_for(server.endpoint, credentials=credentials).list_tables)

    expected = "InvalidSignatureException" if credentials[1] != SECRET_KEY else "UnrecognizedClientException"
    assert (code, status) == (expected, 400)
    assert message == (MISMATCH if expected == "InvalidSignatureException" else UNKNOWN_KEY)


def test_an_unsigned_boto3_request_is_missing_its_authentication_token(server):
    unsigned = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))

    assert error(unsigned.list_tables) == ("MissingAuthenticationTokenException", MISSING_TOKEN, 400)


def test_a_wrong_secret_is_told_nothing_of_the_signature_the_server_expected(server):
    request = sign(server.endpoint, secret="a-wrong-secret")

    status, error_type, message = refusal(deliver(server, request))

    assert (status, error_type, message) == (400, "InvalidSignatureException", MISMATCH)
    # AWS once appended "The Canonical String for this request should have been ..." and the string to
    # sign; none of it, nor the signature the right secret makes, may reach the client.
    right = sign(server.endpoint)
    right_signature = right.headers["Authorization"].rsplit("Signature=", 1)[1]
    assert "Canonical" not in message and "StringToSign" not in message and "AWS4-HMAC-SHA256" not in message
    assert right_signature not in message


def parse_basic(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC).timestamp()


def test_a_request_dated_6_minutes_ago_has_an_expired_signature(server):
    # dynalite's test/connection.js: "Signature expired: 20130301T000000Z is now earlier than
    # 20130609T094515Z (20130609T100015Z - 15 min.)"; DynamoDB's window is 5 minutes today (sigv4.py).
    signed_at = utc_now() - SIX_MINUTES

    status, error_type, message = refusal(deliver(server, sign(server.endpoint, at=signed_at)))

    assert (status, error_type) == (400, "InvalidSignatureException")
    match = re.fullmatch(rf"Signature expired: {BASIC} is now earlier than {BASIC} \({BASIC} - 5 min\.\)", message)
    assert match, message
    date, limit, now = match.groups()
    assert date == signed_at.strftime("%Y%m%dT%H%M%SZ")
    assert parse_basic(now) - parse_basic(limit) == 300
    assert abs(parse_basic(now) - time.time()) < 10


def test_a_request_dated_6_minutes_ahead_is_not_yet_current(server):
    signed_at = utc_now() + SIX_MINUTES

    status, error_type, message = refusal(deliver(server, sign(server.endpoint, at=signed_at)))

    assert (status, error_type) == (400, "InvalidSignatureException")
    match = re.fullmatch(rf"Signature not yet current: {BASIC} is still later than {BASIC} \({BASIC} \+ 5 min\.\)",
                         message)
    assert match, message
    date, limit, now = match.groups()
    assert date == signed_at.strftime("%Y%m%dT%H%M%SZ")
    assert parse_basic(limit) - parse_basic(now) == 300
    assert abs(parse_basic(now) - time.time()) < 10


@pytest.mark.parametrize("minutes", [-4, 4])
def test_a_request_dated_within_the_5_minute_window_is_answered(server, minutes):
    reply = deliver(server, sign(server.endpoint, at=utc_now() + datetime.timedelta(minutes=minutes)))

    assert reply.status == 200, reply.body


# --- presigned requests -------------------------------------------------------------------------------------


def presign(endpoint: str, body: bytes, *, expires: int, at: datetime.datetime | None = None) -> AWSRequest:
    """A DynamoDB POST whose signature travels in the query string (SigV4QueryAuth). The body's hash is
    given as a signed x-amz-content-sha256 header: SigV4QueryAuth would otherwise move a body into
    the query string, which DynamoDB's JSON protocol cannot read."""
    request = AWSRequest(method="POST", url=endpoint + "/", data=b"",
                         headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET + "ListTables",
                                  "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    clock = mock.patch("botocore.auth.get_current_datetime", return_value=at) if at else nullcontext()
    with clock:
        SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION, expires=expires).add_auth(request)
    return request


def send_presigned(server, request: AWSRequest, body: bytes) -> Reply:
    url = urlsplit(request.url)
    assert "X-Amz-Signature=" in url.query and "Authorization" not in request.headers
    return send(server, path=f"{url.path}?{url.query}", body=body, headers=dict(request.headers.items()))


def test_a_presigned_dynamodb_request_is_answered(server):
    body = b'{"Limit": 1}'

    reply = send_presigned(server, presign(server.endpoint, body, expires=60), body)

    assert reply.status == 200, reply.body
    assert "TableNames" in reply.json()


def test_a_presigned_request_past_its_x_amz_expires_is_refused(server):
    body = b"{}"
    signed_at = utc_now() - datetime.timedelta(seconds=120)

    status, error_type, message = refusal(
        send_presigned(server, presign(server.endpoint, body, expires=60, at=signed_at), body))

    assert (status, error_type) == (400, "InvalidSignatureException")
    # The lifetime the client signed, not the 5-minute skew, bounds a presigned request (sigv4.py, step 5).
    match = re.fullmatch(rf"Signature expired: {BASIC} is now earlier than {BASIC} \({BASIC} - 1 min\.\)", message)
    assert match, message
    assert match.group(1) == signed_at.strftime("%Y%m%dT%H%M%SZ")


def test_a_presigned_request_with_a_changed_body_is_refused(server):
    request = presign(server.endpoint, b"{}", expires=60)

    assert refusal(send_presigned(server, request, b'{"Limit": 2}')) == (400, "InvalidSignatureException", MISMATCH)


# --- keys changed while the server runs ---------------------------------------------------------------------


def moatdb(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([MOATDB, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, whose keys it may change."""
    server = Server(tmp_path / "data", free_port()).start()
    yield server
    server.stop()


def test_a_key_deactivated_activated_and_deleted_counts_from_the_very_next_request(own_server):
    ddb = client_for(own_server.endpoint)
    data_dir = str(own_server.data_dir)
    assert "TableNames" in ddb.list_tables()

    moatdb("keys", "deactivate", ACCESS_KEY, "--data-dir", data_dir)
    assert error(ddb.list_tables) == ("UnrecognizedClientException", UNKNOWN_KEY, 400)

    moatdb("keys", "activate", ACCESS_KEY, "--data-dir", data_dir)
    assert "TableNames" in ddb.list_tables()

    moatdb("keys", "delete", ACCESS_KEY, "--data-dir", data_dir)
    assert error(ddb.list_tables) == ("UnrecognizedClientException", UNKNOWN_KEY, 400)


def test_a_deactivated_key_is_refused_by_every_worker(tmp_path):
    # Each worker caches the keys it looked up; a change through another process must reach them all.
    server = Server(tmp_path / "data", free_port(), workers=2).start()
    try:
        clients = [client_for(server.endpoint) for _ in range(8)]  # separate connections, spread on workers
        for ddb in clients:
            ddb.list_tables()
        moatdb("keys", "deactivate", ACCESS_KEY, "--data-dir", str(server.data_dir))
        for ddb in clients:
            assert error(ddb.list_tables)[0] == "UnrecognizedClientException"
    finally:
        server.stop()


# --- secrets stay out of the log ----------------------------------------------------------------------------


def test_no_secret_reaches_the_servers_debug_log(tmp_path):
    data_dir = tmp_path / "data"  # empty: `moatdb serve` applies the default world, generating admin's key
    log_path = tmp_path / "stderr.log"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [MOATDB, "serve", "--port", str(port), "--data-dir", str(data_dir), "--log-level", "debug",
             "--door", "prod-vpce=127.0.0.1:0"],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(port, process)
        seed_test_credentials(data_dir)  # a known key beside the generated one
        key_id, secret = profile_credentials(data_dir, "admin")
        assert key_id.startswith("AKIA") and len(secret) == 40

        admin = client_for(endpoint, credentials=(key_id, secret))
        admin.list_tables()
        session = client_for(endpoint, "sts").get_session_token()["Credentials"]
        temporary = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                                 aws_access_key_id=session["AccessKeyId"],
                                 aws_secret_access_key=session["SecretAccessKey"],
                                 aws_session_token=session["SessionToken"])
        temporary.list_tables()
        error(client_for(endpoint, credentials=(key_id, secret[:-1] + ("Y" if secret.endswith("X") else "X"))).list_tables)
        error(client_for(endpoint, credentials=(ACCESS_KEY, "wrong")).list_tables)
        assert send_to(endpoint, sign(endpoint, secret="wrong")).status == 400
    finally:
        process.terminate()
        process.wait(10)

    logged = log_path.read_text()
    assert f"user arn:aws:iam::111111111111:user/admin, access key {key_id} (generated)" in logged, logged
    for secret_text in (secret, SECRET_KEY, session["SecretAccessKey"], session["SessionToken"]):
        assert secret_text not in logged
    # Nor its derived signing material: the signatures of good requests never reach the log either.
    assert "Signature=" not in logged


def send_to(endpoint: str, request: AWSRequest) -> Reply:
    return send(SimpleNamespace(endpoint=endpoint), body=request.body, headers=dict(request.headers.items()))


def wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "moatdb serve exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("moatdb did not start listening within 20 s")

