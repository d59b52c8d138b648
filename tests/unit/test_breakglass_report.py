"""The report of a grant (breakglass/report.py): Markdown a person reads after the emergency, its
calls from the audit trail when the data directory keeps one, else from the grant's journal."""

from __future__ import annotations

import pytest

from moatdb.breakglass import events
from moatdb.breakglass.report import audited, render
from tests.unit.test_breakglass_procedure import ONCALL, SECURITY, ask, clock, procedure  # noqa: F401


@pytest.fixture
def used(procedure):  # noqa: F811
    """A grant approved, its credentials issued, one call journaled as the monitor writes it, revoked."""
    grant = procedure.approve(SECURITY, ask(procedure).id, "ok | go")
    grant, session = procedure.credentials(ONCALL, grant.id)
    with procedure.store.write() as txn:
        events.append(txn, events.Event(events.CALL, "a call", grant.id, grant.role, session.principal_arn, {
            "service": "dynamodb", "operation": "PutItem", "parameters": ["TableName", "Item"], "status": 200,
            "outcome": "Success", "source_ip": "10.10.0.7", "vpc_endpoint": "vpce-0prod000000000"}))
    return procedure.revoke(ONCALL, grant.id, "done"), procedure


def test_the_report_says_who_asked_who_approved_and_how_it_ended(used):
    grant, steps = used

    text = render(grant, events.journal(steps.store, grant.id), steps.clock())

    assert text.startswith(f"# Break-glass grant {grant.id}\n")
    assert f"| Requested by | {ONCALL.arn} (source identity oncall) |" in text
    assert "| Reason | orders table corrupt |" in text and "| Ticket | INC-42 |" in text
    assert f"| {SECURITY.arn} | ok \\| go |" in text  # a pipe in a comment does not break the table
    assert f"| Ended | revoked by {ONCALL.arn} at " in text
    timeline = [line.split(" | ")[1] for line in text.split("## Timeline")[1].split("## Calls")[0].splitlines()
                if line.startswith("| 2")]
    assert timeline == ["requested", "approved", "granted", "issued", "revoked"]


def test_without_a_trail_the_calls_come_from_the_journal(used, tmp_path):
    grant, steps = used

    assert audited(tmp_path, grant) is None
    text = render(grant, events.journal(steps.store, grant.id), steps.clock(), audited(tmp_path, grant))

    assert "## Calls made under the grant (1)" in text
    assert "| dynamodb | PutItem | TableName, Item | Success | 10.10.0.7 via vpce-0prod000000000 |" in text
    assert text.endswith("the grant's break-glass journal (the data directory holds no audit trail).\n")


def test_with_a_trail_the_calls_are_its_records(used):
    grant, steps = used
    records = [{"eventTime": "2026-12-02T09:00:01Z", "eventSource": "dynamodb.amazonaws.com",
                "eventName": "DeleteTable", "requestParameters": {"tableName": "orders"},
                "errorCode": "AccessDeniedException", "sourceIPAddress": "203.0.113.10"},
               {"eventTime": "2026-12-02T09:00:02Z", "eventSource": "sts.amazonaws.com",
                "eventName": "GetCallerIdentity", "requestParameters": None, "sourceIPAddress": "203.0.113.10"}]

    text = render(grant, events.journal(steps.store, grant.id), steps.clock(), records)

    assert "## Calls made under the grant (2)" in text
    assert "| 2026-12-02T09:00:01Z | dynamodb | DeleteTable | tableName | AccessDeniedException | 203.0.113.10 |" \
        in text
    assert "| 2026-12-02T09:00:02Z | sts | GetCallerIdentity | - | Success | 203.0.113.10 |" in text
    assert "PutItem" not in text  # the journal's account of the calls is not the source then


def test_a_request_never_granted_has_no_calls_in_the_trail(procedure, tmp_path):  # noqa: F811
    (tmp_path / "audit").mkdir()

    assert audited(tmp_path, ask(procedure)) == []
