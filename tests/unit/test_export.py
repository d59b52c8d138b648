"""moatdb export: a world as policy files with their manifest, CloudFormation templates and Terraform
configurations; the same bytes for the same world, templates cfn-lint accepts, and every policy
document one moatdb's policy engine accepts for its kind (docs/export-deploy-import.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent, indent

import pytest
import yaml

from moatdb.deployment import export
from moatdb.deployment.hcl import string
from moatdb.policy.document import parse_policy
from moatdb.world import WorldError, default_path, load
from tests.helpers import needs_terraform, terraform_env

BIN = Path(sys.executable).parent
MOATDB = str(BIN / "moatdb")

# A world with everything export writes: nested OUs, an allow-list SCP on an account, an RCP, customer
# managed policies with a path, a group, a boundary, tags, a break-glass role, an endpoint with a
# policy and a route table, and tables with indexes, TTL, a stream and a resource policy.
RICH = dedent("""\
    version: 1
    region: eu-west-1
    organization:
      management_account: "111111111111"
      root:
        policies: [no-leaving]
        units:
          - name: prod
            policies: [vpc-only, tables-in-org]
            accounts: [{id: "222222222222", policies: [allow-list], full_aws_access: false}]
            units:
              - name: prod eu
    policies:
      vpc-only:
        type: SCP
        document:
          Version: "2012-10-17"
          Statement:
            - Effect: Deny
              Action: "dynamodb:*"
              Resource: "*"
              Condition: {StringNotEquals: {aws:SourceVpc: vpc-0prod0000000000}}
      allow-list:
        type: SCP
        description: only what we use
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["dynamodb:*", "sts:*", "iam:*"], Resource: "*"}]}
      no-leaving:
        type: SCP
        document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*"}]}
      tables-in-org:
        type: RCP
        document:
          Version: "2012-10-17"
          Statement:
            - Effect: Deny
              Principal: "*"
              Action: "dynamodb:*"
              Resource: "*"
              Condition: {StringNotEqualsIfExists: {aws:PrincipalOrgID: o-aa111bb222}, BoolIfExists: {aws:PrincipalIsAWSService: "false"}}
    accounts:
      "111111111111":
        name: management
        users:
          - name: admin
            managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
      "222222222222":
        name: prod
        managed_policies:
          - name: boundary
            path: /perimeter/
            description: the most any role here may do
            document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "dynamodb:*", Resource: "*"}]}
          - name: read-orders
            document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: "arn:aws:dynamodb:eu-west-1:222222222222:table/Orders"}]}
        groups:
          - name: readers
            managed_policies: [read-orders]
            policies:
              own-items:
                Version: "2012-10-17"
                Statement: [{Effect: Allow, Action: dynamodb:PutItem, Resource: "arn:aws:dynamodb:eu-west-1:222222222222:table/Orders", Condition: {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}}]
        users:
          - name: alice
            groups: [readers]
            boundary: arn:aws:iam::222222222222:policy/perimeter/boundary
            tags: {team: payments}
        roles:
          - name: app
            description: the application
            max_session_duration: 7200
            boundary: arn:aws:iam::222222222222:policy/perimeter/boundary
            trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
            managed_policies: [read-orders]
            tags: {app: orders}
          - name: break-glass
            trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: sts:AssumeRole}]}
            managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
        vpcs:
          - id: vpc-0prod0000000000
            cidr: 10.10.0.0/16
            endpoints:
              - id: vpce-0prod000000000
                route_tables: [rtb-0a1b2c3d4e5f60718]
                policy:
                  Version: "2012-10-17"
                  Statement: [{Effect: Allow, Principal: "*", Action: "dynamodb:*", Resource: "arn:aws:dynamodb:eu-west-1:222222222222:table/*"}]
        tables:
          - name: Orders
            attributes: {customer: S, created: N, status: S, total: N}
            key: [customer, created]
            global_indexes:
              - {name: by-status, key: [status, created], projection: KEYS_ONLY}
            local_indexes:
              - {name: by-total, key: [customer, total], projection: [status]}
            ttl: expires_at
            stream: NEW_AND_OLD_IMAGES
            deletion_protection: true
            tags: {data: orders}
            policy:
              Version: "2012-10-17"
              Statement:
                - Effect: Deny
                  Principal: "*"
                  Action: "dynamodb:*"
                  Resource: "arn:aws:dynamodb:eu-west-1:222222222222:table/Orders"
                  Condition: {StringNotEquals: {aws:SourceVpce: vpce-0prod000000000}}
          - name: Audit
            attributes: {id: S}
            key: [id]
            billing_mode: PROVISIONED
            capacity: {read: 5, write: 5}
    doors:
      - {name: public, listen: 127.0.0.1:0}
      - {name: prod-vpce, listen: 127.0.0.2:0, endpoint: vpce-0prod000000000}
    break_glass:
      roles:
        - role: arn:aws:iam::222222222222:role/break-glass
""")


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    path = tmp_path_factory.mktemp("world") / "world.yaml"
    path.write_text(RICH)
    return load(path)


@pytest.fixture(scope="module")
def exported(rich, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    export.write(rich, out)
    return out


def test_export_writes_every_format_for_every_account(exported):
    assert sorted(str(path.relative_to(exported)) for path in exported.rglob("*") if path.is_file()) == [
        "cloudformation/111111111111.yaml",
        "cloudformation/222222222222.yaml",
        "cloudformation/organization.yaml",
        "policies/manifest.json",
        "policies/rcp/tables-in-org.json",
        "policies/scp/allow-list.json",
        "policies/scp/no-leaving.json",
        "policies/scp/vpc-only.json",
        "terraform/111111111111/main.tf",
        "terraform/222222222222/main.tf",
        "terraform/organization/main.tf",
    ]


def test_the_same_world_exports_the_same_bytes(tmp_path):
    # Written by the command, twice, from two copies of the file at different paths.
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        (tmp_path / copy / "world.yaml").write_text(RICH)
        done = subprocess.run([MOATDB, "export", "--world", str(tmp_path / copy / "world.yaml"),
                               "--out", str(tmp_path / copy / "out")], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    first = {p.relative_to(tmp_path / "a" / "out"): p.read_bytes() for p in (tmp_path / "a" / "out").rglob("*.*")}
    second = {p.relative_to(tmp_path / "b" / "out"): p.read_bytes() for p in (tmp_path / "b" / "out").rglob("*.*")}
    assert first == second and len(first) == 11


def test_cfn_lint_accepts_every_template(exported, tmp_path):
    export.write(load(default_path()), tmp_path)
    templates = sorted(exported.glob("cloudformation/*.yaml")) + sorted(tmp_path.glob("cloudformation/*.yaml"))
    assert len(templates) == 7
    done = subprocess.run([str(BIN / "cfn-lint"), *map(str, templates)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


# The documents of a template, with the kind of policy each is (the resource type and property).
_DOCUMENTS = {
    ("AWS::IAM::ManagedPolicy", "PolicyDocument"): "identity",
    ("AWS::IAM::Role", "AssumeRolePolicyDocument"): "trust",
    ("AWS::EC2::VPCEndpoint", "PolicyDocument"): "endpoint",
}


def _template_documents(template: dict):
    for logical, resource in template["Resources"].items():
        properties = resource["Properties"]
        for (kind, name), policy_kind in _DOCUMENTS.items():
            if resource["Type"] == kind and name in properties:
                yield logical, policy_kind, properties[name]
        for inline in properties.get("Policies", []):
            yield logical, "identity", inline["PolicyDocument"]
        if "ResourcePolicy" in properties:
            yield logical, "resource", properties["ResourcePolicy"]["PolicyDocument"]
        if resource["Type"] == "AWS::Organizations::Policy":
            yield logical, {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}[properties["Type"]], \
                properties["Content"]


def test_every_exported_document_passes_moatdbs_validation(exported):
    checked = 0
    for path in exported.glob("cloudformation/*.yaml"):
        for logical, kind, document in _template_documents(yaml.safe_load(path.read_text())):
            parse_policy(document, kind, id=logical)
            checked += 1
    manifest = json.loads((exported / "policies/manifest.json").read_text())
    for entry in manifest["policies"]:
        kind = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}[entry["type"]]
        parse_policy((exported / "policies" / entry["file"]).read_text(), kind, id=entry["name"])
        checked += 1
    # In templates: 2 managed, 1 group inline, 2 trust, 1 endpoint,
    # 1 table policy, 4 organization policies; then the 4 policy files
    assert checked == 15


def test_the_template_says_what_the_world_says(rich, exported):
    prod = yaml.safe_load((exported / "cloudformation/222222222222.yaml").read_text())["Resources"]
    app = prod["RoleApp"]["Properties"]
    assert app["RoleName"] == "app" and app["MaxSessionDuration"] == 7200
    assert app["PermissionsBoundary"] == {"Ref": "PolicyBoundary"}
    assert app["ManagedPolicyArns"] == [{"Ref": "PolicyReadOrders"}]
    assert app["Tags"] == [{"Key": "app", "Value": "orders"}]
    assert prod["RoleBreakGlass"]["Properties"]["Tags"] == [{"Key": "moatdb:break-glass", "Value": "true"}]
    assert prod["UserAlice"]["Properties"]["Groups"] == [{"Ref": "GroupReaders"}]
    assert prod["PolicyBoundary"]["Properties"]["Path"] == "/perimeter/"
    endpoint = prod["EndpointVpce0prod000000000"]["Properties"]
    assert endpoint["ServiceName"] == "com.amazonaws.eu-west-1.dynamodb"
    assert endpoint["VpcId"] == {"Ref": "VpcVpc0prod0000000000"} and endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["RouteTableIds"] == ["rtb-0a1b2c3d4e5f60718"]
    orders = prod["TableOrders"]
    assert orders["DeletionPolicy"] == "Retain"
    table = orders["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "customer", "KeyType": "HASH"},
                                  {"AttributeName": "created", "KeyType": "RANGE"}]
    assert table["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "INCLUDE",
                                                               "NonKeyAttributes": ["status"]}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionProtectionEnabled"] is True
    assert table["ResourcePolicy"]["PolicyDocument"] == json.loads(rich.accounts[1].tables[0].policy)
    audit = prod["TableAudit"]["Properties"]
    assert audit["BillingMode"] == "PROVISIONED"
    assert audit["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def test_the_organization_template_attaches_each_policy_where_the_world_does(exported):
    template = yaml.safe_load((exported / "cloudformation/organization.yaml").read_text())
    resources = template["Resources"]
    assert resources["OuRootProd"]["Properties"] == {"Name": "prod", "ParentId": {"Ref": "RootId"}}
    assert resources["OuRootProdProdEu"]["Properties"] == {"Name": "prod eu", "ParentId": {"Ref": "OuRootProd"}}
    assert {logical: (r["Properties"]["Type"], r["Properties"].get("TargetIds")) for logical, r in resources.items()
            if r["Type"] == "AWS::Organizations::Policy"} == {
        "ScpVpcOnly": ("SERVICE_CONTROL_POLICY", [{"Ref": "OuRootProd"}]),
        "ScpAllowList": ("SERVICE_CONTROL_POLICY", ["222222222222"]),
        "ScpNoLeaving": ("SERVICE_CONTROL_POLICY", [{"Ref": "RootId"}]),
        "RcpTablesInOrg": ("RESOURCE_CONTROL_POLICY", [{"Ref": "OuRootProd"}]),
    }
    # What a template cannot do is said where a reviewer reads it.
    assert template["Description"].endswith("Not in it (moatdb deploy does it): account 222222222222 belongs in "
                                            "Root/prod; detach FullAWSAccess from account 222222222222.")
    assert "&id" not in (exported / "cloudformation/organization.yaml").read_text()  # CloudFormation refuses aliases


def test_the_manifest_says_where_each_policy_is_attached(exported):
    manifest = json.loads((exported / "policies/manifest.json").read_text())
    targets = {entry["name"]: entry["targets"] for entry in manifest["policies"]}
    assert targets == {
        "vpc-only": [{"type": "ORGANIZATIONAL_UNIT", "path": "Root/prod"}],
        "allow-list": [{"type": "ACCOUNT", "path": "Root/prod/222222222222", "id": "222222222222"}],
        "no-leaving": [{"type": "ROOT", "path": "Root"}],
        "tables-in-org": [{"type": "ORGANIZATIONAL_UNIT", "path": "Root/prod"}],
    }
    assert manifest["full_aws_access_detached"] == [
        {"type": "ACCOUNT", "path": "Root/prod/222222222222", "id": "222222222222"}]
    assert manifest["accounts"] == [{"id": "222222222222", "name": "prod", "path": "Root/prod"}]
    assert manifest["organization"] == {"management_account": "111111111111"}


def test_terraform_keeps_policy_variables_literal(exported):
    text = (exported / "terraform/222222222222/main.tf").read_text()
    # ${aws:username} would be a Terraform template: written $${aws:username}, jsonencode sends it as is.
    assert '"$${aws:username}"' in text
    assert string("${a} %{b} \"q\"") == '"$${a} %%{b} \\"q\\""'
    assert 'resource "aws_dynamodb_resource_policy"' in text
    assert 'resource "aws_iam_user_group_membership"' in text
    organization = (exported / "terraform/organization/main.tf").read_text()
    assert "# - detach FullAWSAccess from account 222222222222" in organization
    assert 'type        = "RESOURCE_CONTROL_POLICY"' not in organization  # only one attribute run per block
    assert 'type = "RESOURCE_CONTROL_POLICY"' in organization


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_fmt_finds_nothing_to_change(exported, tmp_path):
    export.write(load(default_path()), tmp_path)
    for directory in [*exported.glob("terraform/*"), *tmp_path.glob("terraform/*")]:
        done = subprocess.run(["terraform", "fmt", "-check", "-diff", "-no-color", str(directory)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


@needs_terraform
def test_terraform_validate_accepts_every_configuration_with_the_real_aws_provider(exported, tmp_path):
    # The HCL is checked by the AWS provider's own schema (`terraform validate`), not only formatted:
    # the rich world's tables, indexes, endpoints and policies, and the default world.
    export.write(load(default_path()), tmp_path / "default")
    env = terraform_env(tmp_path)
    for directory in [*exported.glob("terraform/*"), *(tmp_path / "default").glob("terraform/*")]:
        for command in (["init", "-backend=false", "-input=false"], ["validate"]):
            done = subprocess.run(["terraform", *command, "-no-color"], cwd=directory, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{directory}: {done.stdout}{done.stderr}"


def test_export_of_one_account(tmp_path):
    (tmp_path / "world.yaml").write_text(RICH)
    done = subprocess.run([MOATDB, "export", "--world", str(tmp_path / "world.yaml"), "--account", "222222222222",
                           "--format", "cloudformation", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tmp_path / 'out' / 'cloudformation' / '222222222222.yaml'}\n"
    done = subprocess.run([MOATDB, "export", "--world", str(tmp_path / "world.yaml"), "--account", "999999999999",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"Error: no account 999999999999 in {tmp_path / 'world.yaml'}\n"


# --- the tables section of the world file -------------------------------------------------------------


def _refusal(tmp_path, tables: str) -> str:
    text = dedent("""\
        version: 1
        region: us-east-1
        accounts:
          "222222222222":
            name: prod
            tables:
        """) + indent(dedent(tables), "      ") + "doors: [{name: public, listen: 127.0.0.1:0}]\n"
    (tmp_path / "world.yaml").write_text(text)
    with pytest.raises(WorldError) as refused:
        load(tmp_path / "world.yaml")
    return str(refused.value).split(":", 1)[1]


@pytest.mark.parametrize(("tables", "reason"), [
    ("""\
      - {name: Tab1, attributes: {id: S, other: N}, key: [id]}
    """, "7: accounts.222222222222.tables[0].attributes.other: attribute 'other' is in no key of the table or its "
         "indexes: DynamoDB defines key attributes only"),
    ("""\
      - {name: Tab1, attributes: {id: S}, key: [pk]}
    """, "7: accounts.222222222222.tables[0].key[0]: key attribute 'pk' is not in the table's attributes"),
    ("""\
      - {name: Tab1, attributes: {id: S}, key: [id], billing_mode: PROVISIONED}
    """, "7: accounts.222222222222.tables[0]: a PROVISIONED table needs capacity, and a PAY_PER_REQUEST one takes "
         "none"),
    ("""\
      - {name: Tab1, attributes: {id: S, n: N}, key: [id], local_indexes: [{name: by-n, key: [n]}]}
    """, "7: accounts.222222222222.tables[0].local_indexes[0].key: a local index has the table's partition key and "
         "a sort key, on a table that has a sort key"),
    ("""\
      - {name: Tab1, attributes: {id: S}, key: [id]}
      - {name: Tab1, attributes: {id: S}, key: [id]}
    """, "8: accounts.222222222222.tables[1].name: table Tab1 is already declared at "
         "accounts.222222222222.tables[0].name"),
    ("""\
      - {name: Tab1, attributes: {id: S}, key: [id], stream: ALL}
    """, "7: accounts.222222222222.tables[0].stream: expected KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES, not 'ALL'"),
    ("""\
      - {name: Tab1, attributes: {id: S}, key: [id], policy: {Version: "2012-10-17", Statement: []}}
    """, "7: accounts.222222222222.tables[0].policy: malformed table policy: Syntax errors in policy."),
])
def test_the_loader_refuses_a_table_dynamodb_would_refuse(tmp_path, tables, reason):
    # The wording is moatdb's (a world file is not a request); the policy's is the engine's, AWS's.
    assert _refusal(tmp_path, tables) == reason


def test_applying_a_world_with_tables_creates_them_and_says_so(rich, tmp_path):
    # docs/world.md#tables: applying the world creates its tables through CreateTable, which a served
    # world's clients then see (tests/server/test_doors.py checks one over the wire).
    from moatdb.services.dynamodb.catalog import Catalog
    from moatdb.storage.sqlite import SqliteStore
    from moatdb.world import apply

    store = SqliteStore(tmp_path / "db.sqlite3")
    try:
        log = apply(rich, store)
        assert [line for line in log if line.startswith("table ")] == [
            "table arn:aws:dynamodb:eu-west-1:222222222222:table/Orders",
            "table arn:aws:dynamodb:eu-west-1:222222222222:table/Audit"]
        assert sorted(Catalog(store).names("222222222222", "eu-west-1")) == ["Audit", "Orders"]
    finally:
        store.close()
