"""`moatdb simulate`: one request decided offline against a data directory's principals, exactly as the
server decides it, with its explanation; exit status 0 when allowed, 1 when denied.

The VPC-only pattern is the running example: an SCP on the organization path denies dynamodb:* unless
aws:SourceVpc is the account's VPC, except for principals matching arn:aws:iam::*:role/break-glass
(AWS Organizations User Guide, "Example service control policies"; IAM User Guide, "Policy evaluation
logic": an explicit deny in an SCP is worded "with an explicit deny in a service control policy").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import client_for
from tests.helpers import ACCOUNT, REGION, allow, create_table, new_role, new_user, policy, trusting

MOATDB = str(Path(sys.executable).parent / "moatdb")
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
FULL_ACCESS = policy(allow("*"))
VPC_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyOutsideTheVpc", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0prod"},
                  "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}]})


def simulate(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MOATDB, "simulate", "--data-dir", str(server.data_dir), *args], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture(scope="module")
def app_role(server) -> str:
    return new_role(server, trusting(ACCOUNT), policy(allow("dynamodb:*")))


@pytest.fixture(scope="module")
def scp_options(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("scps")
    (folder / "full.json").write_text(FULL_ACCESS)
    (folder / "vpc-only.json").write_text(VPC_ONLY)
    # The root and the account have FullAWSAccess; the prod OU has FullAWSAccess and the VPC-only SCP.
    full, vpc_only = str(folder / "full.json"), str(folder / "vpc-only.json")
    return ["--scp", full, "--scp", f"{full},{vpc_only}", "--scp", full]


def test_an_allowed_request_prints_allowed_and_exits_zero(server, app_role):
    done = simulate(server, "--principal", app_role, "--action", "dynamodb:GetItem", "--resource", TABLE)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "ALLOWED"


def test_a_denied_request_prints_awss_message_and_exits_one(server):
    user = new_user(server)

    done = simulate(server, "--principal", user.arn, "--action", "dynamodb:GetItem", "--resource", TABLE)

    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"DENIED: User: {user.arn} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} "
        "because no identity-based policy allows the dynamodb:GetItem action")


def test_the_vpc_only_scp_denies_the_public_door_and_names_its_statement(server, app_role, scp_options):
    done = simulate(server, "--principal", app_role, "--action", "dynamodb:GetItem", "--resource", TABLE,
                    *scp_options, "--json")

    assert done.returncode == 1
    decision = json.loads(done.stdout)
    session = app_role.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/simulated"
    assert decision["message"] == (
        f"User: {session} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} with an explicit "
        "deny in a service control policy")
    assert decision["decision"] == "explicitDeny"
    assert decision["statement"] == "DenyOutsideTheVpc"


def test_the_vpc_only_scp_allows_a_request_through_the_vpc_endpoint(server, app_role, scp_options):
    done = simulate(server, "--principal", app_role, "--action", "dynamodb:GetItem", "--resource", TABLE,
                    *scp_options, "--vpc", "vpc-0prod", "--vpce", "vpce-0prod")

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_break_glass_role_is_excepted_from_the_vpc_only_scp(server, scp_options):
    role = new_role(server, trusting(ACCOUNT), policy(allow("dynamodb:*")), name="break-glass")

    done = simulate(server, "--principal", role, "--action", "dynamodb:DeleteTable", "--resource", TABLE,
                    *scp_options)

    assert done.returncode == 0, done.stdout + done.stderr


def test_a_request_file_describes_the_same_request(server, app_role, tmp_path):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({
        "principal": app_role, "action": "dynamodb:PutItem", "resource": TABLE,
        "scps": [[FULL_ACCESS], [FULL_ACCESS, VPC_ONLY], [FULL_ACCESS]], "vpc": "vpc-0other",
        "vpc_endpoint": "vpce-0other"}))

    done = simulate(server, "--request", str(request))

    assert done.returncode == 1
    assert "with an explicit deny in a service control policy" in done.stdout.splitlines()[0]


def test_a_context_key_given_on_the_command_line_reaches_the_conditions(server):
    user = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "StringEquals": {"dynamodb:LeadingKeys": "alice"}})))

    alice = simulate(server, "--principal", user.arn, "--action", "dynamodb:GetItem", "--resource", TABLE,
                     "--context", "dynamodb:LeadingKeys=alice")
    bob = simulate(server, "--principal", user.arn, "--action", "dynamodb:GetItem", "--resource", TABLE,
                   "--context", "dynamodb:LeadingKeys=bob")

    assert (alice.returncode, bob.returncode) == (0, 1)
    assert "dynamodb:LeadingKeys" in bob.stdout or "dynamodb:leadingkeys" in bob.stdout


def test_simulate_agrees_with_the_server(server):
    user = new_user(server, policy(allow("dynamodb:ListTables", "*")))
    resource = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*"

    offline = simulate(server, "--principal", user.arn, "--action", "dynamodb:ListTables", "--resource", resource)
    online = client_for(server.endpoint, credentials=user.credentials).list_tables()

    assert offline.returncode == 0
    assert "TableNames" in online


def test_a_stored_tables_tags_are_its_resource_tags_as_on_the_server(server, ddb):
    # IAM User Guide, "Controlling access to AWS resources using tags": aws:ResourceTag/<key> is the tag
    # the resource carries, so simulate reads the table's tags where the server does.
    name = create_table(ddb, sort=None)
    ddb.tag_resource(ResourceArn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
                     Tags=[{"Key": "env", "Value": "prod"}])
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    user = new_user(server, policy(allow("dynamodb:GetItem", Condition={
        "StringEquals": {"aws:ResourceTag/env": "prod"}})))

    offline = simulate(server, "--principal", user.arn, "--action", "dynamodb:GetItem", "--resource", arn)
    online = client_for(server.endpoint, credentials=user.credentials).get_item(
        TableName=name, Key={"pk": {"S": "x"}})

    assert offline.returncode == 0, offline.stdout
    assert "Item" not in online
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert simulate(server, "--principal", user.arn, "--action", "dynamodb:GetItem", "--resource", arn).returncode == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--principal", f"arn:aws:iam::{ACCOUNT}:user/nobody", "--action", "dynamodb:GetItem", "--resource", TABLE],
     f"Error: no user or role arn:aws:iam::{ACCOUNT}:user/nobody\n"),
])
def test_an_unknown_principal_is_a_clear_error(server, args, message):
    done = simulate(server, *args)

    assert (done.returncode, done.stderr) == (1, message)


def test_a_malformed_policy_given_is_reported_not_simulated(server, app_role, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')

    done = simulate(server, "--principal", app_role, "--action", "dynamodb:GetItem", "--resource", TABLE,
                    "--scp", str(bad))

    assert done.returncode == 1
    assert done.stderr.startswith("Error: a policy given is malformed: ")
