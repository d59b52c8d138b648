"""The audit trail of a real server: one CloudTrail record per request answered, allowed or denied,
never an attribute value or a secret, in files that ``moatdb audit verify`` vouches for, and that
survive ``kill -9``.

Sources: CloudTrail User Guide, "CloudTrail record contents" and "CloudTrail userIdentity element"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html:
an assumed role's sessionContext with its sessionIssuer and sourceIdentity), "Validating CloudTrail
log file integrity" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html);
IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail" (an AssumeRole event shows
the new AccessKeyId, never the secret).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from moatdb.audit.query import records
from tests.conftest import Server, client_for, free_port
from tests.helpers import (
    ACCOUNT,
    REGION,
    TESTER_ARN,
    S,
    allow,
    create_table,
    error,
    new_role,
    new_user,
    policy,
)

SECRET_VALUE = f"value-nobody-may-read-{uuid.uuid4().hex}"
SECRET_KEY_VALUE = f"key-nobody-may-read-{uuid.uuid4().hex}"


def start(data_dir: Path, flush_seconds: str | None = None, **options) -> Server:
    # Files are completed (and digested) every second, so a test sees its records digested soon.
    settings = {"MOATDB_AUDIT_ROTATE_SECONDS": "1"}
    if flush_seconds is not None:
        settings["MOATDB_AUDIT_FLUSH_SECONDS"] = flush_seconds
    os.environ.update(settings)
    try:
        return Server(data_dir, free_port(), **options).start()
    finally:
        for name in settings:
            del os.environ[name]


def audit(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moatdb", "audit", *arguments, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)


def trail_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in (data_dir / "audit").rglob("*") if path.is_file())


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A server that answered: the tester's writes and reads of a secret item, a denied reader, a role
    session with a source identity, and a caller nobody knows. Stopped, so every file is digested."""
    server = start(tmp_path_factory.mktemp("audited"))
    ddb = client_for(server.endpoint)
    table = create_table(ddb, None)
    ddb.put_item(TableName=table, Item={"pk": S(SECRET_KEY_VALUE), "v": S(SECRET_VALUE)})
    assert ddb.get_item(TableName=table, Key={"pk": S(SECRET_KEY_VALUE)})["Item"]["v"] == S(SECRET_VALUE)

    reader = new_user(server)
    denied = error(client_for(server.endpoint, credentials=reader.credentials).get_item,
                   TableName=table, Key={"pk": S(SECRET_KEY_VALUE)})

    role = new_role(server, policy({"Effect": "Allow", "Principal": {"AWS": TESTER_ARN},
                                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}),
                    policy(allow("dynamodb:GetItem")))
    assumed = client_for(server.endpoint, "sts").assume_role(RoleArn=role, RoleSessionName="nightly",
                                                             SourceIdentity="alice")
    credentials = assumed["Credentials"]
    as_role = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                           aws_access_key_id=credentials["AccessKeyId"],
                           aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["SessionToken"],
                           config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    as_role.get_item(TableName=table, Key={"pk": S(SECRET_KEY_VALUE)})

    unknown = error(client_for(server.endpoint, credentials=("AKIAUNKNOWNKEY000000", "x" * 40)).list_tables)
    server.stop()
    return {"data_dir": server.data_dir, "table": table, "reader": reader, "denied": denied, "role": role,
            "credentials": credentials, "unknown": unknown}


def found(session, **criteria) -> list[dict]:
    return list(records(session["data_dir"], **criteria))


def test_every_request_answered_has_one_record(session):
    names = [record["eventName"] for record in found(session)]
    assert names == ["CreateTable", "PutItem", "GetItem", "GetItem", "AssumeRole", "GetItem", "ListTables"]


def test_an_allowed_get_item_is_recorded_with_its_caller_its_address_and_no_vpc_endpoint(session):
    record = found(session, principal=TESTER_ARN, action="GetItem")[0]
    assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["userName"] == "tester"
    assert record["sourceIPAddress"] == "127.0.0.1" and "vpcEndpointId" not in record
    assert record["requestParameters"] == {"tableName": session["table"], "key": {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS"}}
    assert record["moatdbAuthorization"]["decision"] == "allowed" and "errorCode" not in record


def test_no_attribute_value_reaches_the_trail(session):
    everything = trail_bytes(session["data_dir"])
    assert SECRET_VALUE.encode() not in everything and SECRET_KEY_VALUE.encode() not in everything


def test_a_denied_request_is_recorded_with_the_error_its_caller_got_and_why(session):
    (record,) = found(session, principal=session["reader"].arn)
    code, message, _ = session["denied"]
    assert (record["errorCode"], record["errorMessage"]) == ("AccessDeniedException", message) and code == record["errorCode"]
    assert record["moatdbAuthorization"]["decision"] == "implicitDeny"
    assert record["moatdbAuthorization"]["policyType"] == "identity-based policy"
    assert found(session, decision="denied", table=session["table"]) == [record]


def test_a_role_sessions_request_names_the_role_that_issued_it_and_the_source_identity(session):
    (record,) = found(session, principal=session["role"], action="GetItem")
    identity = record["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{session['role'].rsplit('/', 1)[1]}/nightly"
    assert identity["accessKeyId"] == session["credentials"]["AccessKeyId"]
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == session["role"]
    assert identity["sessionContext"]["sourceIdentity"] == "alice"
    assert found(session, source_identity="alice") == [record]


def test_assume_role_is_recorded_with_the_new_key_id_but_never_its_secret_or_token(session):
    (record,) = found(session, action="sts:AssumeRole")
    credentials = session["credentials"]
    assert record["responseElements"]["credentials"]["accessKeyId"] == credentials["AccessKeyId"]
    assert record["requestParameters"]["sourceIdentity"] == "alice"
    everything = trail_bytes(session["data_dir"])
    assert credentials["SecretAccessKey"].encode() not in everything
    assert credentials["SessionToken"].encode() not in everything


def test_a_caller_nobody_knows_is_recorded_as_unknown_with_the_key_it_claimed(session):
    (record,) = found(session, decision="denied", action="ListTables")
    assert record["userIdentity"] == {"type": "Unknown", "principalId": "", "accessKeyId": "AKIAUNKNOWNKEY000000"}
    assert record["errorCode"] == session["unknown"][0] == "UnrecognizedClientException"


def test_verify_finds_the_trail_intact_then_names_the_log_file_that_was_changed(session, tmp_path):
    data_dir = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(session["data_dir"]), str(data_dir)], check=True)
    valid = audit(data_dir, "verify")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "VALID" in valid.stdout
    target = next((data_dir / "audit" / "logs").rglob("*.jsonl"))
    target.write_bytes(target.read_bytes().replace(b'"allowed"', b'"explicitDeny"'))
    invalid = audit(data_dir, "verify")
    assert invalid.returncode == 1
    assert "changed" in invalid.stdout and target.name in invalid.stdout


def test_the_query_command_filters_by_principal_and_decision(session):
    result = audit(session["data_dir"], "query", "--principal", session["reader"].arn, "--decision", "denied")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.split("\t")[1:4] == ["implicitDeny", session["reader"].arn, "dynamodb:GetItem"]


@pytest.mark.parametrize("flush_seconds, wait", [(None, 0.1), ("0", 0.0)], ids=["10 ms later", "before the reply"])
def test_a_record_of_an_answered_request_survives_kill_9_and_the_next_start_digests_it(tmp_path, flush_seconds,
                                                                                     wait):
    server = start(tmp_path / "killed", flush_seconds)
    ddb = client_for(server.endpoint)
    ddb.list_tables()
    time.sleep(wait)  # the bound docs/audit.md gives: 10 ms by default, none with a flush delay of 0
    server.kill()  # no shutdown: only what was written survives
    assert [record["eventName"] for record in records(server.data_dir)] == ["ListTables"]
    start(server.data_dir).stop()  # its writer files what the killed one left in active/
    result = audit(server.data_dir, "verify", "--json")
    assert result.returncode == 0, result.stdout
    assert '"pending": []' in result.stdout


def test_two_workers_share_one_trail_each_in_files_of_its_own_and_it_verifies(tmp_path):
    server = start(tmp_path / "two", workers=2)
    try:
        # Clients of their own, at once: new connections, which either worker may accept.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: client_for(server.endpoint).list_tables(), range(40)))
    finally:
        server.stop()
    writers = {path.name.rsplit("_", 1)[1].rsplit("-", 2)[0]
               for path in (server.data_dir / "audit" / "logs").rglob("*.jsonl")}
    assert 1 <= len(writers) <= 2 and f"p{server.process.pid}" not in writers  # workers', not the supervisor's
    assert len(list(records(server.data_dir, action="ListTables"))) == 40
    result = audit(server.data_dir, "verify")
    assert result.returncode == 0, result.stdout
