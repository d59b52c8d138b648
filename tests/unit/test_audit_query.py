"""Reading a trail back through its filters: principal (a role's ARN covers its sessions), session,
source identity, table, action, decision and time; the API the break-glass report reads and the
``moatdb audit query`` command."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from click.testing import CliRunner

from moatdb.audit.digest import Chain
from moatdb.audit.layout import Trail
from moatdb.audit.query import moment, records
from moatdb.audit.signing import SigningKey
from moatdb.audit.writer import Writer
from moatdb.cli import main

ALICE = "arn:aws:iam::111122223333:user/alice"
ROLE = "arn:aws:iam::111122223333:role/break-glass"
SESSION = "arn:aws:sts::111122223333:assumed-role/break-glass/incident-42"
MUSIC = "arn:aws:dynamodb:us-east-1:111122223333:table/Music"


def event(n: int, time: str, name: str, *, who: str = ALICE, key: str = "AKIAALICE", decision: str = "allowed",
          table: str | None = MUSIC, source: str = "dynamodb.amazonaws.com", error: str | None = None) -> dict:
    identity: dict = {"type": "IAMUser", "arn": who, "accessKeyId": key}
    if who == SESSION:
        identity = {"type": "AssumedRole", "arn": who, "accessKeyId": key,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}, "sourceIdentity": "bob"}}
    record = {"eventTime": time, "eventSource": source, "eventName": name, "userIdentity": identity,
              "eventID": str(n), "moatdbAuthorization": {"decision": decision}}
    if table is not None:
        record["resources"] = [{"type": "AWS::DynamoDB::Table", "ARN": table}]
    if error is not None:
        record["errorCode"] = error
    return record


EVENTS = [
    event(1, "2025-11-24T16:00:00Z", "GetItem"),
    event(2, "2025-11-24T16:05:00Z", "PutItem", decision="implicitDeny", error="AccessDeniedException"),
    event(3, "2025-11-24T16:10:00Z", "GetItem", who=SESSION, key="ASIAINCIDENT42"),
    event(4, "2025-11-24T16:15:00Z", "DeleteTable", who=SESSION, key="ASIAINCIDENT42", decision="explicitDeny",
          table="arn:aws:dynamodb:us-east-1:111122223333:table/Orders"),
    event(5, "2025-11-24T16:20:00Z", "ListTables", who="", key="AKIAUNKNOWN", decision="unauthenticated", table=None),
    event(6, "2025-11-24T16:25:00Z", "GetCallerIdentity", source="sts.amazonaws.com", table=None, decision="allowed"),
]


@pytest.fixture
def data_dir(tmp_path):
    """A data directory whose trail holds EVENTS, written by two workers, one file still open."""
    trail = Trail.of(tmp_path)
    chain = Chain(trail, SigningKey.load_or_create(trail.key_file), account="111122223333", region="us-east-1")
    first, second = Writer(chain), Writer(chain)
    for record in EVENTS:
        writer = first if int(record["eventID"]) % 2 else second
        writer.write(orjson.dumps(record) + b"\n", record["eventTime"])
    first.close()  # the second's file stays in active/: its records are read too
    yield tmp_path
    second.close()


def ids(found) -> list[int]:
    return [int(record["eventID"]) for record in found]


def test_every_record_comes_back_oldest_first_from_completed_and_open_files(data_dir):
    assert ids(records(data_dir)) == [1, 2, 3, 4, 5, 6]


def test_a_principal_is_a_callers_arn_and_a_roles_arn_covers_all_its_sessions(data_dir):
    assert ids(records(data_dir, principal=ALICE)) == [1, 2, 6]
    assert ids(records(data_dir, principal=ROLE)) == [3, 4]
    assert ids(records(data_dir, principal=SESSION)) == [3, 4]


def test_a_session_is_found_by_its_access_key_id_or_its_source_identity(data_dir):
    assert ids(records(data_dir, session="ASIAINCIDENT42")) == [3, 4]
    assert ids(records(data_dir, source_identity="bob")) == [3, 4]


def test_a_table_is_found_by_name_or_by_arn(data_dir):
    assert ids(records(data_dir, table="Music")) == [1, 2, 3]
    assert ids(records(data_dir, table="arn:aws:dynamodb:us-east-1:111122223333:table/Orders")) == [4]


def test_an_action_is_an_operation_name_optionally_with_its_service(data_dir):
    assert ids(records(data_dir, action="GetItem")) == [1, 3]
    assert ids(records(data_dir, action="dynamodb:getitem")) == [1, 3]
    assert ids(records(data_dir, action="sts:GetItem")) == []


def test_denied_means_an_explicit_or_implicit_deny_or_no_identity_at_all(data_dir):
    assert ids(records(data_dir, decision="denied")) == [2, 4, 5]
    assert ids(records(data_dir, decision="allowed")) == [1, 3, 6]


def test_a_time_range_includes_both_ends(data_dir):
    assert ids(records(data_dir, since="2025-11-24T16:05:00Z", until="2025-11-24T16:15:00Z")) == [2, 3, 4]
    assert ids(records(data_dir, since=datetime(2025, 11, 24, 16, 20, tzinfo=UTC))) == [5, 6]


def test_filters_combine(data_dir):
    assert ids(records(data_dir, principal=ROLE, decision="denied", table="Orders")) == [4]


def test_a_time_is_iso_8601_in_utc_unless_it_says_otherwise_or_a_span_ago():
    now = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert moment("2025-11-24T15:00:00Z") == datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
    assert moment("2025-11-24") == datetime(2025, 11, 24, tzinfo=UTC)
    assert moment("2025-11-24T17:00:00+02:00") == datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
    assert moment("90m", now=now) == datetime(2025, 11, 24, 14, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        moment("yesterday")


def test_the_query_command_prints_one_line_per_record_or_the_records_as_json_lines(data_dir):
    runner = CliRunner()
    text = runner.invoke(main, ["audit", "query", "--data-dir", str(data_dir), "--decision", "denied"])
    assert text.exit_code == 0, text.output
    assert [line.split("\t")[1] for line in text.output.splitlines()] == ["implicitDeny", "explicitDeny",
                                                                          "unauthenticated"]
    as_json = runner.invoke(main, ["audit", "query", "--data-dir", str(data_dir), "--table", "Orders", "--json"])
    assert [orjson.loads(line)["eventID"] for line in as_json.output.splitlines()] == ["4"]
