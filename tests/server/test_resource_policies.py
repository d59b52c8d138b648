"""Table resource-based policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
CreateTable's ResourcePolicy, and the policy enforced on every request to the table, as boto3 sees it.

Sources, cited by each test:
- [put], [get], [delete], [create]: DynamoDB API Reference, PutResourcePolicy, GetResourcePolicy,
  DeleteResourcePolicy, CreateTable (parameters, ExpectedRevisionId and NO_POLICY, idempotency,
  PolicyNotFoundException, the 20 KB limit counting white space, "You need to specify the CreateTable
  and PutResourcePolicy IAM actions").
- [considerations]: Developer Guide, "Resource-based policy considerations".
- [bpa]: Developer Guide, "Blocking public access with resource-based policies" (the trusted keys).
- [authorization]: Developer Guide, "Authorization with IAM identity-based policies and DynamoDB
  resource-based policies" (same account: the resource-based policy is enough; across accounts both).
- [cross-account]: Developer Guide, "Cross-account access with resource-based policies" and
  "DynamoDB API operations supported by resource-based policies" (which operations cross accounts).
- [iam]: IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic";
  "Troubleshoot access denied error messages" for the wording.
- [quirks DDB-TABLE-nnn]: ack-api-quirks, services/dynamodb, findings verified against live AWS in
  2026 (exact codes and messages).
- [moto]: getmoto/moto's DynamoDB resource-policy tests marked aws_verified (exact messages).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from moatdb.auth.directory import USER
from tests import helpers
from tests.conftest import client_for
from tests.helpers import (
    ACCOUNT,
    INVALID,
    REGION,
    TESTER_ARN,
    S,
    allow,
    body,
    create_table,
    directory_of,
    error,
    new_role,
    new_user,
    policy,
    stored,
    trusting,
)

OTHER_ACCOUNT = "444455556666"  # in no organization: no SCP stands between it and the table
KEY = {"pk": S("artist"), "sk": S("song")}
NOT_FOUND = "Resource-based policy not found for the provided ResourceArn: "
INVALID_DOCUMENT = INVALID + "Invalid policy document: "
LOCKED_OUT = "The new resource policy will not allow you to update the resource policy in the future."


def arn_of(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:dynamodb:{REGION}:{account}:table/{name}"


def grant(principal: str | list[str], action, resource, **extra) -> dict:
    """An Allow statement of a resource-based policy, to the AWS principal(s) given."""
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource,
            **extra}


def refuse(principal, action, resource, **extra) -> dict:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


EXPLICIT_DENY = "with an explicit deny in a resource-based policy"
HASH_ON_DEMAND = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                  "BillingMode": "PAY_PER_REQUEST"}


def denied(who: str, action: str, resource: str, why: str) -> tuple[str, str, int]:
    """What ``error`` answers for AWS's AccessDeniedException: ``why`` is EXPLICIT_DENY or "because no
    ... policy allows the ACTION action" [iam]."""
    message = f"User: {who} is not authorized to perform: {action} on resource: {resource} {why}"
    return "AccessDeniedException", message, 400


def no_policy_allows(kind: str, action: str) -> str:
    return f"because no {kind} allows the {action} action"


def no_identity_policy(who: str, action: str, resource: str) -> tuple[str, str, int]:
    return denied(who, action, resource, no_policy_allows("identity-based policy", action))


def no_table_policy(who: str, action: str, resource: str) -> tuple[str, str, int]:
    return denied(who, action, resource, no_policy_allows("resource-based policy", action))


def ddb_for(server, who) -> object:
    return client_for(server.endpoint, credentials=who.credentials)


@pytest.fixture
def music(ddb) -> Iterator[str]:
    """A fresh table holding one item, deleted at the end by the tester."""
    name = create_table(ddb, name=f"rp-{uuid.uuid4().hex[:10]}")
    ddb.put_item(TableName=name, Item={**KEY, "year": {"N": "2024"}})
    yield name
    ddb.delete_table(TableName=name)


# --- PutResourcePolicy and GetResourcePolicy --------------------------------------------------------------


def test_a_policy_put_on_a_table_reads_back_with_the_revision_id_put_answered(server, ddb, music):
    # [put], [get]; the RevisionId is the epoch-millisecond time of the change [quirks DDB-TABLE-207].
    reader = new_user(server)
    document = policy(grant(reader.arn, "dynamodb:GetItem", arn_of(music)))

    revision = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=document)["RevisionId"]

    assert re.fullmatch(r"\d{13}", revision)
    assert body(ddb.get_resource_policy(ResourceArn=arn_of(music))) == {
        "Policy": json.dumps(json.loads(document), separators=(",", ":")), "RevisionId": revision}


def test_the_policy_reads_back_in_dynamodbs_canonical_form(server, ddb, music):
    # [quirks DDB-TABLE-208, -351, -352, -353, -354, -355]: minified, elements in a fixed order, a
    # one-element list as a string, an account id as its root ARN, one statement object as a list, an
    # Effect in any case accepted, and IAM's default Version shown for a document sent without one.
    reader = new_user(server)
    sent = {"Statement": {"Resource": [arn_of(music)], "Action": ["dynamodb:GetItem"],
                          "Principal": {"AWS": [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", reader.arn]},
                          "Effect": "allow", "Sid": "Readers"}}

    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=json.dumps(sent, indent=4))

    assert ddb.get_resource_policy(ResourceArn=arn_of(music))["Policy"] == (
        '{"Version":"2008-10-17","Statement":[{"Sid":"Readers","Effect":"Allow","Principal":{"AWS":'
        f'["arn:aws:iam::{ACCOUNT}:root","{reader.arn}"]}},"Action":"dynamodb:GetItem",'
        f'"Resource":"{arn_of(music)}"}}]}}')


def test_the_same_document_put_again_keeps_its_revision_and_a_new_one_gets_a_later_one(server, ddb, music):
    # [put]: "running it multiple times on the same resource using the same policy document will return
    # the same revision ID"; an equivalent spelling is the same document [quirks DDB-TABLE-207].
    reader = new_user(server)
    statement = grant(reader.arn, "dynamodb:GetItem", arn_of(music))
    first = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(statement))["RevisionId"]

    again = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, "Action": [statement["Action"]]}]}, indent=2))
    changed = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, ["dynamodb:GetItem", "dynamodb:Query"], arn_of(music))))["RevisionId"]

    assert again["RevisionId"] == first
    assert changed != first and int(changed) > int(first)


def test_a_table_without_a_policy_has_none_to_get(ddb, music):
    # [get]; the message [moto], [quirks DDB-TABLE-205].
    assert error(ddb.get_resource_policy, ResourceArn=arn_of(music)) == (
        "PolicyNotFoundException", NOT_FOUND + arn_of(music), 400)


def test_the_policy_operations_on_a_table_that_does_not_exist_are_not_found(ddb):
    # [quirks DDB-TABLE-212, -214], [moto]: ResourceNotFoundException with DescribeTable's wording.
    arn = arn_of("no-such-table")
    expected = ("ResourceNotFoundException", "Requested resource not found: Table: no-such-table not found",
                400)

    assert error(ddb.get_resource_policy, ResourceArn=arn) == expected
    assert error(ddb.put_resource_policy, ResourceArn=arn,
                 Policy=policy(grant(ACCOUNT, "dynamodb:GetItem", arn))) == expected
    assert error(ddb.delete_resource_policy, ResourceArn=arn) == expected


OWNER_ONLY = "This action is only supported by accounts that match the resource owner’s account."
IN_ANOTHER_REGION = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/music"
IN_ANOTHER_PARTITION = f"arn:aws-cn:dynamodb:{REGION}:{ACCOUNT}:table/music"
AN_INDEX = arn_of("music") + "/index/byYear"
A_BACKUP = arn_of("music") + "/backup/01700000000000-abcdefgh"


@pytest.mark.parametrize(("resource_arn", "message"), [
    ("music", INVALID + "ARNs must start with 'arn:': music"),
    (IN_ANOTHER_REGION, INVALID + f"Invalid resource Arn: {IN_ANOTHER_REGION}"),
    (IN_ANOTHER_PARTITION, INVALID + f"Invalid resource Arn: {IN_ANOTHER_PARTITION}"),
    (arn_of("music", OTHER_ACCOUNT), OWNER_ONLY),
    (AN_INDEX, INVALID + "Invalid resource arn provided, only table or stream is accepted. Provided resource"
                         f" arn: {AN_INDEX}"),
    (A_BACKUP, INVALID + f"Provided Arn is not a DynamoDB resource arn: {A_BACKUP}"),
], ids=["a bare name", "another region", "another partition", "another account", "an index", "a backup"])
def test_a_resource_arn_naming_no_table_or_stream_of_the_callers_own_is_refused(ddb, resource_arn, message):
    # [quirks DDB-TABLE-212]: the same ValidationException from Get, Put and Delete; another account's
    # ARN is refused so even before authorization ([cross-account]: the policy operations do not
    # cross accounts).
    refused = ("ValidationException", message, 400)
    assert error(ddb.get_resource_policy, ResourceArn=resource_arn) == refused
    assert error(ddb.delete_resource_policy, ResourceArn=resource_arn) == refused
    assert error(ddb.put_resource_policy, ResourceArn=resource_arn,
                 Policy=policy(grant(ACCOUNT, "dynamodb:GetItem", "*"))) == refused


def test_a_stream_arn_names_no_stream_of_a_table_without_streams(ddb, music):
    # [quirks DDB-TABLE-212]: a stream label the table does not have is not found.
    arn = arn_of(music) + "/stream/2024-01-01T00:00:00.000"
    assert error(ddb.get_resource_policy, ResourceArn=arn) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Stream: 2024-01-01T00:00:00.000 not found for Table: {music}", 400)


def test_a_stale_expected_revision_id_is_refused_and_the_current_one_accepted(server, ddb, music):
    # [put]: "if the revision ID of the existing policy on the resource doesn't match ... rejected with a
    # PolicyNotFoundException"; the message [moto], [quirks DDB-TABLE-209].
    reader = new_user(server)
    first = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, "dynamodb:GetItem", arn_of(music))))["RevisionId"]
    second = ddb.put_resource_policy(ResourceArn=arn_of(music), ExpectedRevisionId=first, Policy=policy(
        grant(reader.arn, "dynamodb:Query", arn_of(music))))["RevisionId"]

    stale = ("PolicyNotFoundException", NOT_FOUND + f"Requested update for policy with revision id {first},"
             f" but the policy associated to target table {music} has revision id {second}.", 400)
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), ExpectedRevisionId=first,
                 Policy=policy(grant(reader.arn, "dynamodb:Scan", arn_of(music)))) == stale
    assert error(ddb.delete_resource_policy, ResourceArn=arn_of(music), ExpectedRevisionId=first) == stale
    assert ddb.get_resource_policy(ResourceArn=arn_of(music))["RevisionId"] == second


def test_no_policy_as_the_expected_revision_attaches_only_where_there_is_none(server, ddb, music):
    # [put]: "To conditionally attach a policy when no policy exists for the resource, specify NO_POLICY";
    # the refusal's wording [moto].
    reader = new_user(server)
    document = policy(grant(reader.arn, "dynamodb:GetItem", arn_of(music)))
    revision = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=document,
                                       ExpectedRevisionId="NO_POLICY")["RevisionId"]

    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=document,
                 ExpectedRevisionId="NO_POLICY") == (
        "PolicyNotFoundException", NOT_FOUND + "Requested policy update expecting none to be present for"
        f" table {music}, but a policy exists with revision id {revision}.", 400)


def test_an_expected_revision_id_on_a_table_without_a_policy_is_refused(ddb, music):
    # [put], [delete]; AWS's message is on record up to "has no associated" [quirks DDB-TABLE-205].
    refused = ("PolicyNotFoundException", NOT_FOUND + "Requested update for policy with revision id"
               f" 1700000000000, but table {music} has no associated policy.", 400)
    assert error(ddb.delete_resource_policy, ResourceArn=arn_of(music), ExpectedRevisionId="1700000000000") \
        == refused
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), ExpectedRevisionId="1700000000000",
                 Policy=policy(grant(ACCOUNT, "dynamodb:GetItem", arn_of(music)))) == refused


@pytest.mark.parametrize(("document", "message"), [
    ("{not json", INVALID_DOCUMENT + "This policy contains invalid Json"),
    ("", INVALID_DOCUMENT + "This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17", "Statement": []}),
     INVALID_DOCUMENT + "Could not parse the policy: Statement is empty!"),
    (policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "dynamodb:GetItem"}),
     INVALID_DOCUMENT + "Missing required field Resource"),
    (policy({"Sid": "One", **grant(ACCOUNT, "dynamodb:GetItem", "*")},
            {"Sid": "One", **grant(ACCOUNT, "dynamodb:Query", "*")}),
     INVALID_DOCUMENT + "The Statement Ids in the policy are not unique"),
    (policy(allow("dynamodb:GetItem")), INVALID_DOCUMENT + "Missing required field Principal"),
], ids=["malformed JSON", "an empty string", "no statement", "no Resource", "a Sid twice", "no Principal"])
def test_a_document_the_policy_grammar_refuses_is_a_validation_exception(ddb, music, document, message):
    # [quirks DDB-TABLE-211, -356] for DynamoDB's wording; a resource-based policy must name its
    # principal [iam]. Nothing is attached.
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=document) == (
        "ValidationException", message, 400)
    assert error(ddb.get_resource_policy, ResourceArn=arn_of(music))[0] == "PolicyNotFoundException"


def test_a_policy_of_more_than_20_kb_is_refused_counting_its_white_space(ddb, music):
    # [put], [considerations]: 20 KB, "DynamoDB counts whitespaces"; the message [quirks DDB-TABLE-211].
    document = policy(grant(ACCOUNT, "dynamodb:GetItem", arn_of(music)))
    padded = document[:-1] + " " * (20480 - len(document)) + "}"

    assert ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=padded)["RevisionId"]
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=padded[:-1] + " }") == (
        "ValidationException", INVALID + "Maximum policy size of 20480 bytes exceeded", 400)


def test_a_policy_granting_everyone_is_refused_unless_a_trusted_condition_restricts_it(ddb, music):
    # [bpa]: Block Public Access; the message [quirks DDB-TABLE-352, -356]. A Deny to everyone is no grant.
    public = ("Resource-based policy grants unbounded access in one or more elements. Please revise the"
              " policy to ensure least-privilege form of access")
    for principal in ("*", {"AWS": "*"}):
        statement = {"Effect": "Allow", "Principal": principal, "Action": "dynamodb:GetItem", "Resource": "*"}
        assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=policy(statement)) == (
            "ValidationException", public, 400)
    wildcard = {"StringLike": {"aws:PrincipalAccount": "2222*"}}
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=policy(
        {**grant("*", "dynamodb:GetItem", "*"), "Condition": wildcard}))[1] == public

    restricted = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    assert ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        {**grant("*", "dynamodb:GetItem", "*"), "Condition": restricted}))["RevisionId"]
    assert ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        refuse("*", "dynamodb:DeleteItem", "*")))["RevisionId"]


def test_a_policy_naming_a_principal_that_does_not_exist_is_refused(server, ddb, music):
    # [quirks DDB-TABLE-210, -352]: "Invalid principal in policy document.", for a Deny as for an Allow.
    unknown = (f"arn:aws:iam::{ACCOUNT}:user/nobody-{uuid.uuid4().hex[:8]}", "999999999999",
               f"arn:aws:iam::{ACCOUNT}:role/no-role-{uuid.uuid4().hex[:8]}")
    for principal in unknown:
        for statement in (grant(principal, "dynamodb:GetItem", "*"),
                          refuse({"AWS": principal}, "dynamodb:*", "*")):
            assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=policy(statement)) == (
                "ValidationException", INVALID + "Invalid principal in policy document.", 400)


def test_a_policy_that_would_lock_the_caller_out_of_the_policy_needs_its_confirmation(server, ddb, music):
    # [put]: ConfirmRemoveSelfResourceAccess "to confirm that you want to remove your permissions to change
    # the policy of this resource in the future"; refused otherwise with AccessDeniedException
    # [quirks DDB-TABLE-210]. A Deny of DeleteResourcePolicy alone needs no confirmation.
    lockout = policy(refuse("*", "dynamodb:PutResourcePolicy", arn_of(music)))
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=lockout) == (
        "AccessDeniedException", LOCKED_OUT, 400)
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=lockout,
                 ConfirmRemoveSelfResourceAccess=False)[1] == LOCKED_OUT
    assert error(ddb.get_resource_policy, ResourceArn=arn_of(music))[0] == "PolicyNotFoundException"
    assert ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        refuse("*", "dynamodb:DeleteResourcePolicy", arn_of(music))))["RevisionId"]

    assert ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=lockout,
                                   ConfirmRemoveSelfResourceAccess=True)["RevisionId"]
    assert error(ddb.put_resource_policy, ResourceArn=arn_of(music), Policy=policy(
        grant(ACCOUNT, "dynamodb:GetItem", arn_of(music))), ConfirmRemoveSelfResourceAccess=True) == denied(
        TESTER_ARN, "dynamodb:PutResourcePolicy", arn_of(music), EXPLICIT_DENY)


# --- DeleteResourcePolicy ----------------------------------------------------------------------------------


def test_deleting_the_policy_echoes_its_revision_and_deleting_none_answers_nothing(server, ddb, music):
    # [delete]: idempotent, RevisionId "empty if you make a request against a resource without a policy";
    # the removed policy's RevisionId is echoed [quirks DDB-TABLE-205, -209].
    revision = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(ACCOUNT, "dynamodb:GetItem", arn_of(music))))["RevisionId"]

    assert body(ddb.delete_resource_policy(ResourceArn=arn_of(music), ExpectedRevisionId=revision)) == {
        "RevisionId": revision}
    assert error(ddb.get_resource_policy, ResourceArn=arn_of(music))[0] == "PolicyNotFoundException"
    assert body(ddb.delete_resource_policy(ResourceArn=arn_of(music))) == {}


def test_deleting_the_policy_lifts_what_it_granted_from_the_next_request(server, ddb, music):
    # [delete]; a policy change holds from the next request (moatdb applies it at once, AWS eventually).
    reader = new_user(server)
    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, "dynamodb:GetItem", arn_of(music))))
    client = ddb_for(server, reader)
    assert client.get_item(TableName=music, Key=KEY)["Item"]["year"] == {"N": "2024"}

    ddb.delete_resource_policy(ResourceArn=arn_of(music))

    assert error(client.get_item, TableName=music, Key=KEY) == no_identity_policy(
        reader.arn, "dynamodb:GetItem", arn_of(music))


# --- CreateTable's ResourcePolicy, DeleteTable -----------------------------------------------------------


def test_create_table_attaches_its_resource_policy_at_once_and_describe_table_does_not_show_it(server, ddb):
    # [create]: "the policy application is strongly consistent"; DescribeTable shows no policy
    # [quirks DDB-TABLE-233].
    reader = new_user(server)
    name = f"rp-{uuid.uuid4().hex[:10]}"
    document = policy(grant(reader.arn, "dynamodb:GetItem", arn_of(name)))
    ddb.create_table(TableName=name, **HASH_ON_DEMAND, ResourcePolicy=document)
    try:
        ddb.put_item(TableName=name, Item={"pk": S("a")})
        got = ddb.get_resource_policy(ResourceArn=arn_of(name))
        assert json.loads(got["Policy"]) == json.loads(document)
        assert re.fullmatch(r"\d{13}", got["RevisionId"])
        assert ddb_for(server, reader).get_item(TableName=name, Key={"pk": S("a")})["Item"] == {"pk": S("a")}
        described = ddb.describe_table(TableName=name)["Table"]
        assert not {"Policy", "ResourcePolicy", "RevisionId"} & set(described)
    finally:
        ddb.delete_table(TableName=name)


def test_create_table_with_a_resource_policy_also_needs_put_resource_policy(server):
    # [create]: "You need to specify the CreateTable and PutResourcePolicy IAM actions".
    name = f"rp-{uuid.uuid4().hex[:10]}"
    creator = new_user(server, policy(allow("dynamodb:CreateTable")))

    assert error(ddb_for(server, creator).create_table, TableName=name, **HASH_ON_DEMAND,
                 ResourcePolicy=policy(grant(ACCOUNT, "dynamodb:GetItem", arn_of(name)))) \
        == no_identity_policy(creator.arn, "dynamodb:PutResourcePolicy", arn_of(name))


def test_create_table_refuses_a_resource_policy_put_resource_policy_would_refuse(ddb):
    # [create]: the same document rules; nothing is created.
    name = f"rp-{uuid.uuid4().hex[:10]}"
    assert error(ddb.create_table, TableName=name, **HASH_ON_DEMAND, ResourcePolicy="{not json") == (
        "ValidationException", INVALID_DOCUMENT + "This policy contains invalid Json", 400)
    assert error(ddb.describe_table, TableName=name)[0] == "ResourceNotFoundException"


def test_deleting_a_table_deletes_its_policy(server, ddb):
    # [quirks DDB-TABLE-214, -271]: a table created again under the same name starts without one.
    name = create_table(ddb, name=f"rp-{uuid.uuid4().hex[:10]}")
    ddb.put_resource_policy(ResourceArn=arn_of(name),
                            Policy=policy(grant(ACCOUNT, "dynamodb:GetItem", arn_of(name))))
    ddb.delete_table(TableName=name)

    assert error(ddb.get_resource_policy, ResourceArn=arn_of(name))[0] == "ResourceNotFoundException"
    create_table(ddb, name=name)
    try:
        assert error(ddb.get_resource_policy, ResourceArn=arn_of(name))[0] == "PolicyNotFoundException"
    finally:
        ddb.delete_table(TableName=name)


def test_updating_the_table_keeps_its_policy(ddb, music):
    # The policy is the table's until removed: a change of the table's settings leaves it as it was.
    revision = ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(ACCOUNT, "dynamodb:GetItem", arn_of(music))))["RevisionId"]

    ddb.update_table(TableName=music, DeletionProtectionEnabled=False)

    assert ddb.get_resource_policy(ResourceArn=arn_of(music))["RevisionId"] == revision


# --- the policy enforced, within the account ---------------------------------------------------------------


def test_a_table_policy_naming_a_user_lets_it_read_without_any_identity_policy(server, ddb, music):
    # [authorization]: "a resource-based policy is sufficient" within the account; what it does not
    # grant is still the identity-based policies' to allow [iam].
    reader = new_user(server)
    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, "dynamodb:GetItem", arn_of(music))))
    client = ddb_for(server, reader)

    assert client.get_item(TableName=music, Key=KEY)["Item"]["year"] == {"N": "2024"}
    assert error(client.put_item, TableName=music, Item=KEY) == no_identity_policy(
        reader.arn, "dynamodb:PutItem", arn_of(music))


def test_a_table_policy_naming_only_the_account_grants_nothing_by_itself(server, ddb, music):
    # [iam]: a grant to the account delegates to the account's identity-based policies.
    reader = new_user(server)
    ddb.put_resource_policy(ResourceArn=arn_of(music),
                            Policy=policy(grant(ACCOUNT, "dynamodb:GetItem", arn_of(music))))

    assert error(ddb_for(server, reader).get_item, TableName=music, Key=KEY) == no_identity_policy(
        reader.arn, "dynamodb:GetItem", arn_of(music))


def test_the_table_policy_governs_the_tables_indexes(server, ddb, music):
    # [put]: "You can control index permissions using the base table's policy"; [authorization]: the
    # table's policy "also includes the index associated with the table". A Query on an index passes
    # authorization (and then meets the table's lack of that index) exactly when the table policy lets it.
    index = arn_of(music) + "/index/byYear"
    reader = new_user(server)
    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, "dynamodb:Query", arn_of(music) + "/index/*"),
        refuse("*", "dynamodb:Query", index,
               Condition={"StringNotEquals": {"aws:PrincipalArn": reader.arn}})))
    query = {"TableName": music, "IndexName": "byYear", "KeyConditionExpression": "pk = :p",
             "ExpressionAttributeValues": {":p": S("artist")}}

    assert error(ddb_for(server, reader).query, **query) == (
        "ValidationException", "The table does not have the specified index: byYear", 400)
    assert error(ddb.query, **query) == denied(TESTER_ARN, "dynamodb:Query", index, EXPLICIT_DENY)
    assert ddb.query(TableName=music, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("artist")})["Count"] == 1


def test_a_stored_policy_that_no_longer_compiles_denies_all_but_repairing_it(server, ddb, music):
    # Fail closed (docs/resource-policies.md): a document the engine refuses, which moatdb never stores
    # itself, denies every action on the table but managing its policy, so a Deny it held is not lost
    # and the owner can still repair it.
    reader = new_user(server)
    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy(
        grant(reader.arn, "dynamodb:GetItem", arn_of(music))))
    client = ddb_for(server, reader)
    assert client.get_item(TableName=music, Key=KEY)["Item"]
    with directory_of(server) as directory, directory.store.write() as txn:
        name = f"{ACCOUNT}:{REGION}:{music}"
        stored = json.loads(txn.document("dynamodb/table", name))
        stored["policy"]["document"] = json.dumps({"Statement": []})
        txn.put_document("dynamodb/table", name, json.dumps(stored).encode())

    assert error(client.get_item, TableName=music, Key=KEY) == denied(
        reader.arn, "dynamodb:GetItem", arn_of(music), EXPLICIT_DENY)
    assert error(ddb.get_item, TableName=music, Key=KEY)[0] == "AccessDeniedException"  # the administrator too
    ddb.delete_resource_policy(ResourceArn=arn_of(music))
    assert ddb.get_item(TableName=music, Key=KEY)["Item"]


def session_client(server, credentials: dict):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def test_a_table_policy_denying_everyone_but_one_role_holds_even_for_an_administrator(server, ddb):
    # The claim end to end: [iam] an explicit Deny in any applicable policy decides, so the
    # AdministratorAccess tester is refused everything on the table, its policy included, while the
    # role's sessions keep working. Putting such a policy needs ConfirmRemoveSelfResourceAccess [put].
    name = create_table(ddb, name=f"rp-{uuid.uuid4().hex[:10]}")
    table = arn_of(name)
    role = new_role(server, trusting(TESTER_ARN), policy(allow("dynamodb:*", [table, table + "/index/*"])))
    only_the_role = policy(refuse("*", "dynamodb:*", [table, table + "/index/*"],
                                  Condition={"StringNotEquals": {"aws:PrincipalArn": role}}))
    ddb.put_resource_policy(ResourceArn=table, Policy=only_the_role, ConfirmRemoveSelfResourceAccess=True)
    sts = client_for(server.endpoint, "sts")
    app = session_client(server, sts.assume_role(RoleArn=role, RoleSessionName="app")["Credentials"])

    refused = ((ddb.get_item, {"TableName": name, "Key": KEY}, "GetItem"),
               (ddb.put_item, {"TableName": name, "Item": KEY}, "PutItem"),
               (ddb.describe_table, {"TableName": name}, "DescribeTable"),
               (ddb.delete_table, {"TableName": name}, "DeleteTable"),
               (ddb.get_resource_policy, {"ResourceArn": table}, "GetResourcePolicy"),
               (ddb.delete_resource_policy, {"ResourceArn": table}, "DeleteResourcePolicy"))
    for call, params, action in refused:
        assert error(call, **params) == denied(TESTER_ARN, f"dynamodb:{action}", table, EXPLICIT_DENY)
    app.put_item(TableName=name, Item={**KEY, "by": S("app")})
    assert app.get_item(TableName=name, Key=KEY)["Item"]["by"] == {"S": "app"}
    assert app.get_resource_policy(ResourceArn=table)["Policy"] == json.dumps(
        json.loads(only_the_role), separators=(",", ":"))
    app.delete_table(TableName=name)


# --- across accounts --------------------------------------------------------------------------------------


def other_account_user(server, *inline: str) -> helpers.TestUser:
    """A user of account OTHER_ACCOUNT with the given inline policies and an access key."""
    name = f"o-{uuid.uuid4().hex[:10]}"
    with directory_of(server) as directory:
        if directory.account(OTHER_ACCOUNT) is None:
            directory.create_account(OTHER_ACCOUNT, "other")
        user = directory.create_user(OTHER_ACCOUNT, name)
        for index, document in enumerate(inline):
            directory.put_inline_policy(USER, OTHER_ACCOUNT, name, f"p{index}", document)
        key = directory.create_access_key(OTHER_ACCOUNT, name)
    return helpers.TestUser(name, user.arn, (key.id, key.secret))


def test_another_accounts_user_reads_the_table_only_when_its_policy_and_the_tables_allow(server, ddb, music):
    # [cross-account]: "Attach a resource-based policy to table B ... Attach an identity-based policy to
    # user A"; [iam] "Cross-account policy evaluation logic": both must allow, and the denial names the
    # side that does not.
    table = arn_of(music)
    trusted = other_account_user(server, policy(allow("dynamodb:GetItem", table)))
    unpoliced = other_account_user(server)

    assert error(ddb_for(server, trusted).get_item, TableName=table, Key=KEY) == no_table_policy(
        trusted.arn, "dynamodb:GetItem", table)
    ddb.put_resource_policy(ResourceArn=table, Policy=policy(
        grant([trusted.arn, unpoliced.arn], "dynamodb:GetItem", table)))

    assert ddb_for(server, trusted).get_item(TableName=table, Key=KEY)["Item"]["year"] == {"N": "2024"}
    assert error(ddb_for(server, unpoliced).get_item, TableName=table, Key=KEY) == no_identity_policy(
        unpoliced.arn, "dynamodb:GetItem", table)


def test_a_table_arn_from_the_other_account_reaches_the_owners_table(server, ddb, music):
    # [cross-account]: the operations that cross accounts take the table's ARN in TableName, and the
    # request acts on the owner's table; a grant to the other account delegates to its identity policies.
    table = arn_of(music)
    writer = other_account_user(server, policy(allow(["dynamodb:PutItem", "dynamodb:DescribeTable"], table)))
    ddb.put_resource_policy(ResourceArn=table, Policy=policy(
        grant(OTHER_ACCOUNT, ["dynamodb:PutItem", "dynamodb:DescribeTable"], table)))
    client = ddb_for(server, writer)

    client.put_item(TableName=table, Item={"pk": S("from"), "sk": S("abroad")})

    assert client.describe_table(TableName=table)["Table"]["TableArn"] == table
    assert stored(ddb, music, {"pk": S("from"), "sk": S("abroad")}) == {"pk": S("from"), "sk": S("abroad")}
    assert error(client.get_item, TableName=table, Key=KEY) == no_table_policy(
        writer.arn, "dynamodb:GetItem", table)


def test_the_other_account_cannot_manage_the_tables_policy(server, ddb, music):
    # [cross-account]: the resource-policy operations do not cross accounts; the refusal
    # [quirks DDB-TABLE-212] comes before any authorization.
    table = arn_of(music)
    admin = other_account_user(server, policy(allow("dynamodb:*")))
    ddb.put_resource_policy(ResourceArn=table, Policy=policy(grant(admin.arn, "dynamodb:*", table)))

    assert error(ddb_for(server, admin).get_resource_policy, ResourceArn=table) == (
        "ValidationException", OWNER_ONLY, 400)


def test_a_table_policys_condition_on_leading_keys_holds_though_the_callers_policies_read_none(server, ddb, music):
    # The caller's identity policy reads no condition key; the table's Deny reads dynamodb:LeadingKeys,
    # which must then be computed for it (DynamoDB Developer Guide, "Using IAM policy conditions for
    # fine-grained access control").
    reader = new_user(server, policy(allow("dynamodb:GetItem")))
    ddb.put_resource_policy(ResourceArn=arn_of(music), Policy=policy({
        "Effect": "Deny", "Principal": {"AWS": reader.arn}, "Action": "dynamodb:GetItem", "Resource": arn_of(music),
        "Condition": {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["secret"]}}}))
    client = ddb_for(server, reader)

    assert client.get_item(TableName=music, Key=KEY)["Item"]
    assert error(client.get_item, TableName=music, Key={"pk": S("secret"), "sk": S("x")}) == denied(
        reader.arn, "dynamodb:GetItem", arn_of(music), EXPLICIT_DENY)
