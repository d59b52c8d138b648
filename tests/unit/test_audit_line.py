"""The line a record is written as: a repeated request's line comes from a template, and reads back
as exactly the record ``Recorder.record`` makes, but for the fields that are each request's own."""

from __future__ import annotations

import orjson

from moatdb.audit.line import Lines
from moatdb.auth.origin import Origin
from moatdb.policy.decision import Decision
from tests.unit.test_audit_record import allowed, call, get_item, recorder, role_session, user_caller

OWN = ("eventTime", "eventID", "requestParameters", "requestID")


def same_but_own_fields(line: bytes, record: dict) -> None:
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    read = orjson.loads(line)
    assert {k: v for k, v in read.items() if k not in OWN} == {k: v for k, v in record.items() if k not in OWN}
    assert list(read) == list(record)  # CloudTrail's order, kept


def test_a_repeated_request_is_written_from_its_template_as_the_record_it_is():
    lines = Lines(recorder())
    first, second = get_item(), get_item()
    second.params = {"TableName": "Music", "Key": {"Artist": {"S": "Someone Else"}, "Song": {"S": "x"}}}
    lines.line(first)
    line, event_time = lines.line(second)
    record = lines.recorder.record(second)
    same_but_own_fields(line, record)
    read = orjson.loads(line)
    assert read["requestParameters"] == {"tableName": "Music", "key": {"Artist": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                                                       "Song": "HIDDEN_DUE_TO_SECURITY_REASONS"}}
    assert read["requestID"] == second.request_id and read["eventTime"] == event_time
    assert len(lines._templates) == 1


def test_a_role_sessions_repeated_request_keeps_its_session_context():
    caller, session = role_session()
    lines = Lines(recorder(session))
    lines.line(get_item(caller))
    line, _ = lines.line(get_item(caller))
    same_but_own_fields(line, lines.recorder.record(get_item(caller)))


def test_a_new_decision_a_new_origin_or_another_agent_makes_a_new_template():
    lines = Lines(recorder())
    lines.line(get_item())
    by_resource_policy = get_item(decisions=[(Decision(True, basis="a resource-based policy"),
                                              allowed("dynamodb:GetItem")[1])])
    assert orjson.loads(lines.line(by_resource_policy)[0])["moatdbAuthorization"]["basis"] == "a resource-based policy"
    moved = orjson.loads(lines.line(get_item(user_caller(Origin("192.0.2.1"))))[0])
    assert moved["sourceIPAddress"] == "192.0.2.1"
    other = get_item()
    other.scope = {"headers": [(b"user-agent", b"other/1.0")], "query_string": b""}
    assert orjson.loads(lines.line(other)[0])["userAgent"] == "other/1.0"
    assert len(lines._templates) == 2  # the agent is part of the key; the others replaced their template


def test_a_failure_or_a_recorded_response_is_written_whole():
    lines = Lines(recorder())
    failed = get_item(status=400, reply=b'{"__type":"x#ResourceNotFoundException","message":"Requested resource not found"}')
    assert orjson.loads(lines.line(failed)[0])["errorCode"] == "ResourceNotFoundException"
    created = call("dynamodb", "CreateTable", {"TableName": "Music"}, user_caller(),
                   result={"TableDescription": {"TableName": "Music"}}, decisions=[allowed("dynamodb:CreateTable")])
    assert orjson.loads(lines.line(created)[0])["responseElements"] == {"tableDescription": {"tableName": "Music"}}
    assert lines._templates == {}
