"""Item collections of tables with local secondary indexes: ReturnItemCollectionMetrics on every write
operation, and the 10 GB limit on a collection, which a test reaches by writing a collection's size counter
into a stopped server's store (10 GB of items cannot be written in a test).

Sources, cited by each test:
- [api]: API Reference, ItemCollectionMetrics (ItemCollectionKey: the partition key value;
  SizeEstimateRangeGB: a lower and an upper bound; "If the table does not have any local secondary indexes,
  this information is not returned"), PutItem/UpdateItem/DeleteItem (one ItemCollectionMetrics),
  BatchWriteItem and TransactWriteItems (ItemCollectionMetrics: a map of table name to a list).
- [guide-lsi]: Developer Guide, "Local secondary indexes" > "Item collections" and "Item collection size
  limit": a collection is the items sharing a partition key value with their LSI entries; a write that would
  take it past 10 GB fails with ItemCollectionSizeLimitExceededException; the example of a small collection
  answers SizeEstimateRangeGB [0.0, 1.0].
- [guide-errors]: Developer Guide, "Error handling with DynamoDB": ItemCollectionSizeLimitExceededException,
  HTTP 400, message "Collection size exceeded." (that page ends every message with a period, which
  DynamoDB's replies do not carry: "The conditional request failed" is listed as "... failed.").
- [api-tx]: API Reference, TransactionCanceledException reasons: "Code: ItemCollectionSizeLimitExceeded,
  Message: Collection size exceeded." (the period as above).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from moatdb.server import DATABASE_FILE
from moatdb.services.dynamodb import item_collections, keys
from moatdb.services.dynamodb.catalog import Catalog
from moatdb.storage.sqlite import SqliteStore
from tests.conftest import Server, client_for, free_port
from tests.helpers import ACCOUNT, REGION, N, S, error, failure

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
SMALL = [0.0, 1.0]  # [guide-lsi]: a collection under 1 GB
COLLECTION_EXCEEDED = ("ItemCollectionSizeLimitExceededException", "Collection size exceeded", 400)  # [guide-errors]


def lsi_table(ddb, name: str | None = None, *, partition: str = "S", projection: str = "ALL") -> str:
    """A table keyed by pk/sk with a local secondary index on the number ``alt``."""
    name = name or f"ic-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name, KeySchema=KEY, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": partition},
                              {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "alt", "AttributeType": "N"}],
        LocalSecondaryIndexes=[{"IndexName": "by-alt", "Projection": {"ProjectionType": projection},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "alt", "KeyType": "RANGE"}]}])
    return name


@pytest.fixture
def lsi(ddb) -> Iterator[str]:
    name = lsi_table(ddb)
    yield name
    ddb.delete_table(TableName=name)


@pytest.fixture
def gsi_only(ddb) -> Iterator[str]:
    name = f"ic-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name, KeySchema=KEY, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "alt", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-alt", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "alt", "KeyType": "HASH"}]}])
    yield name
    ddb.delete_table(TableName=name)


def item(pk: str, sk: str, **more: dict) -> dict:
    return {"pk": S(pk), "sk": S(sk), **more}


# --- ReturnItemCollectionMetrics ---------------------------------------------------------------------------


def test_every_single_item_write_reports_the_collection_it_changed(ddb, lsi):
    # [api] PutItem, UpdateItem, DeleteItem: ItemCollectionMetrics with the partition key value;
    # [guide-lsi] a small collection is [0.0, 1.0].
    expected = {"ItemCollectionKey": {"pk": S("a")}, "SizeEstimateRangeGB": SMALL}
    put = ddb.put_item(TableName=lsi, Item=item("a", "1", alt=N("5")), ReturnItemCollectionMetrics="SIZE")
    assert put["ItemCollectionMetrics"] == expected
    updated = ddb.update_item(TableName=lsi, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET v = :v",
                              ExpressionAttributeValues={":v": S("x")}, ReturnItemCollectionMetrics="SIZE",
                              ReturnValues="ALL_NEW")
    assert updated["ItemCollectionMetrics"] == expected
    assert updated["Attributes"]["v"] == S("x")
    deleted = ddb.delete_item(TableName=lsi, Key={"pk": S("a"), "sk": S("1")}, ReturnItemCollectionMetrics="SIZE",
                              ReturnConsumedCapacity="TOTAL")
    assert deleted["ItemCollectionMetrics"] == expected
    assert deleted["ConsumedCapacity"]["TableName"] == lsi


def test_metrics_are_not_returned_unless_asked_for(ddb, lsi):
    # [api]: "ItemCollectionMetrics is only returned if the ReturnItemCollectionMetrics parameter was specified".
    for asked in ({}, {"ReturnItemCollectionMetrics": "NONE"}):
        assert "ItemCollectionMetrics" not in ddb.put_item(TableName=lsi, Item=item("a", "1"), **asked)
        assert "ItemCollectionMetrics" not in ddb.update_item(
            TableName=lsi, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": N("1")}, **asked)
        assert "ItemCollectionMetrics" not in ddb.delete_item(TableName=lsi, Key={"pk": S("a"), "sk": S("1")}, **asked)


def test_a_table_without_a_local_secondary_index_returns_no_metrics(ddb, gsi_only, table):
    # [api]: "If the table does not have any local secondary indexes, this information is not returned".
    for name in (gsi_only, table):
        put = ddb.put_item(TableName=name, Item=item("a", "1", alt=N("1")), ReturnItemCollectionMetrics="SIZE")
        assert "ItemCollectionMetrics" not in put
        batch = ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": item("b", "1")}}]},
                                     ReturnItemCollectionMetrics="SIZE")
        assert "ItemCollectionMetrics" not in batch
        transaction = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": item("c", "1")}}],
                                               ReturnItemCollectionMetrics="SIZE")
        assert "ItemCollectionMetrics" not in transaction


def test_the_collection_key_is_the_partition_key_value_as_stored(ddb):
    # [api] ItemCollectionKey: "the same as the partition key value of the item"; a number is normalized.
    name = lsi_table(ddb, partition="N")
    try:
        put = ddb.put_item(TableName=name, Item={"pk": N("007.50"), "sk": S("x")}, ReturnItemCollectionMetrics="SIZE")
        assert put["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": N("7.5")}
        deleted = ddb.delete_item(TableName=name, Key={"pk": N("7.500"), "sk": S("x")},
                                  ReturnItemCollectionMetrics="SIZE")
        assert deleted["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": N("7.5")}
    finally:
        ddb.delete_table(TableName=name)


def test_batch_write_item_answers_a_list_per_table_with_local_indexes(ddb, lsi, table):
    # [api] BatchWriteItem: ItemCollectionMetrics is a map of table name to a list of ItemCollectionMetrics;
    # the table without an LSI has none.
    reply = ddb.batch_write_item(RequestItems={
        lsi: [{"PutRequest": {"Item": item("a", "1")}}, {"PutRequest": {"Item": item("b", "1")}},
              {"DeleteRequest": {"Key": {"pk": S("c"), "sk": S("1")}}}],
        table: [{"PutRequest": {"Item": item("a", "1")}}],
    }, ReturnItemCollectionMetrics="SIZE")
    assert reply["ItemCollectionMetrics"] == {lsi: [
        {"ItemCollectionKey": {"pk": S(pk)}, "SizeEstimateRangeGB": SMALL} for pk in "abc"]}
    assert reply["UnprocessedItems"] == {}


def test_transact_write_items_answers_a_list_per_table_for_the_actions_that_write(ddb, lsi, table):
    # [api] TransactWriteItems: ItemCollectionMetrics, a map of table name to a list; a ConditionCheck
    # writes nothing and changes no collection.
    ddb.put_item(TableName=lsi, Item=item("d", "1"))
    reply = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": lsi, "Item": item("a", "1", alt=N("1"))}},
        {"Update": {"TableName": lsi, "Key": {"pk": S("b"), "sk": S("1")}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": N("1")}}},
        {"Delete": {"TableName": lsi, "Key": {"pk": S("c"), "sk": S("1")}}},
        {"ConditionCheck": {"TableName": lsi, "Key": {"pk": S("d"), "sk": S("1")},
                            "ConditionExpression": "attribute_exists(pk)"}},
        {"Put": {"TableName": table, "Item": item("a", "1")}},
    ], ReturnItemCollectionMetrics="SIZE")
    assert reply["ItemCollectionMetrics"] == {lsi: [
        {"ItemCollectionKey": {"pk": S(pk)}, "SizeEstimateRangeGB": SMALL} for pk in "abc"]}


def test_a_retried_transaction_answers_the_metrics_the_first_answered(ddb, lsi):
    # [api] ClientRequestToken: a retry within ten minutes succeeds without writing again, with the same answer.
    token = uuid.uuid4().hex
    actions = [{"Put": {"TableName": lsi, "Item": item("a", "1")}}]
    first = ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token,
                                     ReturnItemCollectionMetrics="SIZE")
    again = ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token,
                                     ReturnItemCollectionMetrics="SIZE")
    assert first["ItemCollectionMetrics"] == again["ItemCollectionMetrics"] == {
        lsi: [{"ItemCollectionKey": {"pk": S("a")}, "SizeEstimateRangeGB": SMALL}]}


# --- the 10 GB limit and the counters, on a server of the test's own -----------------------------------------


@pytest.fixture
def own_server(tmp_path) -> Iterator[Server]:
    """A server of this test's own, which the test stops to change its store and starts again."""
    server = Server(tmp_path / "data", free_port()).start()
    yield server
    server.stop()


def open_store(server: Server) -> SqliteStore:
    return SqliteStore(server.data_dir / DATABASE_FILE)


def counters(server: Server, name: str) -> dict[bytes, int]:
    """The collection sizes the stopped server keeps for table ``name``, by storage partition."""
    store = open_store(server)
    try:
        reader = store.read()
        table = table_in(reader, name)
        assert table.collections is not None
        return {partition: int(value) for partition, _, value in reader.scan(table.collections)}
    finally:
        store.close()


def table_in(reader, name: str):
    return Catalog.read_in(reader, (ACCOUNT, REGION, name))


def set_counter(server: Server, name: str, partition_value: dict, size: int) -> None:
    store = open_store(server)
    try:
        with store.write() as txn:
            table = table_in(txn, name)
            txn.put(table.collections, keys.partition_bytes(partition_value), b"",  # type: ignore[arg-type]
                    item_collections.encode_size(size))
    finally:
        store.close()


def test_a_write_that_would_pass_10_gb_fails_and_one_that_shrinks_the_collection_succeeds(own_server):
    # [guide-lsi] the 10 GB limit; [guide-errors] its error. The collection "big" is set 50 bytes under
    # the limit: any new item is more than 50 bytes with its LSI entry.
    ddb = client_for(own_server.endpoint)
    name = lsi_table(ddb, "limited")
    ddb.put_item(TableName=name, Item=item("big", "kept", alt=N("1"), pad=S("x" * 200)))
    own_server.stop()
    set_counter(own_server, name, S("big"), item_collections.LIMIT - 50)
    own_server.start()
    ddb = client_for(own_server.endpoint)

    assert error(ddb.put_item, TableName=name, Item=item("big", "new", alt=N("2"))) == COLLECTION_EXCEEDED
    assert error(ddb.update_item, TableName=name, Key={"pk": S("big"), "sk": S("kept")},
                 UpdateExpression="SET more = :m", ExpressionAttributeValues={":m": S("y" * 100)}) == COLLECTION_EXCEEDED
    assert error(ddb.batch_write_item, RequestItems={name: [
        {"PutRequest": {"Item": item("small", "1")}}, {"PutRequest": {"Item": item("big", "new")}}]}
    ) == COLLECTION_EXCEEDED
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("big"), "sk": S("new")})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("small"), "sk": S("1")})  # the batch is whole

    # [api-tx]: the action's cancellation reason; nothing of the transaction is written.
    response = failure(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": name, "Item": item("small", "2")}},
        {"Put": {"TableName": name, "Item": item("big", "new")}}])
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded"}]
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("small"), "sk": S("2")})

    # Other collections are not limited by this one; the metrics of the full one show 9 to 10 GB.
    ddb.put_item(TableName=name, Item=item("small", "1", alt=N("1")))
    same = ddb.update_item(TableName=name, Key={"pk": S("big"), "sk": S("kept")}, UpdateExpression="SET alt = :a",
                           ExpressionAttributeValues={":a": N("2")}, ReturnItemCollectionMetrics="SIZE")
    assert same["ItemCollectionMetrics"]["SizeEstimateRangeGB"] == [9.0, 10.0]
    # A write that shrinks the collection succeeds, and then there is room for a small item.
    ddb.put_item(TableName=name, Item=item("big", "kept", alt=N("1")))
    ddb.put_item(TableName=name, Item=item("big", "new"))
    ddb.delete_item(TableName=name, Key={"pk": S("big"), "sk": S("kept")})
    assert ddb.get_item(TableName=name, Key={"pk": S("big"), "sk": S("new")})["Item"] == item("big", "new")


def test_the_counters_follow_every_change_and_an_emptied_collection_keeps_none(own_server):
    # The sizes moatdb keeps are what the collections hold: after puts, overwrites, updates, batch and
    # transactional writes, a table of the same items counted from scratch keeps the same sizes.
    ddb = client_for(own_server.endpoint)
    name = lsi_table(ddb, "followed", projection="KEYS_ONLY")
    ddb.put_item(TableName=name, Item=item("a", "1", alt=N("1"), v=S("x" * 100)))
    ddb.put_item(TableName=name, Item=item("a", "1", v=S("shorter")))  # leaves the index
    ddb.update_item(TableName=name, Key={"pk": S("a"), "sk": S("2")}, UpdateExpression="SET alt = :a",
                    ExpressionAttributeValues={":a": N("3")})
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": item("b", "1", alt=N("4"))}},
                                              {"PutRequest": {"Item": item("c", "1")}}]})
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": name, "Key": {"pk": S("c"), "sk": S("1")}}},
                                            {"Put": {"TableName": name, "Item": item("b", "2", w={"L": [N("1"), N("2")]})}}])
    ddb.create_table(TableName="fresh", KeySchema=KEY, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"],
                     LocalSecondaryIndexes=[{"IndexName": "by-alt", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                             "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                           {"AttributeName": "alt", "KeyType": "RANGE"}]}])
    for stored in ddb.scan(TableName=name)["Items"]:
        ddb.put_item(TableName="fresh", Item=stored)
    own_server.stop()

    kept = counters(own_server, name)
    assert kept == counters(own_server, "fresh")
    assert set(kept) == {keys.partition_bytes(S(pk)) for pk in "ab"}  # "c" was emptied: no counter is kept
    assert all(size > 0 for size in kept.values())


def test_deleting_the_table_drops_its_counters_and_a_new_table_of_that_name_starts_empty(own_server):
    ddb = client_for(own_server.endpoint)
    name = lsi_table(ddb, "again")
    ddb.put_item(TableName=name, Item=item("a", "1"))
    own_server.stop()
    set_counter(own_server, name, S("a"), item_collections.LIMIT)
    store = open_store(own_server)
    try:
        old_counters = table_in(store.read(), name).collections
    finally:
        store.close()
    own_server.start()
    ddb = client_for(own_server.endpoint)
    ddb.delete_table(TableName=name)
    lsi_table(ddb, name)
    ddb.put_item(TableName=name, Item=item("a", "1"))  # not refused: the new table counts from nothing
    own_server.stop()
    assert list(counters(own_server, name)) == [keys.partition_bytes(S("a"))]
    store = open_store(own_server)
    try:
        assert list(store.read().scan(old_counters)) == []  # nothing of the deleted table's is left
    finally:
        store.close()


def test_a_restored_table_counts_the_collections_it_was_restored_with(own_server):
    # A restore writes the backup's items into a new table, whose counters start from them.
    ddb = client_for(own_server.endpoint)
    name = lsi_table(ddb, "source")
    for pk, sk in (("a", "1"), ("a", "2"), ("b", "1")):
        ddb.put_item(TableName=name, Item=item(pk, sk, alt=N(sk), v=S(pk * 50)))
    backup = ddb.create_backup(TableName=name, BackupName="before")["BackupDetails"]["BackupArn"]
    ddb.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
    put = ddb.put_item(TableName="restored", Item=item("c", "1"), ReturnItemCollectionMetrics="SIZE")
    assert put["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": S("c")}, "SizeEstimateRangeGB": SMALL}
    ddb.delete_item(TableName="restored", Key={"pk": S("c"), "sk": S("1")})
    own_server.stop()
    assert counters(own_server, "restored") == counters(own_server, name)


def test_two_workers_writing_one_collection_at_once_count_every_change(tmp_path):
    # Each change moves the counter in its own write transaction, which the store serializes across
    # worker processes: concurrent writers lose no update.
    server = Server(tmp_path / "data", free_port(), 2).start()
    try:
        ddb = client_for(server.endpoint)
        name = lsi_table(ddb, "shared")

        def writer(prefix: str) -> None:
            client = client_for(server.endpoint)
            for number in range(25):
                client.put_item(TableName=name, Item=item("one", f"{prefix}{number}", alt=N(str(number))))
                if number % 5 == 0:
                    client.delete_item(TableName=name, Key={"pk": S("one"), "sk": S(f"{prefix}{number}")})

        threads = [threading.Thread(target=writer, args=(prefix,)) for prefix in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        lsi_table(ddb, "counted")
        for stored in ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": S("one")})["Items"]:
            ddb.put_item(TableName="counted", Item=stored)
    finally:
        server.stop()
    assert counters(server, name) == counters(server, "counted") != {}
