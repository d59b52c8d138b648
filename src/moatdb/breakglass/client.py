"""The command's side of the HTTP API: requests signed with botocore as the caller's AWS profile
(so every step is taken by a verified principal, not by whoever can open the data directory), and
the session credentials a grant gives written out as an AWS profile.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError

from moatdb.breakglass.api import PREFIX, SERVICE

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"
DEFAULT_REGION = "us-east-1"


class ClientError(Exception):
    """A refusal from the server (``code`` is its ``__type``), or no answer at all (``code`` None)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class Client:
    def __init__(self, *, profile: str | None = None, endpoint_url: str | None = None, region: str | None = None,
                 timeout: float = 30.0):
        try:
            session = botocore.session.Session(profile=profile)
            config = session.get_scoped_config()
            credentials = session.get_credentials()
        except BotoCoreError as error:
            raise ClientError(str(error)) from None
        if credentials is None:
            raise ClientError(f"no AWS credentials for profile {profile or 'default'}: give --profile")
        self.credentials = credentials
        self.region = region or session.get_config_variable("region") or DEFAULT_REGION
        # Where the profile points (moatdb writes endpoint_url into the profiles it makes).
        self.endpoint = (endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or config.get("endpoint_url")
                         or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout

    def call(self, operation: str, params: dict) -> dict:
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url=f"{self.endpoint}{PREFIX}{operation}", data=body,
                             headers={"Content-Type": "application/json"})
        try:
            SigV4Auth(self.credentials.get_frozen_credentials(), SERVICE, self.region).add_auth(request)
        except BotoCoreError as error:  # a role profile whose AssumeRole failed, say
            raise ClientError(str(error)) from None
        prepared = request.prepare()
        sent = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(sent, timeout=self.timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            try:
                refusal = json.loads(error.read())
            except ValueError:
                raise ClientError(f"HTTP {error.code} from {self.endpoint}") from None
            raise ClientError(refusal.get("message") or refusal.get("__type"), refusal.get("__type")) from None
        except OSError as error:
            reason = getattr(error, "reason", error)
            raise ClientError(f"cannot reach moatdb at {self.endpoint}: {reason}") from None


def profile_text(name: str, credentials: dict) -> str:
    """The credentials as a section of an AWS shared credentials file."""
    return (f"[{name}]\naws_access_key_id = {credentials['AccessKeyId']}\n"
            f"aws_secret_access_key = {credentials['SecretAccessKey']}\n"
            f"aws_session_token = {credentials['SessionToken']}\n")


def write_profile(name: str, credentials: dict, *, region: str, endpoint_url: str) -> tuple[Path, Path]:
    """Put the profile ``name`` into the AWS credentials and config files (AWS_SHARED_CREDENTIALS_FILE
    and AWS_CONFIG_FILE, else ~/.aws/), replacing a profile of that name and keeping the rest; both
    files are left readable by their owner only."""
    home = Path.home() / ".aws"
    credentials_file = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / "credentials")
    config_file = Path(os.environ.get("AWS_CONFIG_FILE") or home / "config")
    config = (f"[profile {name}]\nregion = {region}\nendpoint_url = {endpoint_url}\n"
              f"# break glass: expires {credentials['Expiration']}\n")
    _put_section(credentials_file, name, profile_text(name, credentials))
    _put_section(config_file, f"profile {name}", config)
    return credentials_file, config_file


def _put_section(path: Path, header: str, section: str) -> None:
    kept, skipping = [], False
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        if line.strip().startswith("["):
            skipping = line.strip() == f"[{header}]"
        if not skipping:
            kept.append(line)
    text = "\n".join(kept).rstrip()
    text = (text + "\n\n" if text else "") + section
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    os.replace(draft, path)
