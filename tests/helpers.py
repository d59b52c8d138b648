"""Small helpers the tests share: the test credentials, attribute-value builders, the error a call
must end in, reads, batch writes, paging, table creation and signed raw requests. Plain functions;
the fixtures live in tests/conftest.py."""

from __future__ import annotations

import configparser
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TARGET = "DynamoDB_20120810."
JSON_10 = "application/x-amz-json-1.0"

ACCOUNT = "000000000000"
TESTER_ARN = "arn:aws:iam::000000000000:user/tester"  # whom ACCESS_KEY belongs to (conftest seeds it)

INVALID = "One or more parameter values were invalid: "
KEY_MISMATCH = "The provided key element does not match the schema"


# --- attribute values, as boto3's low-level client takes and returns them ---------------------------


def S(text: str) -> dict:
    return {"S": text}


def N(text: str) -> dict:
    return {"N": text}


def B(data: bytes) -> dict:
    return {"B": data}


def L(*elements: dict) -> dict:
    return {"L": list(elements)}


def M(**members: dict) -> dict:
    return {"M": members}


# --- errors ------------------------------------------------------------------------------------------


def failure(call, *args, **params) -> dict:
    """The whole error response of a call that must fail."""
    with pytest.raises(ClientError) as raised:
        call(*args, **params)
    return raised.value.response


def error(call, *args, **params) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a call that must fail."""
    response = failure(call, *args, **params)
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def invalid(message: str) -> tuple[str, str, int]:
    """What ``error`` answers for a ValidationException with ``message``."""
    return "ValidationException", message, 400


def expect_error(call, code: str, message: str, **params) -> None:
    """Asserts that ``call(**params)`` fails with ``code`` and ``message`` and HTTP status 400."""
    assert error(call, **params) == (code, message, 400)


# --- replies, reads and writes -----------------------------------------------------------------------


def body(reply: dict) -> dict:
    """A reply without boto3's ResponseMetadata: what DynamoDB put in the body."""
    return {name: value for name, value in reply.items() if name != "ResponseMetadata"}


def stored(ddb, table: str, key: dict) -> dict | None:
    """The item under ``key`` as a strongly consistent read sees it, or None."""
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def put_items(ddb, table: str, items: list[dict]) -> None:
    """Writes ``items`` with BatchWriteItem, 25 at a time, and asserts none was left unprocessed."""
    for start in range(0, len(items), 25):
        reply = ddb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        )
        assert reply["UnprocessedItems"] == {}


def all_pages(call, **params) -> list[dict]:
    """Every page of a query or scan (``call`` is ``ddb.query`` or ``ddb.scan``), following
    LastEvaluatedKey until there is none."""
    pages = []
    for _ in range(2000):
        page = call(**params)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError("the paging never stopped returning LastEvaluatedKey")


# --- tables ------------------------------------------------------------------------------------------


def create_table(ddb, sort: str | None = "S", partition: str = "S", name: str | None = None) -> str:
    """Creates an on-demand table keyed by ``pk`` (of type ``partition``) and, unless ``sort`` is None,
    ``sk`` (of type ``sort``); answers its name, a fresh one unless ``name`` is given."""
    name = name or f"t-{uuid.uuid4().hex[:12]}"
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    definitions = [{"AttributeName": "pk", "AttributeType": partition}]
    if sort is not None:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        definitions.append({"AttributeName": "sk", "AttributeType": sort})
    ddb.create_table(
        TableName=name, KeySchema=schema, AttributeDefinitions=definitions, BillingMode="PAY_PER_REQUEST"
    )
    return name


# --- raw HTTP, past any SDK's validation -------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def send(server, *, method: str = "POST", path: str = "/", body: bytes = b"", headers: dict | None = None) -> Reply:
    """One raw HTTP request, exactly as given (http.client adds only Host and Content-Length)."""
    url = urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def signed(server, operation: str, params: dict | None = None, *, body: bytes | None = None,
           content_type: str = JSON_10, region: str = REGION, service: str = "dynamodb") -> Reply:
    """A hand-written JSON body (boto3 refuses to send some malformed values), or raw ``body`` bytes,
    signed by botocore's own SigV4 signer, as an SDK would send it."""
    data = body if body is not None else json.dumps(params).encode()
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=data,
                         headers={"Content-Type": content_type, "X-Amz-Target": TARGET + operation})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, region).add_auth(request)
    return send(server, body=request.body, headers=dict(request.headers.items()))


def profile_credentials(data_dir, profile: str = "default") -> tuple[str, str]:
    """The access key and secret `moatdb serve` wrote for a profile into DATA_DIR/aws/credentials."""
    parser = configparser.ConfigParser()
    parser.read(Path(data_dir) / "aws" / "credentials")
    return parser[profile]["aws_access_key_id"], parser[profile]["aws_secret_access_key"]


# --- principals and policies, set up in a server's data directory --------------------------------------


@contextmanager
def directory_of(server) -> Iterator:
    """The IAM directory of a (running) server's data directory, as `moatdb` commands open it: what is
    changed here holds for the server from its next request."""
    from moatdb.server import open_directory

    directory = open_directory(server.data_dir)
    try:
        yield directory
    finally:
        directory.store.close()


def policy(*statements: dict) -> str:
    """A policy document (Version 2012-10-17) of the given statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@dataclass
class TestUser:
    name: str
    arn: str
    credentials: tuple[str, str]


def new_user(server, *inline: str, managed: tuple[str, ...] = (), boundary: str | None = None,
             groups: tuple[str, ...] = (), tags: dict | None = None, name: str | None = None) -> TestUser:
    """A fresh IAM user with an access key, the given inline policy documents, attached managed policies,
    permissions boundary and group memberships."""
    from moatdb.auth.directory import USER

    name = name or f"u-{uuid.uuid4().hex[:10]}"
    with directory_of(server) as directory:
        user = directory.create_user(ACCOUNT, name, tags=tags, boundary=boundary)
        for index, document in enumerate(inline):
            directory.put_inline_policy(USER, ACCOUNT, name, f"p{index}", document)
        for arn in managed:
            directory.attach_policy(USER, ACCOUNT, name, arn)
        for group in groups:
            directory.add_user_to_group(ACCOUNT, group, name)
        key = directory.create_access_key(ACCOUNT, name)
    return TestUser(name, user.arn, (key.id, key.secret))


def new_role(server, trust: str, *inline: str, managed: tuple[str, ...] = (), max_session_duration: int = 3600,
             tags: dict | None = None, name: str | None = None) -> str:
    """A fresh IAM role with the given trust policy and inline policy documents; answers its ARN."""
    from moatdb.auth.directory import ROLE

    name = name or f"r-{uuid.uuid4().hex[:10]}"
    with directory_of(server) as directory:
        role = directory.create_role(ACCOUNT, name, trust, max_session_duration=max_session_duration, tags=tags)
        for index, document in enumerate(inline):
            directory.put_inline_policy(ROLE, ACCOUNT, name, f"p{index}", document)
        for arn in managed:
            directory.attach_policy(ROLE, ACCOUNT, name, arn)
    return role.arn


def trusting(*principals: str, **condition) -> str:
    """A trust policy letting the given AWS principals (ARNs or account ids) assume the role."""
    statement = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition["condition"]
    return policy(statement)


# --- `moatdb serve` as its own process ---------------------------------------------------------------


def wait_listening(process: subprocess.Popen, ports: Sequence[int], exited: Callable[[], str],
                   timeout: float = 30) -> None:
    """Wait until every one of ``ports`` on 127.0.0.1 accepts connections; ``exited()`` says why when
    the server died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moatdb exited: {exited()}")
        try:
            for port in ports:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moatdb did not open its doors within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, as an operator stops it; killed if it has not exited within 10 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Terraform against moatdb, with the AWS provider from a local mirror -----------------------------

TF_PLUGINS = Path(os.environ.get("MOATDB_TF_PLUGINS", "/opt/tf-plugins"))
needs_terraform = pytest.mark.skipif(
    shutil.which("terraform") is None or not (TF_PLUGINS / "registry.terraform.io/hashicorp/aws").is_dir(),
    reason="needs terraform and the hashicorp/aws provider in a local mirror")


def terraform_env(folder: Path) -> dict[str, str]:
    """The environment Terraform runs in: the provider from the mirror (a CLI config written into
    ``folder``), no prompts, no update check, no debug log."""
    (folder / "cli.tfrc").write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{TF_PLUGINS}"\n  }}\n}}\n')
    env = {name: value for name, value in os.environ.items() if name != "TF_LOG"}
    env.update(TF_CLI_CONFIG_FILE=str(folder / "cli.tfrc"), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    return env


def terraform_provider(service: str, endpoint: str) -> str:
    """The AWS provider pointed at moatdb for ``service``, signing as the test user."""
    return f"""
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "{ACCESS_KEY}"
  secret_key                  = "{SECRET_KEY}"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    {service} = "{endpoint}"
  }}
}}
"""

