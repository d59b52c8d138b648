"""Break glass end to end (docs/break-glass.md): a moatdb serving the default world, its break-glass
role set to two approvals of admin and security, requests that wait 5 seconds, and alarms to a
webhook the test listens on (and to one that is down), driven with the `moatdb break-glass` command,
the HTTP API and the AWS profiles moatdb writes.

Every step and every refusal of the procedure, as a client sees it: asking, approving, the
credentials, calls made with them, revocation, the clock, the sealed path, and the alarms of each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from moatdb.world import default_path
from tests.conftest import free_port
from tests.helpers import Reply, error, profile_credentials, send, stop, wait_listening
from tests.unit.test_breakglass_alarms import Receiver

MOATDB = str(Path(sys.executable).parent / "moatdb")
AWS = str(Path(sys.executable).parent / "aws")
REGION = "us-east-1"
ROLE = "arn:aws:iam::222222222222:role/break-glass"
ONCALL = "arn:aws:iam::222222222222:user/oncall"
SECURITY = "arn:aws:iam::222222222222:user/security"
ADMIN = "arn:aws:iam::111111111111:user/admin"
SCP_DENY = "with an explicit deny in a service control policy"
REQUEST_TIMEOUT = 5  # seconds a request waits for its approvals, in this world


class Served:
    """moatdb on a fresh data directory, its public door on a free port, alarms to ``receiver``."""

    def __init__(self, folder: Path, receiver: Receiver):
        self.receiver = receiver
        self.data_dir = folder / "data"
        self.dead_webhook = f"http://127.0.0.1:{free_port()}/nobody-listens"
        document = yaml.safe_load(default_path().read_text())
        section = document["break_glass"]
        section |= {"request_timeout": f"{REQUEST_TIMEOUT}s", "webhooks": [{"url": self.dead_webhook}, {"url": receiver.url}]}
        section["roles"][0] |= {"approvals": 2}
        section["roles"][0]["requesters"].append(SECURITY)
        world = folder / "world.yaml"
        world.write_text(yaml.safe_dump(document, sort_keys=False))
        self.port = free_port()
        self.log = folder / "server.log"
        self.process = subprocess.Popen(
            [MOATDB, "serve", "--data-dir", str(self.data_dir), "--world", str(world), "--port", str(self.port),
             "--door", f"prod-vpce=127.0.0.1:{free_port()}", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        wait_listening(self.process, (self.port,), self.log.read_text)

    def stop(self) -> None:
        stop(self.process)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        # HOME of its own: the AWS CLI caches assumed-role credentials under ~/.aws/cli/cache.
        return env | {"AWS_CONFIG_FILE": str(self.data_dir / "aws" / "config"), "AWS_PAGER": "",
                      "AWS_SHARED_CREDENTIALS_FILE": str(self.data_dir / "aws" / "credentials"),
                      "HOME": str(self.data_dir)}

    def moatdb(self, *args: str) -> subprocess.CompletedProcess:
        """`moatdb break-glass ...`, as a person runs it with the profiles moatdb wrote."""
        return subprocess.run([MOATDB, "break-glass", *args], capture_output=True, text=True, env=self.env,
                              timeout=60)

    def aws(self, profile: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([AWS, "--profile", profile, *args], capture_output=True, text=True, env=self.env,
                              timeout=60)

    def api(self, profile: str, operation: str, params: dict) -> Reply:
        """The HTTP API, signed with a profile's key as any client would sign it (service moatdb)."""
        key, secret = profile_credentials(self.data_dir, profile)
        request = AWSRequest(method="POST", url=f"{self.endpoint}/moatdb/break-glass/{operation}",
                             data=json.dumps(params).encode(), headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(key, secret), "moatdb", REGION).add_auth(request)
        return send(self, path=f"/moatdb/break-glass/{operation}", body=request.body,
                    headers=dict(request.headers.items()))

    def client(self, service: str, credentials: dict | None = None, profile: str | None = None):
        if credentials is not None:
            keys = {"aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"]}
        else:
            key, secret = profile_credentials(self.data_dir, profile)
            keys = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}), **keys)

    def alarms(self, kind: str, grant: str | None = None, *, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """The alarms of one kind (of one grant) the webhook received, once ``count`` have come."""
        deadline = time.monotonic() + timeout
        while True:
            found = [body for _, body in self.receiver.received
                     if body["event"] == kind and (grant is None or body["grant"] == grant)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    receiver = Receiver()
    served = Served(tmp_path_factory.mktemp("break-glass"), receiver)
    yield served
    served.stop()
    receiver.shutdown()
    receiver.server_close()


def request(world: Served, profile: str = "oncall", duration: str = "10m", **params) -> dict:
    reply = world.api(profile, "request", {"RoleArn": ROLE, "Reason": "orders table corrupt", "Ticket": "INC-42",
                                           "Duration": duration} | params)
    assert reply.status == 200, reply.body
    return reply.json()["Grant"]


def granted(world: Served, duration: str = "10m") -> tuple[str, dict]:
    """A grant approved by both approvers, and the requester's credentials under it."""
    grant = request(world, duration=duration)["GrantId"]
    for approver in ("admin", "security"):
        assert world.api(approver, "approve", {"GrantId": grant}).status == 200
    reply = world.api("oncall", "credentials", {"GrantId": grant})
    assert reply.status == 200, reply.body
    return grant, reply.json()["Credentials"]


def refusal(reply: Reply) -> tuple[int, str, str]:
    return reply.status, reply.json()["__type"], reply.json()["message"]


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- the only way in ---------------------------------------------------------------------------------


def test_a_direct_assume_role_of_the_break_glass_role_is_denied_in_stss_words_and_alarmed(world):
    done = world.aws("break-glass", "sts", "get-caller-identity")  # the profile assumes it with oncall's key

    assert done.returncode == 255
    assert (f"An error occurred (AccessDenied) when calling the AssumeRole operation: User: {ONCALL} is not "
            f"authorized to perform: sts:AssumeRole on resource: {ROLE}") in done.stderr
    (alarm,) = world.alarms("assume-role-denied")
    assert (alarm["severity"], alarm["actor"], alarm["role"]) == ("critical", ONCALL, ROLE)


def test_a_break_glass_session_cannot_assume_another_role(world):
    grant, credentials = granted(world)

    code, message, _ = error(world.client("sts", credentials).assume_role,
                             RoleArn="arn:aws:iam::222222222222:role/app", RoleSessionName="escape")

    assert code == "AccessDenied"
    assert message.endswith("sts:AssumeRole on resource: arn:aws:iam::222222222222:role/app")
    (call,) = world.alarms("call", grant)
    assert (call["detail"]["operation"], call["detail"]["outcome"]) == ("AssumeRole", "AccessDenied")


# --- the procedure, with the command ------------------------------------------------------------------


def test_the_procedure_end_to_end_with_the_command(world):
    asked = world.moatdb("request", "--profile", "oncall", "--role", ROLE, "--reason", "orders table corrupt",
                         "--ticket", "INC-42", "--duration", "30m")
    assert asked.returncode == 0, asked.stderr
    grant = asked.stdout.split()[0]
    assert re.fullmatch(r"bg-[a-z2-7]{12}", grant)
    assert f"{grant}  pending  {ROLE}  30m" in asked.stdout and "approvals: 0 of 2" in asked.stdout

    assert world.moatdb("approve", grant, "--profile", "admin", "--comment", "seen INC-42").returncode == 0
    approved = world.moatdb("approve", grant, "--profile", "security")
    assert approved.returncode == 0, approved.stderr
    assert f"{grant}  active" in approved.stdout and "approvals: 2 of 2" in approved.stdout

    written = world.moatdb("credentials", grant, "--profile", "oncall", "--write-profile", "emergency")
    assert written.returncode == 0, written.stderr
    who = world.aws("emergency", "sts", "get-caller-identity", "--output", "json")
    assert json.loads(who.stdout)["Arn"] == f"arn:aws:sts::222222222222:assumed-role/break-glass/{grant}"
    # Through the public door, where the SCP denies every other prod principal.
    listed = world.aws("emergency", "dynamodb", "list-tables", "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert SCP_DENY in world.aws("developer", "dynamodb", "list-tables").stderr
    missing = world.aws("emergency", "dynamodb", "get-item", "--table-name", "nothing", "--key", '{"id": {"S": "1"}}')
    assert "ResourceNotFoundException" in missing.stderr

    report = world.moatdb("report", grant, "--profile", "security")
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(f"# Break-glass grant {grant}\n")
    assert f"| Requested by | {ONCALL} (source identity oncall) |" in report.stdout
    assert f"| {ADMIN} | seen INC-42 |" in report.stdout
    assert "| sts | GetCallerIdentity | - | Success | 127.0.0.1 |" in report.stdout
    assert "| dynamodb | ListTables | - | Success | 127.0.0.1 |" in report.stdout
    # From the audit trail: CloudTrail's parameter names, and the error the client was sent.
    assert "| dynamodb | GetItem | tableName, key | ResourceNotFoundException | 127.0.0.1 |" in report.stdout
    assert report.stdout.endswith("Source of the calls: the audit trail (`moatdb audit query --session KEY` "
                                  "lists their full records).\n")

    revoked = world.moatdb("revoke", grant, "--profile", "admin", "--reason", "incident closed")
    assert revoked.returncode == 0, revoked.stderr
    assert "ended at" in revoked.stdout and f"by {ADMIN}: incident closed" in revoked.stdout
    after = world.aws("emergency", "dynamodb", "list-tables")
    assert "(UnrecognizedClientException) when calling the ListTables operation: The security token included in " \
           "the request is invalid." in after.stderr

    kinds = [body["event"] for _, body in world.receiver.received if body["grant"] == grant]
    assert kinds[:5] == ["requested", "approved", "approved", "granted", "issued"]
    assert eventually(lambda: "revoked" in [b["event"] for _, b in world.receiver.received if b["grant"] == grant])


def test_the_command_waits_for_the_approvals_and_writes_the_profile(world):
    waiting = subprocess.Popen(
        [MOATDB, "break-glass", "request", "--profile", "oncall", "--role", ROLE, "--reason", "r", "--ticket",
         "waiting", "--duration", "5m", "--wait", "--write-profile", "waited"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=world.env)
    def asked() -> list[dict]:
        return [body for _, body in world.receiver.received
                if body["event"] == "requested" and body["detail"]["ticket"] == "waiting"]

    assert eventually(asked)
    (alarm,) = asked()
    for approver in ("admin", "security"):
        assert world.api(approver, "approve", {"GrantId": alarm["grant"]}).status == 200

    out, err = waiting.communicate(timeout=30)

    assert waiting.returncode == 0, err
    assert "Wrote profile waited" in out
    assert world.aws("waited", "sts", "get-caller-identity", "--query", "Arn", "--output", "text").stdout.strip() \
        == f"arn:aws:sts::222222222222:assumed-role/break-glass/{alarm['grant']}"


# --- refusals -----------------------------------------------------------------------------------------


def test_nobody_approves_their_own_request(world):
    grant = request(world, "security")["GrantId"]

    assert refusal(world.api("security", "approve", {"GrantId": grant})) == (
        403, "AccessDeniedException", f"{SECURITY} asked for {grant}: nobody may approve their own request.")


def test_a_principal_who_is_not_an_approver_is_refused_by_iam(world):
    grant = request(world)["GrantId"]

    status, code, message = refusal(world.api("developer", "approve", {"GrantId": grant}))

    assert (status, code) == (403, "AccessDeniedException")
    assert message == ("User: arn:aws:iam::222222222222:user/developer is not authorized to perform: "
                       "moatdb:ApproveBreakGlass on resource: "
                       f"arn:aws:moatdb:us-east-1:222222222222:grant/break-glass/{grant} "
                       "with an explicit deny in a resource-based policy")


def test_too_few_approvals_give_no_credentials(world):
    grant = request(world)["GrantId"]
    assert world.api("admin", "approve", {"GrantId": grant}).json()["Grant"]["Status"] == "pending"

    assert refusal(world.api("oncall", "credentials", {"GrantId": grant})) == (
        409, "ConflictException", f"{grant} is pending: credentials are issued under an active grant only.")


def test_only_the_requester_receives_the_credentials(world):
    grant = request(world)["GrantId"]
    for approver in ("admin", "security"):
        world.api(approver, "approve", {"GrantId": grant})

    status, code, _ = refusal(world.api("admin", "credentials", {"GrantId": grant}))

    assert (status, code) == (403, "AccessDeniedException")


def test_an_expired_request_cannot_be_approved_and_its_expiry_is_alarmed(world):
    grant = request(world)["GrantId"]
    time.sleep(REQUEST_TIMEOUT + 0.2)

    assert refusal(world.api("admin", "approve", {"GrantId": grant})) == (
        409, "ConflictException", f"{grant} is expired: only a pending request can be approved.")
    (expired,) = world.alarms("expired", grant)
    assert expired["detail"]["was"] == "pending"


def test_an_over_long_duration_is_refused(world):
    reply = world.api("oncall", "request", {"RoleArn": ROLE, "Reason": "r", "Ticket": "t", "Duration": "2h"})

    assert refusal(reply) == (400, "ValidationException", f"The duration 2h exceeds the 1h {ROLE} allows.")


def test_a_request_without_its_reason_and_ticket_is_refused(world):
    reply = world.api("oncall", "request", {"RoleArn": ROLE, "Duration": "5m"})

    assert refusal(reply) == (400, "ValidationException", f"A reason is required to ask for {ROLE}.")


# --- the grant's session: calls, revocation, expiry ----------------------------------------------------


def test_every_call_with_a_break_glass_session_is_alarmed_with_its_parameter_names_and_outcome(world):
    grant, credentials = granted(world)
    ddb = world.client("dynamodb", credentials)
    ddb.create_table(TableName="incident", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="incident", Item={"id": {"S": "1"}, "secret": {"S": "never in an alarm"}})
    code, _, _ = error(world.client("organizations", credentials).list_policies, Filter="SERVICE_CONTROL_POLICY")
    assert code == "AccessDeniedException"

    calls = world.alarms("call", grant, count=3)
    details = [(c["detail"]["service"], c["detail"]["operation"], c["detail"]["outcome"]) for c in calls]
    assert details == [("dynamodb", "CreateTable", "Success"), ("dynamodb", "PutItem", "Success"),
                       ("organizations", "ListPolicies", "AccessDeniedException")]
    assert calls[1]["detail"]["parameters"] == ["TableName", "Item"]
    assert "never in an alarm" not in json.dumps(calls)
    assert calls[1]["actor"] == f"arn:aws:sts::222222222222:assumed-role/break-glass/{grant}"


def test_a_revoked_grants_session_is_refused_on_its_very_next_request(world):
    grant, credentials = granted(world)
    ddb = world.client("dynamodb", credentials)
    assert "TableNames" in ddb.list_tables()

    assert world.api("oncall", "revoke", {"GrantId": grant, "Reason": "fixed"}).status == 200

    assert error(ddb.list_tables)[:2] == ("UnrecognizedClientException",
                                           "The security token included in the request is invalid.")
    (revoked,) = world.alarms("revoked", grant)
    assert revoked["detail"]["sessions"] == [credentials["AccessKeyId"]]


def test_a_grants_session_is_refused_after_the_grant_expires(world):
    grant, credentials = granted(world, duration="4s")
    ddb = world.client("dynamodb", credentials)
    assert "TableNames" in ddb.list_tables()
    # Expiration is given to the second, rounded down.
    ends = datetime.fromisoformat(credentials["Expiration"].replace("Z", "+00:00")).timestamp() + 1
    time.sleep(max(0.0, ends - time.time()) + 0.2)

    assert error(ddb.list_tables)[:2] == ("ExpiredTokenException",
                                           "The security token included in the request is expired")
    (expired,) = world.alarms("expired", grant)
    assert expired["detail"]["was"] == "active"
    assert world.api("oncall", "get", {"GrantId": grant}).json()["Grant"]["Status"] == "expired"


def test_a_table_policy_denying_all_but_the_app_role_holds_for_a_break_glass_session(world):
    _, credentials = granted(world)
    ddb = world.client("dynamodb", credentials)
    ddb.create_table(TableName="ledger", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    arn = f"arn:aws:dynamodb:{REGION}:222222222222:table/ledger"
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/app"}}}]}))

    code, message, _ = error(ddb.get_item, TableName="ledger", Key={"id": {"S": "1"}})

    assert code == "AccessDeniedException" and message.endswith("with an explicit deny in a resource-based policy")


# --- the sealed path ----------------------------------------------------------------------------------


def seal(world: Served, shares: int = 3, threshold: int = 2, duration: str = "10m") -> list[str]:
    done = world.moatdb("seal", "--data-dir", str(world.data_dir), "--role", ROLE, "--shares", str(shares),
                        "--threshold", str(threshold), "--duration", duration, "--as", "operator")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[1:]


def test_the_sealed_path_refuses_m_minus_one_shares_and_opens_with_m(world):
    first, second, third = seal(world)
    seal_id = first.split(":")[1]

    fewer = world.moatdb("unseal", "--profile", "security", "--share", first)
    assert fewer.returncode == 1
    assert f"ValidationException: {seal_id} opens with 2 shares; 1 was given." in fewer.stderr
    failed = world.alarms("unseal-failed", count=1)
    assert failed[-1]["severity"] == "critical" and failed[-1]["detail"]["seals"] == [seal_id]

    opened = world.moatdb("unseal", "--profile", "security", "--share", first, "--share", third, "--reason",
                          "approvers unreachable", "--format", "json")
    assert opened.returncode == 0, opened.stderr
    answer = json.loads(opened.stdout)
    assert answer["Grant"]["Status"] == "active" and answer["Grant"]["Seal"] == seal_id
    assert answer["Grant"]["Approvals"] == [] and answer["SourceIdentity"] == "security"
    assert "TableNames" in world.client("dynamodb", answer["Credentials"]).list_tables()
    (unsealed,) = world.alarms("unsealed", answer["Grant"]["GrantId"])
    assert unsealed["severity"] == "critical" and unsealed["summary"].startswith("SEALED EMERGENCY PATH USED")

    again = world.moatdb("unseal", "--profile", "security", "--share", second, "--share", third)
    assert again.returncode == 1 and "was already used" in again.stderr


def test_the_sealed_path_opens_on_the_data_directory_without_the_api(world, tmp_path):
    shares = seal(world, shares=5, threshold=3)
    files = []
    for number, share in enumerate(shares[:3]):
        path = tmp_path / f"share-{number}.txt"
        path.write_text(share + "\n")
        files += ["--share-file", str(path)]

    opened = world.moatdb("unseal", "--data-dir", str(world.data_dir), "--as", "night-operator", *files,
                          "--format", "json")

    assert opened.returncode == 0, opened.stderr
    answer = json.loads(opened.stdout)
    assert answer["Grant"]["Requester"].startswith("local:night-operator@")
    assert "TableNames" in world.client("dynamodb", answer["Credentials"]).list_tables()
    assert '"event":"unsealed"' in opened.stderr  # the command sounds the alarm itself
    assert world.alarms("unsealed", answer["Grant"]["GrantId"])  # and the webhook had it


def test_shares_written_to_files_are_readable_by_their_owner_only(world, tmp_path):
    done = world.moatdb("seal", "--data-dir", str(world.data_dir), "--role", ROLE, "--shares", "3",
                        "--threshold", "2", "--share-dir", str(tmp_path / "custodians"))

    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "custodians").iterdir())
    assert len(written) == 3 and [oct(path.stat().st_mode & 0o777) for path in written] == ["0o600"] * 3
    assert all(path.read_text().startswith("moatdb-share:seal-") for path in written)


# --- the alarms and the HTTP API ----------------------------------------------------------------------


def test_a_webhook_that_is_down_does_not_hold_up_the_emergency(world):
    started = time.monotonic()
    grant, credentials = granted(world)
    assert "TableNames" in world.client("dynamodb", credentials).list_tables()

    assert time.monotonic() - started < 5
    assert world.alarms("issued", grant)  # the live webhook had them all the same
    assert eventually(lambda: f"webhook {world.dead_webhook}" in world.log.read_text())


def test_the_http_api_refuses_an_unsigned_request(world):
    reply = send(world, path="/moatdb/break-glass/list", body=b"{}", headers={"Content-Type": "application/json"})

    assert (reply.status, reply.json()["__type"]) == (403, "MissingAuthenticationTokenException")


def test_the_http_api_takes_only_post_and_knows_its_operations(world):
    assert send(world, method="GET", path="/moatdb/break-glass/list").status == 405
    assert refusal(world.api("oncall", "nothing", {}))[:2] == (404, "ResourceNotFoundException")
    assert send(world, method="GET", path="/").status == 200  # DynamoDB's health answer, elsewhere, unchanged


def test_a_listing_shows_only_the_grants_the_caller_may_see(world):
    grant = request(world)["GrantId"]

    assert grant in [g["GrantId"] for g in world.api("admin", "list", {}).json()["Grants"]]
    assert world.api("developer@333333333333", "list", {}).json()["Grants"] == []
