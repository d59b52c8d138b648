"""What every Organizations operation shares: the call (its parameters, its caller, the
organization), who may make it, its authorization, paging, and the records rendered as
Organizations' model names their members.

Order of one call (after the model's checks, ``service``):

1. The caller's account must be in the organization, else ``AWSOrganizationsNotInUseException``.
2. Most operations "can be called only from the organization's management account" (each
   operation's page in the Organizations API Reference); a member account is refused with
   AccessDeniedException in the words AWS answers it. moatdb has no delegated administrators.
3. The engine authorizes ``organizations:<Operation>`` on the resources the Service Authorization
   Reference names for it ("Actions, resources, and condition keys for AWS Organizations"): the
   root, OU, account or policy ARN, ``*`` where it names none, with ``organizations:PolicyType``
   where it lists it. The caller's SCPs apply as to any call.
4. The operation, which refuses in Organizations' words what does not exist or is not allowed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import NO_CONTEXT, Authorizer
from moatdb.auth.organization import Member, Organization, OrganizationRecord, OrgPolicy, Unit, policy_arn
from moatdb.errors import OrganizationsAccessDenied, OrganizationsError
from moatdb.services.organizations.tags import Tags

# As AWS answers a member account calling what only the management account may (its answer to
# ListAccounts, ListRoots and ListPolicies in aws-samples/aws-iam-access-key-auto-rotation#10,
# awslabs/aws-innovation-sandbox#6, prowler-cloud/prowler#2133).
NOT_MANAGEMENT = "You don't have permissions to access this resource."
# Lists answer 20 items unless MaxResults says fewer (the model's MaxResults allows 1 to 20).
DEFAULT_MAX_RESULTS = 20
POLICY_TYPE_KEY = "organizations:policytype"


@dataclass
class Call:
    operation: str
    params: dict
    caller: Caller
    organization: Organization
    authorizer: Authorizer
    tags: Tags
    record: OrganizationRecord

    def require(self, *resources: str, policy_type: str | None = None,
                context: Mapping[str, tuple[str, ...]] = NO_CONTEXT) -> None:
        """Refuse with Organizations' AccessDeniedException, in the engine's words, unless the caller
        may do this operation to every one of ``resources``."""
        if policy_type is not None:
            context = {**context, POLICY_TYPE_KEY: (policy_type,)}
        for resource in resources:
            self.authorizer.require(self.caller, f"organizations:{self.operation}", resource, None,
                                    {**context, **self.tags.resource_context(resource_id(resource))},
                                    denied=OrganizationsAccessDenied)

    # --- ARNs (Service Authorization Reference: all owned by the management account) ------------

    def _arn(self, kind: str, tail: str) -> str:
        record = self.record
        return f"arn:aws:organizations::{record.management_account}:{kind}/{record.id}/{tail}"

    def root_arn(self) -> str:
        return self._arn("root", self.record.root)

    def unit_arn(self, unit_id: str) -> str:
        return self._arn("ou", unit_id)

    def account_arn(self, account: str) -> str:
        return self._arn("account", account)

    def policy_arn(self, policy: OrgPolicy) -> str:
        return policy_arn(policy, self.record)

    def target_arn(self, target: str) -> str:
        """The ARN of a root, OU or account id, whether or not it exists."""
        if target.startswith("r-"):
            return self._arn("root", target)
        return self.unit_arn(target) if target.startswith("ou-") else self.account_arn(target)

    # --- lookups with Organizations' refusals ---------------------------------------------------

    def policy(self, policy_id: str) -> OrgPolicy:
        policy = self.organization.policy(policy_id)
        if policy is None:
            raise OrganizationsError("PolicyNotFoundException", "We can't find a policy with the PolicyId that "
                                     "you specified.")
        return policy

    def is_parent(self, parent: str) -> bool:
        return parent == self.record.root or self.organization.unit(parent) is not None

    def path(self, target: str) -> str:
        """A root's, OU's or account's path: o-id/r-id/ou-a/ou-b/ (OrganizationalUnit.Path)."""
        return "/".join((self.record.id, *(self.organization.chain(target) or ()))) + "/"


def resource_id(arn: str) -> str:
    """The id an Organizations ARN ends with (``*`` for ``*``)."""
    return arn.rsplit("/", 1)[-1]


# --- paging (NextToken, MaxResults) ----------------------------------------------------------------


def page(call: Call, items: Sequence, key: Callable[[Any], str], member: str,
         render: Callable[[Any], Any]) -> dict:
    """One page of ``items`` (sorted here by ``key``) as ``{member: [...]}``, with the ``NextToken``
    of the next page when there is one: the key of its first item, so a page never repeats or skips
    an item that stayed while others changed."""
    ordered = sorted(items, key=key)
    limit = call.params.get("MaxResults", DEFAULT_MAX_RESULTS)
    start = 0
    token = call.params.get("NextToken")
    if token is not None:
        try:
            after = base64.urlsafe_b64decode(token.encode("latin-1")).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise OrganizationsError("InvalidInputException", "You specified an invalid value for nextToken.",
                                     reason="INVALID_NEXT_TOKEN") from None
        start = next((index for index, item in enumerate(ordered) if key(item) >= after), len(ordered))
    result: dict = {member: [render(item) for item in ordered[start:start + limit]]}
    if start + limit < len(ordered):
        result["NextToken"] = base64.urlsafe_b64encode(key(ordered[start + limit]).encode()).decode()
    return result


# --- records as Organizations' model names their members ----------------------------------------


def account_members(call: Call, member: Member) -> dict:
    members = {"Id": member.id, "Arn": call.account_arn(member.id), "Email": member.email, "Name": member.name,
               "Status": "ACTIVE", "State": "ACTIVE",
               # The management account created the organization; moatdb's members were created in it.
               "JoinedMethod": "INVITED" if member.id == call.record.management_account else "CREATED"}
    if member.joined:
        members["JoinedTimestamp"] = member.joined  # JSON 1.1 timestamps are epoch seconds
    return members


def unit_members(call: Call, unit: Unit) -> dict:
    # From the parent's path: an OU created by this very request is not yet in the store's reader.
    return {"Id": unit.id, "Arn": call.unit_arn(unit.id), "Name": unit.name,
            "Path": f"{call.path(unit.parent)}{unit.id}/"}


def root_members(call: Call) -> dict:
    return {"Id": call.record.root, "Arn": call.root_arn(), "Name": "Root",
            "PolicyTypes": [{"Type": policy_type, "Status": "ENABLED"} for policy_type in call.record.policy_types]}


def policy_summary(call: Call, policy: OrgPolicy) -> dict:
    return {"Id": policy.id, "Arn": call.policy_arn(policy), "Name": policy.name, "Description": policy.description,
            "Type": policy.type, "AwsManaged": policy.aws_managed}


def policy_members(call: Call, policy: OrgPolicy) -> dict:
    return {"PolicySummary": policy_summary(call, policy), "Content": policy.content}
