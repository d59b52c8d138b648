"""The ``moatdb`` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from moatdb import __version__

if TYPE_CHECKING:
    from moatdb.auth.directory import Directory


@click.group()
@click.version_option(__version__, prog_name="moatdb")
def main() -> None:
    """moatdb: a private DynamoDB with AWS's authorization and a network perimeter."""


def _door_option(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, tuple[str, int]]:
    from moatdb.gateway.doors import DoorError, parse_address

    moved = {}
    for value in values:
        name, equals, address = value.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"{value!r} is not NAME=HOST:PORT", ctx, param)
        try:
            moved[name] = parse_address(address)
        except DoorError as error:
            raise click.BadParameter(str(error), ctx, param) from None
    return moved


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the public door, when not the world's.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the public door, when not the world's.")
@click.option("--door", "doors", multiple=True, metavar="NAME=HOST:PORT", callback=_door_option,
              help="Listen for the world's door NAME on HOST:PORT instead of its own address (repeatable).")
@click.option("--world", type=click.Path(path_type=Path, dir_okay=False),
              help="World file to apply to a data directory that holds no world yet  "
                   "[default: the embedded default world, for a new data directory].")
@click.option("--data-dir", default=".moatdb", show_default=True, type=click.Path(path_type=Path),
              help="Directory holding the database (created with mode 0700).")
@click.option("--region", default="us-east-1", show_default=True,
              help="The AWS region this server is, when not the world's; requests signed for another region "
                   "are refused.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes sharing the same data and doors.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, doors: dict[str, tuple[str, int]], world: Path | None,
          data_dir: Path, region: str, log_level: str, workers: int) -> None:
    """Serve DynamoDB's API at every door of the world until SIGINT or SIGTERM."""
    from moatdb.server import Settings, StartError
    from moatdb.server import serve as run

    def given(name: str, value):
        # An option left at its default defers to the world, which may say otherwise.
        return None if ctx.get_parameter_source(name) is ParameterSource.DEFAULT else value

    try:
        run(Settings(host=given("host", host), port=given("port", port), data_dir=data_dir,
                     region=given("region", region), log_level=log_level, workers=workers, world=world,
                     moved_doors=doors))
    except StartError as error:
        click.echo(str(error), err=True)
        ctx.exit(error.status)


# --- principals ---------------------------------------------------------------------------------

DATA_DIR = click.option("--data-dir", default=".moatdb", show_default=True, type=click.Path(path_type=Path),
                        help="The server's data directory.")
ACCOUNT = click.option("--account", default="000000000000", show_default=True, help="The 12-digit account id.")


@contextmanager
def _directory(data_dir: Path, *, create: bool = False) -> Iterator[Directory]:
    """The principals of a data directory, for one command; their errors become its error message."""
    from moatdb.errors import AwsError
    from moatdb.server import open_directory

    if not create and not (data_dir / "moatdb.sqlite3").exists():
        raise click.ClickException(f"no moatdb data in {data_dir} (start `moatdb serve` once, or pass --data-dir)")
    directory = open_directory(data_dir)
    try:
        yield directory
    except AwsError as error:
        raise click.ClickException(error.message or error.code) from None
    except (ValueError, LookupError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        directory.store.close()


@main.group()
def users() -> None:
    """IAM users: the people and programs that sign requests with access keys."""


@users.command("create")
@click.argument("name")
@ACCOUNT
@click.option("--policy", "policies", multiple=True, metavar="ARN",
              help="Attach this managed policy (repeatable), e.g. arn:aws:iam::aws:policy/AdministratorAccess.")
@DATA_DIR
def users_create(name: str, account: str, policies: tuple[str, ...], data_dir: Path) -> None:
    """Create the IAM user NAME (and its account, if new). A new user may do nothing until a policy
    allows it: attach managed policies with --policy, or manage it through the IAM API."""
    from moatdb.auth.directory import USER

    with _directory(data_dir, create=True) as directory:
        if account not in {a.id for a in directory.accounts()}:
            directory.create_account(account, account)
        for arn in policies:  # checked before the user exists, so a typo leaves nothing behind
            if directory.policy(arn) is None:
                raise click.ClickException(f"Policy {arn} does not exist or is not attachable.")
        user = directory.create_user(account, name)
        for arn in policies:
            directory.attach_policy(USER, account, name, arn)
    click.echo(f"{user.arn}\t{user.id}")


@users.command("list")
@DATA_DIR
def users_list(data_dir: Path) -> None:
    """Every IAM user: ARN and user id."""
    with _directory(data_dir) as directory:
        for user in sorted(directory.users(), key=lambda u: u.arn):
            click.echo(f"{user.arn}\t{user.id}")


@main.group()
def keys() -> None:
    """Access keys of IAM users: create, list, rotate, deactivate, delete."""


@keys.command("create")
@click.option("--user", "user_name", required=True, help="The IAM user the key is for.")
@ACCOUNT
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
def keys_create(user_name: str, account: str, data_dir: Path, as_json: bool) -> None:
    """Create an access key; its secret is shown this once."""
    with _directory(data_dir) as directory:
        key = directory.create_access_key(account, user_name)
    _print_key(key, as_json)


@keys.command("import")
@click.option("--user", "user_name", required=True, help="The IAM user the key is for.")
@click.option("--access-key-id", required=True, help="The key id to import (AKIA...).")
@ACCOUNT
@DATA_DIR
def keys_import(user_name: str, access_key_id: str, account: str, data_dir: Path) -> None:
    """Import a known key: its secret is read from standard input (never from the command line,
    where other users of the machine could see it). For fixed test or benchmark credentials."""
    secret = click.get_text_stream("stdin").readline().strip()
    if not secret:
        raise click.ClickException("no secret access key on standard input")
    with _directory(data_dir, create=True) as directory:
        directory.create_access_key(account, user_name, key_id=access_key_id, secret=secret)
    click.echo(access_key_id)


@keys.command("rotate")
@click.option("--user", "user_name", required=True, help="The IAM user whose keys to rotate.")
@ACCOUNT
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the new key as JSON.")
def keys_rotate(user_name: str, account: str, data_dir: Path, as_json: bool) -> None:
    """Rotate a user's keys the way IAM recommends: a new key, and every older one deactivated
    (delete them once nothing uses them any more). A user holding two keys must delete one first."""
    with _directory(data_dir) as directory:
        older = directory.access_keys(account, user_name)
        key = directory.create_access_key(account, user_name)
        for old in older:
            directory.set_access_key_status(old.id, "Inactive")
    _print_key(key, as_json)


@keys.command("list")
@DATA_DIR
def keys_list(data_dir: Path) -> None:
    """Every access key: id, status, and user (never a secret)."""
    with _directory(data_dir) as directory:
        for key in sorted(directory.access_keys(), key=lambda k: (k.account, k.user, k.created)):
            click.echo(f"{key.id}\t{key.status}\tarn:aws:iam::{key.account}:user/{key.user}")


@keys.command("deactivate")
@click.argument("key_id")
@DATA_DIR
def keys_deactivate(key_id: str, data_dir: Path) -> None:
    """Make KEY_ID inactive: requests signed with it are refused from the next request on."""
    _set_status(data_dir, key_id, "Inactive")


@keys.command("activate")
@click.argument("key_id")
@DATA_DIR
def keys_activate(key_id: str, data_dir: Path) -> None:
    """Make KEY_ID active again."""
    _set_status(data_dir, key_id, "Active")


@keys.command("delete")
@click.argument("key_id")
@DATA_DIR
def keys_delete(key_id: str, data_dir: Path) -> None:
    """Delete KEY_ID for good."""
    with _directory(data_dir) as directory:
        directory.delete_access_key(key_id)


@main.command()
@DATA_DIR
@click.option("--endpoint-url", default="http://127.0.0.1:8000", show_default=True,
              help="The server the profiles point at.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--write", "folder", type=click.Path(path_type=Path), default=None,
              help="Write FOLDER/config and FOLDER/credentials (0600) instead of printing them.")
def credentials(data_dir: Path, endpoint_url: str, region: str, folder: Path | None) -> None:
    """AWS config and credentials files with a profile per IAM user (named after it), for
    AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE or ~/.aws."""
    from moatdb.auth import profiles

    with _directory(data_dir) as directory:
        if folder is not None:
            for path in profiles.write(directory, folder, endpoint_url=endpoint_url, region=region).values():
                click.echo(str(path))
            return
        files = profiles.render(directory, endpoint_url=endpoint_url, region=region)
    click.echo(f"# {profiles.CONFIG}\n{files[profiles.CONFIG]}\n# {profiles.CREDENTIALS}\n{files[profiles.CREDENTIALS]}")


# --- the world ------------------------------------------------------------------------------------


@main.command()
@click.option("--output", default="world.yaml", show_default=True,
              type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="The file to write ('-': standard output).")
def init(output: Path) -> None:
    """Write the default world file (the VPC-only pattern: docs/world.md) to edit and serve with
    `moatdb serve --world FILE`. An existing file is never overwritten."""
    from moatdb.world import default_path

    text = default_path().read_text()
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "x") as file:  # "x": a file that exists (or appears meanwhile) is left alone
            file.write(text)
    except FileExistsError:
        raise click.ClickException(f"{output} exists: not overwritten (remove it, or give another --output)") \
            from None
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    click.echo(f"Wrote {output}: the default world. Edit it, then: moatdb serve --world {output}")


# --- authorization, offline ----------------------------------------------------------------------


@main.command()
@click.option("--principal", help="The ARN of a user or role of the data directory (a role: a session of it).")
@click.option("--action", help="The action, e.g. dynamodb:GetItem.")
@click.option("--resource", help="The resource's ARN, e.g. arn:aws:dynamodb:us-east-1:000000000000:table/Music.")
@click.option("--context", "context", multiple=True, metavar="KEY=VALUE",
              help="A condition key of the request (repeatable; repeat a key for several values).")
@click.option("--source-ip", default="203.0.113.10", show_default=True, help="The caller's address.")
@click.option("--vpc", default=None, help="The request comes through a VPC endpoint in this VPC (vpc-...).")
@click.option("--vpce", default=None, help="The VPC endpoint it comes through (vpce-...).")
@click.option("--resource-policy", type=click.File(), default=None, help="The resource's policy (JSON file).")
@click.option("--scp", multiple=True, metavar="FILE[,FILE...]",
              help="The SCPs attached at one level of the organization path, root first (repeat per level).")
@click.option("--rcp", multiple=True, metavar="FILE[,FILE...]",
              help="The RCPs attached at one level, root first (repeat per level).")
@click.option("--endpoint-policy", type=click.File(), default=None, help="The VPC endpoint's policy (JSON file).")
@click.option("--request", "request_file", type=click.File(), default=None,
              help="The whole request as JSON (the same fields: principal, action, resource, context, ...).")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@DATA_DIR
def simulate(principal, action, resource, context, source_ip, vpc, vpce, resource_policy, scp, rcp,
             endpoint_policy, request_file, region, as_json, data_dir: Path) -> None:
    """Decide one request offline, as the server would, and explain the decision. Exits 0 when the
    request is allowed and 1 when it is denied."""
    from moatdb.policy.errors import MalformedPolicy
    from moatdb.simulation import Simulation
    from moatdb.simulation import simulate as decide

    if request_file is not None:
        try:
            simulation = Simulation(**json.load(request_file))
        except (ValueError, TypeError) as error:
            raise click.ClickException(f"the request file is not a simulation: {error}") from None
    else:
        if not (principal and action and resource):
            raise click.UsageError("give --principal, --action and --resource (or --request FILE)")
        keys: dict[str, list[str]] = {}
        for pair in context:
            name, equals, value = pair.partition("=")
            if not equals:
                raise click.UsageError(f"--context takes KEY=VALUE, not {pair!r}")
            keys.setdefault(name, []).append(value)
        simulation = Simulation(
            principal, action, resource, context=keys, source_ip=source_ip, vpc=vpc, vpc_endpoint=vpce,
            resource_policy=resource_policy.read() if resource_policy else None,
            scps=_levels(scp), rcps=_levels(rcp),
            endpoint_policy=endpoint_policy.read() if endpoint_policy else None)
    with _directory(data_dir) as directory:
        try:
            decision, request = decide(directory, simulation, region=region)
        except MalformedPolicy as error:
            raise click.ClickException(f"a policy given is malformed: {error.message}") from None
    if as_json:
        click.echo(json.dumps(decision.to_json() | {"message": None if decision.allowed else decision.message(request)},
                              indent=2))
    else:
        click.echo("ALLOWED" if decision.allowed else f"DENIED: {decision.message(request)}")
        click.echo(decision.explain())
    raise SystemExit(0 if decision.allowed else 1)


def _levels(options: tuple[str, ...]) -> list[list[str]] | None:
    """The documents of each level of an organization path: one option per level, files by commas."""
    if not options:
        return None
    try:
        return [[Path(name).read_text() for name in option.split(",")] for option in options]
    except OSError as error:
        raise click.ClickException(f"cannot read {error.filename}: {error.strerror}") from None


def _set_status(data_dir: Path, key_id: str, status: str) -> None:
    with _directory(data_dir) as directory:
        directory.set_access_key_status(key_id, status)


def _print_key(key, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"AccessKeyId": key.id, "SecretAccessKey": key.secret, "Status": key.status,
                               "UserName": key.user, "Account": key.account}))
    else:
        click.echo(f"AccessKeyId:     {key.id}\nSecretAccessKey: {key.secret}")
