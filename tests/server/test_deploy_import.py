"""moatdb deploy and moatdb import against moto's server, the stand-in for AWS: a world deployed then
imported is the world again; a second deploy changes nothing; what exists and deploy did not create
is left alone; a failing call stops the deploy with a report of what was applied; and the imported
world is one `moatdb serve --world` serves (docs/export-deploy-import.md).

moto's multi-account model (moto's docs, "Multi-Account support"; moto/core/responses.py
``get_current_account``): one endpoint; the account of a request is the account of its access key,
123456789012 for any key moto did not issue, and sts:AssumeRole of a role ARN in another account
gives credentials of that account (the role need not exist). So the profile here is the management
account 123456789012, member accounts come from organizations:CreateAccount, and deploy reaches them
through OrganizationAccountAccessRole as it does in AWS.
"""

from __future__ import annotations

import configparser
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml

from moatdb.deployment import deploy as deployer
from moatdb.deployment import plan as planner
from moatdb.deployment.aws import Aws
from moatdb.world import load
from tests.conftest import free_port

BIN = Path(sys.executable).parent
MOATDB = str(BIN / "moatdb")
MANAGEMENT = "123456789012"  # moto's account for keys it did not issue
REGION = "us-east-1"

# Everything deploy takes to AWS: nested OUs, an SCP and an RCP on an OU, an allow-list SCP on an
# account (FullAWSAccess detached), customer managed policies (one with a path), a group, a role
# with a boundary, tags, a break-glass role, a gateway endpoint with a policy and a route table,
# and tables with indexes, TTL, a stream, deletion protection and a resource policy. No user has a
# boundary: moto keeps none for users (moto/iam/responses.py reads PermissionsBoundary for roles only).
WORLD = """\
version: 1
region: us-east-1
organization:
  management_account: "{management}"
  root:
    policies: [no-leaving]
    accounts: ["{dev}"]
    units:
      - name: prod
        policies: [vpc-only, tables-in-org]
        accounts: [{{id: "{prod}", policies: [allow-list], full_aws_access: false}}]
        units:
          - name: prod eu
policies:
  vpc-only:
    type: SCP
    description: DynamoDB from the prod VPC only
    document:
      Version: "2012-10-17"
      Statement:
        - Effect: Deny
          Action: "dynamodb:*"
          Resource: "*"
          Condition: {{StringNotEquals: {{aws:SourceVpc: {vpc}}}}}
  allow-list:
    type: SCP
    document: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: ["dynamodb:*", "sts:*"], Resource: "*"}}]}}
  no-leaving:
    type: SCP
    document: {{Version: "2012-10-17", Statement: [{{Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*"}}]}}
  tables-in-org:
    type: RCP
    document:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Deny, Principal: "*", Action: "dynamodb:*", Resource: "*",
           Condition: {{BoolIfExists: {{aws:PrincipalIsAWSService: "false"}}}}}}
accounts:
  "{management}":
    name: master
    users:
      - name: admin
        managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
  "{dev}":
    name: dev
    users:
      - name: developer
        managed_policies: [arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess]
  "{prod}":
    name: prod
    managed_policies:
      - name: boundary
        path: /perimeter/
        description: the most any role here may do
        document: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "dynamodb:*", Resource: "*"}}]}}
      - name: read-orders
        document:
          Version: "2012-10-17"
          Statement: [{{Effect: Allow, Action: [dynamodb:GetItem, dynamodb:Query], Resource: "arn:aws:dynamodb:us-east-1:{prod}:table/Orders"}}]
    groups:
      - name: readers
        managed_policies: [read-orders]
        policies:
          own-items:
            Version: "2012-10-17"
            Statement:
              - {{Effect: Allow, Action: dynamodb:PutItem, Resource: "arn:aws:dynamodb:us-east-1:{prod}:table/Orders",
                 Condition: {{"ForAllValues:StringEquals": {{"dynamodb:LeadingKeys": ["${{aws:username}}"]}}}}}}
    users:
      - name: alice
        groups: [readers]
        tags: {{team: payments}}
    roles:
      - name: app
        description: the application
        max_session_duration: 7200
        boundary: arn:aws:iam::{prod}:policy/perimeter/boundary
        trust: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{prod}:root"}}, Action: sts:AssumeRole}}]}}
        managed_policies: [read-orders]
        policies:
          tables: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "dynamodb:*", Resource: "*"}}]}}
        tags: {{app: orders}}
      - name: break-glass
        trust: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{prod}:root"}}, Action: sts:AssumeRole}}]}}
        managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
    vpcs:
      - id: {vpc}
        cidr: 10.10.0.0/16
        endpoints:
          - id: vpce-0prod000000000
            route_tables: [{route_table}]
            policy:
              Version: "2012-10-17"
              Statement: [{{Effect: Allow, Principal: "*", Action: "dynamodb:*", Resource: "*"}}]
    tables:
      - name: Orders
        attributes: {{customer: S, created: N, status: S, total: N}}
        key: [customer, created]
        global_indexes:
          - {{name: by-status, key: [status, created], projection: KEYS_ONLY}}
        local_indexes:
          - {{name: by-total, key: [customer, total], projection: [status]}}
        ttl: expires_at
        stream: NEW_AND_OLD_IMAGES
        deletion_protection: true
        tags: {{data: orders}}
        policy:
          Version: "2012-10-17"
          Statement:
            - {{Effect: Deny, Principal: "*", Action: "dynamodb:DeleteTable",
               Resource: "arn:aws:dynamodb:us-east-1:{prod}:table/Orders"}}
      - name: Audit
        attributes: {{id: S}}
        key: [id]
        billing_mode: PROVISIONED
        capacity: {{read: 5, write: 5}}
doors:
  - {{name: public, listen: 127.0.0.1:0}}
  - {{name: prod-vpce, listen: 127.0.0.1:0, endpoint: vpce-0prod000000000}}
break_glass:
  roles:
    - role: arn:aws:iam::{prod}:role/break-glass
"""


class Moto:
    """moto_server on a free loopback port, and the AWS profile `moto` of its management account."""

    def __init__(self, folder: Path, *, managed_policies: bool = True):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true" if managed_policies else "false"}
        self.process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, "moto_server exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start listening within 30 s"
                time.sleep(0.05)
        (folder / "config").write_text(f"[profile moto]\nregion = {REGION}\n")
        (folder / "credentials").write_text("[moto]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
        self.environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")} | {
            "AWS_CONFIG_FILE": str(folder / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials")}
        self.session = boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                     aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                     region_name=REGION)

    def client(self, service: str, account: str = MANAGEMENT):
        if account == MANAGEMENT:
            return self.session.client(service, endpoint_url=self.endpoint)
        credentials = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="test")["Credentials"]
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"])

    def moatdb(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([MOATDB, *args], capture_output=True, text=True, timeout=180, input=input,
                              env=self.environment)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def moto(tmp_path):
    server = Moto(tmp_path)
    yield server
    server.stop()


def organization(moto: Moto) -> dict:
    """An organization as one has it before deploying: the management account, accounts created
    in it (AWS chooses their ids), a VPC with a route table in prod; and the world naming them."""
    organizations = moto.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    ids = {name: organizations.create_account(Email=f"{name}@example.com", AccountName=name)
           ["CreateAccountStatus"]["AccountId"] for name in ("prod", "dev")}
    ec2 = moto.client("ec2", ids["prod"])
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    route_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    return {"management": MANAGEMENT, "prod": ids["prod"], "dev": ids["dev"], "vpc": vpc, "route_table": route_table}


def world_file(folder: Path, names: dict, text: str = WORLD) -> Path:
    path = folder / "world.yaml"
    path.write_text(text.format(**names))
    return path


def deploy(moto: Moto, world: Path, *more: str, input: str | None = None) -> subprocess.CompletedProcess:
    return moto.moatdb("deploy", "--world", str(world), "--profile", "moto", "--endpoint-url", moto.endpoint, *more,
                       input=input)


def canonical(world) -> dict:
    """What a world says, without what AWS chooses (ids of OUs, policies, endpoints), the doors and
    routes (a local server's), and the role Organizations puts in the accounts it creates."""
    def documents(policies: dict) -> dict:
        return {name: json.loads(document) for name, document in policies.items()}

    def unit(node) -> dict:
        return {"name": node.name, "policies": sorted(node.policies), "full": node.full_aws_access,
                "accounts": sorted((m.account, tuple(sorted(m.policies)), m.full_aws_access) for m in node.accounts),
                "units": sorted((unit(child) for child in node.units), key=lambda u: u["name"])}

    def identity(entity) -> dict:
        return {"path": entity.path, "policies": documents(entity.policies),
                "managed": sorted(entity.managed_policies)}

    organization = world.organization
    endpoints = {}
    for endpoint in world.network.endpoints:
        vpc = world.network.vpc(endpoint.vpc)
        endpoints.setdefault(vpc.account, []).append(
            (vpc.id, vpc.cidr, json.loads(endpoint.policy) if endpoint.policy else None,
             world.route_tables.get(endpoint.id, ())))
    return {
        "region": world.region,
        "management": organization.management_account,
        "policies": {p.name: (p.type, json.loads(p.document), p.description) for p in organization.policies},
        "root": unit(organization.root),
        "accounts": {account.id: {
            "name": account.name,
            "managed": {p.name: (p.path, p.description, json.loads(p.document)) for p in account.managed_policies},
            "groups": {g.name: identity(g) for g in account.groups},
            "users": {u.name: identity(u) | {"groups": sorted(u.groups), "boundary": u.boundary, "tags": u.tags}
                      for u in account.users},
            "roles": {r.name: identity(r) | {"trust": json.loads(r.trust), "description": r.description,
                                             "session": r.max_session_duration, "boundary": r.boundary,
                                             "tags": r.tags}
                      for r in account.roles if r.name != "OrganizationAccountAccessRole"},
            "tables": {t.name: (t.attributes, t.key, t.billing_mode, t.capacity, t.global_indexes, t.local_indexes,
                                t.ttl, t.stream, t.deletion_protection, json.loads(t.policy) if t.policy else None,
                                t.tags)
                       for t in account.tables},
            "endpoints": sorted(endpoints.get(account.id, []), key=json.dumps),
        } for account in world.accounts},
        "break_glass": sorted(role.arn for role in world.break_glass.roles) if world.break_glass else [],
    }


def test_a_deployed_world_imports_back_as_the_same_world(moto, tmp_path):
    names = organization(moto)
    world = world_file(tmp_path, names)
    # Exported first, as one reviews it before deploying.
    done = moto.moatdb("export", "--world", str(world), "--out", str(tmp_path / "export"))
    assert done.returncode == 0, done.stderr
    done = deploy(moto, world, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Plan: 21 to create, 4 to change, 2 left alone." in done.stdout
    assert "Applied 25 of 25 steps:" in done.stdout
    done = moto.moatdb("import", "--profile", "moto", "--endpoint-url", moto.endpoint, "--out",
                       str(tmp_path / "imported.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"Wrote {tmp_path / 'imported.yaml'}: 3 accounts. Serve it with: moatdb serve --world "
                           f"{tmp_path / 'imported.yaml'}\n")
    imported = load(tmp_path / "imported.yaml")
    assert canonical(imported) == canonical(load(world))
    # What AWS chose is what the imported world names: the organization's ids, and the endpoint's.
    data = yaml.safe_load((tmp_path / "imported.yaml").read_text())
    assert data["organization"]["id"] == moto.client("organizations").describe_organization()["Organization"]["Id"]
    endpoint = moto.client("ec2", names["prod"]).describe_vpc_endpoints()["VpcEndpoints"][0]["VpcEndpointId"]
    assert data["accounts"][names["prod"]]["vpcs"][0]["endpoints"][0]["id"] == endpoint
    assert data["routes"] == [{"source": "10.10.0.0/16", "endpoint": endpoint}]


def test_a_second_deploy_changes_nothing(moto, tmp_path):
    world = world_file(tmp_path, organization(moto))
    assert deploy(moto, world, "--yes").returncode == 0
    done = deploy(moto, world, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Plan: 0 to create, 0 to change, 24 left alone." in done.stdout
    assert done.stdout.endswith("Nothing to do: AWS holds the world.\n")
    assert "+ create" not in done.stdout and "~ change" not in done.stdout


def test_what_exists_and_deploy_did_not_create_is_left_alone(moto, tmp_path):
    names = organization(moto)
    iam = moto.client("iam", names["prod"])
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))
    organizations = moto.client("organizations")
    theirs = organizations.create_policy(
        Name="vpc-only", Type="SERVICE_CONTROL_POLICY", Description="someone else's",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*",
                                                                     "Resource": "*"}]}))["Policy"]["PolicySummary"]
    done = deploy(moto, world_file(tmp_path, names), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (f"= leave   role arn:aws:iam::{names['prod']}:role/app: exists, not created by moatdb deploy; it differs "
            "from the world\n") in done.stdout
    assert (f"= leave   SCP vpc-only ({theirs['Id']}): exists, not created by moatdb deploy; it differs from the "
            "world\n") in done.stdout
    role = iam.get_role(RoleName="app")["Role"]
    assert role["AssumeRolePolicyDocument"] == trust and role["MaxSessionDuration"] == 3600
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == []
    policy = organizations.describe_policy(PolicyId=theirs["Id"])["Policy"]
    assert policy["PolicySummary"]["Description"] == "someone else's" and "s3:*" in policy["Content"]
    # The world attaches vpc-only to prod by name: it is attached, as the world says, even though
    # deploy did not create it (attaching changes nothing of the policy).
    attached = organizations.list_policies_for_target(TargetId=_unit(organizations, "prod"),
                                                      Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert theirs["Id"] in {p["Id"] for p in attached}


def _unit(organizations, name: str) -> str:
    root = organizations.list_roots()["Roots"][0]["Id"]
    units = organizations.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    return next(unit["Id"] for unit in units if unit["Name"] == name)


def test_a_call_aws_refuses_stops_the_deploy_with_a_report(tmp_path):
    # Without AWS managed policies loaded, moto refuses to attach AdministratorAccess: the first
    # account step (the management account's admin) fails after the organization's steps are done.
    moto = Moto(tmp_path, managed_policies=False)
    try:
        names = organization(moto)
        done = deploy(moto, world_file(tmp_path, names), "--yes")
        assert done.returncode == 1
        assert "Applied 14 of 25 steps:\n" in done.stdout
        assert "  done    create SCP vpc-only\n" in done.stdout
        assert ("  FAILED  create user arn:aws:iam::123456789012:user/admin: with 1 managed policies (no access key: "
                "create one with IAM)\n          NoSuchEntityException: An error occurred (NoSuchEntity) when calling "
                "the AttachUserPolicy operation: Policy arn:aws:iam::aws:policy/AdministratorAccess does not exist "
                "or is not attachable.\n") in done.stdout
        assert f"  not run create table arn:aws:dynamodb:us-east-1:{names['prod']}:table/Orders\n" in done.stdout
        assert done.stdout.endswith("AWS holds the steps done. Fix the failure, then run moatdb deploy again: it "
                                    "plans anew from what AWS holds.\n")
        assert done.stderr.endswith("Error: the deploy stopped at a failing step\n")
        # What was applied is there, and what was not attempted is not.
        scps = moto.client("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        assert "vpc-only" in {policy["Name"] for policy in scps}
        assert moto.client("dynamodb", names["prod"]).list_tables()["TableNames"] == []
    finally:
        moto.stop()


def test_aws_going_away_mid_deploy_is_reported(moto, tmp_path, monkeypatch):
    world = load(world_file(tmp_path, organization(moto)))
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, moto.environment[name])
    aws = Aws("moto", moto.endpoint, REGION)
    plan = planner.make(world, aws)
    assert len(plan.work) == 25

    def progress(step, number: int, total: int) -> None:
        if number == 4:
            moto.stop()  # the endpoint goes away before the fourth step

    report = deployer.apply(plan, progress)
    assert [step.what for step in report.applied] == [step.what for step in plan.work[:3]]
    step, reason = report.failed
    assert step is plan.work[3]
    assert reason.startswith("EndpointConnectionError: Could not connect to the endpoint URL")
    assert report.not_attempted == plan.work[4:]
    assert "Applied 3 of 25 steps:" in report.show()


def test_deploy_asks_first_and_a_no_applies_nothing(moto, tmp_path):
    world = world_file(tmp_path, organization(moto))
    done = deploy(moto, world, input="n\n")
    assert done.returncode == 1
    assert "+ create  SCP vpc-only\n" in done.stdout
    assert done.stdout.endswith("Plan: 21 to create, 4 to change, 2 left alone.\nApply 25 steps? [y/N]: ")
    assert done.stderr == "Error: nothing was applied\n"
    scps = moto.client("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert {policy["Name"] for policy in scps} == {"FullAWSAccess"}


def test_a_blocked_plan_applies_nothing(moto, tmp_path):
    names = organization(moto)
    # An account the organization does not have, and a VPC that does not exist.
    names = names | {"dev": "999999999999", "vpc": "vpc-0123456789abcdef0"}
    done = deploy(moto, world_file(tmp_path, names), "--yes")
    assert done.returncode == 1
    assert ("! blocked account 999999999999: not in the organization: create or invite it (AWS chooses account "
            "ids), then give its id in the world\n") in done.stdout
    assert (f"! blocked VPC vpc-0123456789abcdef0 in account {names['prod']}: does not exist: VPCs are referenced, "
            "not created (give the real VPC's id in the world)\n") in done.stdout
    assert done.stderr == "Error: the plan is blocked (the lines marked !): nothing was applied\n"
    scps = moto.client("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert {policy["Name"] for policy in scps} == {"FullAWSAccess"}


def test_deploy_refuses_a_profile_that_is_not_the_management_account(moto, tmp_path):
    names = organization(moto) | {"management": "111111111111"}
    done = deploy(moto, world_file(tmp_path, names), "--yes")
    assert done.returncode == 1
    assert ("! blocked organization of management account 111111111111: the profile is of account 123456789012: "
            "deploy with the management account's credentials\n") in done.stdout


def test_an_imported_organization_is_served(moto, tmp_path):
    names = organization(moto)
    assert deploy(moto, world_file(tmp_path, names), "--yes").returncode == 0
    done = moto.moatdb("import", "--profile", "moto", "--endpoint-url", moto.endpoint, "--out",
                       str(tmp_path / "imported.yaml"))
    assert done.returncode == 0, done.stderr
    doors = yaml.safe_load((tmp_path / "imported.yaml").read_text())["doors"]
    port = free_port()
    moved = [option for door in doors if door["name"] != "public"
             for option in ("--door", f"{door['name']}=127.0.0.1:0")]
    server = subprocess.Popen([MOATDB, "serve", "--world", str(tmp_path / "imported.yaml"), "--data-dir",
                               str(tmp_path / "data"), "--port", str(port), "--log-level", "warning", *moved],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moatdb did not start listening within 20 s"
                time.sleep(0.05)
        credentials = configparser.ConfigParser()
        credentials.read(tmp_path / "data" / "aws" / "credentials")
        alice = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                             aws_access_key_id=credentials["alice"]["aws_access_key_id"],
                             aws_secret_access_key=credentials["alice"]["aws_secret_access_key"])
        assert alice.get_caller_identity()["Arn"] == f"arn:aws:iam::{names['prod']}:user/alice"
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()


def test_import_says_what_a_world_cannot_hold(moto, tmp_path):
    names = organization(moto)
    iam = moto.client("iam", names["prod"])
    iam.create_user(UserName="auditor")
    # An AWS managed policy moatdb does not know: left out of the world, and said.
    iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    done = moto.moatdb("import", "--profile", "moto", "--endpoint-url", moto.endpoint, "--out", "-")
    assert done.returncode == 0, done.stderr
    warning = (f"user arn:aws:iam::{names['prod']}:user/auditor: AWS managed policy "
               "arn:aws:iam::aws:policy/ReadOnlyAccess left out (moatdb does not know it)")
    assert done.stderr == f"Left out: {warning}\n"
    assert f"# Left out or changed:\n#   - {warning}\n" in done.stdout
    (tmp_path / "imported.yaml").write_text(done.stdout)
    auditor = next(user for account in load(tmp_path / "imported.yaml").accounts for user in account.users
                   if user.name == "auditor")
    assert auditor.managed_policies == ("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",)


def test_deploy_creates_the_organization_when_there_is_none(moto, tmp_path):
    world = tmp_path / "world.yaml"
    world.write_text(f"""\
version: 1
region: us-east-1
organization:
  management_account: "{MANAGEMENT}"
  root:
    policies: [no-leaving]
    units: [{{name: workloads}}]
policies:
  no-leaving:
    type: SCP
    document: {{Version: "2012-10-17", Statement: [{{Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*"}}]}}
accounts:
  "{MANAGEMENT}": {{name: master}}
doors: [{{name: public, listen: 127.0.0.1:0}}]
""")
    done = deploy(moto, world, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("+ create  organization: all features, with this account as its management account\n"
            "~ change  policy type SERVICE_CONTROL_POLICY: enabled on the root\n"
            "+ create  SCP no-leaving\n"
            "+ create  no-leaving attached to Root\n"
            "+ create  OU Root/workloads\n"
            "Plan: 4 to create, 1 to change, 0 left alone.\n") in done.stdout
    organizations = moto.client("organizations")
    assert organizations.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT
    root = organizations.list_roots()["Roots"][0]["Id"]
    attached = organizations.list_policies_for_target(TargetId=root, Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert "no-leaving" in {policy["Name"] for policy in attached}
    assert "Plan: 0 to create, 0 to change, 4 left alone." in deploy(moto, world, "--yes").stdout
