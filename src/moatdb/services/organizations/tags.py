"""Tags on a root, OU, account or policy: TagResource, UntagResource, ListTagsForResource, and the
Tags parameter of CreatePolicy and CreateOrganizationalUnit.

Each resource's tags are one storage document (``org/tags``, named by the resource's id); they are
what ``aws:ResourceTag/KEY`` reads when a call on that resource is authorized, and ``aws:RequestTag/
KEY`` and ``aws:TagKeys`` are the tags a request brings (Service Authorization Reference).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import orjson

from moatdb.errors import OrganizationsError
from moatdb.storage.base import Store
from moatdb.storage.cache import DocumentCache

if TYPE_CHECKING:
    from moatdb.services.organizations.call import Call

TAGS = "org/tags"
# Organizations' quota: 50 tags on a resource (User Guide, "Quotas for AWS Organizations").
MAX_TAGS = 50


class Tags:
    def __init__(self, store: Store):
        self.store = store
        # Read on every authorization of a call on a resource: cached per document generation.
        self._tags: DocumentCache[str, dict[str, str]] = DocumentCache(store, self._load)

    def _load(self, resource: str) -> dict[str, str]:
        raw = self.store.read().document(TAGS, resource)
        return {} if raw is None else orjson.loads(raw)

    def of(self, resource: str) -> dict[str, str]:
        return self._tags.get(resource)

    def resource_context(self, resource: str) -> dict[str, tuple[str, ...]]:
        return {f"aws:resourcetag/{key.lower()}": (value,) for key, value in self.of(resource).items()}

    def set(self, resource: str, tags: Mapping[str, str]) -> None:
        with self.store.write() as txn:
            if tags:
                txn.put_document(TAGS, resource, orjson.dumps(dict(tags)))
            else:
                txn.delete_document(TAGS, resource)


def given(tags: Sequence[dict] | None) -> dict[str, str]:
    """A Tags parameter as a dict, refused as Organizations refuses a key given twice."""
    found: dict[str, str] = {}
    for tag in tags or ():
        if tag["Key"] in found:
            raise OrganizationsError("InvalidInputException", "Tag keys must be unique among the tags attached "
                                     "to the same entity.", reason="DUPLICATE_TAG_KEY")
        found[tag["Key"]] = tag["Value"]
    return found


def request_context(tags: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    if not tags:
        return {}
    return {"aws:tagkeys": tuple(tags), **{f"aws:requesttag/{key.lower()}": (value,) for key, value in tags.items()}}


def within_quota(tags: Mapping[str, str]) -> Mapping[str, str]:
    if len(tags) > MAX_TAGS:
        raise OrganizationsError("ConstraintViolationException", "You have exceeded the number of tags allowed on "
                                 "this resource.", reason="MAX_TAG_LIMIT_EXCEEDED")
    return tags


# --- the operations ---------------------------------------------------------------------------------


def _resource(call: Call) -> tuple[str, str | None]:
    """The tagged resource's ARN and, for a policy, its type; refused if it does not exist."""
    resource = call.params["ResourceId"]
    if resource.startswith("p-"):
        policy = call.organization.policy(resource)
        if policy is not None:
            return call.policy_arn(policy), policy.type
    elif call.organization.chain(resource) is not None:
        return call.target_arn(resource), None
    raise OrganizationsError("TargetNotFoundException", "We can't find a root, OU, account, or policy with the "
                             "TargetId that you specified.")


def tag_resource(call: Call) -> None:
    arn, policy_type = _resource(call)
    new = given(call.params["Tags"])
    call.require(arn, policy_type=policy_type, context=request_context(new))
    resource = call.params["ResourceId"]
    call.tags.set(resource, within_quota({**call.tags.of(resource), **new}))


def untag_resource(call: Call) -> None:
    arn, policy_type = _resource(call)
    keys = call.params["TagKeys"]
    call.require(arn, policy_type=policy_type, context={"aws:tagkeys": tuple(keys)} if keys else {})
    resource = call.params["ResourceId"]
    call.tags.set(resource, {key: value for key, value in call.tags.of(resource).items() if key not in keys})


def list_tags_for_resource(call: Call) -> dict:
    arn, policy_type = _resource(call)
    call.require(arn, policy_type=policy_type)
    return {"Tags": [{"Key": key, "Value": value} for key, value in call.tags.of(call.params["ResourceId"]).items()]}


OPERATIONS = {"TagResource": tag_resource, "UntagResource": untag_resource,
              "ListTagsForResource": list_tags_for_resource}
