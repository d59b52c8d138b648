"""After the emergency: everything done under one grant, as Markdown. Who asked and why, who
approved, when it began and how it ended, and every call made with its sessions, with the names of
its parameters (never their values) and its outcome.

The calls come from the audit trail of the data directory (``moatdb.audit.query``: the CloudTrail
record of every request, signed and chained), when it has one; else from the grant's journal, where
the monitor writes each call it alarms. The steps come from the journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from moatdb.audit.layout import Trail
from moatdb.audit.query import records
from moatdb.breakglass import events
from moatdb.breakglass.durations import show
from moatdb.breakglass.events import iso
from moatdb.breakglass.grants import Grant

_JOURNAL = "Source of the calls: the grant's break-glass journal (the data directory holds no audit trail)."
_TRAIL = "Source of the calls: the audit trail (`moatdb audit query --session KEY` lists their full records)."


def audited(data_dir: Path, grant: Grant) -> list[dict] | None:
    """The CloudTrail records of every request made with the grant's sessions, oldest first; None
    when the data directory keeps no audit trail."""
    if not Trail.of(data_dir).root.is_dir():
        return None
    if grant.starts is None:
        return []
    since = datetime.fromtimestamp(int(grant.starts), UTC)
    found = [record for key in grant.sessions for record in records(data_dir, session=key, since=since)]
    return sorted(found, key=lambda record: record.get("eventTime") or "")


def render(grant: Grant, journal: Iterable[dict], now: float, trail: list[dict] | None = None) -> str:
    """The report; its calls from ``trail`` (``audited``'s records) when given, else from ``journal``."""
    entries = list(journal)
    calls = [_from_journal(entry) for entry in entries if entry["event"] == events.CALL] if trail is None \
        else [_from_trail(record) for record in trail]
    steps = [entry for entry in entries if entry["event"] != events.CALL]
    lines = [f"# Break-glass grant {grant.id}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in _facts(grant, now)]
    lines += ["", "## Approvals", ""]
    if grant.approvals:
        lines += ["| when | approver | comment |", "|---|---|---|"]
        lines += [f"| {iso(approval.at)} | {_cell(approval.by)} | {_cell(approval.comment or '-')} |"
                  for approval in grant.approvals]
    else:
        lines.append("None: opened with a seal's shares." if grant.sealed else "None.")
    lines += ["", "## Timeline", "", "| when | event | by | what |", "|---|---|---|---|"]
    lines += [f"| {entry['time']} | {entry['event']} | {_cell(entry['actor'] or '-')} | "
              f"{_cell(entry['summary'])} |" for entry in steps]
    lines += ["", f"## Calls made under the grant ({len(calls)})", ""]
    if calls:
        lines += ["| when | service | operation | parameters | outcome | from |", "|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(value) for value in call) + " |" for call in calls]
    else:
        lines.append("None.")
    lines += ["", _JOURNAL if trail is None else _TRAIL]
    return "\n".join(lines) + "\n"


def _from_journal(entry: dict) -> tuple[str, ...]:
    detail = entry["detail"]
    return (entry["time"], detail["service"], detail["operation"], ", ".join(detail["parameters"]) or "-",
            detail["outcome"], _where(detail["source_ip"], detail.get("vpc_endpoint")))


def _from_trail(record: dict) -> tuple[str, ...]:
    parameters = record.get("requestParameters")
    return (record.get("eventTime") or "-", (record.get("eventSource") or "-").split(".", 1)[0],
            record.get("eventName") or "-", ", ".join(parameters) if isinstance(parameters, dict) and parameters
            else "-", record.get("errorCode") or "Success",
            _where(record.get("sourceIPAddress") or "-", record.get("vpcEndpointId")))


def _where(source_ip: str, vpc_endpoint: str | None) -> str:
    return source_ip + (f" via {vpc_endpoint}" if vpc_endpoint else "")


def _facts(grant: Grant, now: float) -> list[tuple[str, str]]:
    facts = [("Role", grant.role), ("Status", grant.status(now)),
             ("Requested by", f"{grant.requester} (source identity {grant.source_identity})"),
             ("Requested at", iso(grant.requested)), ("Reason", grant.reason or "-"),
             ("Ticket", grant.ticket or "-"), ("Duration", show(grant.duration))]
    if grant.sealed:
        facts.append(("Sealed path", f"opened {grant.sealed}"))
    else:
        facts.append(("Approvals", f"{len(grant.approvals)} of {grant.approvals_required} required"))
    if grant.starts is not None:
        facts.append(("Granted", f"{iso(grant.starts)} until {iso(grant.ends)}"))
    if grant.sessions:
        facts.append(("Sessions", ", ".join(grant.sessions)))
    if grant.ended is not None:
        by = f" by {grant.ended_by}" if grant.ended_by else ""
        facts.append(("Ended", f"{grant.state}{by} at {iso(grant.ended)}"
                               + (f": {grant.end_reason}" if grant.end_reason else "")))
    return facts


def _cell(text: str) -> str:
    """Text a Markdown table cell can hold: no pipe ends it, no line breaks it."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
