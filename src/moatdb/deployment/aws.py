"""Reaching an organization's accounts with boto3: the management account with the profile given,
each member account through a role assumed in it (``OrganizationAccountAccessRole``, which
Organizations creates in the accounts it creates), every call sent to ``--endpoint-url`` when given
(a stand-in for AWS such as moto_server)."""

from __future__ import annotations

import boto3
import botocore.exceptions
from botocore.config import Config

# Fail within seconds when AWS cannot be reached, rather than retrying for minutes; throttling is
# still retried.
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"
ClientError = botocore.exceptions.ClientError
# What a call can fail with: AWS's refusal, or AWS out of reach.
FAILURES = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


class AccessError(Exception):
    """An account that cannot be reached: the role cannot be assumed, or AWS cannot be reached."""


class Aws:
    def __init__(self, profile: str | None, endpoint_url: str | None = None, region: str | None = None,
                 member_role: str = DEFAULT_MEMBER_ROLE):
        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound as error:
            raise AccessError(str(error)) from None
        self.endpoint_url = endpoint_url
        self.region = self.session.region_name or "us-east-1"
        self.member_role = member_role
        try:
            self.account = self.session.client("sts", endpoint_url=endpoint_url, region_name=self.region,
                                               config=_CONFIG).get_caller_identity()["Account"]
        except FAILURES as error:
            raise AccessError(f"cannot call AWS with profile {profile}: {error}") from None
        self._sessions: dict[str, boto3.Session] = {self.account: self.session}

    def client(self, service: str, account: str | None = None):
        """A client of ``service`` in ``account`` (the profile's own by default)."""
        session = self._session(account or self.account)
        return session.client(service, endpoint_url=self.endpoint_url, region_name=self.region, config=_CONFIG)

    def reachable(self, account: str) -> str | None:
        """None when the account can be reached, else why not."""
        try:
            self._session(account)
        except AccessError as error:
            return str(error)
        return None

    def _session(self, account: str) -> boto3.Session:
        if account not in self._sessions:
            arn = f"arn:aws:iam::{account}:role/{self.member_role}"
            try:
                credentials = self.client("sts").assume_role(RoleArn=arn, RoleSessionName="moatdb")["Credentials"]
            except FAILURES as error:
                raise AccessError(f"cannot assume {arn}: {error}") from None
            self._sessions[account] = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"], region_name=self.region)
        return self._sessions[account]


def pages(client, operation: str, key: str, **params) -> list:
    """Every item of a paginated listing."""
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]


def error_code(error: Exception) -> str:
    return error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
