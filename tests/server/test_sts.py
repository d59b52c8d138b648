"""STS on moatdb's door, as boto3's sts client, raw Query-protocol requests and the AWS CLI see it:
GetCallerIdentity, GetSessionToken and the temporary credentials it hands out, and STS's XML errors.

Sources: the STS API Reference (GetCallerIdentity, GetSessionToken: 900..129,600 s, 43,200 s by default,
"AccessDenied ... Cannot call GetSessionToken with session credentials" as users report it from AWS);
STS's error envelope and codes from its "Common Errors" page and captures quoted beside each test.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import client_for, free_port
from tests.helpers import ACCESS_KEY, REGION, SECRET_KEY, TESTER_ARN, Reply, error, send

AWS = str(Path(sys.executable).parent / "aws")
MOATDB = str(Path(sys.executable).parent / "moatdb")
XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
# STS words an unknown key and a temporary key without (or with another) session token alike, with a
# period ("An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The
# security token included in the request is invalid." -- the AWS CLI's report for an ASIA key sent
# without its token). DynamoDB drops the period for a bad token (dynalite; PynamoDB#603).
STS_INVALID_TOKEN = "The security token included in the request is invalid."
DDB_BAD_TOKEN = "The security token included in the request is invalid"
EXPIRED = "The security token included in the request is expired"


@pytest.fixture(scope="module")
def sts(server):
    return client_for(server.endpoint, "sts")


@pytest.fixture(scope="module")
def tester_id(server) -> str:
    from moatdb.server import open_directory

    directory = open_directory(server.data_dir)
    try:
        return directory.user("000000000000", "tester").id
    finally:
        directory.store.close()


def clients_for(endpoint: str, credentials: dict, *, token: str | None = "same") -> tuple:
    """(dynamodb, sts) clients signing with GetSessionToken's credentials; ``token`` None sends none,
    another string sends that one instead of the session's own."""
    session_token = credentials["SessionToken"] if token == "same" else token
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return tuple(
        boto3.client(service, endpoint_url=endpoint, region_name=REGION, config=config,
                     aws_access_key_id=credentials["AccessKeyId"],
                     aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=session_token)
        for service in ("dynamodb", "sts")
    )


def sts_call(server, action: str, *, key: str = ACCESS_KEY, secret: str = SECRET_KEY, **params: str) -> Reply:
    """A Query-protocol POST signed by botocore, as the SDKs send STS requests."""
    body = "&".join([f"Action={action}", "Version=2011-06-15", *(f"{k}={v}" for k, v in params.items())])
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body.encode(),
                         headers={"Content-Type": FORM})
    SigV4Auth(Credentials(key, secret), "sts", REGION).add_auth(request)
    return send(server, body=request.body, headers=dict(request.headers.items()))


def xml_error(reply: Reply) -> dict:
    """The parts of an STS error body, asserting its envelope:
    <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>."""
    assert reply.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(reply.body)
    assert root.tag == f"{{{XMLNS}}}ErrorResponse"
    assert [child.tag for child in root] == [f"{{{XMLNS}}}Error", f"{{{XMLNS}}}RequestId"]
    error_element, request_id = list(root)
    assert [child.tag.split("}")[1] for child in error_element] == ["Type", "Code", "Message"]
    assert request_id.text and reply.headers["x-amzn-requestid"] == request_id.text
    return {child.tag.split("}")[1]: child.text for child in error_element}


# --- GetCallerIdentity ----------------------------------------------------------------------------------------


def test_get_caller_identity_names_the_iam_user_who_signed(sts, tester_id):
    reply = sts.get_caller_identity()

    assert reply["Arn"] == TESTER_ARN
    assert reply["Account"] == "000000000000"
    assert reply["UserId"] == tester_id
    assert tester_id.startswith("AIDA") and len(tester_id) == 21


def test_get_caller_identity_answers_in_sts_xml(server, tester_id):
    reply = sts_call(server, "GetCallerIdentity")

    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(reply.body)
    ns = {"sts": XMLNS}
    assert root.tag == f"{{{XMLNS}}}GetCallerIdentityResponse"
    assert root.findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=ns) == TESTER_ARN
    assert root.findtext("sts:GetCallerIdentityResult/sts:UserId", namespaces=ns) == tester_id
    assert root.findtext("sts:GetCallerIdentityResult/sts:Account", namespaces=ns) == "000000000000"
    assert root.findtext("sts:ResponseMetadata/sts:RequestId", namespaces=ns)


# --- GetSessionToken -------------------------------------------------------------------------------------------


def test_get_session_token_hands_out_asia_credentials_for_12_hours_by_default(sts):
    before = datetime.datetime.now(datetime.UTC)
    credentials = sts.get_session_token()["Credentials"]

    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40
    assert credentials["SessionToken"]
    lifetime = (credentials["Expiration"] - before).total_seconds()
    assert 43_200 - 5 <= lifetime <= 43_200 + 5


@pytest.mark.parametrize("seconds", [900, 129_600], ids=["shortest", "longest"])
def test_get_session_token_honours_durations_within_iams_bounds(sts, seconds):
    before = datetime.datetime.now(datetime.UTC)
    credentials = sts.get_session_token(DurationSeconds=seconds)["Credentials"]

    assert abs((credentials["Expiration"] - before).total_seconds() - seconds) <= 5


@pytest.mark.parametrize(("seconds", "constraint"), [
    (899, "greater than or equal to 900"),
    (129_601, "less than or equal to 129600"),
])
def test_get_session_token_refuses_a_duration_out_of_bounds_in_corals_words(server, seconds, constraint):
    # As STS answers it (Hadoop's S3A troubleshooting guide quotes "1 validation error detected: Value '20'
    # at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900").
    unchecked = client_for(server.endpoint, "sts", parameter_validation=False)

    assert error(unchecked.get_session_token, DurationSeconds=seconds) == (
        "ValidationError",
        f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: "
        f"Member must have value {constraint}",
        400,
    )


def test_session_credentials_with_their_token_work_for_dynamodb_and_sts(server, sts, tester_id):
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    ddb, session_sts = clients_for(server.endpoint, credentials)

    assert "TableNames" in ddb.list_tables()
    # As on AWS, GetSessionToken's credentials act as the IAM user who asked for them.
    identity = session_sts.get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (TESTER_ARN, tester_id, "000000000000")


@pytest.mark.parametrize("token", [None, "bm90LXRoZS10b2tlbg=="], ids=["without the token", "with another token"])
def test_session_credentials_without_their_own_token_are_refused(server, sts, token):
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    ddb, session_sts = clients_for(server.endpoint, credentials, token=token)

    assert error(ddb.list_tables) == ("UnrecognizedClientException", DDB_BAD_TOKEN, 400)
    assert error(session_sts.get_caller_identity) == ("InvalidClientTokenId", STS_INVALID_TOKEN, 403)


def test_a_long_term_key_sent_with_a_session_token_is_refused(server):
    bogus = {"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY, "SessionToken": "bm90LWEtc2Vzc2lvbg=="}
    ddb, _ = clients_for(server.endpoint, bogus)

    assert error(ddb.list_tables) == ("UnrecognizedClientException", DDB_BAD_TOKEN, 400)


def test_get_session_token_with_session_credentials_is_access_denied(server, sts):
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    _, session_sts = clients_for(server.endpoint, credentials)

    assert error(session_sts.get_session_token) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_expired_session_credentials_are_refused_as_expired(server):
    from moatdb.server import open_directory

    directory = open_directory(server.data_dir)
    try:
        _, identity = directory.signing_key(ACCESS_KEY)
        session = directory.create_session(identity, -10)  # expired ten seconds ago
    finally:
        directory.store.close()
    credentials = {"AccessKeyId": session.id, "SecretAccessKey": session.secret, "SessionToken": session.token}
    ddb, session_sts = clients_for(server.endpoint, credentials)

    assert error(ddb.list_tables) == ("ExpiredTokenException", EXPIRED, 400)
    # STS answers 403 (aws/aws-sdk-java-v2#1649: "ExpiredToken ... (Service: Sts, Status Code: 403)";
    # IAM's Query protocol the same: cfn-sphere#55 "403 Forbidden ... <Code>ExpiredToken</Code>").
    assert error(session_sts.get_caller_identity) == ("ExpiredToken", EXPIRED, 403)


# --- STS's errors -------------------------------------------------------------------------------------------


def test_an_sts_request_with_a_wrong_signature_is_signature_does_not_match(server):
    sts = client_for(server.endpoint, "sts", credentials=(ACCESS_KEY, "not-the-secret"))
    assert error(sts.get_caller_identity) == ("SignatureDoesNotMatch", MISMATCH, 403)

    reply = sts_call(server, "GetCallerIdentity", secret="not-the-secret")
    assert reply.status == 403
    assert xml_error(reply) == {"Type": "Sender", "Code": "SignatureDoesNotMatch", "Message": MISMATCH}


def test_an_sts_request_with_an_unknown_key_is_an_invalid_client_token_id(server):
    sts = client_for(server.endpoint, "sts", credentials=("AKIAUNKNOWNKEY000000", SECRET_KEY))
    assert error(sts.get_caller_identity) == ("InvalidClientTokenId", STS_INVALID_TOKEN, 403)

    reply = sts_call(server, "GetCallerIdentity", key="AKIAUNKNOWNKEY000000")
    assert reply.status == 403
    assert xml_error(reply) == {"Type": "Sender", "Code": "InvalidClientTokenId", "Message": STS_INVALID_TOKEN}


def test_an_unsigned_sts_request_is_missing_its_authentication_token(server):
    reply = send(server, body=b"Action=GetCallerIdentity&Version=2011-06-15", headers={"Content-Type": FORM})

    assert reply.status == 403
    assert xml_error(reply) == {"Type": "Sender", "Code": "MissingAuthenticationToken",
                                "Message": "Request is missing Authentication Token"}


def test_an_action_sts_does_not_serve_is_an_invalid_action(server):
    reply = sts_call(server, "GetFederationToken")

    assert reply.status == 400
    assert xml_error(reply) == {"Type": "Sender", "Code": "InvalidAction",
                                "Message": "Could not find operation GetFederationToken for version 2011-06-15"}


# --- the AWS CLI with the profiles `moatdb serve` writes ---------------------------------------------------


def test_the_aws_cli_uses_the_admin_profile_moatdb_serve_writes_on_a_fresh_data_dir(tmp_path):
    data_dir = tmp_path / "fresh"
    port = free_port()
    process = subprocess.Popen(
        [MOATDB, "serve", "--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning",
         "--door", "prod-vpce=127.0.0.1:0"],  # the default world's VPC endpoint door, on a free port
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "moatdb serve exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moatdb did not start listening within 20 s"
                time.sleep(0.05)
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE=str(data_dir / "aws" / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(data_dir / "aws" / "credentials"), AWS_PAGER="")
        # No --endpoint-url, no --profile: the default profile carries the endpoint and admin's key.
        done = subprocess.run([AWS, "sts", "get-caller-identity", "--output", "json"], capture_output=True,
                              text=True, env=env, timeout=60)
    finally:
        process.terminate()
        process.wait(10)

    assert done.returncode == 0, done.stderr
    identity = json.loads(done.stdout)
    # The default world's management account administrator.
    assert identity["Arn"] == "arn:aws:iam::111111111111:user/admin"
    assert identity["Account"] == "111111111111"
    assert identity["UserId"].startswith("AIDA")
