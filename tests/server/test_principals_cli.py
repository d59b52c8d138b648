"""`moatdb users`, `moatdb keys` and `moatdb credentials` as an operator runs them beside a running
server (docs/cli.md, "Principals"): what they print, what they refuse, and what the server makes of
their changes on the very next request.

Each CLI call starts a Python process (~0.5 s): setup that is not under test goes through the
directory API (moatdb.server.open_directory) instead, and each test works on users of its own so the
tests stay independent under pytest-xdist.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import Server, client_for, free_port
from tests.helpers import ACCESS_KEY, SECRET_KEY, TESTER_ARN, error

MOATDB = str(Path(sys.executable).parent / "moatdb")
AWS = str(Path(sys.executable).parent / "aws")
UNKNOWN_KEY = "The security token included in the request is invalid."
ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """A server of this module's own: its tests add users and keys and take keys away."""
    server = Server(tmp_path_factory.mktemp("principals"), free_port()).start()
    yield server
    server.stop()


def moatdb(server, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([MOATDB, *args, "--data-dir", str(server.data_dir)], capture_output=True, text=True,
                          timeout=30)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def directory_of(server):
    from moatdb.server import open_directory

    return open_directory(server.data_dir)


def user_with_keys(server, name: str, keys: int, account: str = ACCOUNT) -> list:
    """Creates the IAM user ``name`` with ``keys`` active access keys (through the directory, not the CLI)."""
    directory = directory_of(server)
    try:
        if account not in {a.id for a in directory.accounts()}:
            directory.create_account(account, account)
        directory.create_user(account, name)
        return [directory.create_access_key(account, name) for _ in range(keys)]
    finally:
        directory.store.close()


def every_secret(server) -> list[str]:
    directory = directory_of(server)
    try:
        return [key.secret for key in directory.access_keys()]
    finally:
        directory.store.close()


def listed_keys(server) -> dict[str, tuple[str, str]]:
    """`moatdb keys list` as {key id: (status, owner's ARN)}, asserting each line's form."""
    listing = moatdb(server, "keys", "list").stdout
    for secret in every_secret(server):
        assert secret not in listing
    rows = {}
    for line in listing.splitlines():
        key_id, status, arn = line.split("\t")
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id) and status in ("Active", "Inactive"), line
        rows[key_id] = (status, arn)
    return rows


def caller_arn(server, key_id: str, secret: str) -> str:
    return client_for(server.endpoint, "sts", credentials=(key_id, secret)).get_caller_identity()["Arn"]


# --- users ----------------------------------------------------------------------------------------------------


def test_users_create_prints_the_arn_and_id_and_users_list_shows_every_user(running):
    name = fresh("alice")

    created = moatdb(running, "users", "create", name, "--account", "111111111111").stdout

    match = re.fullmatch(rf"(arn:aws:iam::111111111111:user/{name})\t(AIDA[A-Z0-9]{{17}})\n", created)
    assert match, created
    listing = moatdb(running, "users", "list").stdout.splitlines()
    assert created.rstrip("\n") in listing
    assert any(line.startswith(TESTER_ARN + "\tAIDA") for line in listing)


# --- keys -----------------------------------------------------------------------------------------------------


def test_keys_create_shows_the_secret_once_and_the_key_signs_from_the_next_request(running):
    name = fresh("bob")
    user_with_keys(running, name, 0)

    key = json.loads(moatdb(running, "keys", "create", "--user", name, "--json").stdout)

    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    assert (key["Status"], key["UserName"], key["Account"]) == ("Active", name, ACCOUNT)
    assert caller_arn(running, key["AccessKeyId"], key["SecretAccessKey"]) == f"arn:aws:iam::{ACCOUNT}:user/{name}"
    # Listed by id, status and owner, and never with its secret (listed_keys checks every secret).
    assert listed_keys(running)[key["AccessKeyId"]] == ("Active", f"arn:aws:iam::{ACCOUNT}:user/{name}")


def test_keys_list_shows_no_secret_of_any_key(running):
    rows = listed_keys(running)  # asserts that no stored secret appears in the listing

    assert rows[ACCESS_KEY] == ("Active", TESTER_ARN)
    assert SECRET_KEY in every_secret(running)  # the check above had the tester's secret to look for


def test_a_user_holds_at_most_two_access_keys_as_in_iam(running):
    name = fresh("carol")
    user_with_keys(running, name, 1)

    second = moatdb(running, "keys", "create", "--user", name).stdout
    third = moatdb(running, "keys", "create", "--user", name, ok=False)

    assert re.fullmatch(r"AccessKeyId:     AKIA[A-Z0-9]{16}\nSecretAccessKey: \S{40}\n", second), second
    assert third.returncode == 1
    assert third.stdout == ""
    assert third.stderr == "Error: Cannot exceed quota for AccessKeysPerUser: 2\n"  # IAM's LimitExceeded


def test_keys_rotate_activates_a_new_key_and_deactivates_the_old_one_for_the_running_server(running):
    name = fresh("dave")
    (old,) = user_with_keys(running, name, 1)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    assert caller_arn(running, old.id, old.secret) == arn

    new = json.loads(moatdb(running, "keys", "rotate", "--user", name, "--json").stdout)

    assert new["AccessKeyId"] != old.id and new["Status"] == "Active"
    rows = listed_keys(running)
    assert (rows[old.id], rows[new["AccessKeyId"]]) == (("Inactive", arn), ("Active", arn))
    assert caller_arn(running, new["AccessKeyId"], new["SecretAccessKey"]) == arn
    old_client = client_for(running.endpoint, credentials=(old.id, old.secret))
    assert error(old_client.list_tables) == ("UnrecognizedClientException", UNKNOWN_KEY, 400)


def test_keys_delete_removes_the_key_from_the_listing_and_from_the_running_server(running):
    name = fresh("erin")
    (key,) = user_with_keys(running, name, 1)
    ddb = client_for(running.endpoint, credentials=(key.id, key.secret))
    # Known and verified, only not authorized (the user has no policy): the key itself works.
    assert error(ddb.list_tables)[0] == "AccessDeniedException"

    moatdb(running, "keys", "delete", key.id)

    assert key.id not in listed_keys(running)
    assert error(ddb.list_tables) == ("UnrecognizedClientException", UNKNOWN_KEY, 400)


# --- credentials files ------------------------------------------------------------------------------------


def test_credentials_write_gives_each_user_a_profile_the_aws_cli_can_use(running, tmp_path):
    name = fresh("frank")
    (key,) = user_with_keys(running, name, 1, account="222222222222")
    folder = tmp_path / "aws"

    written = moatdb(running, "credentials", "--write", str(folder), "--endpoint-url", running.endpoint).stdout

    assert written.splitlines() == [str(folder / "config"), str(folder / "credentials")]
    for path in (folder / "config", folder / "credentials"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config, credentials = configparser.ConfigParser(), configparser.ConfigParser()
    config.read(folder / "config")
    credentials.read(folder / "credentials")
    assert dict(config[f"profile {name}"]) == {"region": "us-east-1", "endpoint_url": running.endpoint}
    assert dict(credentials[name]) == {"aws_access_key_id": key.id, "aws_secret_access_key": key.secret}
    assert credentials["tester"]["aws_access_key_id"] == ACCESS_KEY

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(folder / "config"), AWS_SHARED_CREDENTIALS_FILE=str(folder / "credentials"),
               AWS_PAGER="")
    done = subprocess.run([AWS, "--profile", name, "sts", "get-caller-identity", "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:iam::222222222222:user/{name}"


def test_credentials_write_gives_each_role_a_profile_that_assumes_it_through_sts(running, tmp_path):
    from moatdb.auth.directory import USER

    name = fresh("grace")
    (key,) = user_with_keys(running, name, 1)
    role = fresh("app-role")
    directory = directory_of(running)
    try:
        user = directory.user(ACCOUNT, name)
        directory.attach_policy(USER, ACCOUNT, name, "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"}]})
        directory.create_role(ACCOUNT, role, trust)
    finally:
        directory.store.close()
    folder = tmp_path / "aws"

    moatdb(running, "credentials", "--write", str(folder), "--endpoint-url", running.endpoint)

    config = configparser.ConfigParser()
    config.read(folder / "config")
    # The role's profile names it and the user its trust policy names (STS decides the rest).
    assert dict(config[f"profile {role}"]) == {
        "region": "us-east-1", "endpoint_url": running.endpoint,
        "role_arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "source_profile": name}
    identity = aws_with_profiles(folder, "--profile", role, "sts", "get-caller-identity")
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/[\w+=,.@-]+", identity["Arn"])


def aws_with_profiles(folder: Path, *args: str) -> dict:
    """The AWS CLI reading only the profiles in FOLDER: its JSON output, asserting it succeeded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(folder / "config"), AWS_SHARED_CREDENTIALS_FILE=str(folder / "credentials"),
               AWS_PAGER="")
    done = subprocess.run([AWS, *args, "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def strict_sections(path: Path) -> list[str]:
    """The sections of an AWS profile file, read as botocore reads it: a repeated section is an error."""
    parser = configparser.RawConfigParser(strict=True)
    parser.read(path)
    return parser.sections()


def test_users_of_the_same_name_in_two_accounts_get_distinct_profiles(running, tmp_path):
    # One name twice in a file makes botocore refuse the whole file ("Unable to parse config file"):
    # the user of the lower account keeps the name, the other's profile is NAME@ACCOUNT.
    name = fresh("gina")
    (first,) = user_with_keys(running, name, 1, account="333333333333")
    (second,) = user_with_keys(running, name, 1, account="444444444444")
    folder = tmp_path / "aws"

    moatdb(running, "credentials", "--write", str(folder), "--endpoint-url", running.endpoint)

    assert f"profile {name}" in strict_sections(folder / "config")
    assert f"profile {name}@444444444444" in strict_sections(folder / "config")
    credentials = configparser.RawConfigParser(strict=True)
    credentials.read(folder / "credentials")
    assert credentials[name]["aws_access_key_id"] == first.id
    assert credentials[f"{name}@444444444444"]["aws_access_key_id"] == second.id
    identity = aws_with_profiles(folder, "--profile", f"{name}@444444444444", "sts", "get-caller-identity")
    assert identity["Arn"] == f"arn:aws:iam::444444444444:user/{name}"


def test_a_user_named_default_leaves_the_default_profile_to_admin(tmp_path):
    from moatdb.server import open_directory

    data_dir = tmp_path / "data"
    directory = open_directory(data_dir)
    try:
        directory.create_account(ACCOUNT, "default")
        for name in ("admin", "default"):
            directory.create_user(ACCOUNT, name)
            directory.create_access_key(ACCOUNT, name)
        default_user_key = directory.access_keys(ACCOUNT, "default")[0].id
    finally:
        directory.store.close()
    server = Server(data_dir, free_port()).start()  # `moatdb serve` writes data/aws/, admin the default
    try:
        folder = data_dir / "aws"
        assert sorted(strict_sections(folder / "credentials")) == ["admin", "default", "default@000000000000",
                                                                   "tester"]
        credentials = configparser.RawConfigParser(strict=True)
        credentials.read(folder / "credentials")
        assert credentials["default@000000000000"]["aws_access_key_id"] == default_user_key
        identity = aws_with_profiles(folder, "sts", "get-caller-identity")
    finally:
        server.stop()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    # IAM's own words (IAM API Reference: NoSuchEntity, EntityAlreadyExists), as the IAM API says them.
    (["keys", "create", "--user", "nobody"], "The user with name nobody cannot be found."),
    (["keys", "create", "--user", "tester", "--account", "333333333333"],
     "The user with name tester cannot be found."),
    (["users", "create", "zoe", "--account", "123"], "an account id is 12 digits, not '123'"),
    (["users", "create", "zoe", "--account", "12345678901x"], "an account id is 12 digits, not '12345678901x'"),
    (["users", "create", "tester"], "User with name tester already exists."),
    (["users", "create", "TESTER"], "User with name TESTER already exists."),
    (["users", "create", "a b"], "1 validation error detected: Value 'a b' at 'userName' failed to satisfy "
                                 "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
    (["users", "create", "x]\n[default"], "1 validation error detected: Value 'x]\n[default' at 'userName' "
                                          "failed to satisfy constraint: Member must satisfy regular expression "
                                          "pattern: [\\w+=,.@-]+"),
    (["users", "create", "u" * 65], f"1 validation error detected: Value '{'u' * 65}' at 'userName' failed to "
                                    "satisfy constraint: Member must have length less than or equal to 64"),
    (["keys", "deactivate", "AKIANOSUCHKEY0000000"], "The Access Key with id AKIANOSUCHKEY0000000 cannot be found."),
    (["keys", "delete", "AKIANOSUCHKEY0000000"], "The Access Key with id AKIANOSUCHKEY0000000 cannot be found."),
], ids=["unknown user", "unknown account", "short account id", "account id with a letter", "existing user",
        "existing user in other case", "space in a name", "a name that would forge a profile", "65-character name",
        "deactivate an unknown key", "delete an unknown key"])
def test_a_refused_command_exits_non_zero_with_a_clear_message(running, args, message):
    done = moatdb(running, *args, ok=False)

    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: {message}\n")


def test_a_command_on_a_folder_without_moatdb_data_says_so(tmp_path):
    done = subprocess.run([MOATDB, "users", "list", "--data-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=30)

    assert done.returncode == 1
    assert done.stderr == (f"Error: no moatdb data in {tmp_path} (start `moatdb serve` once, or pass --data-dir)\n")
