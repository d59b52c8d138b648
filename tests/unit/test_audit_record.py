"""The record of one answered request, in CloudTrail's record format.

Sources: CloudTrail User Guide, "CloudTrail record contents for management, data, and network
activity events" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html:
the fields, which are always present, eventVersion 1.11), "CloudTrail userIdentity element"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html:
IAMUser, AssumedRole with sessionContext.sessionIssuer and attributes, sourceIdentity, the Unknown
type), and the DynamoDB Developer Guide, "Understanding DynamoDB log file entries"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html:
eventSource dynamodb.amazonaws.com, data events for item operations).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest

from moatdb.audit.call import Call
from moatdb.audit.record import Recorder
from moatdb.auth.authenticator import Caller
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity, Session
from moatdb.policy.decision import Decision, Denial
from moatdb.policy.request import Principal, Request

ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/nightly"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Music"

# Every field the record contents page documents for a management or data event.
DOCUMENTED = {
    "eventTime", "eventVersion", "userIdentity", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
    "requestID", "eventID", "eventType", "apiVersion", "managementEvent", "readOnly", "resources",
    "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
    "eventCategory", "addendum", "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails",
}
# The page's fields with "Optional: False" that apply to an API call.
ALWAYS = {"eventTime", "eventVersion", "userIdentity", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
          "userAgent", "requestParameters", "responseElements", "requestID", "eventID", "eventType",
          "managementEvent", "readOnly", "recipientAccountId", "eventCategory"}
EXTENSION = {"moatdbAuthorization"}
USER_IDENTITY = {"type", "principalId", "arn", "accountId", "accessKeyId", "userName", "sessionContext",
                 "invokedBy", "sessionIssuer", "webIdFederationData", "onBehalfOf", "credentialId"}


@dataclass
class Sessions:
    """A directory that knows the sessions given to it, and nothing else."""

    known: dict[str, Session]

    def session(self, key: str) -> Session | None:
        return self.known.get(key)


def recorder(*sessions: Session) -> Recorder:
    return Recorder(Sessions({s.id: s for s in sessions}), region="us-east-1", account=ACCOUNT,  # type: ignore[arg-type]
                    clock=lambda: 1_764_000_000.0)


def user_caller(origin: Origin | None = None) -> Caller:
    identity = Identity(ACCOUNT, USER_ARN, "AIDAALICE0000000000", False, USER_ARN)
    return Caller("AKIAALICE00000000000", ACCOUNT, "us-east-1", identity, origin or Origin("198.51.100.7"))


def role_session() -> tuple[Caller, Session]:
    session = Session("ASIANIGHTLY000000000", "secret", "token", ACCOUNT, SESSION_ARN, "AROAAPP0000000000000:nightly",
                      expires=1_764_003_600.0, issued=1_764_000_000.0, role_arn=ROLE_ARN, session_name="nightly",
                      source_identity="alice@example.com")
    identity = Identity(ACCOUNT, SESSION_ARN, session.principal_id, True, ROLE_ARN, session=session.id)
    return Caller(session.id, ACCOUNT, "us-east-1", identity, Origin("10.0.0.5")), session


def call(service: str, operation: str | None, params, caller: Caller | None, *, status: int = 200,
         reply: bytes = b"{}", result=None, decisions=(), headers=()) -> Call:
    made = Call(service, {"headers": [(b"user-agent", b"aws-cli/2.15"), *headers], "query_string": b""},
                "REQUEST0000000000000000000000000000000000000000000000")
    made.operation, made.params, made.caller, made.status, made.reply, made.result = \
        operation, params, caller, status, reply, result
    made.origin = caller.origin if caller is not None else Origin("203.0.113.9")
    made.decisions.extend(decisions)
    return made


def allowed(action: str, resource: str = TABLE_ARN) -> tuple[Decision, Request]:
    return (Decision(True, basis="an identity-based policy"),
            Request(Principal(USER_ARN, ACCOUNT, "User"), action, resource, ACCOUNT, {}))


def denied(action: str, resource: str = TABLE_ARN) -> tuple[Decision, Request]:
    return (Decision(False, Denial("identity", True, "arn:aws:iam::111122223333:policy/no-music", "DenyMusic")),
            Request(Principal(USER_ARN, ACCOUNT, "User"), action, resource, ACCOUNT, {}))


def get_item(caller: Caller | None = None, **options) -> Call:
    params = {"TableName": "Music", "Key": {"Artist": {"S": "No One You Know"}}}
    options.setdefault("decisions", [allowed("dynamodb:GetItem")])
    return call("dynamodb", "GetItem", params, caller or user_caller(), **options)


def test_a_dynamodb_record_has_cloudtrails_documented_fields_only_and_every_field_that_is_always_there():
    record = recorder().record(get_item())
    assert set(record) - EXTENSION <= DOCUMENTED
    assert ALWAYS <= set(record)
    assert set(record["userIdentity"]) <= USER_IDENTITY


@pytest.mark.parametrize("service, operation, source", [
    ("sts", "GetCallerIdentity", "sts.amazonaws.com"),
    ("iam", "ListUsers", "iam.amazonaws.com"),
    ("organizations", "DescribeOrganization", "organizations.amazonaws.com"),
    ("dynamodb", "ListTables", "dynamodb.amazonaws.com"),
    ("moatdb", "grants", "break-glass.moatdb"),  # moatdb's own API: the break-glass procedure's
])
def test_each_service_is_recorded_under_its_own_event_source_as_a_management_event(service, operation, source):
    params = {"Action": operation, "Version": "2011-06-15"} if service in ("sts", "iam") else {}
    record = recorder().record(call(service, operation, params, user_caller()))
    assert (record["eventSource"], record["eventName"]) == (source, operation)
    assert (record["eventCategory"], record["managementEvent"], record["eventType"]) == ("Management", True, "AwsApiCall")
    assert set(record) - EXTENSION <= DOCUMENTED and ALWAYS <= set(record)


def test_an_item_read_is_a_read_only_data_event_about_its_table():
    record = recorder().record(get_item())
    assert record["eventCategory"] == "Data" and record["managementEvent"] is False and record["readOnly"] is True
    assert record["resources"] == [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": TABLE_ARN}]
    assert record["apiVersion"] == "2012-08-10" and record["eventVersion"] == "1.11"


def test_a_record_says_when_where_from_and_with_which_agent_the_request_came():
    record = recorder().record(get_item())
    assert record["eventTime"] == "2025-11-24T16:00:00Z"
    assert record["sourceIPAddress"] == "198.51.100.7" and record["userAgent"] == "aws-cli/2.15"
    assert record["awsRegion"] == "us-east-1" and record["recipientAccountId"] == ACCOUNT
    assert record["requestID"] == "REQUEST0000000000000000000000000000000000000000000000"


def test_every_record_has_an_event_id_of_its_own_shaped_like_a_uuid():
    made = recorder()
    ids = {made.record(get_item())["eventID"] for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 36 and i[14] == "4" and [len(p) for p in i.split("-")] == [8, 4, 4, 4, 12] for i in ids)


def test_an_iam_user_is_identified_as_cloudtrail_identifies_one():
    assert recorder().record(get_item())["userIdentity"] == {
        "type": "IAMUser", "principalId": "AIDAALICE0000000000", "arn": USER_ARN, "accountId": ACCOUNT,
        "accessKeyId": "AKIAALICE00000000000", "userName": "alice"}


def test_a_role_session_is_identified_with_its_issuer_its_creation_date_and_its_source_identity():
    caller, session = role_session()
    identity = recorder(session).record(get_item(caller))["userIdentity"]
    assert identity == {
        "type": "AssumedRole", "principalId": "AROAAPP0000000000000:nightly", "arn": SESSION_ARN,
        "accountId": ACCOUNT, "accessKeyId": "ASIANIGHTLY000000000",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAAPP0000000000000", "arn": ROLE_ARN,
                              "accountId": ACCOUNT, "userName": "app"},
            "attributes": {"creationDate": "2025-11-24T16:00:00Z", "mfaAuthenticated": "false"},
            "sourceIdentity": "alice@example.com"}}


def test_a_request_that_was_not_authenticated_is_by_an_unknown_identity_with_the_key_it_claimed():
    header = (b"authorization", b"AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN000000000/20251124/us-east-1/dynamodb/"
                                b"aws4_request, SignedHeaders=host, Signature=0123")
    record = recorder().record(call("dynamodb", "ListTables", {}, None, status=400, headers=[header],
                                    reply=b'{"__type":"com.amazon.coral.service#UnrecognizedClientException",'
                                          b'"message":"The security token included in the request is invalid."}'))
    assert record["userIdentity"] == {"type": "Unknown", "principalId": "", "accessKeyId": "AKIAUNKNOWN000000000"}
    assert record["errorCode"] == "UnrecognizedClientException"
    assert record["errorMessage"] == "The security token included in the request is invalid."
    assert record["moatdbAuthorization"] == {"decision": "unauthenticated"}
    assert record["sourceIPAddress"] == "203.0.113.9"


def test_a_credential_that_is_not_an_access_key_id_is_not_copied_into_the_record():
    # A secret pasted where the key id belongs must not land in the trail.
    header = (b"authorization", b"AWS4-HMAC-SHA256 Credential=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY/20251124/"
                                b"us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0123")
    record = recorder().record(call("dynamodb", "ListTables", {}, None, status=400, headers=[header],
                                    reply=b'{"__type":"x#UnrecognizedClientException"}'))
    assert "accessKeyId" not in record["userIdentity"]
    assert b"wJalrXUtnFEMI" not in orjson.dumps(record)


def test_a_denied_request_carries_the_error_the_client_was_sent_and_the_decisions_explanation():
    message = f"User: {USER_ARN} is not authorized to perform: dynamodb:GetItem on resource: {TABLE_ARN}"
    record = recorder().record(get_item(status=400, decisions=[denied("dynamodb:GetItem")],
                                        reply=orjson.dumps({"__type": "com.amazon.coral.service#AccessDeniedException",
                                                            "message": message})))
    assert record["errorCode"] == "AccessDeniedException" and record["errorMessage"] == message
    assert record["moatdbAuthorization"] == {
        "decision": "explicitDeny", "action": "dynamodb:GetItem", "resource": TABLE_ARN,
        "policyType": "identity-based policy", "policyId": "arn:aws:iam::111122223333:policy/no-music",
        "statement": "DenyMusic"}


def test_an_allowed_request_says_what_allowed_it():
    assert recorder().record(get_item())["moatdbAuthorization"] == {
        "decision": "allowed", "action": "dynamodb:GetItem", "resource": TABLE_ARN, "basis": "an identity-based policy"}


def test_a_request_decided_several_times_names_the_denial_and_lists_every_evaluation():
    other = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Other"
    record = recorder().record(call("dynamodb", "BatchGetItem", {"RequestItems": {}}, user_caller(), status=400,
                                    decisions=[allowed("dynamodb:BatchGetItem"), denied("dynamodb:BatchGetItem", other)],
                                    reply=b'{"__type":"x#AccessDeniedException","message":"no"}'))
    authorization = record["moatdbAuthorization"]
    assert (authorization["decision"], authorization["resource"]) == ("explicitDeny", other)
    assert [e["decision"] for e in authorization["evaluations"]] == ["allowed", "explicitDeny"]
    assert [r["ARN"] for r in record["resources"]] == [TABLE_ARN, other]


def test_a_request_that_came_through_a_vpc_endpoint_names_it_and_one_through_the_public_door_does_not():
    endpoint = Origin("10.1.2.3", vpc="vpc-0prod", vpc_endpoint="vpce-0prod")
    assert recorder().record(get_item(user_caller(endpoint)))["vpcEndpointId"] == "vpce-0prod"
    assert "vpcEndpointId" not in recorder().record(get_item())


def test_a_query_on_an_index_is_recorded_against_its_table():
    record = recorder().record(call("dynamodb", "Query", {"TableName": "Music", "IndexName": "ByAlbum"},
                                    user_caller(), decisions=[allowed("dynamodb:Query", TABLE_ARN + "/index/ByAlbum")]))
    assert record["resources"] == [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": TABLE_ARN}]


def test_a_change_to_a_table_records_what_dynamodb_answered_but_an_item_write_does_not():
    description = {"TableDescription": {"TableName": "Music", "TableStatus": "CREATING"}}
    created = recorder().record(call("dynamodb", "CreateTable", {"TableName": "Music"}, user_caller(),
                                     result=description, decisions=[allowed("dynamodb:CreateTable")]))
    assert created["responseElements"] == {"tableDescription": {"tableName": "Music", "tableStatus": "CREATING"}}
    put = recorder().record(call("dynamodb", "PutItem", {"TableName": "Music", "Item": {}}, user_caller(),
                                 result={"Attributes": {"Artist": {"S": "old"}}}, decisions=[allowed("dynamodb:PutItem")]))
    assert put["responseElements"] is None and put["readOnly"] is False


def test_a_call_without_parameters_has_null_request_parameters_as_in_cloudtrail():
    record = recorder().record(call("sts", "GetCallerIdentity", {"Action": "GetCallerIdentity"}, user_caller()))
    assert record["requestParameters"] is None and record["responseElements"] is None


def test_a_call_no_policy_was_asked_about_has_no_authorization_explanation():
    record = recorder().record(call("sts", "GetCallerIdentity", {"Action": "GetCallerIdentity"}, user_caller()))
    assert "moatdbAuthorization" not in record
