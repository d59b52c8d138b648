"""The world file (docs/world.md): the default world, every refusal with the line it names, and a
world applied into a fresh store holding what the file says.

Each refusal test writes its YAML from line 1 and lets ``refusal`` append whatever of ``version``,
``region``, ``accounts`` and ``doors`` it does not give, so the line numbers asserted are those
of the text in the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import jsonschema
import orjson
import pytest

from moatdb.auth.directory import Directory
from moatdb.auth.network import Door, Endpoint, Network, Route, Vpc
from moatdb.auth.organization import RCP, SCP, Organization
from moatdb.simulation import Simulation, simulate
from moatdb.storage.sqlite import SqliteStore
from moatdb.world import World, WorldError, applied, apply, default_path, load
from moatdb.world.schema import SCHEMA

MOATDB = str(Path(sys.executable).parent / "moatdb")
DOCS = Path(__file__).parents[2] / "docs" / "world.md"
PROD_TABLE = "arn:aws:dynamodb:us-east-1:222222222222:table/Orders"
DEV_TABLE = "arn:aws:dynamodb:us-east-1:333333333333:table/Orders"
PROD_VPC, PROD_VPCE = "vpc-0prod0000000000", "vpce-0prod000000000"
FULL_AWS_ACCESS = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
# What a refusal test does not write itself.
DEFAULTS = {
    "version": "version: 1\n",
    "region": "region: us-east-1\n",
    "accounts": 'accounts:\n  "111111111111":\n    name: one\n',
    "doors": 'doors:\n  - name: public\n    listen: "127.0.0.1:8000"\n',
}
ALLOW_ALL = '{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}'
KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch) -> None:
    """Every test works in its tmp_path, where its world file is world.yaml, as its refusals name it."""
    monkeypatch.chdir(tmp_path)


def completed(text: str) -> str:
    body = dedent(text)
    for key, default in DEFAULTS.items():
        if not re.search(rf"^{key}:", body, re.MULTILINE):
            body += default
    return body


def world(text: str) -> World:
    path = Path("world.yaml")
    path.write_text(completed(text))
    return load(path)


def refusal(text: str) -> str:
    with pytest.raises(WorldError) as refused:
        world(text)
    return str(refused.value)


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "db.sqlite3")
    yield store
    store.close()


# --- the default world ---------------------------------------------------------------------------


def test_the_default_world_loads_as_the_vpc_only_pattern():
    default = load(default_path())
    assert default.region == "us-east-1"
    assert default.management_account == "111111111111"
    assert [account.id for account in default.accounts] == ["111111111111", "222222222222", "333333333333"]
    prod, dev = default.organization.root.units
    assert (prod.name, prod.policies, [m.account for m in prod.accounts]) == ("prod", ("vpc-only",), ["222222222222"])
    assert (dev.name, dev.policies, [m.account for m in dev.accounts]) == ("dev", (), ["333333333333"])
    (scp,) = default.organization.policies
    assert scp.type == "SCP"
    assert orjson.loads(scp.document)["Statement"][0]["Condition"] == {
        "StringNotEquals": {"aws:SourceVpc": PROD_VPC},
        "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}
    assert default.network.vpcs == (Vpc(PROD_VPC, "222222222222", "10.10.0.0/16"),)
    assert default.network.endpoints == (Endpoint(PROD_VPCE, PROD_VPC, None),)
    assert default.network.doors == (Door("public", "127.0.0.1", 8000), Door("prod-vpce", "127.0.0.1", 8001, PROD_VPCE))
    assert default.network.routes == (Route("10.10.0.0/16", PROD_VPCE),)


def test_the_default_world_keeps_prod_inside_its_vpc_once_applied(store):
    apply(load(default_path()), store)
    directory = Directory(store)

    def allowed(principal: str, resource: str, **origin) -> bool:
        decision, _ = simulate(directory, Simulation(principal, "dynamodb:GetItem", resource, **origin),
                               region="us-east-1")
        return decision.allowed

    app = "arn:aws:iam::222222222222:role/app"
    through_prod_vpc = {"vpc": PROD_VPC, "vpc_endpoint": PROD_VPCE, "source_ip": "10.10.0.7"}
    assert not allowed(app, PROD_TABLE)
    assert allowed(app, PROD_TABLE, **through_prod_vpc)
    assert not allowed("arn:aws:iam::222222222222:user/developer", PROD_TABLE)
    assert allowed("arn:aws:iam::222222222222:user/developer", PROD_TABLE, **through_prod_vpc)
    assert allowed("arn:aws:iam::222222222222:role/break-glass", PROD_TABLE)
    assert allowed("arn:aws:iam::333333333333:user/developer", DEV_TABLE)
    assert allowed("arn:aws:iam::111111111111:user/admin", "arn:aws:dynamodb:us-east-1:111111111111:table/Orders")
    assert not allowed("arn:aws:iam::111111111111:user/admin", PROD_TABLE)  # another account's table


# --- YAML ----------------------------------------------------------------------------------------


def test_yaml_that_does_not_parse_is_refused_at_its_line():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one: two
        """) == "world.yaml:3: not valid YAML: mapping values are not allowed here"


def test_an_empty_file_is_refused():
    Path("world.yaml").write_text("")
    with pytest.raises(WorldError) as refused:
        load(Path("world.yaml"))
    assert str(refused.value) == "world.yaml:1: the file is empty"


def test_a_file_that_cannot_be_read_is_refused_without_a_line():
    with pytest.raises(WorldError) as refused:
        load(Path("missing.yaml"))
    assert str(refused.value) == "missing.yaml: cannot read the world file: No such file or directory"
    assert refused.value.line is None


def test_a_key_given_twice_is_refused_at_the_second():
    assert refusal("""\
        region: us-east-1
        version: 1
        region: eu-west-1
        """) == "world.yaml:3: region: duplicate key 'region'"


def test_yaml_1_1_surprises_stay_strings():
    # Unquoted: 2012-10-17 is no date, yes is no boolean, an account id key no number.
    loaded = world("""\
        accounts:
          111111111111:
            name: yes
            roles:
              - name: reader
                trust:
                  Version: 2012-10-17
                  Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: sts:AssumeRole}]
        """)
    (account,) = loaded.accounts
    assert (account.id, account.name) == ("111111111111", "yes")
    assert orjson.loads(account.roles[0].trust)["Version"] == "2012-10-17"


def test_top_level_x_keys_hold_anchors_for_aliases_elsewhere():
    loaded = world("""\
        x-trust: &trust
          Version: "2012-10-17"
          Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: sts:AssumeRole}]
        accounts:
          "111111111111":
            name: one
            roles:
              - {name: reader, trust: *trust}
              - {name: writer, trust: *trust}
        """)
    reader, writer = loaded.accounts[0].roles
    assert reader.trust == writer.trust
    assert orjson.loads(reader.trust)["Statement"][0]["Principal"] == {"AWS": "111111111111"}


def test_a_yaml_tag_other_than_plain_data_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: !!binary b25l
        """) == "world.yaml:3: accounts.111111111111.name: unsupported YAML tag tag:yaml.org,2002:binary"


def test_an_alias_inside_its_own_anchor_is_refused():
    assert refusal("x-loop: &loop [*loop]\n") == "world.yaml:1: x-loop[0]: an alias refers to a node that contains it"


def test_a_policy_document_may_be_a_string_of_json():
    loaded = world("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                policies:
                  all: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
        """)
    assert loaded.accounts[0].users[0].policies["all"].startswith('{"Version": "2012-10-17"')


# --- the schema ----------------------------------------------------------------------------------


def test_an_unknown_key_is_refused_at_its_line_with_the_keys_expected():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                polices: {}
        """) == ("world.yaml:6: accounts.111111111111.users[0].polices: unknown key 'polices' (expected one of: "
                 "name, path, policies, managed_policies, groups, boundary, tags, access_keys)")


def test_an_unknown_top_level_key_is_refused():
    assert refusal("""\
        version: 1
        network: {}
        """) == ("world.yaml:2: network: unknown key 'network' (expected one of: version, region, organization, "
                 "policies, accounts, doors, routes, trusted_proxies, break_glass, x-...)")


def test_a_missing_key_is_refused_at_the_mapping_that_lacks_it():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            roles:
              - name: app
                description: no trust policy
        """) == "world.yaml:5: accounts.111111111111.roles[0]: missing key 'trust'"


def test_a_number_where_a_string_belongs_is_refused_with_a_hint_to_quote_it():
    assert refusal("""\
        organization:
          management_account: 111111111111
        """) == ("world.yaml:2: organization.management_account: expected an account id (12 digits), "
                 "not the number 111111111111 (quote it)")


def test_a_wrong_type_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users: {name: alice}
        """) == "world.yaml:4: accounts.111111111111.users: expected a list, not a mapping"


def test_an_account_id_that_is_not_12_digits_is_refused():
    assert refusal("""\
        accounts:
          "11111111111":
            name: one
        """) == "world.yaml:2: accounts.11111111111: expected an account id (12 digits), not '11111111111'"


def test_an_account_id_with_a_trailing_newline_is_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111\\n"
        """) == ("world.yaml:2: organization.management_account: expected an account id (12 digits), "
                 "not '111111111111\\n'")


def test_another_version_is_refused():
    assert refusal("version: 2\n") == "world.yaml:1: version: expected version 1 (the only version of the world file), not 2"


def test_a_region_that_is_not_a_region_name_is_refused():
    assert refusal("region: US East\n") == "world.yaml:1: region: expected a region name such as us-east-1, not 'US East'"


def test_a_world_without_doors_is_refused():
    assert refusal("doors: []\n") == "world.yaml:1: doors: expected at least one door, not none"


def test_a_role_session_longer_than_12_hours_is_refused():
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            roles:
              - name: app
                trust: {ALLOW_ALL}
                max_session_duration: 43201
        """) == ("world.yaml:7: accounts.111111111111.roles[0].max_session_duration: expected a number of seconds "
                 "from 3600 to 43200, not 43201")


def test_more_than_ten_managed_policies_are_refused():
    policies = ", ".join(f"p{index}" for index in range(11))
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                managed_policies: [{policies}]
        """) == ("world.yaml:6: accounts.111111111111.users[0].managed_policies: expected at most 10 managed "
                 "policies (IAM's quota per user, group or role), not 11")


def test_a_policy_listed_twice_is_refused_at_the_second():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                managed_policies:
                  - arn:aws:iam::aws:policy/AdministratorAccess
                  - arn:aws:iam::aws:policy/AdministratorAccess
        """) == ("world.yaml:8: accounts.111111111111.users[0].managed_policies[1]: "
                 "'arn:aws:iam::aws:policy/AdministratorAccess' is listed twice")


def test_a_tag_key_in_the_aws_namespace_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                tags:
                  team: data
                  aws:owner: me
        """) == ("world.yaml:8: accounts.111111111111.users[0].tags['aws:owner']: expected a tag key (1 to 128 "
                 "characters, not starting with aws:), not 'aws:owner'")


def test_an_access_key_secret_that_is_not_40_characters_is_refused():
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                access_keys: [{{id: {KEY_ID}, secret: short}}]
        """) == ("world.yaml:6: accounts.111111111111.users[0].access_keys[0].secret: expected a secret access key "
                 "(40 characters of A-Z, a-z, 0-9, /, + and =), not 'short'")


def test_the_first_problem_in_the_file_is_the_one_reported():
    assert refusal("""\
        region: nowhere
        version: 3
        """) == "world.yaml:1: region: expected a region name such as us-east-1, not 'nowhere'"


# --- references ----------------------------------------------------------------------------------


def test_an_organization_account_not_in_accounts_is_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            accounts: ["222222222222"]
        """) == "world.yaml:4: organization.root.accounts[0]: account 222222222222 is not in accounts"


def test_a_management_account_not_in_accounts_is_refused():
    assert refusal("""\
        organization:
          management_account: "999999999999"
        """) == "world.yaml:2: organization.management_account: account 999999999999 is not in accounts"


def test_an_unknown_organization_policy_is_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            units:
              - name: prod
                policies: [vpc-onyl]
        """) == "world.yaml:6: organization.root.units[0].policies[0]: no policy 'vpc-onyl' in policies"


def test_full_aws_access_named_as_a_policy_is_refused_as_attached_already():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            policies: [FullAWSAccess]
        """) == ("world.yaml:4: organization.root.policies[0]: no policy 'FullAWSAccess' in policies "
                 "(attached everywhere already)")


def test_an_unknown_group_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            groups: [{name: readers}]
            users:
              - name: alice
                groups: [readers, writers]
        """) == "world.yaml:7: accounts.111111111111.users[0].groups[1]: no group 'writers' in this account's groups"


def test_an_unknown_aws_managed_policy_is_refused_with_those_moatdb_knows():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
        """) == ("world.yaml:6: accounts.111111111111.users[0].managed_policies[0]: moatdb knows no AWS managed "
                 "policy arn:aws:iam::aws:policy/ReadOnlyAccess (it knows AdministratorAccess, "
                 "AmazonDynamoDBFullAccess, AmazonDynamoDBReadOnlyAccess, IAMFullAccess)")


def test_an_unknown_customer_managed_policy_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            roles:
              - name: app
                trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: sts:AssumeRole}]}
                boundary: limits
        """) == ("world.yaml:7: accounts.111111111111.roles[0].boundary: no managed policy 'limits' in this "
                 "account's managed_policies, and not an AWS managed policy (arn:aws:iam::aws:policy/NAME)")


def test_another_accounts_managed_policy_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            groups:
              - name: readers
                managed_policies: ["arn:aws:iam::222222222222:policy/reads"]
        """) == ("world.yaml:6: accounts.111111111111.groups[0].managed_policies[0]: "
                 "arn:aws:iam::222222222222:policy/reads belongs to account 222222222222: a user, group or role "
                 "can only be given its own account's managed policies and AWS managed ones")


def test_an_unknown_door_endpoint_is_refused():
    assert refusal("""\
        doors:
          - name: public
            listen: 127.0.0.1:8000
          - name: vpce
            listen: 127.0.0.1:8001
            endpoint: vpce-0nowhere
        """) == "world.yaml:6: doors[1].endpoint: no VPC endpoint vpce-0nowhere in any account's vpcs"


def test_an_unknown_route_endpoint_is_refused():
    assert refusal("""\
        routes:
          - source: 10.0.0.0/8
            endpoint: vpce-0nowhere
        """) == "world.yaml:3: routes[0].endpoint: no VPC endpoint vpce-0nowhere in any account's vpcs"


# --- duplicates ----------------------------------------------------------------------------------


def test_user_names_differing_only_in_case_are_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
              - name: Alice
        """) == ("world.yaml:6: accounts.111111111111.users[1].name: a user named 'alice' is already in this "
                 "account (IAM names are unique regardless of case)")


def test_an_account_placed_twice_in_the_organization_is_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            accounts: ["222222222222"]
            units:
              - name: prod
                accounts: ["222222222222"]
        accounts:
          "111111111111": {name: one}
          "222222222222": {name: two}
        """) == ("world.yaml:7: organization.root.units[0].accounts[0]: account 222222222222 is already placed "
                 "at organization.root.accounts[0]")


def test_two_ous_of_one_name_under_one_parent_are_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            units:
              - name: prod
              - name: prod
        """) == "world.yaml:6: organization.root.units[1].name: an OU named 'prod' is already under this parent"


def test_a_vpc_declared_twice_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            vpcs: [{id: vpc-0a, cidr: 10.0.0.0/16}]
          "222222222222":
            name: two
            vpcs: [{id: vpc-0a, cidr: 10.1.0.0/16}]
        """) == ("world.yaml:7: accounts.222222222222.vpcs[0].id: VPC vpc-0a is already declared at "
                 "accounts.111111111111.vpcs[0].id")


def test_an_access_key_given_twice_is_refused():
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                access_keys: [{{id: {KEY_ID}, secret: "{SECRET}"}}]
              - name: bob
                access_keys: [{{id: {KEY_ID}, secret: "{SECRET}"}}]
        """) == (f"world.yaml:8: accounts.111111111111.users[1].access_keys[0].id: access key {KEY_ID} is already "
                 "given at accounts.111111111111.users[0].access_keys[0].id")


def test_a_door_name_given_twice_is_refused():
    assert refusal("""\
        doors:
          - name: public
            listen: 127.0.0.1:8000
          - name: public
            listen: 127.0.0.1:8001
        """) == "world.yaml:4: doors[1].name: door public is already declared at doors[0].name"


# --- doors and ranges ----------------------------------------------------------------------------


def test_two_doors_on_one_address_are_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            vpcs:
              - id: vpc-0a
                cidr: 10.0.0.0/16
                endpoints: [{id: vpce-0a}]
        doors:
          - name: public
            listen: 127.0.0.1:8000
          - name: vpce
            listen: 127.0.0.1:8000
            endpoint: vpce-0a
        """) == ("world.yaml:12: doors[1].listen: 127.0.0.1:8000 cannot be listened on beside door 'public', "
                 "which has port 8000 on 127.0.0.1")


def test_a_door_on_a_port_a_wildcard_door_takes_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            vpcs:
              - id: vpc-0a
                cidr: 10.0.0.0/16
                endpoints: [{id: vpce-0a}]
        doors:
          - name: public
            listen: 0.0.0.0:8000
          - name: vpce
            listen: "[::1]:8000"
            endpoint: vpce-0a
        """) == ("world.yaml:12: doors[1].listen: [::1]:8000 cannot be listened on beside door 'public', "
                 "which has port 8000 on 0.0.0.0")


def test_doors_on_port_0_do_not_conflict():
    loaded = world("""\
        accounts:
          "111111111111":
            name: one
            vpcs: [{id: vpc-0a, cidr: 10.0.0.0/16, endpoints: [{id: vpce-0a}]}]
        doors:
          - {name: public, listen: "127.0.0.1:0"}
          - {name: vpce, listen: "127.0.0.1:0", endpoint: vpce-0a}
        """)
    assert [door.port for door in loaded.network.doors] == [0, 0]


def test_a_second_public_door_is_refused():
    assert refusal("""\
        doors:
          - name: public
            listen: 127.0.0.1:8000
          - name: also-public
            listen: 127.0.0.1:8001
        """) == ("world.yaml:4: doors[1]: a second public door (door 'public' is the public one): every other "
                 "door names the VPC endpoint it is")


def test_an_address_that_is_not_an_ip_address_is_refused():
    assert refusal("""\
        doors:
          - name: public
            listen: 127.0.0.300:8000
        """) == "world.yaml:3: doors[0].listen: '127.0.0.300' is not an IP address"


def test_an_ipv4_address_in_brackets_is_refused():
    assert refusal("""\
        doors:
          - name: public
            listen: "[127.0.0.1]:8000"
        """) == ("world.yaml:3: doors[0].listen: write an IPv6 address in brackets ([::1]:8000), and an IPv4 "
                 "address without")


def test_a_range_with_host_bits_set_is_refused():
    assert refusal("""\
        trusted_proxies:
          - 10.0.0.0/8
          - 10.10.0.1/16
        """) == "world.yaml:3: trusted_proxies[1]: '10.10.0.1/16' is not an address range: 10.10.0.1/16 has host bits set"


# --- policy documents ----------------------------------------------------------------------------


def test_a_malformed_scp_is_refused_in_organizations_words():
    assert refusal("""\
        organization:
          management_account: "111111111111"
        policies:
          no-version:
            type: SCP
            document:
              Statement: [{Effect: Deny, Action: "dynamodb:*", Resource: "*"}]
        """) == ("world.yaml:6: policies.no-version.document: malformed SCP: The provided policy document doesn't "
                 "meet the requirements of the specified policy type.")


def test_a_trust_policy_with_a_resource_is_refused_in_iams_words():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            roles:
              - name: app
                trust:
                  Version: "2012-10-17"
                  Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: sts:AssumeRole, Resource: "*"}]
        """) == ("world.yaml:6: accounts.111111111111.roles[0].trust: malformed trust policy: Has prohibited field "
                 "Resource")


def test_an_endpoint_policy_without_a_principal_is_refused():
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            vpcs:
              - id: vpc-0a
                cidr: 10.0.0.0/16
                endpoints:
                  - id: vpce-0a
                    policy: {ALLOW_ALL}
        """) == ("world.yaml:9: accounts.111111111111.vpcs[0].endpoints[0].policy: malformed VPC endpoint "
                 "policy: Missing required field Principal")


def test_a_managed_policy_that_is_not_json_is_refused():
    assert refusal("""\
        accounts:
          "111111111111":
            name: one
            managed_policies:
              - name: reads
                document: '{"Version": "2012-10-17",'
        """) == ("world.yaml:6: accounts.111111111111.managed_policies[0].document: malformed managed policy: "
                 "This policy contains invalid Json")


def test_inline_policies_beyond_their_entitys_quota_are_refused():
    actions = ", ".join(f'"dynamodb:Action{index:04}"' for index in range(60))
    document = f'{{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: [{actions}], Resource: "*"}}]}}'
    assert refusal(f"""\
        accounts:
          "111111111111":
            name: one
            users:
              - name: alice
                policies:
                  first: {document}
                  second: {document}
        """) == ("world.yaml:6: accounts.111111111111.users[0].policies: the inline policies of this user add up "
                 "to 2806 characters; IAM allows 2048 per user")


# --- the organization's rules --------------------------------------------------------------------


def test_organization_policies_without_an_organization_are_refused():
    assert refusal(f"""\
        policies:
          deny-all:
            type: SCP
            document: {ALLOW_ALL}
        """) == "world.yaml:1: policies: SCPs and RCPs need an organization: add organization, or remove policies"


def test_a_policy_named_after_an_aws_managed_one_is_refused():
    assert refusal(f"""\
        organization:
          management_account: "111111111111"
        policies:
          FullAWSAccess:
            type: SCP
            document: {ALLOW_ALL}
        """) == ("world.yaml:4: policies.FullAWSAccess: FullAWSAccess is AWS's own policy, already attached to "
                 "every root, OU and account")


def test_ous_nested_more_than_five_deep_are_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            units:
              - name: a
                units:
                  - name: b
                    units:
                      - name: c
                        units:
                          - name: d
                            units:
                              - name: e
                                units:
                                  - name: f
        """) == "world.yaml:15: organization.root.units[0].units[0].units[0].units[0].units[0].units[0].name: " \
                "OUs nest at most 5 levels deep under the root"


def test_ous_five_deep_are_applied(store):
    apply(world("""\
        organization:
          management_account: "111111111111"
          root:
            units:
              - name: a
                units:
                  - name: b
                    units:
                      - name: c
                        units:
                          - name: d
                            units:
                              - name: e
                                accounts: ["222222222222"]
        accounts:
          "111111111111": {name: one}
          "222222222222": {name: two}
        """), store)
    assert len(Organization(store).chain("222222222222")) == 7  # the root, five OUs, the account


def test_detaching_full_aws_access_where_no_other_scp_is_attached_is_refused():
    assert refusal("""\
        organization:
          management_account: "111111111111"
          root:
            units:
              - name: prod
                full_aws_access: false
        """) == ("world.yaml:6: organization.root.units[0].full_aws_access: FullAWSAccess can only be detached "
                 "where another SCP is attached: Organizations keeps at least one SCP on every root, OU and account")


# --- applying ------------------------------------------------------------------------------------


RICH = """\
organization:
  id: o-exampleorg1
  management_account: "111111111111"
  root:
    id: r-ex01
    policies: [no-leaving]
    units:
      - name: workloads
        id: ou-ex01-aaaaaaaa
        units:
          - name: prod
            id: ou-ex01-bbbbbbbb
            policies: [vpc-only, allow-dynamodb]
            full_aws_access: false
            accounts:
              - id: "222222222222"
                policies: [org-only]
      - name: security
        accounts: ["111111111111"]
policies:
  no-leaving:
    type: SCP
    id: p-noleaving
    document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*"}]}
  allow-dynamodb:
    type: SCP
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["dynamodb:*", "sts:*"], Resource: "*"}]}
  vpc-only:
    type: SCP
    document:
      Version: "2012-10-17"
      Statement:
        - Effect: Deny
          Action: "dynamodb:*"
          Resource: "*"
          Condition: {StringNotEquals: {aws:SourceVpc: vpc-0a}}
  org-only:
    type: RCP
    description: Only the organization's principals
    document:
      Version: "2012-10-17"
      Statement:
        - Effect: Deny
          Principal: "*"
          Action: "dynamodb:*"
          Resource: "*"
          Condition: {StringNotEqualsIfExists: {aws:PrincipalOrgID: o-exampleorg1}}
accounts:
  "111111111111":
    name: management
  "222222222222":
    name: prod
    managed_policies:
      - name: reads
        path: /data/
        description: Read the tables
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "dynamodb:GetItem", Resource: "*"}]}
    groups:
      - name: readers
        managed_policies: [reads]
        policies:
          list: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "dynamodb:ListTables", Resource: "*"}]}
    users:
      - name: alice
        path: /people/
        groups: [readers]
        boundary: arn:aws:iam::222222222222:policy/data/reads
        tags: {team: data}
        access_keys:
          - {id: AKIAIOSFODNN7EXAMPLE, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}
      - name: robot
        access_keys: []
    roles:
      - name: app
        description: The application
        max_session_duration: 7200
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "222222222222"}, Action: sts:AssumeRole}]}
        managed_policies: [arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess]
        boundary: reads
        tags: {tier: web}
    vpcs:
      - id: vpc-0a
        cidr: 10.0.0.0/16
        endpoints:
          - id: vpce-0a
            policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", Action: "dynamodb:*", Resource: "*"}]}
  "444444444444":
    name: partner
doors:
  - name: public
    listen: 127.0.0.1:8000
  - name: vpce
    listen: "[::1]:8001"
    endpoint: vpce-0a
routes: [{source: 10.0.0.0/16, endpoint: vpce-0a}]
trusted_proxies: [192.0.2.10/32]
"""


def test_a_world_applied_holds_the_principals_the_file_declares(store):
    log = apply(world(RICH), store)
    directory = Directory(store)
    assert sorted(account.id for account in directory.accounts()) == ["111111111111", "222222222222", "444444444444"]
    (reads,) = directory.policies("222222222222")
    assert (reads.arn, reads.description) == ("arn:aws:iam::222222222222:policy/data/reads", "Read the tables")
    readers = directory.group("222222222222", "readers")
    assert (readers.members, readers.managed_policies, list(readers.inline_policies)) == (
        ("alice",), (reads.arn,), ["list"])
    alice = directory.user("222222222222", "alice")
    assert (alice.arn, alice.boundary, alice.tags) == (
        "arn:aws:iam::222222222222:user/people/alice", reads.arn, {"team": "data"})
    ((key_id, secret),) = [(key.id, key.secret) for key in directory.access_keys("222222222222", "alice")]
    assert (key_id, secret) == (KEY_ID, SECRET)
    assert directory.access_keys("222222222222", "robot") == []
    app = directory.role("222222222222", "app")
    assert (app.description, app.max_session_duration, app.boundary, app.tags, app.managed_policies) == (
        "The application", 7200, reads.arn, {"tier": "web"}, ("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",))
    assert orjson.loads(app.trust_policy)["Statement"][0]["Principal"] == {"AWS": "222222222222"}
    assert "user arn:aws:iam::222222222222:user/people/alice, access keys AKIAIOSFODNN7EXAMPLE (from the world file)" in log
    assert "user arn:aws:iam::222222222222:user/robot, no access key" in log
    assert not any(SECRET in line for line in log)


def test_a_user_without_access_keys_in_the_file_gets_one_generated(store):
    log = apply(world("""\
        accounts:
          "111111111111":
            name: one
            users: [{name: alice}]
        """), store)
    (key,) = Directory(store).access_keys("111111111111", "alice")
    assert key.id.startswith("AKIA") and len(key.secret) == 40
    assert f"user arn:aws:iam::111111111111:user/alice, access key {key.id} (generated)" in log


def test_a_world_applied_holds_the_organization_the_file_declares(store):
    log = apply(world(RICH), store)
    organizations = Organization(store)
    record = organizations.organization()
    assert (record.id, record.root, record.management_account) == ("o-exampleorg1", "r-ex01", "111111111111")
    assert organizations.chain("222222222222") == ["r-ex01", "ou-ex01-aaaaaaaa", "ou-ex01-bbbbbbbb", "222222222222"]
    security = next(unit for unit in organizations.units() if unit.name == "security")
    assert organizations.member("111111111111").parent == security.id  # moved into its OU
    assert organizations.member("444444444444") is None
    assert "account 444444444444 is outside the organization" in log
    names = {policy.id: policy.name for policy in organizations.policies()}
    scps = [[names[policy.id.rsplit("/", 1)[-1]] for policy in level]
            for level in organizations.path("222222222222", SCP)]
    assert [sorted(level) for level in scps] == [
        ["FullAWSAccess", "no-leaving"], ["FullAWSAccess"], ["allow-dynamodb", "vpc-only"], ["FullAWSAccess"]]
    rcps = [[names[policy.id.rsplit("/", 1)[-1]] for policy in level]
            for level in organizations.path("222222222222", RCP)]
    assert [sorted(level) for level in rcps] == [
        ["RCPFullAWSAccess"], ["RCPFullAWSAccess"], ["RCPFullAWSAccess"], ["RCPFullAWSAccess", "org-only"]]
    assert organizations.policy("p-noleaving").name == "no-leaving"


def test_the_default_scp_binds_the_prod_ou_and_not_the_management_account(store):
    apply(load(default_path()), store)
    organizations = Organization(store)
    assert organizations.path("111111111111", SCP) is None
    prod_ou = next(unit for unit in organizations.units() if unit.name == "prod")
    vpc_only = next(policy for policy in organizations.policies(SCP) if policy.name == "vpc-only")
    assert vpc_only.targets == (prod_ou.id,)
    levels = organizations.path("222222222222", SCP)
    assert [sorted(policy.id for policy in level) for level in levels] == [
        [FULL_AWS_ACCESS], sorted([FULL_AWS_ACCESS, f"arn:aws:organizations::111111111111:policy/"
                                   f"{organizations.organization().id}/service_control_policy/{vpc_only.id}"]),
        [FULL_AWS_ACCESS]]
    assert [[policy.id for policy in level] for level in organizations.path("333333333333", SCP)] == [
        [FULL_AWS_ACCESS]] * 3


def test_a_world_applied_holds_the_network_the_file_declares(store):
    loaded = world(RICH)
    apply(loaded, store)
    config = Network(store).config()
    assert config == loaded.network
    assert config.doors[1] == Door("vpce", "::1", 8001, "vpce-0a")
    assert config.trusted_proxies == ("192.0.2.10/32",)
    assert Network(store).endpoint_policy("vpce-0a").statements[0].actions.matches("dynamodb:getitem")


def test_a_world_without_an_organization_applies_standalone_accounts(store):
    apply(world("""\
        accounts:
          "111111111111":
            name: one
        """), store)
    assert Organization(store).organization() is None
    assert [account.id for account in Directory(store).accounts()] == ["111111111111"]


def test_the_store_remembers_the_world_applied_to_it(store):
    loaded = world("")
    assert applied(store) is None
    apply(loaded, store)
    remembered = applied(store)
    assert (remembered.file, remembered.sha256) == ("world.yaml", loaded.digest)
    assert len(loaded.digest) == 64


def test_a_store_holding_a_world_is_refused(store):
    apply(world(""), store)
    with pytest.raises(WorldError) as refused:
        apply(load(default_path()), store)
    assert str(refused.value) == (
        f"{default_path()}: the data directory already holds the world of world.yaml "
        f"(sha256 {applied(store).sha256[:12]}...): a world is applied to a new data directory only")


def test_a_store_holding_an_organization_is_refused(store):
    directory = Directory(store)
    directory.create_account("999999999999", "other")
    Organization(store).create("999999999999", org_id="o-aaaaaaaaaa")
    with pytest.raises(WorldError) as refused:
        apply(load(default_path()), store)
    assert str(refused.value) == (f"{default_path()}: the data directory already holds an organization "
                                  "(o-aaaaaaaaaa): a world is applied to a new data directory only")


def test_a_store_holding_one_of_the_worlds_accounts_is_refused(store):
    Directory(store).create_account("222222222222", "someone's")
    with pytest.raises(WorldError) as refused:
        apply(load(default_path()), store)
    assert str(refused.value).endswith("already holds account 222222222222: a world is applied to a new data "
                                       "directory only")
    assert Organization(store).organization() is None


def test_a_store_holding_other_accounts_takes_a_world(store):
    # The bootstrap account of a data directory started without a world is no world.
    directory = Directory(store)
    directory.create_account("000000000000", "default")
    directory.create_user("000000000000", "admin")
    apply(load(default_path()), store)
    assert directory.user("111111111111", "admin") is not None


def test_apply_attaches_policies_as_the_file_says(store):
    apply(world(f"""\
        accounts:
          "111111111111":
            name: one
            groups:
              - name: admins
                managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]
            users:
              - name: alice
                groups: [admins]
                policies:
                  all: {ALLOW_ALL}
        """), store)
    directory = Directory(store)
    assert directory.group("111111111111", "admins").managed_policies == (
        "arn:aws:iam::aws:policy/AdministratorAccess",)
    assert [group.name for group in directory.groups_of("111111111111", "alice")] == ["admins"]
    assert orjson.loads(directory.user("111111111111", "alice").inline_policies["all"])["Statement"][0]["Action"] == "*"


# --- the schema, the docs, `moatdb init` ---------------------------------------------------------


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def _fields(schema: dict) -> set[str]:
    found = set()
    for name, value in schema.items():
        if name == "properties":
            found |= set(value)
        if isinstance(value, dict):
            found |= _fields(value)
    return found


def test_every_field_of_the_schema_is_documented():
    documented = DOCS.read_text()
    assert sorted(field for field in _fields(SCHEMA) if f"`{field}`" not in documented) == []


def test_init_writes_the_default_world(tmp_path):
    done = subprocess.run([MOATDB, "init", "--output", str(tmp_path / "world.yaml")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "world.yaml").read_text() == default_path().read_text()
    assert f"moatdb serve --world {tmp_path / 'world.yaml'}" in done.stdout
    assert load(tmp_path / "world.yaml").management_account == "111111111111"


def test_init_refuses_to_overwrite_a_file(tmp_path):
    existing = tmp_path / "world.yaml"
    existing.write_text("mine\n")
    done = subprocess.run([MOATDB, "init", "--output", str(existing)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"Error: {existing} exists: not overwritten (remove it, or give another --output)\n"
    assert existing.read_text() == "mine\n"


def test_init_writes_world_yaml_in_the_current_directory_by_default(tmp_path):
    done = subprocess.run([MOATDB, "init"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "world.yaml").read_text() == default_path().read_text()


def test_init_prints_the_default_world_to_standard_output_given_a_dash(tmp_path):
    done = subprocess.run([MOATDB, "init", "--output", "-"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == default_path().read_text()
    assert list(tmp_path.iterdir()) == []
