"""The private-table system end to end: the default world (the VPC-only pattern), served as `make run`
serves it, on a fresh data directory, driven with the AWS profiles moatdb writes, through its two doors.

Each test is one claim of the pattern (docs/walkthrough.md walks through the same claims with the AWS
CLI). Sources: AWS Organizations User Guide, "Service control policies" (the management account is not
bound; an SCP denies whatever the member account's own policies allow); IAM User Guide, "AWS global
condition context keys" (aws:SourceVpc is present only for requests through a VPC endpoint) and
"Troubleshoot access denied error messages"; Amazon VPC User Guide, "Control access to VPC endpoints
using endpoint policies"; DynamoDB Developer Guide, "Using resource-based policies for DynamoDB".
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.config import Config

from tests.conftest import free_port
from tests.helpers import error, stop, wait_listening

MOATDB = str(Path(sys.executable).parent / "moatdb")
AWS = str(Path(sys.executable).parent / "aws")
MANAGEMENT, PROD, DEV = "111111111111", "222222222222", "333333333333"
REGION = "us-east-1"
SCP_DENY = "with an explicit deny in a service control policy"
BREAK_GLASS = f"arn:aws:iam::{PROD}:role/break-glass"


class World:
    """A moatdb serving a world on a fresh data directory, its two doors on free ports."""

    def __init__(self, data_dir: Path, world: Path | None = None):
        self.data_dir = data_dir
        self.public, self.vpce = free_port(), free_port()
        options = ["--world", str(world)] if world else []
        self.process = subprocess.Popen(
            [MOATDB, "serve", "--data-dir", str(data_dir), "--port", str(self.public), "--door",
             f"prod-vpce=127.0.0.1:{self.vpce}", "--log-level", "warning", *options],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(self.process, (self.public, self.vpce), lambda: self.process.stderr.read().decode())

    def stop(self) -> None:
        stop(self.process)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public}"

    @property
    def vpce_url(self) -> str:
        return f"http://127.0.0.1:{self.vpce}"

    def client(self, profile: str, service: str = "dynamodb", *, door: str = "public"):
        """A boto3 client of one of the profiles moatdb wrote (a role's assumes it through STS), at a door."""
        url = self.vpce_url if door == "vpce" else self.public_url
        os.environ["AWS_CONFIG_FILE"] = str(self.data_dir / "aws" / "config")
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(self.data_dir / "aws" / "credentials")
        try:
            client = boto3.Session(profile_name=profile).client(
                service, endpoint_url=url, region_name=REGION,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}))
            client._request_signer._credentials.get_frozen_credentials()  # the role is assumed now
            return client
        finally:
            del os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"]

    def aws(self, profile: str, *args: str, door: str = "public") -> subprocess.CompletedProcess:
        """The AWS CLI with the profiles moatdb wrote, as a user runs it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        # HOME of its own: the CLI caches assumed-role credentials under ~/.aws/cli/cache, and another
        # server's would be unknown here.
        env.update(AWS_CONFIG_FILE=str(self.data_dir / "aws" / "config"), AWS_PAGER="", HOME=str(self.data_dir),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.data_dir / "aws" / "credentials"))
        url = self.vpce_url if door == "vpce" else self.public_url
        return subprocess.run([AWS, "--profile", profile, "--endpoint-url", url, *args], capture_output=True,
                              text=True, env=env, timeout=60)


    def moatdb(self, *args: str) -> subprocess.CompletedProcess:
        """A `moatdb` command with the profiles moatdb wrote (the break-glass commands sign with them)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE=str(self.data_dir / "aws" / "config"), HOME=str(self.data_dir),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.data_dir / "aws" / "credentials"))
        return subprocess.run([MOATDB, *args, "--endpoint-url", self.public_url], capture_output=True, text=True,
                              env=env, timeout=60)

    def break_glass(self, service: str = "dynamodb"):
        """A client of a break-glass session: requested by `oncall`, approved by `security`, as the
        procedure wants (docs/break-glass.md); a direct AssumeRole of the role is refused."""
        requested = self.moatdb("break-glass", "request", "--profile", "oncall", "--role", BREAK_GLASS,
                                "--reason", "the walkthrough's incident", "--ticket", "INC-1", "--duration", "10m",
                                "--json")
        assert requested.returncode == 0, requested.stderr
        grant = json.loads(requested.stdout)["Grant"]["GrantId"]
        approved = self.moatdb("break-glass", "approve", grant, "--profile", "security")
        assert approved.returncode == 0, approved.stderr
        issued = self.moatdb("break-glass", "credentials", grant, "--profile", "oncall", "--format", "json")
        assert issued.returncode == 0, issued.stderr
        credentials = json.loads(issued.stdout)["Credentials"]
        return boto3.client(service, endpoint_url=self.public_url, region_name=REGION,
                            aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"],
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    served = World(tmp_path_factory.mktemp("default-world") / "data")
    yield served
    served.stop()


def profiles(world: World) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser()
    parser.read(world.data_dir / "aws" / "config")
    return {section.removeprefix("profile "): dict(parser[section]) for section in parser.sections()}


def test_moatdb_writes_a_profile_for_every_principal_of_the_default_world(world):
    found = profiles(world)

    assert {"default", "admin", "developer", "oncall", "developer@333333333333", "app", "break-glass"} <= set(found)
    assert found["app"]["role_arn"] == f"arn:aws:iam::{PROD}:role/app"
    assert found["app"]["source_profile"] == "developer"
    assert found["break-glass"]["source_profile"] == "oncall"  # whose AssumeRole is then refused: see below


def test_the_prod_application_role_is_allowed_through_the_vpc_endpoint(world):
    ddb = world.client("app", door="vpce")

    assert "TableNames" in ddb.list_tables()


def test_the_same_role_through_the_public_door_is_denied_by_the_scp(world):
    done = world.aws("app", "dynamodb", "list-tables")

    assert done.returncode == 255  # the AWS CLI (v1, as the test tools install it) on a service error
    assert re.search(
        rf"An error occurred \(AccessDeniedException\) when calling the ListTables operation: User: "
        rf"arn:aws:sts::{PROD}:assumed-role/app/\S+ is not authorized to perform: dynamodb:ListTables on resource: "
        rf"arn:aws:dynamodb:{REGION}:{PROD}:table/\* {SCP_DENY}: arn:aws:organizations::{MANAGEMENT}:policy/o-\w+/"
        rf"service_control_policy/p-\w+", done.stderr), done.stderr


def test_creating_a_prod_table_is_denied_from_outside_the_vpc_and_allowed_from_inside(world):
    table = {"TableName": "orders", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
             "BillingMode": "PAY_PER_REQUEST"}

    code, message, _ = error(world.client("app").create_table, **table)
    assert code == "AccessDeniedException" and SCP_DENY in message
    assert world.client("app", door="vpce").create_table(**table)["TableDescription"]["TableStatus"] == "CREATING"


def test_the_break_glass_role_is_allowed_through_the_public_door(world):
    assert "TableNames" in world.break_glass().list_tables()


def test_the_break_glass_role_cannot_be_assumed_directly(world):
    done = world.aws("break-glass", "dynamodb", "list-tables")

    assert done.returncode == 255
    assert (f"An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::{PROD}:"
            f"user/oncall is not authorized to perform: sts:AssumeRole on resource: {BREAK_GLASS}") in done.stderr


def test_the_dev_accounts_developer_is_allowed_through_the_public_door(world):
    ddb = world.client("developer@333333333333")

    ddb.create_table(TableName="scratch", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert "scratch" in ddb.list_tables()["TableNames"]


def test_the_management_accounts_administrator_is_not_bound_by_the_scp(world):
    assert "TableNames" in world.client("admin").list_tables()
    assert world.client("admin", "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{MANAGEMENT}:user/admin"


def test_the_prod_developer_reads_through_the_vpc_only(world):
    assert "TableNames" in world.client("developer", door="vpce").list_tables()
    assert error(world.client("developer").list_tables)[0] == "AccessDeniedException"


def test_detaching_the_scp_through_organizations_lifts_it_on_the_next_request(world):
    organizations = world.client("admin", "organizations")
    (policy,) = [p for p in organizations.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
                 if p["Name"] == "vpc-only"]
    (target,) = organizations.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
    app = world.client("app")
    assert error(app.list_tables)[0] == "AccessDeniedException"

    organizations.detach_policy(PolicyId=policy["Id"], TargetId=target["TargetId"])
    try:
        assert "TableNames" in app.list_tables()
    finally:
        organizations.attach_policy(PolicyId=policy["Id"], TargetId=target["TargetId"])
    assert error(app.list_tables)[0] == "AccessDeniedException"


def test_a_member_account_cannot_detach_the_scp_that_binds_it(world):
    organizations = world.break_glass("organizations")

    code, _, _ = error(organizations.list_policies, Filter="SERVICE_CONTROL_POLICY")

    assert code == "AccessDeniedException"


def test_a_table_policy_denying_all_but_the_app_role_holds_even_for_an_administrator(world):
    app = world.client("app", door="vpce")
    app.create_table(TableName="ledger", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    arn = f"arn:aws:dynamodb:{REGION}:{PROD}:table/ledger"
    app.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": arn,
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PROD}:role/app"}}}]}))

    admin = world.break_glass()  # AdministratorAccess, and excepted from the SCP
    code, message, _ = error(admin.get_item, TableName="ledger", Key={"id": {"S": "1"}})
    assert code == "AccessDeniedException"
    assert message.endswith(f"on resource: {arn} with an explicit deny in a resource-based policy")
    assert "Item" not in app.get_item(TableName="ledger", Key={"id": {"S": "1"}})


@pytest.fixture(scope="module")
def one_table_endpoint(tmp_path_factory):
    """The default world with an endpoint policy that allows only the `orders` table."""
    from moatdb.world import default_path

    folder = tmp_path_factory.mktemp("endpoint-policy")
    document = yaml.safe_load(default_path().read_text())
    (endpoint,) = document["accounts"][PROD]["vpcs"][0]["endpoints"]
    endpoint["policy"] = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "dynamodb:*",
        "Resource": [f"arn:aws:dynamodb:{REGION}:{PROD}:table/orders", "arn:aws:dynamodb:*:*:table/*/index/*"]}]}
    path = folder / "world.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    served = World(folder / "data", path)
    yield served
    served.stop()


def test_a_vpc_endpoint_policy_allowing_one_table_narrows_access_through_that_endpoint(one_table_endpoint):
    world = one_table_endpoint
    app = world.client("app", door="vpce")
    for name in ("orders", "payments"):
        # Creating them is CreateTable on each table: the endpoint allows only orders.
        try:
            app.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        except app.exceptions.ClientError as refused:
            assert name == "payments", refused

    assert "Item" not in app.get_item(TableName="orders", Key={"id": {"S": "1"}})
    code, message, _ = error(app.get_item, TableName="payments", Key={"id": {"S": "1"}})
    assert code == "AccessDeniedException"
    assert message.endswith("because no VPC endpoint policy allows the dynamodb:GetItem action")
