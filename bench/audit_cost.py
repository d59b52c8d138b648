"""What the audit trail costs one GetItem, in-process: the whole ASGI app (SigV4, authorization,
SQLite, the record written to its file), driven on uvloop without a network, in alternating blocks
with the trail's record (``Gateway._record``) on and replaced by nothing, for this measurement only.

    taskset -c 0 .venv/bin/python bench/audit_cost.py [--blocks 31] [--concurrency 16]

Prints the CPU time per request of each, and the median of the paired differences (block by block,
so a drift of the machine's speed cancels out). See bench/README.md, "The cost of the audit trail".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import uvloop
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET = "AKIABENCHMARKEXAMPLE", "benchmark/secret/key/not/for/anything/else"
DOOR = ("127.0.0.1", 5099)  # never bound: requests are handed to the app directly


def prepare(data: Path) -> None:
    moatdb = [sys.executable, "-m", "moatdb"]
    policy = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
    subprocess.run([*moatdb, "users", "create", "bench", "--policy", policy, "--data-dir", str(data)],
                   check=True, capture_output=True)
    subprocess.run([*moatdb, "keys", "import", "--user", "bench", "--access-key-id", KEY,
                    "--data-dir", str(data)], input=SECRET + "\n", text=True, check=True, capture_output=True)
    os.environ.update(MOATDB_DATA_DIR=str(data), MOATDB_REGION="us-east-1",
                      MOATDB_DOORS=json.dumps([["public", *DOOR]]))


def signed(operation: str, params: dict) -> tuple[dict, bytes]:
    """An ASGI scope and body, signed as botocore signs them."""
    body = orjson.dumps(params)
    request = AWSRequest(method="POST", url=f"http://{DOOR[0]}:{DOOR[1]}/", data=body,
                         headers={"X-Amz-Target": f"DynamoDB_20120810.{operation}",
                                  "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(KEY, SECRET), "dynamodb", "us-east-1").add_auth(request)
    headers = [(name.lower().encode(), value.encode() if isinstance(value, str) else value)
               for name, value in request.headers.items()]
    headers += [(b"host", f"{DOOR[0]}:{DOOR[1]}".encode()),
                (b"user-agent", b"Boto3/1.44.8 md/Botocore#1.44.8")]
    return {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"", "headers": headers,
            "server": DOOR, "client": ("127.0.0.1", 40000), "scheme": "http"}, body


async def run(blocks: int, concurrency: int) -> None:
    from moatdb.server import create_app

    app = create_app()

    async def call(scope: dict, body: bytes) -> int:
        sent = []

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    startup, replies = asyncio.Queue(), asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan = asyncio.ensure_future(app({"type": "lifespan"}, startup.get, replies.put))
    await replies.get()
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    types = [{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk")]
    assert await call(*signed("CreateTable", {"TableName": "bench", "KeySchema": keys, "AttributeDefinitions": types,
                                              "BillingMode": "PAY_PER_REQUEST"})) == 200
    for i in range(200):
        item = {"pk": {"S": f"p{i}"}, "sk": {"S": "s0"}, "v": {"S": "x" * 150}}
        assert await call(*signed("PutItem", {"TableName": "bench", "Item": item})) == 200
    pool = [signed("GetItem", {"TableName": "bench", "Key": {"pk": {"S": f"p{i % 200}"}, "sk": {"S": "s0"}}})
            for i in range(2000)]
    recorded = app._record

    async def block(audit: bool) -> float:
        app._record = recorded if audit else (lambda call, status, payload: None)
        started = time.process_time()
        for first in range(0, len(pool), concurrency):
            statuses = await asyncio.gather(*(call(*pool[j]) for j in range(first, first + concurrency)))
            assert set(statuses) == {200}
        return (time.process_time() - started) / len(pool) * 1e6

    for audit in (True, False, True, False):  # warm-up
        await block(audit)
    on, off = [], []
    for index in range(blocks):
        for audit in ((True, False) if index % 2 else (False, True)):
            (on if audit else off).append(await block(audit))
    app._record = recorded
    differences = [a - b for a, b in zip(on, off, strict=True)]
    print(f"GetItem, {concurrency} at a time, {blocks} blocks of {len(pool)}: CPU per request, median: "
          f"audit on {statistics.median(on):.1f} us, off {statistics.median(off):.1f} us; "
          f"paired difference {statistics.median(differences):.1f} us "
          f"({statistics.median(differences) / statistics.median(off) * 100:.1f} % of the request)")
    await startup.put({"type": "lifespan.shutdown"})
    await replies.get()
    await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=31)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    prepare(Path(tempfile.mkdtemp(prefix="moatdb-audit-cost-")))
    uvloop.run(run(args.blocks, args.concurrency))


if __name__ == "__main__":
    main()
