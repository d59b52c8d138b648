"""The cost of one authorization decision, measured in-process (no HTTP): the policy engine alone
(``evaluate``), and the server's ``Authorizer`` as a request meets it (permissions and decisions
cached), for the default world and for a large one.

- default world: the VPC-only pattern — an application role allowed ``dynamodb:*`` on its tables; on
  the organization path FullAWSAccess at the root and the account, and at the prod OU the SCP that
  denies ``dynamodb:*`` unless ``aws:SourceVpc`` is the prod VPC, except for the break-glass role.
- large world: 1,000 principals with 10 statements each (10,000 statements), 20 SCPs over the
  path (root 5, OU 10, account 5), each with a condition; the request's principal is one of them.

Run: ``.venv/bin/python bench/decisions.py`` (pin it with ``taskset -c 0`` for steadier figures).
Prints the median of 15 batches, each the mean of a batch of calls, in microseconds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import ROLE, Directory
from moatdb.auth.origin import Origin
from moatdb.auth.principals import Identity
from moatdb.policy.document import parse_policy
from moatdb.policy.evaluate import PolicySet, evaluate
from moatdb.policy.request import ASSUMED_ROLE, Principal, Request
from moatdb.storage.sqlite import SqliteStore

ACCOUNT = "111111111111"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders"
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
VPC_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0prod"},
                  "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"}}}]}
APP = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "dynamodb:*", "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/*"}]}
CONTEXT = {"aws:sourcevpc": ("vpc-0prod",), "aws:sourcevpce": ("vpce-0prod",), "aws:vpcsourceip": ("10.0.1.5",),
           "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:role/app",), "aws:principalaccount": (ACCOUNT,),
           "aws:securetransport": ("false",), "aws:requestedregion": ("us-east-1",)}


def median_us(call, batch: int = 2000, batches: int = 15) -> float:
    means = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(batch):
            call()
        means.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(means)


def policy(document: dict, kind: str, id: str):
    return parse_policy(json.dumps(document), kind, id=id)


def default_world() -> tuple[Request, PolicySet]:
    principal = Principal(f"arn:aws:iam::{ACCOUNT}:role/app", ACCOUNT, ASSUMED_ROLE,
                          session_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s")
    scps = ((policy(FULL, "scp", "root"),), (policy(FULL, "scp", "ou-full"), policy(VPC_ONLY, "scp", "ou-vpc")),
            (policy(FULL, "scp", "account"),))
    return (Request(principal, "dynamodb:GetItem", TABLE, ACCOUNT, CONTEXT),
            PolicySet(identity=(policy(APP, "identity", "app"),), scps=scps))


def large_world() -> tuple[Request, PolicySet, int]:
    principals = []
    for number in range(1000):
        statements = [{"Sid": f"S{i}", "Effect": "Allow", "Action": [f"dynamodb:{a}" for a in ("GetItem", "Query")],
                       "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/team{number}-{i}-*"} for i in range(9)]
        statements.append({"Sid": "Own", "Effect": "Allow", "Action": "dynamodb:*",
                           "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/*",
                           "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"team{number}"}}})
        principals.append(policy({"Version": "2012-10-17", "Statement": statements}, "identity", f"p{number}"))
    scp_statements = [{"Sid": f"D{i}", "Effect": "Deny", "Action": f"dynamodb:Delete{i}*", "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:PrincipalTag/level": f"l{i}"}}} for i in range(20)]
    scps = [policy({"Version": "2012-10-17", "Statement": [FULL["Statement"][0], statement]}, "scp", f"scp{i}")
            for i, statement in enumerate(scp_statements)]
    path = (tuple(scps[:5]), tuple(scps[5:15]), tuple(scps[15:]))
    chosen = 737
    principal = Principal(f"arn:aws:iam::{ACCOUNT}:user/u{chosen}", ACCOUNT, "User")
    context = dict(CONTEXT) | {"aws:principaltag/team": (f"team{chosen}",)}
    request = Request(principal, "dynamodb:GetItem", TABLE, ACCOUNT, context)
    return request, PolicySet(identity=(principals[chosen],), scps=path), sum(len(p.statements) for p in principals)


def authorizer_cached() -> float:
    """The server's path for a repeated GetItem: permissions and the decision come from the caches."""
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "db.sqlite3")
        directory = Directory(store)
        directory.create_account(ACCOUNT, "prod")
        role = directory.create_role(ACCOUNT, "app", json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))
        directory.put_inline_policy(ROLE, ACCOUNT, "app", "app", json.dumps(APP))
        identity = Identity(ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s", f"{role.id}:s", True, role.arn)
        caller = Caller("", ACCOUNT, "us-east-1", identity, Origin("10.0.1.5", "vpc-0prod", "vpce-0prod"))
        authorizer = Authorizer(directory, region="us-east-1")
        context = {"dynamodb:leadingkeys": ("customer-42",)}
        figure = median_us(lambda: authorizer.decide(caller, "dynamodb:GetItem", TABLE, ACCOUNT, context))
        store.close()
        return figure


def main() -> None:
    request, policies = default_world()
    assert evaluate(request, policies).allowed
    print(f"default world, evaluate():                  {median_us(lambda: evaluate(request, policies)):6.2f} µs")
    outside = Request(request.principal, request.action, request.resource, ACCOUNT,
                      {k: v for k, v in CONTEXT.items() if not k.startswith(("aws:sourcevpc", "aws:vpc"))})
    assert not evaluate(outside, policies).allowed
    print(f"default world, evaluate(), denied by SCP:   {median_us(lambda: evaluate(outside, policies)):6.2f} µs")
    request, policies, statements = large_world()
    assert evaluate(request, policies).allowed
    print(f"large world ({statements:,} statements, 20 SCPs), evaluate(): "
          f"{median_us(lambda: evaluate(request, policies)):6.2f} µs")
    print(f"default world, Authorizer.decide(), cached: {authorizer_cached():6.2f} µs")


if __name__ == "__main__":
    main()
