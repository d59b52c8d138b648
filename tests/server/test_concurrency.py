"""Conditional writes are atomic under concurrency, within one worker process and across several.

Each client thread has its own boto3 client (own connections), so with ``--workers 2`` the requests
are spread over two processes whose write transactions the store serializes (BEGIN IMMEDIATE). A
lost update, a double win of a put-if-absent or a torn ADD would show up as a wrong final count or as
two clients told they wrote the same thing.

DynamoDB's promise, from the Developer Guide ("Condition expressions" / "Conditional writes" and
"Atomic counters"): a conditional write succeeds only if the condition holds on the item as it is
when the write is applied, and UpdateItem's ADD increments without interfering with other writes.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, client_for, free_port
from tests.helpers import create_table

THREADS = 8
PER_THREAD = 50
CONDITION_FAILED = "The conditional request failed"


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def racing_server(request, tmp_path_factory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("race"), free_port(), request.param).start()
    yield srv
    srv.stop()


@pytest.fixture
def counter_table(racing_server) -> Iterator[str]:
    ddb = client_for(racing_server.endpoint)
    name = create_table(ddb, None, name=f"race-{uuid.uuid4().hex[:8]}")
    yield name
    ddb.delete_table(TableName=name)


def worker_cpu_ticks(server: Server) -> dict[int, int]:
    """CPU time (user + system, in clock ticks) of each uvicorn worker process of ``server``."""
    assert server.process is not None
    pid = server.process.pid
    ticks = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            for child in map(int, f.read().split()):
                with open(f"/proc/{child}/cmdline", "rb") as cmd:
                    if b"spawn_main" not in cmd.read():
                        continue  # multiprocessing's resource tracker, not a worker
                with open(f"/proc/{child}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                ticks[child] = int(fields[11]) + int(fields[12])
    return ticks


def race(endpoint: str, work: Callable, threads: int = THREADS, *, timeout: float = 60) -> list:
    """Run ``work(client, index, barrier)`` in parallel threads, each with its own client (its own
    connections, spread over the server's workers); their results. A thread still running after
    ``timeout`` seconds is a hang."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads
    errors: list[BaseException] = []

    def run(index: int) -> None:
        ddb = client_for(endpoint)
        ddb.list_tables()  # open the connection before the start line
        try:
            barrier.wait(10)
            results[index] = work(ddb, index, barrier)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout)
        assert not thread.is_alive(), "a racing client hung"
    if errors:
        raise errors[0]
    return results


def test_read_modify_write_increments_guarded_by_a_condition_never_lose_an_update(racing_server, counter_table):
    ddb = client_for(racing_server.endpoint)
    key = {"pk": {"S": "counter"}}
    ddb.put_item(TableName=counter_table, Item={**key, "c": {"N": "0"}})
    cpu_before = worker_cpu_ticks(racing_server)

    def increment(client, _index, _barrier):
        written, conflicts = [], 0
        while len(written) < PER_THREAD:
            old = int(client.get_item(TableName=counter_table, Key=key, ConsistentRead=True)["Item"]["c"]["N"])
            try:
                client.update_item(
                    TableName=counter_table, Key=key, UpdateExpression="SET c = :new",
                    ConditionExpression="c = :old",
                    ExpressionAttributeValues={":new": {"N": str(old + 1)}, ":old": {"N": str(old)}},
                )
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException", e.response
                assert e.response["Error"]["Message"] == CONDITION_FAILED
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                conflicts += 1
                continue
            written.append(old + 1)
        return written, conflicts

    results = race(racing_server.endpoint, increment)
    written = sorted(value for values, _ in results for value in values)
    # Every successful write moved the counter by exactly one from a distinct value: no two clients
    # were told they replaced the same old value.
    assert written == list(range(1, THREADS * PER_THREAD + 1))
    assert sum(conflicts for _, conflicts in results) > 0, "the clients never actually raced"
    if racing_server.workers > 1:
        # The race was between processes: every worker served part of it.
        cpu_after = worker_cpu_ticks(racing_server)
        assert len(cpu_before) == racing_server.workers
        assert all(cpu_after[pid] > ticks for pid, ticks in cpu_before.items()), (cpu_before, cpu_after)
    final = ddb.get_item(TableName=counter_table, Key=key, ConsistentRead=True)["Item"]["c"]
    assert final == {"N": str(THREADS * PER_THREAD)}


def test_add_increments_from_many_clients_are_exact_and_each_sees_a_distinct_count(
    racing_server, counter_table
):
    ddb = client_for(racing_server.endpoint)
    key = {"pk": {"S": "hits"}}  # ADD creates the item and the attribute on first use

    def add(client, _index, _barrier):
        seen = []
        for _ in range(PER_THREAD):
            reply = client.update_item(
                TableName=counter_table, Key=key, UpdateExpression="ADD c :one",
                ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW",
            )
            seen.append(int(reply["Attributes"]["c"]["N"]))
        return seen

    results = race(racing_server.endpoint, add)
    assert sorted(value for seen in results for value in seen) == list(range(1, THREADS * PER_THREAD + 1))
    final = ddb.get_item(TableName=counter_table, Key=key, ConsistentRead=True)["Item"]
    assert final == {**key, "c": {"N": str(THREADS * PER_THREAD)}}


def test_put_if_absent_raced_by_many_clients_on_one_key_has_exactly_one_winner(racing_server, counter_table):
    ddb = client_for(racing_server.endpoint)
    rounds = 20

    def claim(client, index, barrier):
        outcomes = []
        for n in range(rounds):
            barrier.wait(10)  # all clients fire at the same key together, round after round
            try:
                client.put_item(
                    TableName=counter_table, Item={"pk": {"S": f"lock-{n}"}, "owner": {"N": str(index)}},
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException", e.response
                assert e.response["Error"]["Message"] == CONDITION_FAILED
                # The loser is shown the item that beat it (ReturnValuesOnConditionCheckFailure).
                outcomes.append(("lost", int(e.response["Item"]["owner"]["N"])))
                continue
            outcomes.append(("won", index))
        return outcomes

    results = race(racing_server.endpoint, claim)
    for n in range(rounds):
        winners = [index for index, outcomes in enumerate(results) if outcomes[n][0] == "won"]
        assert len(winners) == 1, f"round {n}: winners {winners}"
        # Every loser saw the winner's item, and the winner's item is what is stored.
        assert {outcomes[n][1] for outcomes in results} == {winners[0]}
        stored = ddb.get_item(TableName=counter_table, Key={"pk": {"S": f"lock-{n}"}}, ConsistentRead=True)
        assert stored["Item"]["owner"] == {"N": str(winners[0])}


def test_conditional_deletes_raced_by_many_clients_delete_an_item_once(racing_server, counter_table):
    ddb = client_for(racing_server.endpoint)
    rounds = 20
    for n in range(rounds):
        ddb.put_item(TableName=counter_table, Item={"pk": {"S": f"job-{n}"}, "state": {"S": "queued"}})

    def take(client, _index, barrier):
        taken = []
        for n in range(rounds):
            barrier.wait(10)
            try:
                reply = client.delete_item(
                    TableName=counter_table, Key={"pk": {"S": f"job-{n}"}},
                    ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_OLD",
                )
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException", e.response
                continue
            assert reply["Attributes"]["state"] == {"S": "queued"}
            taken.append(n)
        return taken

    results = race(racing_server.endpoint, take)
    assert sorted(n for taken in results for n in taken) == list(range(rounds))
    assert ddb.scan(TableName=counter_table, ConsistentRead=True)["Count"] == 0
