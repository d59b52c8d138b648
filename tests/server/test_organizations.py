"""The AWS Organizations API on moatdb's door, as boto3's organizations client, raw JSON 1.1 requests
and the AWS CLI see it: the organization's root, OUs and accounts; SCPs and RCPs created, attached
and detached; who may call what; every call authorized by the policy engine; and an SCP attached
through the API binding a member account from its next request.

Sources: the Organizations API Reference, each operation's page (parameters, output, errors and their
wording, and who may call it: "This operation can be called only from the organization's management
account", DescribeOrganization "from any account in the organization"); "InvalidInputException" and
"ConstraintViolationException" (the reasons); the Service Authorization Reference, "Actions,
resources, and condition keys for AWS Organizations" (each action's resource and
organizations:PolicyType); the Organizations User Guide, "Service control policies (SCPs)",
"Resource control policies (RCPs)" and "Quotas for AWS Organizations" (five levels of OUs). AWS's
answer to a member account calling a management-only operation, "You don't have permissions to
access this resource.", is quoted from users' reports (aws-samples/aws-iam-access-key-auto-rotation#10,
awslabs/aws-innovation-sandbox#6), as is its answer to an account outside any organization
(duo-labs/cloudmapper#733) and to an id that breaks its pattern (boto/boto3#4565).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import Server, aws_cli_env, client_for, free_port, seed_test_credentials
from tests.helpers import (
    ACCESS_KEY,
    SECRET_KEY,
    allow,
    deny,
    error,
    failure,
    needs_terraform,
    new_user,
    policy,
    send,
    terraform_env,
    terraform_provider,
)

AWS = str(Path(sys.executable).parent / "aws")
MANAGEMENT, PROD, DEV, OUTSIDER = "000000000000", "444444444444", "555555555555", "999999999999"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
FULL_AWS_ACCESS = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
RCP_FULL_AWS_ACCESS = "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
TARGET = "AWSOrganizationsV20161128."
JSON_11 = "application/x-amz-json-1.1"
NOT_MANAGEMENT = "You don't have permissions to access this resource."
DENY_LIST_TABLES = policy(deny("dynamodb:ListTables"))
TERRAFORM = """
resource "aws_organizations_policy" "scp" {
  name        = "tf-scp"
  description = "Made by Terraform"
  type        = "SERVICE_CONTROL_POLICY"
  content     = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Action = "dynamodb:DeleteBackup", Resource = "*" }]
  })
  tags = { team = "data" }
}
resource "aws_organizations_policy_attachment" "member" {
  policy_id = aws_organizations_policy.scp.id
  target_id = "TARGET"
}
data "aws_organizations_organization" "this" {}
output "root" { value = data.aws_organizations_organization.this.roots[0].id }
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server whose organization (management account 000000000000, the tests' own) has a prod OU
    holding the prod account and the dev account under the root; an administrator in each member
    account and in an account outside the organization."""
    from moatdb.auth.directory import USER
    from moatdb.auth.organization import Organization
    from moatdb.server import open_directory

    server = Server(tmp_path_factory.mktemp("organizations"), free_port()).start()
    directory = open_directory(server.data_dir)
    try:
        organization = Organization(directory.store)
        record = organization.create(MANAGEMENT, name="management")
        prod = organization.create_unit(record.root, "prod")
        keys = {}
        for account, name, parent in ((PROD, "prod", prod.id), (DEV, "dev", record.root), (OUTSIDER, "outsider", None)):
            directory.create_account(account, name)
            if parent is not None:
                organization.add_account(account, name, parent, email=f"{name}@example.com", joined=1_700_000_000.0)
            directory.create_user(account, "admin")
            directory.attach_policy(USER, account, "admin", ADMINISTRATOR_ACCESS)
            key = directory.create_access_key(account, "admin")
            keys[account] = (key.id, key.secret)
    finally:
        directory.store.close()
    yield World(server, record.id, record.root, prod.id, keys)
    server.stop()


class World:
    def __init__(self, server: Server, org_id: str, root: str, prod_ou: str, keys: dict):
        self.server, self.org_id, self.root, self.prod_ou, self.keys = server, org_id, root, prod_ou, keys

    def client(self, service: str = "organizations", account: str | None = None, **config):
        """A client of the management account's tester, or of a member account's administrator."""
        credentials = (ACCESS_KEY, SECRET_KEY) if account is None else self.keys[account]
        return client_for(self.server.endpoint, service, credentials=credentials, **config)

    def arn(self, kind: str, tail: str) -> str:
        return f"arn:aws:organizations::{MANAGEMENT}:{kind}/{self.org_id}/{tail}"


@pytest.fixture(scope="module")
def org(world):
    return world.client()


def scp(org, name: str, document: str = DENY_LIST_TABLES, policy_type: str = SCP) -> str:
    return org.create_policy(Name=name, Type=policy_type, Description=f"{name} for a test",
                             Content=document)["Policy"]["PolicySummary"]["Id"]


def reason(call, **params) -> tuple[str, str, str | None]:
    """(code, message, Reason) of a call that must fail."""
    response = failure(call, **params)
    return response["Error"]["Code"], response["Error"]["Message"], response.get("Reason")


def organizations_request(world: World, operation: str, body: bytes, *, key: str = ACCESS_KEY,
                          secret: str = SECRET_KEY, region: str = "us-east-1"):
    """A raw JSON 1.1 POST signed for Organizations by botocore's signer, as the SDKs send it."""
    request = AWSRequest(method="POST", url=world.server.endpoint + "/", data=body,
                         headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET + operation})
    SigV4Auth(Credentials(key, secret), "organizations", region).add_auth(request)
    return send(world.server, body=request.body, headers=dict(request.headers.items()))


# --- the organization, its root, OUs and accounts ---------------------------------------------------


def test_describe_organization_names_the_organization_and_its_management_account(world, org):
    found = org.describe_organization()["Organization"]

    assert found["Id"] == world.org_id
    assert found["Arn"] == f"arn:aws:organizations::{MANAGEMENT}:organization/{world.org_id}"
    assert found["FeatureSet"] == "ALL"
    assert found["MasterAccountId"] == MANAGEMENT
    assert found["MasterAccountArn"] == world.arn("account", MANAGEMENT)


def test_a_member_account_may_describe_its_organization(world):
    found = world.client(account=DEV).describe_organization()["Organization"]

    assert (found["Id"], found["MasterAccountId"]) == (world.org_id, MANAGEMENT)


def test_an_account_outside_the_organization_is_told_organizations_is_not_in_use(world):
    assert error(world.client(account=OUTSIDER).describe_organization) == (
        "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", 400)


def test_list_roots_answers_the_root_with_both_policy_types_enabled(world, org):
    roots = org.list_roots()["Roots"]

    assert roots == [{"Id": world.root, "Arn": world.arn("root", world.root), "Name": "Root",
                      "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}, {"Type": RCP, "Status": "ENABLED"}]}]


def test_no_aws_service_has_access_to_the_organization(org):
    assert org.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []


def test_list_accounts_answers_the_management_and_member_accounts(world, org):
    accounts = {account["Id"]: account for account in org.list_accounts()["Accounts"]}

    assert set(accounts) == {MANAGEMENT, PROD, DEV}
    assert accounts[PROD]["Arn"] == world.arn("account", PROD)
    assert (accounts[PROD]["Name"], accounts[PROD]["Email"], accounts[PROD]["Status"]) == (
        "prod", "prod@example.com", "ACTIVE")
    assert accounts[PROD]["JoinedTimestamp"].timestamp() == 1_700_000_000  # epoch seconds on the wire


def test_describe_account_answers_one_account_and_refuses_an_unknown_one(world, org):
    assert org.describe_account(AccountId=DEV)["Account"]["Name"] == "dev"
    assert error(org.describe_account, AccountId="123456789012") == (
        "AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified, or the "
        "account whose credentials you used to make this request isn't a member of an organization.", 400)


def test_describe_organizational_unit_answers_the_ou_with_its_path(world, org):
    unit = org.describe_organizational_unit(OrganizationalUnitId=world.prod_ou)["OrganizationalUnit"]

    assert unit == {"Id": world.prod_ou, "Arn": world.arn("ou", world.prod_ou), "Name": "prod",
                    "Path": f"{world.org_id}/{world.root}/{world.prod_ou}/"}


def test_describe_organizational_unit_refuses_an_unknown_ou(world, org):
    unknown = f"ou-{world.root[2:]}-zzzzzzzz"

    assert error(org.describe_organizational_unit, OrganizationalUnitId=unknown) == (
        "OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you "
        "specified.", 400)


def test_list_children_answers_the_accounts_and_the_ous_under_a_parent(world, org):
    accounts = org.list_children(ParentId=world.root, ChildType="ACCOUNT")["Children"]
    units = org.list_children(ParentId=world.root, ChildType="ORGANIZATIONAL_UNIT")["Children"]
    in_prod = org.list_children(ParentId=world.prod_ou, ChildType="ACCOUNT")["Children"]

    assert {child["Id"] for child in accounts} >= {MANAGEMENT, DEV}
    assert PROD not in {child["Id"] for child in accounts}
    assert {"Id": world.prod_ou, "Type": "ORGANIZATIONAL_UNIT"} in units
    assert in_prod == [{"Id": PROD, "Type": "ACCOUNT"}]


def test_list_accounts_for_parent_answers_the_accounts_directly_under_it(world, org):
    in_prod = org.list_accounts_for_parent(ParentId=world.prod_ou)["Accounts"]
    at_root = org.list_accounts_for_parent(ParentId=world.root)["Accounts"]

    assert [account["Id"] for account in in_prod] == [PROD]
    assert [account["Id"] for account in at_root] == [MANAGEMENT, DEV]


def test_list_organizational_units_for_parent_answers_the_ous_directly_under_it(world, org):
    units = org.list_organizational_units_for_parent(ParentId=world.root)["OrganizationalUnits"]

    assert {"Id": world.prod_ou, "Arn": world.arn("ou", world.prod_ou), "Name": "prod",
            "Path": f"{world.org_id}/{world.root}/{world.prod_ou}/"} in units


def test_a_list_under_an_unknown_parent_is_refused(world, org):
    unknown = f"ou-{world.root[2:]}-zzzzzzzz"

    assert error(org.list_children, ParentId=unknown, ChildType="ACCOUNT") == (
        "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.", 400)


def test_list_parents_answers_the_ou_of_an_account_and_the_root_of_an_ou(world, org):
    assert org.list_parents(ChildId=PROD)["Parents"] == [{"Id": world.prod_ou, "Type": "ORGANIZATIONAL_UNIT"}]
    assert org.list_parents(ChildId=world.prod_ou)["Parents"] == [{"Id": world.root, "Type": "ROOT"}]
    assert error(org.list_parents, ChildId="123456789012") == (
        "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that "
        "you specified.", 400)


def test_create_organizational_unit_creates_an_ou_with_full_access_attached(world, org):
    unit = org.create_organizational_unit(ParentId=world.prod_ou, Name="payments")["OrganizationalUnit"]

    assert re.fullmatch(rf"ou-{world.root[2:]}-[a-z0-9]{{8}}", unit["Id"])
    assert unit["Path"] == f"{world.org_id}/{world.root}/{world.prod_ou}/{unit['Id']}/"
    assert org.list_parents(ChildId=unit["Id"])["Parents"] == [{"Id": world.prod_ou, "Type": "ORGANIZATIONAL_UNIT"}]
    attached = org.list_policies_for_target(TargetId=unit["Id"], Filter=SCP)["Policies"]
    assert [found["Arn"] for found in attached] == [FULL_AWS_ACCESS]


def test_an_ou_name_taken_under_the_same_parent_is_refused(world, org):
    assert error(org.create_organizational_unit, ParentId=world.root, Name="prod") == (
        "DuplicateOrganizationalUnitException", "An OU with the same name already exists.", 400)


def test_ous_nest_five_levels_deep_and_no_deeper(world, org):
    parent = world.root
    for level in range(5):
        parent = org.create_organizational_unit(ParentId=parent, Name=f"level-{level}")["OrganizationalUnit"]["Id"]

    assert reason(org.create_organizational_unit, ParentId=parent, Name="too-deep") == (
        "ConstraintViolationException", "You attempted to create an OU tree that is too many levels deep.",
        "OU_DEPTH_LIMIT_EXCEEDED")


def test_move_account_moves_an_account_between_the_root_and_an_ou(world, org):
    org.move_account(AccountId=DEV, SourceParentId=world.root, DestinationParentId=world.prod_ou)
    try:
        assert org.list_parents(ChildId=DEV)["Parents"] == [{"Id": world.prod_ou, "Type": "ORGANIZATIONAL_UNIT"}]
    finally:
        org.move_account(AccountId=DEV, SourceParentId=world.prod_ou, DestinationParentId=world.root)
    assert org.list_parents(ChildId=DEV)["Parents"] == [{"Id": world.root, "Type": "ROOT"}]


def test_move_account_refuses_a_wrong_source_and_a_move_to_where_the_account_is(world, org):
    assert error(org.move_account, AccountId=DEV, SourceParentId=world.prod_ou, DestinationParentId=world.root) == (
        "SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.",
        400)
    assert error(org.move_account, AccountId=DEV, SourceParentId=world.root, DestinationParentId=world.root) == (
        "DuplicateAccountException", "That account is already present in the specified destination.", 400)


# --- policies ------------------------------------------------------------------------------------------


def test_create_policy_answers_the_policy_with_its_organization_arn(world, org):
    created = org.create_policy(Name="deny-list-tables", Type=SCP, Description="no listing",
                                Content=DENY_LIST_TABLES)["Policy"]
    summary = created["PolicySummary"]

    assert re.fullmatch(r"p-[a-z0-9]{8}", summary["Id"])
    assert summary["Arn"] == world.arn("policy", f"service_control_policy/{summary['Id']}")
    assert (summary["Name"], summary["Description"], summary["Type"], summary["AwsManaged"]) == (
        "deny-list-tables", "no listing", SCP, False)
    assert json.loads(created["Content"]) == json.loads(DENY_LIST_TABLES)
    assert org.describe_policy(PolicyId=summary["Id"])["Policy"] == created


def test_update_policy_changes_the_name_description_and_content(org):
    policy_id = scp(org, "to-update")
    document = policy(deny("dynamodb:DeleteTable"))

    updated = org.update_policy(PolicyId=policy_id, Name="updated", Description="new words", Content=document)

    assert (updated["Policy"]["PolicySummary"]["Name"], updated["Policy"]["PolicySummary"]["Description"]) == (
        "updated", "new words")
    assert json.loads(org.describe_policy(PolicyId=policy_id)["Policy"]["Content"]) == json.loads(document)


def test_delete_policy_deletes_a_detached_policy(org):
    policy_id = scp(org, "to-delete")

    org.delete_policy(PolicyId=policy_id)

    assert error(org.describe_policy, PolicyId=policy_id) == (
        "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.", 400)


def test_list_policies_lists_the_aws_managed_full_access_policies(org):
    scps = {found["Name"]: found for found in org.list_policies(Filter=SCP)["Policies"]}
    rcps = {found["Name"]: found for found in org.list_policies(Filter=RCP)["Policies"]}

    assert (scps["FullAWSAccess"]["Arn"], scps["FullAWSAccess"]["AwsManaged"]) == (FULL_AWS_ACCESS, True)
    assert (rcps["RCPFullAWSAccess"]["Arn"], rcps["RCPFullAWSAccess"]["AwsManaged"]) == (RCP_FULL_AWS_ACCESS, True)
    assert all(found["Type"] == RCP for found in rcps.values())


def test_a_malformed_policy_document_is_refused(org):
    assert error(org.create_policy, Name="broken", Type=SCP, Description="",
                 Content='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}') == (
        "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the "
        "specified policy type.", 400)


def test_an_rcp_must_name_a_principal(org):
    document = policy(deny("s3:GetObject"))

    assert error(org.create_policy, Name="rcp-without-principal", Type=RCP, Description="",
                 Content=document)[0] == "MalformedPolicyDocumentException"


def test_a_policy_name_taken_for_the_same_type_is_refused(org):
    scp(org, "taken")

    assert error(org.create_policy, Name="taken", Type=SCP, Description="", Content=DENY_LIST_TABLES) == (
        "DuplicatePolicyException", "A policy with the same name already exists.", 400)


def test_a_policy_type_moatdb_does_not_serve_is_refused(org):
    assert error(org.create_policy, Name="tags", Type="TAG_POLICY", Description="", Content="{}") == (
        "PolicyTypeNotAvailableForOrganizationException", "You can't use the specified policy type with the "
        "feature set currently enabled for this organization.", 400)


def test_a_policy_type_that_is_none_of_aws_is_an_invalid_policy_type_string(world):
    raw = world.client(parameter_validation=False)

    assert reason(raw.create_policy, Name="x", Type="NOT_A_TYPE", Description="", Content="{}") == (
        "InvalidInputException", "You specified an invalid policy type string.", "INVALID_ENUM_POLICY_TYPE")


def test_a_policy_id_that_breaks_its_pattern_is_invalid_input(org):
    assert reason(org.describe_policy, PolicyId="p-short") == (
        "InvalidInputException", "You provided a value that does not match the required pattern.",
        "INVALID_PATTERN")


def test_max_results_over_twenty_is_invalid_input(org):
    assert reason(org.list_accounts, MaxResults=21) == (
        "InvalidInputException", "You provided a numeric parameter that has a larger value than allowed.",
        "MAX_VALUE_EXCEEDED")


def test_a_missing_required_parameter_is_invalid_input(world):
    raw = world.client(parameter_validation=False)

    assert reason(raw.describe_policy) == (
        "InvalidInputException", "You must include a value for all required parameters.", "INPUT_REQUIRED")


# --- attachments ---------------------------------------------------------------------------------------


def test_attach_policy_attaches_a_policy_that_both_listings_then_show(world, org):
    policy_id = scp(org, "attach-me", policy(deny("dynamodb:DeleteTable")))

    org.attach_policy(PolicyId=policy_id, TargetId=world.prod_ou)
    try:
        for_target = org.list_policies_for_target(TargetId=world.prod_ou, Filter=SCP)["Policies"]
        targets = org.list_targets_for_policy(PolicyId=policy_id)["Targets"]

        assert {found["Id"] for found in for_target} == {"p-FullAWSAccess", policy_id}
        assert targets == [{"TargetId": world.prod_ou, "Arn": world.arn("ou", world.prod_ou), "Name": "prod",
                            "Type": "ORGANIZATIONAL_UNIT"}]
        assert error(org.attach_policy, PolicyId=policy_id, TargetId=world.prod_ou) == (
            "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified "
            "target.", 400)
        assert error(org.delete_policy, PolicyId=policy_id)[0] == "PolicyInUseException"
    finally:
        org.detach_policy(PolicyId=policy_id, TargetId=world.prod_ou)
    assert org.list_targets_for_policy(PolicyId=policy_id)["Targets"] == []


def test_the_targets_of_full_aws_access_are_every_root_ou_and_account(world, org):
    targets = {target["TargetId"]: target["Type"] for target in
               org.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]}

    assert targets[world.root] == "ROOT"
    assert targets[world.prod_ou] == "ORGANIZATIONAL_UNIT"
    assert {targets[MANAGEMENT], targets[PROD], targets[DEV]} == {"ACCOUNT"}


def test_attaching_to_a_target_that_does_not_exist_is_refused(org):
    policy_id = scp(org, "nowhere")

    assert error(org.attach_policy, PolicyId=policy_id, TargetId="123456789012") == (
        "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you "
        "specified.", 400)


def test_detaching_a_policy_that_is_not_attached_is_refused(world, org):
    policy_id = scp(org, "not-attached")

    assert error(org.detach_policy, PolicyId=policy_id, TargetId=DEV) == (
        "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.",
        400)


def test_the_last_scp_of_a_target_cannot_be_detached(org):
    assert reason(org.detach_policy, PolicyId="p-FullAWSAccess", TargetId=DEV)[::2] == (
        "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")


def test_rcp_full_aws_access_cannot_be_detached(org):
    assert reason(org.detach_policy, PolicyId="p-RCPFullAWSAccess", TargetId=DEV) == (
        "InvalidInputException", "You can't detach this AWS Managed Policy.", "NON_DETACHABLE_POLICY")


def test_an_aws_managed_policy_cannot_be_changed_or_deleted(org):
    assert error(org.update_policy, PolicyId="p-FullAWSAccess", Name="mine")[0] == "AccessDeniedException"
    assert error(org.delete_policy, PolicyId="p-FullAWSAccess")[0] == "AccessDeniedException"


# --- policy types --------------------------------------------------------------------------------------


def test_disabling_rcps_detaches_them_and_enabling_them_attaches_rcp_full_aws_access_again(world, org):
    rcp_id = scp(org, "rcp-deny-deletes", policy({"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                                                   "Resource": "*"}), policy_type=RCP)
    org.attach_policy(PolicyId=rcp_id, TargetId=DEV)

    root = org.disable_policy_type(RootId=world.root, PolicyType=RCP)["Root"]
    try:
        assert root["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
        assert org.list_targets_for_policy(PolicyId=rcp_id)["Targets"] == []
        assert error(org.attach_policy, PolicyId=rcp_id, TargetId=DEV)[0] == "PolicyTypeNotEnabledException"
        assert error(org.disable_policy_type, RootId=world.root, PolicyType=RCP)[0] == "PolicyTypeNotEnabledException"
    finally:
        root = org.enable_policy_type(RootId=world.root, PolicyType=RCP)["Root"]

    assert {"Type": RCP, "Status": "ENABLED"} in root["PolicyTypes"]
    assert [found["Id"] for found in org.list_policies_for_target(TargetId=DEV, Filter=RCP)["Policies"]] == [
        "p-RCPFullAWSAccess"]
    assert error(org.enable_policy_type, RootId=world.root, PolicyType=RCP) == (
        "PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.", 400)


def test_a_policy_type_change_on_an_unknown_root_is_refused(org):
    assert error(org.enable_policy_type, RootId="r-zzzz", PolicyType=SCP) == (
        "RootNotFoundException", "We can't find a root with the RootId that you specified.", 400)


# --- tags ----------------------------------------------------------------------------------------------


def test_tags_on_a_policy_are_listed_added_and_removed(org):
    policy_id = org.create_policy(Name="tagged", Type=SCP, Description="", Content=DENY_LIST_TABLES,
                                  Tags=[{"Key": "team", "Value": "data"}])["Policy"]["PolicySummary"]["Id"]

    org.tag_resource(ResourceId=policy_id, Tags=[{"Key": "stage", "Value": "prod"}])
    assert org.list_tags_for_resource(ResourceId=policy_id)["Tags"] == [
        {"Key": "team", "Value": "data"}, {"Key": "stage", "Value": "prod"}]
    org.untag_resource(ResourceId=policy_id, TagKeys=["team"])
    assert org.list_tags_for_resource(ResourceId=policy_id)["Tags"] == [{"Key": "stage", "Value": "prod"}]


def test_tagging_something_that_does_not_exist_is_refused(org):
    assert error(org.list_tags_for_resource, ResourceId="123456789012")[0] == "TargetNotFoundException"


# --- who may call what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda org: org.list_accounts(),
    lambda org: org.list_roots(),
    lambda org: org.list_policies(Filter=SCP),
    lambda org: org.describe_account(AccountId=DEV),
    lambda org: org.create_policy(Name="mine", Type=SCP, Description="", Content=DENY_LIST_TABLES),
    lambda org: org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=DEV),
    lambda org: org.create_organizational_unit(ParentId="r-abcd", Name="mine"),
], ids=["ListAccounts", "ListRoots", "ListPolicies", "DescribeAccount", "CreatePolicy", "DetachPolicy",
        "CreateOrganizationalUnit"])
def test_a_member_accounts_administrator_may_not_call_what_only_the_management_account_may(world, call):
    assert error(call, world.client(account=PROD)) == ("AccessDeniedException", NOT_MANAGEMENT, 400)


def test_a_management_account_user_without_permission_is_denied_in_the_engines_words(world):
    reader = new_user(world.server, policy(allow(["organizations:Describe*", "organizations:List*"])))
    org = client_for(world.server.endpoint, "organizations", credentials=reader.credentials)

    assert org.list_roots()["Roots"][0]["Id"] == world.root
    code, message, status = error(org.create_policy, Name="nope", Type=SCP, Description="", Content=DENY_LIST_TABLES)

    assert (code, status) == ("AccessDeniedException", 400)
    assert re.fullmatch(
        rf"User: {reader.arn} is not authorized to perform: organizations:CreatePolicy on resource: "
        rf"{world.arn('policy', 'service_control_policy/')}p-[a-z0-9]{{8}} because no identity-based policy "
        r"allows the organizations:CreatePolicy action", message)


def test_organizations_policytype_lets_a_user_manage_rcps_but_not_scps(world):
    user = new_user(world.server, policy(allow("organizations:CreatePolicy", Condition={
        "StringEquals": {"organizations:PolicyType": RCP}})))
    org = client_for(world.server.endpoint, "organizations", credentials=user.credentials)
    rcp = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"})

    assert org.create_policy(Name="rcp-by-delegate", Type=RCP, Description="", Content=rcp)["Policy"]
    assert error(org.create_policy, Name="scp-by-delegate", Type=SCP, Description="",
                 Content=DENY_LIST_TABLES)[0] == "AccessDeniedException"


def test_an_attach_permission_on_one_ou_does_not_reach_the_root(world, org):
    policy_id = scp(org, "for-one-ou", policy(deny("dynamodb:UpdateTable")))
    user = new_user(world.server, policy(allow("organizations:AttachPolicy", [
        world.arn("policy", f"service_control_policy/{policy_id}"), world.arn("ou", world.prod_ou)])))
    delegate = client_for(world.server.endpoint, "organizations", credentials=user.credentials)

    delegate.attach_policy(PolicyId=policy_id, TargetId=world.prod_ou)
    try:
        code, message, _ = error(delegate.attach_policy, PolicyId=policy_id, TargetId=world.root)
        assert code == "AccessDeniedException"
        assert f"on resource: {world.arn('root', world.root)} because" in message
    finally:
        org.detach_policy(PolicyId=policy_id, TargetId=world.prod_ou)


# --- the end-to-end proof: an SCP attached through the API binds the member account ---------------------


def test_an_scp_attached_to_a_member_account_denies_it_and_detaching_it_allows_it_again(world, org):
    policy_id = scp(org, "no-list-tables")
    member = world.client("dynamodb", account=DEV)
    assert "TableNames" in member.list_tables()

    org.attach_policy(PolicyId=policy_id, TargetId=DEV)
    try:
        code, message, status = error(member.list_tables)
        assert (code, status) == ("AccessDeniedException", 400)
        assert message == (
            f"User: arn:aws:iam::{DEV}:user/admin is not authorized to perform: dynamodb:ListTables on resource: "
            f"arn:aws:dynamodb:us-east-1:{DEV}:table/* with an explicit deny in a service control policy: "
            + world.arn("policy", f"service_control_policy/{policy_id}"))
    finally:
        org.detach_policy(PolicyId=policy_id, TargetId=DEV)

    assert "TableNames" in member.list_tables()
    org.delete_policy(PolicyId=policy_id)


def test_the_management_account_is_not_bound_by_an_scp_attached_to_it(world, org):
    policy_id = scp(org, "not-for-management")
    org.attach_policy(PolicyId=policy_id, TargetId=MANAGEMENT)
    try:
        assert "TableNames" in world.client("dynamodb").list_tables()
    finally:
        org.detach_policy(PolicyId=policy_id, TargetId=MANAGEMENT)


# --- clients and the wire ------------------------------------------------------------------------------


def test_the_boto3_paginator_walks_the_accounts_one_page_at_a_time(org):
    pages = list(org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 1}))

    assert [len(page["Accounts"]) for page in pages] == [1, 1, 1]
    assert [page["Accounts"][0]["Id"] for page in pages] == sorted([MANAGEMENT, PROD, DEV])


def test_a_next_token_that_is_not_one_is_invalid_input(world):
    raw = world.client(parameter_validation=False)

    assert reason(raw.list_accounts, NextToken="!!not-a-token!!") == (
        "InvalidInputException", "You specified an invalid value for nextToken.", "INVALID_NEXT_TOKEN")


def test_errors_travel_as_json_1_1_with_the_bare_exception_name(world):
    key, secret = world.keys[PROD]
    reply = organizations_request(world, "ListAccounts", b"{}", key=key, secret=secret)

    assert reply.status == 400
    assert reply.headers["content-type"] == JSON_11
    assert json.loads(reply.body) == {"__type": "AccessDeniedException", "Message": NOT_MANAGEMENT}


def test_an_operation_moatdb_does_not_serve_is_unknown(world):
    reply = organizations_request(world, "CreateAccount", b"{}")

    assert reply.status == 400
    assert json.loads(reply.body)["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_a_request_signed_for_us_east_1_reaches_a_server_of_another_region(tmp_path):
    """Organizations is global: SDKs sign its requests for us-east-1 wherever they are."""
    from moatdb.auth.organization import Organization
    from moatdb.server import open_directory

    seed_test_credentials(tmp_path)
    directory = open_directory(tmp_path)
    try:
        Organization(directory.store).create(MANAGEMENT)
    finally:
        directory.store.close()
    server = Server(tmp_path, free_port())
    server.process = subprocess.Popen(
        [sys.executable, "-m", "moatdb", "serve", "--port", str(server.port), "--data-dir", str(tmp_path),
         "--region", "eu-west-1", "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(server)
        for region in ("us-east-1", "eu-west-1"):
            org = client_for(server.endpoint, "organizations", region=region)
            assert org.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT
    finally:
        server.stop()


def test_the_aws_cli_lists_the_roots(world):
    listed = subprocess.run([AWS, "organizations", "list-roots", "--output", "json"], capture_output=True,
                            text=True, env=aws_cli_env(world.server.endpoint), timeout=60)

    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Roots"][0]["Id"] == world.root


@needs_terraform
def test_terraform_creates_attaches_reads_and_destroys_an_scp(world, org, tmp_path):
    (tmp_path / "main.tf").write_text(terraform_provider("organizations", world.server.endpoint)
                                      + TERRAFORM.replace("TARGET", DEV))
    env = terraform_env(tmp_path)

    def terraform(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["terraform", *args, "-input=false", "-no-color"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    assert terraform("init").returncode == 0
    applied = terraform("apply", "-auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    policy_id = next(found["Id"] for found in org.list_policies(Filter=SCP)["Policies"] if found["Name"] == "tf-scp")
    assert [target["TargetId"] for target in org.list_targets_for_policy(PolicyId=policy_id)["Targets"]] == [DEV]
    assert org.list_tags_for_resource(ResourceId=policy_id)["Tags"] == [{"Key": "team", "Value": "data"}]
    assert f'root = "{world.root}"' in applied.stdout
    assert terraform("plan", "-detailed-exitcode").returncode == 0  # read back as written: nothing to change
    destroyed = terraform("destroy", "-auto-approve")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert error(org.describe_policy, PolicyId=policy_id)[0] == "PolicyNotFoundException"


def _wait_for(server: Server) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("moatdb did not start listening within 20 s")
