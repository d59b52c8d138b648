"""SCPs and RCPs of the organization in storage, enforced by the server on every request.

Sources: AWS Organizations User Guide, "Service control policies (SCPs)" (every level from the root
to the account must allow; the management account is not affected; SCPs do not grant), "Resource
control policies (RCPs)"; IAM User Guide, "Policy evaluation logic" and "Troubleshoot access denied
error messages" (an SCP's denial is worded "with an explicit deny in a service control policy", and
since 2025 AWS appends the denying policy's ARN within one account or organization: AWS Security
Blog, "Enhanced access denied error messages with policy ARNs"); "AWS global condition context keys"
(aws:PrincipalOrgID, aws:PrincipalOrgPaths).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Server, client_for, free_port
from tests.helpers import REGION, allow, error, policy

MANAGEMENT, PROD, DEV = "000000000000", "444444444444", "555555555555"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
VPC_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyDynamoDBOutsideTheVpc", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0prod"},
                  "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}]})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server whose organization has a prod OU with the VPC-only SCP and a dev OU without it; an
    administrator in each member account; a break-glass role in prod."""
    from moatdb.auth.directory import ROLE, USER
    from moatdb.auth.organization import SCP, Organization
    from moatdb.server import open_directory

    server = Server(tmp_path_factory.mktemp("org"), free_port())
    server.start()
    directory = open_directory(server.data_dir)
    try:
        organization = Organization(directory.store)
        record = organization.create(MANAGEMENT)
        prod, dev = organization.create_unit(record.root, "prod"), organization.create_unit(record.root, "dev")
        keys = {}
        for account, unit in ((PROD, prod), (DEV, dev)):
            directory.create_account(account, unit.name)
            organization.add_account(account, unit.name, unit.id)
            directory.create_user(account, "admin")
            directory.attach_policy(USER, account, "admin", ADMINISTRATOR_ACCESS)
            key = directory.create_access_key(account, "admin")
            keys[account] = (key.id, key.secret)
        directory.create_role(PROD, "break-glass", policy({"Effect": "Allow", "Principal": {"AWS": PROD},
                                                           "Action": "sts:AssumeRole"}))
        directory.attach_policy(ROLE, PROD, "break-glass", ADMINISTRATOR_ACCESS)
        scp = organization.create_policy("vpc-only", SCP, VPC_ONLY)
        organization.attach(scp.id, prod.id)
        yield server, keys, scp.id, record
    finally:
        directory.store.close()
        server.stop()


def test_the_scp_denies_a_member_accounts_administrator_outside_the_vpc(world):
    server, keys, scp_id, record = world

    code, message, status = error(client_for(server.endpoint, credentials=keys[PROD]).list_tables)

    arn = f"arn:aws:organizations::{MANAGEMENT}:policy/{record.id}/service_control_policy/{scp_id}"
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: arn:aws:iam::{PROD}:user/admin is not authorized to perform: dynamodb:ListTables "
                       f"on resource: arn:aws:dynamodb:{REGION}:{PROD}:table/* with an explicit deny in a service "
                       f"control policy: {arn}")


def test_an_account_in_an_ou_without_the_scp_is_not_bound(world):
    server, keys, _, _ = world

    assert "TableNames" in client_for(server.endpoint, credentials=keys[DEV]).list_tables()


def test_the_management_account_is_not_bound_by_scps(world):
    server, _, _, _ = world

    assert "TableNames" in client_for(server.endpoint).list_tables()  # the tester, in the management account


def test_the_break_glass_role_is_excepted_by_the_scps_condition(world):
    server, keys, _, _ = world
    sts = client_for(server.endpoint, "sts", credentials=keys[PROD])
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/break-glass",
                                  RoleSessionName="incident-42")["Credentials"]
    import boto3

    ddb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                       aws_access_key_id=credentials["AccessKeyId"],
                       aws_secret_access_key=credentials["SecretAccessKey"],
                       aws_session_token=credentials["SessionToken"])

    assert "TableNames" in ddb.list_tables()


def test_scps_bind_iam_and_sts_calls_too_only_where_they_deny(world):
    server, keys, _, _ = world

    # The VPC-only SCP denies dynamodb:* only: IAM calls of the prod administrator still pass.
    assert "Users" in client_for(server.endpoint, "iam", credentials=keys[PROD]).list_users()


def test_detaching_the_scp_lifts_the_denial_on_the_next_request(world):
    from moatdb.auth.organization import Organization
    from moatdb.server import open_directory

    server, keys, scp_id, _ = world
    ddb = client_for(server.endpoint, credentials=keys[PROD])
    assert error(ddb.list_tables)[0] == "AccessDeniedException"
    directory = open_directory(server.data_dir)
    organization = Organization(directory.store)
    prod_ou = next(unit.id for unit in organization.units() if unit.name == "prod")
    try:
        organization.detach(scp_id, prod_ou)
        assert "TableNames" in ddb.list_tables()
    finally:
        organization.attach(scp_id, prod_ou)
        directory.store.close()
    assert error(ddb.list_tables)[0] == "AccessDeniedException"


def test_a_policy_can_require_the_callers_organization(world):
    from moatdb.auth.directory import USER
    from moatdb.server import open_directory

    server, keys, _, record = world
    directory = open_directory(server.data_dir)
    try:
        directory.create_user(DEV, "org-only")
        directory.put_inline_policy(USER, DEV, "org-only", "p", policy(allow("dynamodb:ListTables", Condition={
            "StringEquals": {"aws:PrincipalOrgID": record.id}})))
        directory.create_user(DEV, "other-org")
        directory.put_inline_policy(USER, DEV, "other-org", "p", policy(allow("dynamodb:ListTables", Condition={
            "StringEquals": {"aws:PrincipalOrgID": "o-someoneelse"}})))
        inside = directory.create_access_key(DEV, "org-only")
        outside = directory.create_access_key(DEV, "other-org")
    finally:
        directory.store.close()

    assert "TableNames" in client_for(server.endpoint, credentials=(inside.id, inside.secret)).list_tables()
    assert error(client_for(server.endpoint, credentials=(outside.id, outside.secret)).list_tables)[0] == (
        "AccessDeniedException")
