"""Crash safety: every write the server acknowledged survives ``kill -9`` of the whole server.

The promise (docs/architecture.md, "Storage"): a transaction has committed into the WAL file before
the reply is sent, so killing the process loses nothing a client was told succeeded. Writes that were
in flight when the process died may or may not have happened; the checks below allow both outcomes
for those and none for acknowledged ones.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, client_for, free_port
from tests.helpers import create_table

WRITERS = 4
MIN_RUN_SECONDS = 1.0
MIN_ACKED_PUTS = 200
COUNTER_KEY = {"pk": {"S": "counter"}}


def _descendants(pid: int) -> list[int]:
    """The process ids under ``pid`` (uvicorn's workers and their helpers), deepest first."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children = [int(child) for child in f.read().split()]
        except FileNotFoundError:
            continue
        for child in children:
            found += _descendants(child) + [child]
    return found


def crash(server: Server) -> None:
    """``kill -9`` of the server and every process it started, as a machine crash of the service would.

    Killing uvicorn's supervisor alone leaves its worker processes serving (they are not told of the
    parent's death), so the workers are killed by id too; the supervisor goes first so it cannot
    restart them.
    """
    assert server.process is not None
    children = _descendants(server.process.pid)
    server.kill()
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" for pid in children):
        assert time.monotonic() < deadline, "the server's processes outlived SIGKILL"
        time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"


@dataclass
class Ledger:
    """What one writer was told: acknowledged writes, and the ones whose fate it never learnt."""

    puts: dict[str, str] = field(default_factory=dict)  # pk -> acknowledged payload
    deleted: set[str] = field(default_factory=set)  # pks whose DeleteItem was acknowledged
    unsure_delete: set[str] = field(default_factory=set)  # DeleteItem sent, no answer
    unsure_put: dict[str, str] = field(default_factory=dict)  # PutItem sent, no answer
    counter_acks: list[int] = field(default_factory=list)  # UPDATED_NEW values of acknowledged ADDs
    counter_sent: int = 0
    ended_by: BaseException | None = None  # the connection error the kill caused
    error: ClientError | None = None  # an error answer: a bug, not the crash


def written_item(pk: str, payload: str) -> dict:
    return {"pk": {"S": pk}, "payload": {"S": payload}, "n": {"N": pk.rsplit("-", 1)[1]}}


def write_until_killed(endpoint: str, table: str, writer: int, ledger: Ledger, deadline: float) -> None:
    ddb = client_for(endpoint, connect_timeout=2, read_timeout=5)
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            pk = f"w{writer}-{n}"
            payload = f"{writer}:{n}:{uuid.uuid4().hex}"
            ledger.unsure_put[pk] = payload
            ddb.put_item(TableName=table, Item=written_item(pk, payload))
            del ledger.unsure_put[pk]
            ledger.puts[pk] = payload
            if n % 5 == 0:
                # Delete an item acknowledged a moment ago: an acknowledged delete must stay done.
                gone = f"w{writer}-{n - 2}"
                ledger.unsure_delete.add(gone)
                ddb.delete_item(TableName=table, Key={"pk": {"S": gone}})
                ledger.unsure_delete.discard(gone)
                ledger.deleted.add(gone)
            if n % 2 == 0:
                ledger.counter_sent += 1
                reply = ddb.update_item(
                    TableName=table, Key=COUNTER_KEY, UpdateExpression="ADD c :one",
                    ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW",
                )
                ledger.counter_acks.append(int(reply["Attributes"]["c"]["N"]))
    except ClientError as e:
        ledger.error = e
    except Exception as e:  # the connection died under the request: its outcome is unknown
        ledger.ended_by = e


def scan_all(ddb, table: str) -> dict[str, dict]:
    items: dict[str, dict] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            items[item["pk"]["S"]] = item
    return items


@pytest.mark.parametrize("workers", [1, 2])
def test_every_acknowledged_write_survives_kill_minus_nine_mid_stream(tmp_path, workers):
    data_dir = tmp_path / "data"
    server = Server(data_dir, free_port(), workers).start()
    try:
        ddb = client_for(server.endpoint)
        table = "crash-test"
        create_table(ddb, None, name=table)
        before = ddb.describe_table(TableName=table)["Table"]

        ledgers = [Ledger() for _ in range(WRITERS)]
        safety = time.monotonic() + 15  # writers stop by themselves if the kill never comes
        threads = [
            threading.Thread(target=write_until_killed, args=(server.endpoint, table, i, ledgers[i], safety))
            for i in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        # Let the writers run a moment and get a fair number of writes acknowledged (a loaded machine
        # takes longer), then crash the server under them.
        started = time.monotonic()
        while time.monotonic() - started < MIN_RUN_SECONDS or (
            sum(len(ledger.puts) for ledger in ledgers) < MIN_ACKED_PUTS and time.monotonic() - started < 8
        ):
            time.sleep(0.05)
        crash(server)
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive(), "a writer hung after the server died"
    finally:
        server.stop()

    assert [ledger.error for ledger in ledgers] == [None] * WRITERS
    # The kill interrupted writers mid-stream, after a fair number of acknowledged writes.
    assert all(ledger.ended_by is not None for ledger in ledgers), [ledger.ended_by for ledger in ledgers]
    assert sum(len(ledger.puts) for ledger in ledgers) >= MIN_ACKED_PUTS
    assert sum(len(ledger.deleted) for ledger in ledgers) > 10 and ledgers[0].counter_acks

    server = Server(data_dir, free_port(), workers).start()
    try:
        ddb = client_for(server.endpoint)
        after = ddb.describe_table(TableName=table)["Table"]
        for name in ("TableName", "TableArn", "TableId", "KeySchema", "AttributeDefinitions",
                     "BillingModeSummary", "CreationDateTime"):
            assert after.get(name) == before.get(name), name
        assert after["TableStatus"] == "ACTIVE"
        assert ddb.list_tables()["TableNames"] == [table]
        stored = scan_all(ddb, table)
    finally:
        server.stop()

    for ledger in ledgers:
        for pk, payload in ledger.puts.items():
            if pk in ledger.deleted:
                assert pk not in stored, f"acknowledged DeleteItem of {pk} was undone"
            elif pk not in ledger.unsure_delete:
                assert pk in stored, f"acknowledged PutItem of {pk} was lost"
                assert stored[pk] == written_item(pk, payload)
            elif pk in stored:
                assert stored[pk] == written_item(pk, payload)
        for pk, payload in ledger.unsure_put.items():
            if pk in stored:  # an unanswered write may have happened, but only as it was sent
                assert stored[pk] == written_item(pk, payload)
    known = {pk for ledger in ledgers for pk in (*ledger.puts, *ledger.unsure_put)} | {"counter"}
    assert set(stored) <= known

    # Each acknowledged ADD returned a distinct count; the stored count is at least the highest one
    # acknowledged and at most the number of ADDs ever sent.
    acks = [value for ledger in ledgers for value in ledger.counter_acks]
    assert acks and len(set(acks)) == len(acks)
    counter = int(stored["counter"]["c"]["N"])
    assert max(acks) <= counter <= sum(ledger.counter_sent for ledger in ledgers)
