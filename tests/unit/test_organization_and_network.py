"""The organization and the network in storage: the paths authorization reads, and Organizations' own
rules (AWS Organizations User Guide, "Service control policies", "Resource control policies", "Attaching
and detaching SCPs"; Amazon VPC User Guide, "Gateway endpoints", "Control access to VPC endpoints using
endpoint policies")."""

from __future__ import annotations

import json

import pytest

from moatdb.auth.network import DEFAULT_ENDPOINT_POLICY, Endpoint, Network, NetworkConfig, Route, Vpc
from moatdb.auth.organization import RCP, SCP, Organization
from moatdb.errors import OrganizationsError
from moatdb.storage.sqlite import SqliteStore

ONE_TABLE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "dynamodb:*",
    "Resource": "arn:aws:dynamodb:us-east-1:222222222222:table/Orders"}]})
DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    yield store
    store.close()


@pytest.fixture
def organization(store):
    organization = Organization(store)
    record = organization.create("111111111111", org_id="o-exampleorg", root_id="r-ab12")
    prod = organization.create_unit(record.root, "prod", unit_id="ou-ab12-prod0000")
    team = organization.create_unit(prod.id, "team", unit_id="ou-ab12-team0000")
    organization.add_account("222222222222", "prod", team.id)
    return organization


def ids(levels) -> list[set[str]]:
    """The policy ids attached at each level (a level's policies come in no particular order)."""
    return [{policy.id.rsplit("/", 1)[-1] for policy in level} for level in levels]


def test_an_accounts_scp_path_runs_from_the_root_through_each_ou_to_the_account(organization):
    assert ids(organization.path("222222222222", SCP)) == [{"p-FullAWSAccess"}] * 4


def test_an_attached_scp_appears_at_its_level_only(organization):
    policy = organization.create_policy("deny-all", SCP, DENY_ALL)
    organization.attach(policy.id, "ou-ab12-prod0000")

    assert ids(organization.path("222222222222", SCP)) == [
        {"p-FullAWSAccess"}, {"p-FullAWSAccess", policy.id}, {"p-FullAWSAccess"}, {"p-FullAWSAccess"}]


def test_the_management_account_has_no_scp_or_rcp_path(organization):
    assert organization.path("111111111111", SCP) is None
    assert organization.path("111111111111", RCP) is None


def test_an_account_outside_the_organization_has_no_path_and_no_org_keys(organization):
    assert organization.path("999999999999", SCP) is None
    assert organization.context("999999999999") == {}


def test_the_org_keys_name_the_organization_and_the_path_above_the_account(organization):
    # IAM User Guide, aws:PrincipalOrgPaths: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/".
    assert organization.context("222222222222") == {
        "orgid": ("o-exampleorg",), "orgpaths": ("o-exampleorg/r-ab12/ou-ab12-prod0000/ou-ab12-team0000/",)}


def test_an_scp_is_named_by_the_arn_organizations_gives_it(organization):
    policy = organization.create_policy("deny-all", SCP, DENY_ALL)
    organization.attach(policy.id, "222222222222")

    assert f"arn:aws:organizations::111111111111:policy/o-exampleorg/service_control_policy/{policy.id}" in {
        attached.id for attached in organization.path("222222222222", SCP)[-1]}


@pytest.mark.parametrize(("change", "code"), [
    # Organizations API Reference, DetachPolicy: InvalidInputException, NON_DETACHABLE_POLICY.
    (lambda o: o.detach("p-RCPFullAWSAccess", "r-ab12"), "InvalidInputException"),
    (lambda o: o.detach("p-FullAWSAccess", "222222222222"), "ConstraintViolationException"),
    (lambda o: o.attach("p-FullAWSAccess", "r-ab12"), "DuplicatePolicyAttachmentException"),
    (lambda o: o.attach("p-nosuchpolicy", "r-ab12"), "PolicyNotFoundException"),
    (lambda o: o.attach("p-FullAWSAccess", "ou-ab12-nothere0"), "TargetNotFoundException"),
    (lambda o: o.delete_policy("p-FullAWSAccess"), "AccessDeniedException"),
    (lambda o: o.create_unit("r-ab12", "prod"), "DuplicateOrganizationalUnitException"),
    (lambda o: o.create_policy("bad", SCP, "{}"), "MalformedPolicyDocumentException"),
], ids=["RCPFullAWSAccess stays", "the last SCP of a target stays", "attached twice", "unknown policy",
        "unknown target", "AWS managed policies are not deleted", "duplicate OU name", "malformed SCP"])
def test_organizations_refuses_what_it_refuses(organization, change, code):
    with pytest.raises(OrganizationsError) as refused:
        change(organization)

    assert refused.value.code == code


def test_a_policy_still_attached_cannot_be_deleted(organization):
    policy = organization.create_policy("deny-all", SCP, DENY_ALL)
    organization.attach(policy.id, "r-ab12")

    with pytest.raises(OrganizationsError) as refused:
        organization.delete_policy(policy.id)

    assert refused.value.code == "PolicyInUseException"
    organization.detach(policy.id, "r-ab12")
    organization.delete_policy(policy.id)
    assert organization.policy(policy.id) is None


@pytest.fixture
def network(store):
    network = Network(store)
    network.set(NetworkConfig(
        vpcs=(Vpc("vpc-1", "222222222222", "10.1.0.0/16"),),
        endpoints=(Endpoint("vpce-1", "vpc-1"), Endpoint("vpce-2", "vpc-1", ONE_TABLE)),
        routes=(Route("10.1.0.0/16", "vpce-1"), Route("10.1.2.0/24", "vpce-2"))))
    return network


def test_a_public_peer_carries_its_source_ip_and_no_vpc(network):
    assert network.origin(None, "198.51.100.7").context == {
        "aws:securetransport": ("false",), "aws:sourceip": ("198.51.100.7",)}


def test_a_door_that_is_an_endpoint_carries_the_vpc_and_the_endpoint_and_no_source_ip(network):
    assert network.origin("vpce-1", "127.0.0.1").context == {
        "aws:securetransport": ("false",), "aws:sourcevpce": ("vpce-1",), "aws:vpcsourceip": ("127.0.0.1",),
        "aws:sourcevpc": ("vpc-1",)}


def test_a_routed_peer_comes_through_the_most_specific_routes_endpoint(network):
    assert network.origin(None, "10.1.9.9").vpc_endpoint == "vpce-1"
    assert network.origin(None, "10.1.2.9").vpc_endpoint == "vpce-2"


def test_an_endpoint_without_a_policy_has_the_default_full_access_policy(network):
    assert network.endpoint_policy("vpce-1").statements[0].effect == "Allow"
    assert json.loads(DEFAULT_ENDPOINT_POLICY)["Statement"][0]["Principal"] == "*"
    assert network.endpoint_policy("vpce-unknown") is None
