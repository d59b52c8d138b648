"""Fuzzing every operation over the wire: bad input is answered, never a 500, a crash, a hang or lost data.

Each operation starts from valid requests against real tables, and each request is mutated a few
times, deterministically (a fixed seed per operation): members dropped, duplicated (also as literal
duplicate JSON keys) or added from the operation's model, values replaced by JSON of every type at
every depth, expressions garbled token by token, attribute values replaced by odd ones. The
requests are signed by botocore and sent raw, so no client-side validation filters them.

Every reply must be a 200 or a 4xx with a JSON body, an error's ``__type`` naming its namespace;
the server must still answer afterwards; and sentinel items, written before the fuzzing under keys
no mutated request can name, must be exactly as written.

The regression tests below the fuzzer are the minimal requests the fuzzer found answered with a 500,
each with the error AWS gives.
"""

from __future__ import annotations

import copy
import http.client
import json
import random
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.loaders import Loader

from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY

TARGET = "DynamoDB_20120810."
JSON_10 = "application/x-amz-json-1.0"
TIMEOUT = 15  # seconds; a reply slower than this is a hang
CREDENTIALS = Credentials(ACCESS_KEY, SECRET_KEY)
MODEL = Loader().load_service_model("dynamodb", "service-2")

# --- the wire ------------------------------------------------------------------------------------


class Wire:
    """One keep-alive connection to the server; every request signed by botocore's SigV4."""

    def __init__(self, endpoint: str, target: str = TARGET):
        self.endpoint = endpoint
        self.target = target  # the operation's prefix: DynamoDB's, or DynamoDB Streams'
        url = urlsplit(endpoint)
        self.host, self.port = url.hostname, url.port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, operation: str, body: bytes) -> tuple[int, bytes]:
        request = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                             headers={"Content-Type": JSON_10, "X-Amz-Target": self.target + operation})
        SigV4Auth(CREDENTIALS, "dynamodb", REGION).add_auth(request)
        headers = dict(request.headers.items())
        for _ in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.conn.request("POST", "/", body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except TimeoutError:
                self.close()
                raise
            except (http.client.HTTPException, OSError):
                # A kept-alive connection the server closed between requests is retried once, on a
                # fresh one; a fresh connection that fails is the server's failure.
                self.close()
                if not reused:
                    raise
        raise AssertionError("unreachable")

    def call(self, operation: str, params: object) -> tuple[int, object]:
        status, payload = self.post(operation, encode(params))
        return status, json.loads(payload)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Raw:
    """JSON text spliced into a request as it is (deep nesting, numbers Python would not print)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:60]!r}{'...' if len(self.text) > 60 else ''})"


class Pairs:
    """A JSON object written with these (possibly repeated) keys, in this order."""

    def __init__(self, pairs: list[tuple[str, object]]):
        self.pairs = pairs

    def __repr__(self) -> str:
        return f"Pairs({self.pairs!r})"


def encode(value: object) -> bytes:
    parts: list[str] = []
    _encode(value, parts)
    # Lone surrogates are sent as JSON escapes, which is how a client would send them.
    return "".join(parts).encode("utf-8", "surrogatepass")


def _encode(value: object, out: list[str]) -> None:
    if isinstance(value, Raw):
        out.append(value.text)
    elif isinstance(value, Pairs):
        out.append("{")
        for index, (key, each) in enumerate(value.pairs):
            out.append(("," if index else "") + json.dumps(key) + ":")
            _encode(each, out)
        out.append("}")
    elif isinstance(value, dict):
        _encode(Pairs(list(value.items())), out)
    elif isinstance(value, list):
        out.append("[")
        for index, each in enumerate(value):
            if index:
                out.append(",")
            _encode(each, out)
        out.append("]")
    else:
        out.append(json.dumps(value))


# --- what a reply may be ---------------------------------------------------------------------------


def problem_with(status: int, payload: bytes) -> str | None:
    """What is wrong with a reply to a fuzzed request, or None."""
    if not (status == 200 or 400 <= status < 500):
        return f"HTTP {status}"
    try:
        body = json.loads(payload)
    except ValueError:
        return f"HTTP {status}, body is not JSON"
    if type(body) is not dict:
        return f"HTTP {status}, body is not a JSON object"
    if status != 200:
        kind = body.get("__type")
        if type(kind) is not str or "#" not in kind:
            return f"HTTP {status}, __type {kind!r}"
    return None


# --- valid requests ------------------------------------------------------------------------------

SENTINEL = "sentinel\u2603"  # the partition of the items nothing but setup ever writes


def _main_item(pk: str, sk: int) -> dict:
    return {
        "pk": {"S": pk}, "sk": {"N": str(sk)}, "a": {"S": "alpha"}, "n": {"N": "42.5"},
        "b": {"B": "AAEC"}, "t": {"BOOL": True}, "z": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"N": "-1"}, {"L": [{"M": {"deep": {"S": "y"}}}]}]},
        "m": {"M": {"c": {"SS": ["p", "q"]}, "d": {"NS": ["1", "2.5"]}, "e": {"BS": ["AQ==", "Ag=="]}}},
        "ss": {"SS": ["s1", "s2"]},
    }


def _sentinels() -> list[dict]:
    return [
        {**_main_item(SENTINEL, sk), "note": {"S": f"sentinel {sk}"}} for sk in (-5, 0, 7)
    ] + [{"pk": {"S": SENTINEL}, "sk": {"N": "1e30"}, "only": {"NS": ["3", "1"]}}]


class Tables:
    """The tables one operation's fuzzing runs against.

    ``main``: pk S, sk N; ``bin``: hash key k of type B; ``spare``: a table only UpdateTable and
    DeleteTable touch (recreated when deleted). Sentinels live in ``main`` under ``SENTINEL``.
    Items are written and read over the wire, in wire form, so what is compared is what was sent.
    """

    def __init__(self, ddb, wire: Wire):
        tag = uuid.uuid4().hex[:8]
        self.ddb, self.wire = ddb, wire
        # One token each, so that no garbling of one name is another's.
        self.main, self.bin, self.spare = f"fzMain{tag}", f"fzBin{tag}", f"fzSpare{tag}"
        self.created: set[str] = set()

    def __enter__(self) -> Tables:
        self._create(self.main, [("pk", "S", "HASH"), ("sk", "N", "RANGE")])
        self._create(self.bin, [("k", "B", "HASH")])
        self._create(self.spare, [("id", "S", "HASH")])
        items = [(self.main, item) for item in _sentinels()]
        items += [(self.main, _main_item("fz-1", sk)) for sk in range(3)]
        items += [(self.bin, {"k": {"B": "AAE="}, "v": {"S": "one"}})]
        for table, item in items:
            assert self.wire.call("PutItem", {"TableName": table, "Item": item})[0] == 200
        return self

    def _create(self, name: str, key: list[tuple[str, str, str]]) -> None:
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in key],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _ in key],
        )
        self.created.add(name)

    def recreate_spare(self) -> None:
        self._create(self.spare, [("id", "S", "HASH")])

    def sentinel_items(self) -> list[dict]:
        status, reply = self.wire.call("Query", {
            "TableName": self.main, "KeyConditionExpression": "pk = :p", "ConsistentRead": True,
            "ExpressionAttributeValues": {":p": {"S": SENTINEL}}})
        assert status == 200 and "LastEvaluatedKey" not in reply, reply
        return reply["Items"]  # type: ignore[index]

    def __exit__(self, *exc) -> None:
        for name in sorted(self.created):
            drop_table(self.ddb, name)


def drop_table(ddb, name: str) -> None:
    try:
        ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    except ddb.exceptions.ClientError:
        pass
    try:
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass


def _key(pk: str = "fz-1", sk: int = 1) -> dict:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def valid_requests(operation: str, t: Tables) -> list[dict]:
    """Valid requests for ``operation`` against ``t``: the starting points of the mutations."""
    if operation == "CreateTable":
        return [
            {"TableName": "fz-new", "BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                           {"AttributeName": "r", "KeyType": "RANGE"}],
             "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"},
                                      {"AttributeName": "r", "AttributeType": "N"}]},
            {"TableName": "fz-new2", "BillingMode": "PROVISIONED",
             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
             "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "B"}],
             "DeletionProtectionEnabled": False, "TableClass": "STANDARD"},
        ]
    if operation == "DescribeTable":
        return [{"TableName": t.main}, {"TableName": f"arn:aws:dynamodb:{REGION}:000000000000:table/{t.bin}"}]
    if operation == "ListTables":
        return [{"Limit": 3, "ExclusiveStartTableName": "fz-"}, {}]
    if operation == "UpdateTable":
        return [
            {"TableName": t.spare, "BillingMode": "PROVISIONED",
             "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}},
            {"TableName": t.spare,
             "ProvisionedThroughput": {"ReadCapacityUnits": 9, "WriteCapacityUnits": 8}},
            {"TableName": t.spare, "BillingMode": "PAY_PER_REQUEST"},
            {"TableName": t.spare, "DeletionProtectionEnabled": False},
            {"TableName": t.spare, "TableClass": "STANDARD_INFREQUENT_ACCESS"},
        ]
    if operation == "DeleteTable":
        return [{"TableName": t.spare}]
    if operation == "PutItem":
        return [
            {"TableName": t.main, "Item": _main_item("fz-1", 1),
             "ConditionExpression": "attribute_not_exists(pk) OR (#n < :v AND size(#l) >= :zero)",
             "ExpressionAttributeNames": {"#n": "n", "#l": "l"},
             "ExpressionAttributeValues": {":v": {"N": "100"}, ":zero": {"N": "0"}},
             "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL",
             "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
            {"TableName": t.bin, "Item": {"k": {"B": "AAE="}, "v": {"S": "x"}}},
            {"TableName": t.main,
             "Item": {"pk": {"S": "fz-1"}, "sk": {"N": "-0.5e1"}, "s": {"S": "\u00e9" * 99}},
             "ConditionExpression": "attribute_not_exists(s) OR attribute_type(s, :t)"
                                    " OR size(ss) IN (:n, :x)",
             "ExpressionAttributeValues": {":t": {"S": "SS"}, ":x": {"S": "s1"}, ":n": {"N": "2"}},
             "ReturnConsumedCapacity": "INDEXES"},
        ]
    if operation == "GetItem":
        return [
            {"TableName": t.main, "Key": _key(), "ProjectionExpression": "#a, l[2][0].deep, m.c, pk",
             "ExpressionAttributeNames": {"#a": "a"}, "ConsistentRead": True,
             "ReturnConsumedCapacity": "TOTAL"},
            {"TableName": t.bin, "Key": {"k": {"B": "AAE="}}},
        ]
    if operation == "UpdateItem":
        return [
            {"TableName": t.main, "Key": _key(),
             "UpdateExpression": "SET #a = :s, n = n + :one, l = list_append(l, :l),"
                                 " q = if_not_exists(q, :one) REMOVE z, m.e ADD ss :ss DELETE m.c :ss2",
             "ConditionExpression": "attribute_exists(pk) AND NOT begins_with(#a, :x)"
                                    " OR n BETWEEN :one AND :big",
             "ExpressionAttributeNames": {"#a": "a"},
             "ExpressionAttributeValues": {":s": {"S": "beta"}, ":one": {"N": "1"},
                                           ":l": {"L": [{"S": "new"}]}, ":ss": {"SS": ["s3"]},
                                           ":ss2": {"SS": ["p"]}, ":x": {"S": "zz"}, ":big": {"N": "1e100"}},
             "ReturnValues": "UPDATED_NEW", "ReturnConsumedCapacity": "INDEXES"},
            {"TableName": t.main, "Key": _key(sk=2), "UpdateExpression": "SET l[1] = :v, m.c2 = :v",
             "ExpressionAttributeValues": {":v": {"NS": ["7"]}}, "ReturnValues": "ALL_NEW"},
            # Values built from the item's own: copies into itself, appends, arithmetic on what is there.
            {"TableName": t.main, "Key": _key(sk=0),
             "UpdateExpression": "SET m.d2 = m, l[2][0].n = l, #c = list_append(:l, l), n = :one - n"
                                 " ADD ss :ss REMOVE l[0], l[9]",
             "ExpressionAttributeNames": {"#c": "c"},
             "ExpressionAttributeValues": {":l": {"L": [{"NULL": True}]}, ":one": {"N": "1"},
                                           ":ss": {"SS": ["s9"]}},
             "ReturnValues": "ALL_OLD", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
            {"TableName": t.bin, "Key": {"k": {"B": "AAE="}}, "UpdateExpression": "REMOVE v"},
        ]
    if operation == "DeleteItem":
        return [
            {"TableName": t.main, "Key": _key(sk=2),
             "ConditionExpression": "attribute_exists(pk) AND size(a) > :z AND attribute_type(m, :m)"
                                    " AND contains(ss, :s) AND n IN (:z, :n)",
             "ExpressionAttributeValues": {":z": {"N": "0"}, ":m": {"S": "M"}, ":s": {"S": "s1"},
                                           ":n": {"N": "42.5"}},
             "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"},
            {"TableName": t.bin, "Key": {"k": {"B": "AAE="}}},
        ]
    if operation == "Query":
        return [
            {"TableName": t.main, "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
             "FilterExpression": "contains(#a, :s) OR begins_with(l[0], :s) OR m.d <> :lo",
             "ProjectionExpression": "#a, sk, l[0], m.c",
             "ExpressionAttributeNames": {"#a": "a"},
             "ExpressionAttributeValues": {":p": {"S": "fz-1"}, ":lo": {"N": "0"}, ":hi": {"N": "10"},
                                           ":s": {"S": "al"}},
             "Limit": 2, "ScanIndexForward": False, "ExclusiveStartKey": _key(sk=5),
             "Select": "SPECIFIC_ATTRIBUTES", "ConsistentRead": True, "ReturnConsumedCapacity": "TOTAL"},
            {"TableName": t.main, "KeyConditionExpression": "#p = :p AND :b > #s",
             "ExpressionAttributeNames": {"#p": "pk", "#s": "sk"},
             "ExpressionAttributeValues": {":p": {"S": "fz-1"}, ":b": {"N": "1"}}},
            {"TableName": t.bin, "KeyConditionExpression": "k = :k", "Select": "COUNT",
             "ExpressionAttributeValues": {":k": {"B": "AAE="}}},
            {"TableName": t.main, "KeyConditionExpression": "pk = :p AND sk <= :s", "ScanIndexForward": True,
             "ExpressionAttributeValues": {":p": {"S": "fz-1"}, ":s": {"N": "1.5"}},
             "ExclusiveStartKey": _key(sk=0), "Limit": 1, "ReturnConsumedCapacity": "INDEXES"},
        ]
    if operation == "Scan":
        return [
            {"TableName": t.main, "FilterExpression": "attribute_type(#a, :t) AND size(l) < :n",
             "ProjectionExpression": "pk, sk, #a, l[0]", "ExpressionAttributeNames": {"#a": "a"},
             "ExpressionAttributeValues": {":t": {"S": "S"}, ":n": {"N": "10"}},
             "Limit": 5, "Segment": 1, "TotalSegments": 4, "Select": "SPECIFIC_ATTRIBUTES",
             "ReturnConsumedCapacity": "TOTAL", "ConsistentRead": True},
            {"TableName": t.main, "ExclusiveStartKey": _key(sk=0), "Select": "ALL_ATTRIBUTES", "Limit": 1},
            {"TableName": t.bin, "Select": "COUNT"},
            {"TableName": t.main, "Segment": 0, "TotalSegments": 1, "ExclusiveStartKey": _key(sk=1),
             "FilterExpression": "NOT (n IN (:a, :b)) OR l[2][0].deep = :a",
             "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"S": "b"}}},
        ]
    if operation == "BatchGetItem":
        return [
            {"RequestItems": {
                t.main: {"Keys": [_key(sk=0), _key(sk=1)], "ProjectionExpression": "#a, m.c",
                         "ExpressionAttributeNames": {"#a": "a"}, "ConsistentRead": True},
                t.bin: {"Keys": [{"k": {"B": "AAE="}}]}},
             "ReturnConsumedCapacity": "TOTAL"},
        ]
    if operation == "BatchWriteItem":
        return [
            {"RequestItems": {
                t.main: [{"PutRequest": {"Item": _main_item("fz-2", 1)}},
                         {"DeleteRequest": {"Key": _key("fz-2", 2)}}],
                t.bin: [{"PutRequest": {"Item": {"k": {"B": "AAI="}, "v": {"NULL": True}}}}]},
             "ReturnConsumedCapacity": "TOTAL", "ReturnItemCollectionMetrics": "SIZE"},
        ]
    if operation in ("DescribeEndpoints", "DescribeLimits"):
        return [{}]
    raise AssertionError(operation)


# --- mutations -------------------------------------------------------------------------------------

DEEP = 40


def _deep_list(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


def _deep_object(depth: int) -> Raw:
    return Raw('{"a":' * depth + "1" + "}" * depth)


def _nested_value(tag: str, depth: int) -> dict:
    value: dict = {"S": "leaf"}
    for _ in range(depth):
        value = {"L": [value]} if tag == "L" else {"M": {"x": value}}
    return value


JSON_ODDITIES: list = [
    None, True, False, 0, -1, 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**30,
    Raw("1e400"), Raw("-1e400"), Raw("1e-400"), Raw("123456789012345678901234567890"), 1.5, -0.0, 1e308,
    Raw("0.1e1"), "", " ", "x", "a" * 256, "a" * 1025, "\u00e9\u2603\U0001f600", "\x00", "\ud800",
    "NaN", "-1", "1e3", "true", "null", [], [None], [1, "a", None], {}, {"a": None}, {"S": "x"},
    _deep_list(DEEP), _deep_object(DEEP), _deep_list(1100), _deep_object(600),
]

ODD_VALUES: list = [
    {"N": "1e999999"}, {"N": "-1e-999999"}, {"N": "1e9223372036854775808"}, {"N": "9e9223372036854775807"},
    {"N": "NaN"}, {"N": "Infinity"}, {"N": "-"}, {"N": "."}, {"N": ""}, {"N": " 1"}, {"N": "0x10"},
    {"N": "1" * 39}, {"N": "1" * 5000}, {"N": "0." + "0" * 200 + "1"}, {"N": "0e999"}, {"N": "1e126"},
    {"N": "1e-131"}, {"N": "\u0661"}, {"N": "1_000"}, {"N": "+.5e+5"}, {"N": 1}, {"N": 1.5}, {"N": True},
    {"B": "!!"}, {"B": "abc"}, {"B": "===="}, {"B": ""}, {"B": "AB=="}, {"B": "A==="}, {"B": 5},
    {"B": ["AA=="]},
    {"S": ""}, {"S": 1}, {"S": None}, {"S": ["a"]}, {"S": {"S": "a"}}, {"S": "\ud800"}, {"S": "x" * 3000},
    {"SS": []}, {"SS": ["a", "a"]}, {"SS": [None]}, {"SS": [""]}, {"SS": "a"}, {"NS": ["1", "1.0"]},
    {"NS": ["x"]}, {"NS": []}, {"NS": [1]}, {"BS": ["", "AA=="]}, {"BS": ["AA==", "AA=="]}, {"BS": ["!"]},
    {"BS": []}, {"L": []}, {"L": [None]}, {"L": [{}]}, {"L": "x"}, {"L": {"S": "a"}},
    {"M": {}}, {"M": {"": {"S": "x"}}}, {"M": []}, {"M": {"a": None}}, {"M": {"a": {"Q": "x"}}},
    {"NULL": False}, {"NULL": "true"}, {"NULL": 1}, {"BOOL": "true"}, {"BOOL": None}, {"BOOL": 0},
    {}, {"S": "a", "N": "1"}, {"Q": "x"}, {"s": "x"}, {"S": "a", "Q": "x"},
    _nested_value("L", 31), _nested_value("L", 33), _nested_value("M", 32), _nested_value("M", 60),
    {"L": [{"N": "1"} for _ in range(3000)]}, {"M": {f"k{i}": {"NULL": True} for i in range(500)}},
    {"S": "x" * 409_000}, {"S": "\u00e9" * 205_000}, {"B": "AAAA" * 137_000},
    {"SS": [str(i) for i in range(5000)]},
]

EXPRESSION_TOKENS = [
    "(", ")", "((", "))", "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE", ",", ".",
    "[", "]", "[0]", "[99999999999999999999]", "[-1]", "[01]", "=", "<>", "<", "<=", ">", ">=", "+", "-",
    ":v", "#n", ":one", ":s", "#a", ":undefined", "#undefined", ":", "#", "size", "size(", "attribute_exists",
    "attribute_not_exists(", "attribute_type", "contains", "begins_with", "list_append", "if_not_exists",
    "nope(", "pk", "sk", "a.b.c", "l[0][1]", '"str"', "'x'", "\u00e9", "\U0001f600", "\x00", "\ud800",
    "\t", "\n", "_a", "0", "1.5", "a" * 256, "@", ";", "\\", "$", "%", "?", "*", "/", "!", "~", "&", "|",
]

LONG_EXPRESSIONS = [  # most under DynamoDB's 4 KB expression limit, so that the parser meets them
    "(" * 2000 + "a = :v" + ")" * 2000,
    "(" * 4000,
    ")" * 4000,
    "(" * 1500 + "a" + ")" * 1500 + " = :v",
    " AND ".join(["a = :v"] * 301),
    " OR ".join(["attribute_exists(a)"] * 120),
    "NOT " * 1000 + "a = :v",
    "NOT " * 200 + "(" * 200 + "a = :v" + ")" * 200,
    "a" + ".a" * 40 + " = :v",
    "a" + "[0]" * 40 + " = :v",
    "SET " + ", ".join(f"a{i} = :v" for i in range(300)),
    "SET a = " + " + ".join([":v"] * 200),
    "SET a = " + "(" * 1000 + ":v" + ")" * 1000,
    "a IN (" + ", ".join([":v"] * 101) + ")",
    "size(" * 500 + "a" + ")" * 500 + " > :v",
    "list_append(" * 200 + "a" + ", :v)" * 200,
    "x" * 5000,
    "#" + "n" * 4000,
    ":" + "v" * 4000,
    "\U0001f600" * 1100,
    "a = :v " * 1000,
]


def _expression_tokens(text: str) -> list[str]:
    tokens, word = [], ""
    for char in text:
        if char.isalnum() or char in "#:_":
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(char)
    if word:
        tokens.append(word)
    return tokens


def mutate_string(rng: random.Random, text: str) -> str:
    """A garbled variant of ``text``: tokens deleted, inserted, swapped or repeated; unicode; length."""
    choice = rng.random()
    if choice < 0.08:
        return rng.choice(LONG_EXPRESSIONS)
    if choice < 0.14:
        return text * min(rng.choice((2, 50, 1000)), max(2, 500_000 // max(len(text), 1)))
    if choice < 0.2:
        position = rng.randrange(len(text) + 1)
        odd = rng.choice(("\U0001f600", "\u200b", "\x00", "\ud800", "\ufffd", "\u0130"))
        return text[:position] + odd + text[position:]
    tokens = _expression_tokens(text) or [""]
    for _ in range(rng.choice((1, 1, 2, 3))):
        action = rng.randrange(5)
        index = rng.randrange(len(tokens))
        if action == 0 and len(tokens) > 1:
            del tokens[index]
        elif action == 1:
            tokens.insert(index, rng.choice(EXPRESSION_TOKENS) + rng.choice(("", " ")))
        elif action == 2:
            other = rng.randrange(len(tokens))
            tokens[index], tokens[other] = tokens[other], tokens[index]
        elif action == 3:
            tokens.insert(index, tokens[index])
        else:
            tokens[index] = rng.choice(EXPRESSION_TOKENS)
    return "".join(tokens)


ALL_MEMBER_NAMES = sorted({m for shape in MODEL["shapes"].values() for m in shape.get("members", {})})


def _nodes(value: object, path: tuple = ()) -> list[tuple]:
    """Every position in a request: paths of dict keys and list indexes."""
    found = [path]
    if type(value) is dict:
        for key, each in value.items():
            found += _nodes(each, (*path, key))
    elif type(value) is list:
        for index, each in enumerate(value):
            found += _nodes(each, (*path, index))
    return found


def _get(value: object, path: tuple) -> object:
    for step in path:
        value = value[step]  # type: ignore[index]
    return value


def _set(root: object, path: tuple, new: object) -> object:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new  # type: ignore[index]
    return root


def _random_name(rng: random.Random) -> str:
    return rng.choice(["#n", "#a", "#undefined", "#", "n", "#\u00e9", "#a b", "#" + "x" * 300, ":v", "",
                       "#1"])


def _looks_like_value(value: object) -> bool:
    return type(value) is dict and len(value) == 1 and next(iter(value)) in (
        "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS")


def mutate(rng: random.Random, request: dict, operation: str) -> object:
    """One mutation of ``request`` (a deep copy), anywhere in it."""
    request = copy.deepcopy(request)
    path = rng.choice(_nodes(request))
    node = _get(request, path)
    parent = _get(request, path[:-1]) if path else None
    roll = rng.random()
    if type(node) is str and roll < 0.55:
        return _set(request, path, mutate_string(rng, node))
    if _looks_like_value(node) and roll < 0.55:
        return _set(request, path, copy.deepcopy(rng.choice(ODD_VALUES)))
    if roll < 0.15 and path:
        # Drop this member or element.
        del parent[path[-1]]  # type: ignore[union-attr, index]
        return request
    if roll < 0.25 and path and type(parent) is list:
        parent.insert(path[-1], copy.deepcopy(node))  # type: ignore[union-attr]
        return request
    if roll < 0.32 and path and type(parent) is dict:
        # The same key twice in the JSON text; the server's parser keeps one of them.
        pairs = list(parent.items())  # type: ignore[union-attr]
        at = [k for k, _ in pairs].index(path[-1])
        pairs.insert(at + rng.randrange(2), (path[-1], rng.choice(JSON_ODDITIES)))
        return _set(request, path[:-1], Pairs(pairs))
    if roll < 0.42 and type(node) is dict:
        # A new member: a real parameter name from the model, or a placeholder, given a random value.
        if path and path[-1] in ("ExpressionAttributeNames",):
            node[_random_name(rng)] = rng.choice(["a", "", "x" * 300, None, 1, "\ud800", "pk"])
        elif path and path[-1] == "ExpressionAttributeValues":
            placeholder = rng.choice([":v", ":w", ":", "v", ":\u00e9", ":" + "v" * 300])
            node[placeholder] = rng.choice(ODD_VALUES + [None])
        else:
            node[rng.choice(ALL_MEMBER_NAMES)] = rng.choice(JSON_ODDITIES + ODD_VALUES + [[{}]])
        return request
    if roll < 0.5 and type(node) in (int, float) and type(node) is not bool:
        return _set(request, path, rng.choice([0, -1, -(2**31), 2**31 - 1, 2**31, 2**32 + 1, 2**63 - 1, 2**63,
                                               10**30, 1.9, -0.5, Raw("1e309"), Raw("4294967297.7")]))
    if roll < 0.55 and path:
        # Another value from elsewhere in the same request.
        other = _get(request, rng.choice(_nodes(request)))
        return _set(request, path, copy.deepcopy(other))
    return _set(request, path, rng.choice(JSON_ODDITIES))


def mutated(rng: random.Random, request: dict, operation: str) -> object:
    current: object = request
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if type(current) is not dict:
            break
        current = mutate(rng, current, operation)  # type: ignore[arg-type]
    return current


# --- the fuzzer ----------------------------------------------------------------------------------

COUNTS = {
    "DescribeEndpoints": 60, "DescribeLimits": 60, "ListTables": 150, "DescribeTable": 150,
    "CreateTable": 300, "UpdateTable": 300, "DeleteTable": 150,
    "PutItem": 450, "GetItem": 350, "UpdateItem": 500, "DeleteItem": 350, "Query": 500, "Scan": 350,
    "BatchGetItem": 400, "BatchWriteItem": 400,
}
OPERATIONS = list(COUNTS)
SEED = "moatdb-fuzz"
MAX_FUZZ_BODY = 4 * 1024 * 1024


def _fuzzed(rng: random.Random, bases: list[dict], operation: str) -> tuple[object, bytes]:
    """A mutated request and its body, which stays well under the 16 MB a body may have (the server
    answers a bigger one with 413 and closes the connection while the client is still sending)."""
    while True:
        request = mutated(rng, rng.choice(bases), operation)
        body = encode(request)
        if len(body) <= MAX_FUZZ_BODY:
            return request, body


def _describe(request: object) -> str:
    text = encode(request).decode("utf-8", "replace")
    return text if len(text) <= 400 else text[:300] + f"... ({len(text)} chars)"


def _after_success(operation: str, reply: object, t: Tables, ddb) -> None:
    """Undo what a successful fuzzed request did to the account, so the fuzz stays bounded."""
    if operation == "CreateTable":
        name = reply["TableDescription"]["TableName"]  # type: ignore[index]
        drop_table(ddb, name)
    elif operation == "DeleteTable":
        name = reply["TableDescription"]["TableName"]  # type: ignore[index]
        if name == t.spare:
            t.recreate_spare()
    elif operation == "UpdateTable":
        if reply["TableDescription"].get("DeletionProtectionEnabled"):  # type: ignore[index, union-attr]
            ddb.update_table(TableName=reply["TableDescription"]["TableName"],  # type: ignore[index]
                             DeletionProtectionEnabled=False)


def canonical(item: dict) -> dict:
    """An item in the spelling DynamoDB returns, sets sorted: equal items are equal dicts."""

    def value(v: dict) -> dict:
        tag, raw = next(iter(v.items()))
        if tag == "N":
            return {"N": _plain_number(raw)}
        if tag in ("SS", "BS"):
            return {tag: sorted(raw)}
        if tag == "NS":
            return {"NS": sorted(_plain_number(each) for each in raw)}
        if tag == "L":
            return {"L": [value(each) for each in raw]}
        if tag == "M":
            return {"M": {k: value(each) for k, each in raw.items()}}
        return {tag: raw}

    return {name: value(v) for name, v in item.items()}


def _plain_number(text: str) -> str:
    number = Decimal(text).normalize()
    return format(number, "f")


def send_fuzzed(rng: random.Random, bases: list[dict], operation: str, count: int, wire: Wire, failures: list[str],
                statuses: dict[int, int], on_success) -> None:
    """Send ``count`` fuzzed variants of ``bases``: a bad reply goes into ``failures`` (a hang or a lost
    connection ends the run), every status is counted, every 200's reply is given to ``on_success``."""
    for _ in range(count):
        request, body = _fuzzed(rng, bases, operation)
        try:
            status, payload = wire.post(operation, body)
        except TimeoutError:
            failures.append(f"no reply within {TIMEOUT} s: {_describe(request)}")
            return
        except OSError as error:
            failures.append(f"connection lost ({error}): {_describe(request)}")
            return
        statuses[status] = statuses.get(status, 0) + 1
        problem = problem_with(status, payload)
        if problem is not None:
            failures.append(f"{problem}: {payload[:200]!r} for {_describe(request)}")
            if len(failures) >= 20:
                return
        elif status == 200:
            on_success(json.loads(payload))


def still_right(server, wire: Wire, t: Tables) -> None:
    """Still up, still right: a valid request works, and the sentinels are as written."""
    assert getattr(server, "process", None) is None or server.process.poll() is None
    assert wire.call("ListTables", {"Limit": 1})[0] == 200
    expected = sorted(_sentinels(), key=lambda item: float(item["sk"]["N"]))
    stored = sorted(t.sentinel_items(), key=lambda item: float(item["sk"]["N"]))
    assert [canonical(item) for item in stored] == [canonical(item) for item in expected]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_fuzzed_requests_are_answered_with_aws_errors_never_a_500(server, ddb, operation):
    rng = random.Random(f"{SEED}-{operation}")
    wire = Wire(server.endpoint)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    try:
        with Tables(ddb, wire) as t:
            bases = valid_requests(operation, t)
            for base in bases:
                status, reply = wire.call(operation, base)
                assert status == 200, (base, reply)
                _after_success(operation, reply, t, ddb)
            send_fuzzed(rng, bases, operation, COUNTS[operation], wire, failures, statuses,
                        lambda reply: _after_success(operation, reply, t, ddb))
            still_right(server, wire, t)
    finally:
        wire.close()
    assert not failures, f"{len(failures)} bad replies ({statuses}):\n" + "\n".join(failures)
    assert sum(statuses.values()) == COUNTS[operation]


# --- What the fuzzer found: each was a 500 ----------------------------------------------------------

VALIDATION = "com.amazon.coral.validate#ValidationException"
NESTED_TOO_DEEP = ("Nesting Levels have exceeded supported limits: "
                   "Attributes in the item have nested levels beyond supported limit")


@pytest.fixture
def wire(server):
    connection = Wire(server.endpoint)
    yield connection
    connection.close()


def _one_error(text: str) -> dict:
    return {"__type": VALIDATION, "message": f"1 validation error detected: {text}"}


def test_a_null_key_schema_element_is_a_validation_error(wire):
    # Was a 500 (TypeError in CreateTable's own checks). A null element of a list is refused by
    # Coral before the operation runs, worded as for any other element constraint.
    status, reply = wire.call("CreateTable", {
        "TableName": "fz-null-element", "BillingMode": "PAY_PER_REQUEST", "KeySchema": [None],
        "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"}]})
    assert (status, reply) == (400, _one_error(
        "Value '[null]' at 'keySchema' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must not be null]"))


def test_a_null_write_request_is_a_validation_error(wire):
    # Was a 500 (AttributeError in BatchWriteItem).
    status, reply = wire.call("BatchWriteItem", {"RequestItems": {"fz-any-table": [None]}})
    assert (status, reply) == (400, _one_error(
        "Value '[null]' at 'requestItems.fz-any-table.member' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must not be null]"))


@pytest.mark.parametrize("operation", ["BatchGetItem", "BatchWriteItem"])
def test_a_null_table_entry_in_request_items_is_a_validation_error(wire, operation):
    # Was a 500 in both (AttributeError / TypeError on the null entry).
    status, reply = wire.call(operation, {"RequestItems": {"fz-any-table": None}})
    assert (status, reply) == (400, _one_error(
        "Value '{fz-any-table=null}' at 'requestItems' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must not be null]"))


def test_create_table_keeps_only_the_attribute_definition_members_the_model_knows(wire, ddb):
    # Was a 500: CreateTable stored AttributeDefinitions as sent, so a member the model does not
    # know was kept (and echoed by every DescribeTable), and one nested 300 deep could not be stored.
    name = f"fz-unknown-{uuid.uuid4().hex[:8]}"
    definition = {"AttributeName": "h", "AttributeType": "S", "Extra": Raw('{"a":' * 300 + "1" + "}" * 300)}
    status, reply = wire.call("CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}], "AttributeDefinitions": [definition]})
    try:
        assert status == 200, reply
        known = [{"AttributeName": "h", "AttributeType": "S"}]
        assert reply["TableDescription"]["AttributeDefinitions"] == known
        status, reply = wire.call("DescribeTable", {"TableName": name})
        assert reply["Table"]["AttributeDefinitions"] == known
    finally:
        drop_table(ddb, name)


def test_an_update_that_nests_an_item_too_deep_is_refused_and_changes_nothing(wire, ddb, hash_table):
    # Was stored (an item deeper than DynamoDB's 32 levels), then a 500 once the item nested so deep
    # its JSON could not be written. AWS refuses the update with the stored-item nesting error.
    deep: dict = {"S": "leaf"}
    for _ in range(30):
        deep = {"M": {"x": deep}}  # the leaf at level 31
    item = {"pk": {"S": "k"}, "a": deep}
    assert wire.call("PutItem", {"TableName": hash_table, "Item": item})[0] == 200
    status, reply = wire.call("UpdateItem", {"TableName": hash_table, "Key": {"pk": {"S": "k"}},
                                             "UpdateExpression": "SET a.x.x = a"})
    assert (status, reply) == (400, {"__type": VALIDATION, "message": NESTED_TOO_DEEP})
    assert wire.call("GetItem", {"TableName": hash_table, "Key": {"pk": {"S": "k"}}}) == (200, {"Item": item})
    # Up to the limit is fine: the leaf one level deeper, at level 32.
    status, reply = wire.call("UpdateItem", {"TableName": hash_table, "Key": {"pk": {"S": "k"}},
                                             "UpdateExpression": "SET b = :b", "ReturnValues": "UPDATED_NEW",
                                             "ExpressionAttributeValues": {":b": {"M": {"y": deep}}}})
    assert (status, reply) == (200, {"Attributes": {"b": {"M": {"y": deep}}}})
