"""AWS shared config and credentials files for the principals of a moatdb: one named profile per
IAM user and per role, pointed at this server, so ``aws --profile NAME ...`` and boto3's
``profile_name`` work with nothing else to set. A role's profile carries ``role_arn`` and a
``source_profile`` (a user the policy engine allows to assume it): the SDK assumes the role through
moatdb's STS, which evaluates the trust policy again.

The credentials file holds secrets: it is written readable by its owner only (0600).
"""

from __future__ import annotations

import os
from pathlib import Path

from moatdb.auth.authenticator import Caller
from moatdb.auth.authorizer import Authorizer
from moatdb.auth.directory import Directory
from moatdb.auth.origin import Origin
from moatdb.auth.permissions import compile_policy
from moatdb.auth.principals import AccessKey, Identity, Role, User

CONFIG, CREDENTIALS = "config", "credentials"


def render(directory: Directory, *, endpoint_url: str, region: str, default: str | None = None) -> dict[str, str]:
    """``{"config": text, "credentials": text}``: a profile per user with an active key (its
    oldest), named after the user; ``default`` also becomes the default profile."""
    config, credentials = [], []
    users = _profiles(directory, default)
    for name, user, key in users:
        header = "default" if name == "default" else f"profile {name}"
        config.append(f"[{header}]\nregion = {region}\nendpoint_url = {endpoint_url}\n# {user.arn}\n")
        credentials.append(f"[{name}]\naws_access_key_id = {key.id}\naws_secret_access_key = {key.secret}\n")
    taken = {name for name, _, _ in users}
    for role in sorted(directory.roles(), key=lambda r: (r.account, r.name)):
        source = _source_profile(directory, role, users, region)
        if source is None:
            continue
        name = role.name if role.name not in taken else f"{role.name}@{role.account}"
        taken.add(name)
        config.append(f"[profile {name}]\nregion = {region}\nendpoint_url = {endpoint_url}\n"
                      f"role_arn = {role.arn}\nsource_profile = {source}\n")
    return {CONFIG: "\n".join(config), CREDENTIALS: "\n".join(credentials)}


def _source_profile(directory: Directory, role: Role, users: list[tuple[str, User, AccessKey]],
                    region: str) -> str | None:
    """The profile whose credentials assume the role: the first user (of the role's account first)
    whom the policy engine allows ``sts:AssumeRole`` on it, trust policy, identity policies and SCPs
    included; None when no user may, and the role then gets no profile."""
    authorizer = Authorizer(directory, region=region)
    trust = compile_policy(role.trust_policy, "trust", f"trust policy of {role.arn}")
    for profile, user, _ in sorted(users, key=lambda found: found[1].account != role.account):
        caller = Caller("", user.account, region, Identity(user.account, user.arn, user.id, False, user.arn),
                        Origin("127.0.0.1"))
        decision, _ = authorizer.decide(caller, "sts:AssumeRole", role.arn, role.account, resource_policy=trust)
        if decision.allowed:
            return profile
    return None


def _profiles(directory: Directory, default: str | None) -> list[tuple[str, User, AccessKey]]:
    """(profile name, user, key) for every user with an active key, each name used once.

    A profile is named after its user. A file naming one profile twice is one the AWS CLI and the
    SDKs refuse whole (botocore: "Unable to parse config file"), so when a name is taken, by a user
    of the same name in a lower-numbered account or by the default profile, the user's profile is
    named ``NAME@ACCOUNT``. The default profile goes to the first user named ``default`` (the
    bootstrap user lives in the lowest account)."""
    taken: set[str] = set()
    if default is not None and default != "default":
        taken.add("default")  # kept for the default user, whichever account comes first
    found = []
    for user in sorted(directory.users(), key=lambda u: (u.account, u.name)):
        keys = sorted((k for k in directory.access_keys(user.account, user.name) if k.status == "Active"),
                      key=lambda k: k.created)
        if not keys:
            continue
        name, suffix = user.name, 1
        while name in taken:
            name = f"{user.name}@{user.account}" + (f"-{suffix}" if suffix > 1 else "")
            suffix += 1
        taken.add(name)
        found.append((name, user, keys[0]))
        if user.name == default and default != "default" and not any(n == "default" for n, _, _ in found):
            found.append(("default", user, keys[0]))
    return found


def write(directory: Directory, folder: Path, *, endpoint_url: str, region: str,
          default: str | None = None) -> dict[str, Path]:
    """Write ``config`` and ``credentials`` into ``folder`` (created 0700; both files 0600)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = {}
    for name, text in render(directory, endpoint_url=endpoint_url, region=region, default=default).items():
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
        written[name] = path
    return written
