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
from moatdb.deployment import commands as deployment

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
@click.option("--ttl-interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between two passes of the time-to-live sweeper, which deletes expired items.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, doors: dict[str, tuple[str, int]], world: Path | None,
          data_dir: Path, region: str, log_level: str, workers: int, ttl_interval: float) -> None:
    """Serve DynamoDB's API at every door of the world until SIGINT or SIGTERM."""
    from moatdb.server import Settings, StartError
    from moatdb.server import serve as run

    def given(name: str, value):
        # An option left at its default defers to the world, which may say otherwise.
        return None if ctx.get_parameter_source(name) is ParameterSource.DEFAULT else value

    try:
        run(Settings(host=given("host", host), port=given("port", port), data_dir=data_dir,
                     region=given("region", region), log_level=log_level, workers=workers, world=world,
                     moved_doors=doors, ttl_interval=ttl_interval))
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


# --- the audit trail -----------------------------------------------------------------------------

TRAIL_DIR = click.option("--data-dir", default=".moatdb", show_default=True, type=click.Path(path_type=Path),
                         help="The server's data directory (or a trail folder handed over on its own).")


@main.group()
def audit() -> None:
    """The audit trail: a CloudTrail record of every request answered, in JSON-lines files chained
    by signed digests (docs/audit.md)."""


@audit.command("verify")
@TRAIL_DIR
@click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Trust only this public key (a copy kept away from the trail), not the trail's own.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def audit_verify(data_dir: Path, public_key: Path | None, as_json: bool) -> None:
    """Check every digest's signature, the digest chain, and every log file against its digest.
    Exits 0 when the trail is intact and 1 when a file was changed, removed or inserted, a
    signature fails, or the chain has a gap or is out of order."""
    from moatdb.audit.layout import find
    from moatdb.audit.verify import verify

    trail = find(data_dir)
    if not trail.root.is_dir():
        raise click.ClickException(f"no audit trail in {data_dir}")
    try:
        report = verify(trail, public_key=public_key)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(f"Trail: {report.trail}")
        newest = f" (the newest ends {report.newest})" if report.newest else ""
        click.echo(f"Digests: {report.digests}{newest}; log files: {report.log_files}")
        if report.valid:
            click.echo("VALID: every digest is signed and chained, and every log file matches its digest.")
        else:
            click.echo(f"INVALID: {len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}")
            for problem in report.problems:
                click.echo(f"  {problem.kind:<9} {problem.file}: {problem.detail}")
        if report.pending:
            click.echo(f"Not digested yet (being written, or newer than the last digest): {len(report.pending)}")
    raise SystemExit(0 if report.valid else 1)


@audit.command("query")
@click.option("--principal", metavar="ARN", help="The caller's ARN; a role's ARN matches all its sessions.")
@click.option("--session", metavar="ACCESS_KEY_ID", help="A session's temporary access key id (ASIA...).")
@click.option("--source-identity", help="A role session's source identity.")
@click.option("--table", metavar="NAME", help="A table's name or ARN.")
@click.option("--action", metavar="NAME", help="An operation: GetItem, or dynamodb:GetItem.")
@click.option("--decision", type=click.Choice(["allowed", "denied"]),
              help="The authorization's decision (denied: an explicit or implicit deny, or no identity).")
@click.option("--since", metavar="TIME",
              help="From this time: ISO 8601 (UTC unless given), or ago: 15m, 2h, 7d.")
@click.option("--until", metavar="TIME", help="Up to this time (same forms).")
@click.option("--json", "as_json", is_flag=True, help="Print each record whole, one JSON object a line.")
@TRAIL_DIR
def audit_query(principal, session, source_identity, table, action, decision, since, until, as_json: bool,
                data_dir: Path) -> None:
    """The records that match every filter given, oldest first."""
    from moatdb.audit.layout import find
    from moatdb.audit.query import moment, records

    if not find(data_dir).root.is_dir():
        raise click.ClickException(f"no audit trail in {data_dir}")
    try:
        bounds = [None if text is None else moment(text) for text in (since, until)]
    except ValueError as error:
        raise click.ClickException(f"not a time: {error}") from None
    for record in records(data_dir, principal=principal, session=session, source_identity=source_identity,
                          table=table, action=action, decision=decision, since=bounds[0], until=bounds[1]):
        click.echo(json.dumps(record) if as_json else _record_line(record))


def _record_line(record: dict) -> str:
    """time, decision, caller, service:operation, resource, error: one record, tab-separated."""
    authorization = record.get("moatdbAuthorization") or {}
    identity = record.get("userIdentity") or {}
    source = (record.get("eventSource") or "").split(".", 1)[0]
    resources = ",".join(r.get("ARN", "") for r in record.get("resources") or ()) or "-"
    return "\t".join([record.get("eventTime") or "-", authorization.get("decision", "-"),
                      identity.get("arn") or identity.get("accessKeyId") or identity.get("type", "-"),
                      f"{source}:{record.get('eventName')}", resources, record.get("errorCode") or "-"])


# --- break glass ----------------------------------------------------------------------------------


@main.group("break-glass")
def break_glass() -> None:
    """The break-glass procedure (docs/break-glass.md): request a break-glass role with a reason and
    a ticket, have others approve, receive time-boxed credentials, revoke, report; and the sealed
    path for when no approver can be reached. Every step is signed with your AWS profile and sent
    to the server's HTTP API."""
    import logging

    # Steps taken on the data directory (seal, unseal --data-dir) sound their alarms from here: to
    # standard error, as the server logs them, and to the world's webhooks.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _api_options(command):
    """--profile, --endpoint-url, --region and --json: whom to sign as, where, and how to print."""
    for option in reversed((
        click.option("--profile", default=None, help="The AWS profile to sign with  [default: AWS_PROFILE, or "
                                                     "the default profile]."),
        click.option("--endpoint-url", default=None, help="The server  [default: the profile's endpoint_url]."),
        click.option("--region", default=None, help="The region to sign for  [default: the profile's]."),
        click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer."),
    )):
        command = option(command)
    return command


def _client(profile: str | None, endpoint_url: str | None, region: str | None):
    from moatdb.breakglass.client import Client, ClientError

    try:
        return Client(profile=profile, endpoint_url=endpoint_url, region=region)
    except ClientError as error:
        raise click.ClickException(str(error)) from None


def _call(client, operation: str, params: dict) -> dict:
    from moatdb.breakglass.client import ClientError

    try:
        return client.call(operation, params)
    except ClientError as error:
        raise click.ClickException(f"{error.code}: {error}" if error.code else str(error)) from None


def _step(operation: str, params: dict, profile, endpoint_url, region, as_json: bool) -> dict:
    answer = _call(_client(profile, endpoint_url, region), operation, params)
    click.echo(json.dumps(answer, indent=2) if as_json else _describe(answer["Grant"]))
    return answer


def _describe(grant: dict) -> str:
    """A grant for a person to read."""
    lines = [f"{grant['GrantId']}  {grant['Status']}  {grant['RoleArn']}  {grant['Duration']}",
             f"  requested by {grant['Requester']} at {grant['RequestedAt']}",
             f"  reason: {grant['Reason'] or '-'}", f"  ticket: {grant['Ticket'] or '-'}"]
    if "Seal" in grant:
        lines.append(f"  opened with the shares of {grant['Seal']}, without approval")
    else:
        lines.append(f"  approvals: {len(grant['Approvals'])} of {grant['ApprovalsRequired']}")
        lines += [f"    {approval['Approver']} at {approval['At']}" + (f": {approval['Comment']}"
                                                                      if approval["Comment"] else "")
                  for approval in grant["Approvals"]]
    if "RequestExpiresAt" in grant:
        lines.append(f"  waits for approval until {grant['RequestExpiresAt']}")
    if "StartsAt" in grant:
        lines.append(f"  granted from {grant['StartsAt']} until {grant['EndsAt']}")
    if "EndedAt" in grant:
        by = f" by {grant['EndedBy']}" if grant["EndedBy"] else ""
        why = f": {grant['EndReason']}" if grant["EndReason"] else ""
        lines.append(f"  ended at {grant['EndedAt']}{by}{why}")
    return "\n".join(lines)


def _credentials_out(answer: dict, name: str | None, output: str, *, region: str, endpoint_url: str) -> None:
    """The credentials a grant gave: as a profile to paste, written into the AWS files, env or JSON."""
    from moatdb.breakglass.client import profile_text, write_profile

    credentials = answer["Credentials"]
    name = name or answer["Grant"]["GrantId"]
    if output == "write":
        files = write_profile(name, credentials, region=region, endpoint_url=endpoint_url)
        click.echo(f"Wrote profile {name} ({', '.join(map(str, files))}); it expires at "
                   f"{credentials['Expiration']}:\n  aws --profile {name} sts get-caller-identity")
    elif output == "json":
        click.echo(json.dumps(answer, indent=2))
    elif output == "env":
        click.echo(f"export AWS_ACCESS_KEY_ID={credentials['AccessKeyId']}\n"
                   f"export AWS_SECRET_ACCESS_KEY={credentials['SecretAccessKey']}\n"
                   f"export AWS_SESSION_TOKEN={credentials['SessionToken']}\n"
                   f"export AWS_REGION={region} AWS_ENDPOINT_URL={endpoint_url}")
    else:
        click.echo(f"# {answer['AssumedRoleUser']['Arn']}, until {credentials['Expiration']}\n"
                   f"{profile_text(name, credentials)}region = {region}\nendpoint_url = {endpoint_url}")


def _output_options(command):
    """--write-profile and --format: where the credentials of a grant go."""
    command = click.option("--format", "output", type=click.Choice(["profile", "env", "json"]), default="profile",
                           show_default=True, help="How to print the credentials.")(command)
    return click.option("--write-profile", metavar="NAME", default=None,
                        help="Write the credentials as the AWS profile NAME (into AWS_SHARED_CREDENTIALS_FILE and "
                             "AWS_CONFIG_FILE, else ~/.aws) instead of printing them.")(command)


@break_glass.command("request")
@click.option("--role", "role_arn", required=True, metavar="ARN", help="The break-glass role.")
@click.option("--reason", default="", help="Why (required by default).")
@click.option("--ticket", default="", help="The incident or ticket id (required by default).")
@click.option("--duration", default=None, help="How long, from the approval: 1h, 15m, 90s ...  [default: the "
                                                "longest the role allows].")
@click.option("--wait", is_flag=True, help="Wait for the decision, then print the credentials (or write them "
                                           "with --write-profile).")
@_output_options
@_api_options
def break_glass_request(role_arn, reason, ticket, duration, wait, write_profile, output, profile, endpoint_url,
                        region, as_json) -> None:
    """Ask for a break-glass role. Others approve it (moatdb break-glass approve GRANT); then
    `moatdb break-glass credentials GRANT` gives you the role's session, until the grant ends."""
    import time

    client = _client(profile, endpoint_url, region)
    params = {"RoleArn": role_arn, "Reason": reason, "Ticket": ticket}
    if duration is not None:
        params["Duration"] = duration
    grant = _call(client, "request", params)["Grant"]
    if not wait:
        click.echo(json.dumps({"Grant": grant}, indent=2) if as_json else _describe(grant))
        return
    click.echo(f"{grant['GrantId']}: waiting for {grant['ApprovalsRequired']} approval(s), until "
               f"{grant['RequestExpiresAt']} ...", err=True)
    while grant["Status"] == "pending":
        time.sleep(2)
        grant = _call(client, "get", {"GrantId": grant["GrantId"]})["Grant"]
    if grant["Status"] != "active":
        raise click.ClickException(f"{grant['GrantId']} is {grant['Status']}"
                                   + (f": {grant['EndReason']}" if grant.get("EndReason") else ""))
    answer = _call(client, "credentials", {"GrantId": grant["GrantId"]})
    _credentials_out(answer, write_profile, "write" if write_profile else output, region=client.region,
                     endpoint_url=client.endpoint)


@break_glass.command("approve")
@click.argument("grant")
@click.option("--comment", default="", help="A word for the record.")
@_api_options
def break_glass_approve(grant, comment, profile, endpoint_url, region, as_json) -> None:
    """Approve the request GRANT (as an approver, never your own)."""
    _step("approve", {"GrantId": grant, "Comment": comment}, profile, endpoint_url, region, as_json)


@break_glass.command("deny")
@click.argument("grant")
@click.option("--reason", default="", help="Why, for the requester and the record.")
@_api_options
def break_glass_deny(grant, reason, profile, endpoint_url, region, as_json) -> None:
    """Deny the request GRANT: it ends there."""
    _step("deny", {"GrantId": grant, "Reason": reason}, profile, endpoint_url, region, as_json)


@break_glass.command("revoke")
@click.argument("grant")
@click.option("--reason", default="", help="Why, for the record.")
@_api_options
def break_glass_revoke(grant, reason, profile, endpoint_url, region, as_json) -> None:
    """End GRANT now: a pending request, or an active grant, whose sessions are refused from their
    very next request."""
    _step("revoke", {"GrantId": grant, "Reason": reason}, profile, endpoint_url, region, as_json)


@break_glass.command("status")
@click.argument("grant")
@_api_options
def break_glass_status(grant, profile, endpoint_url, region, as_json) -> None:
    """Where GRANT stands."""
    _step("get", {"GrantId": grant}, profile, endpoint_url, region, as_json)


@break_glass.command("list")
@click.option("--status", type=click.Choice(["pending", "active", "denied", "expired", "revoked"]), default=None)
@click.option("--role", "role_arn", default=None, metavar="ARN")
@_api_options
def break_glass_list(status, role_arn, profile, endpoint_url, region, as_json) -> None:
    """The grants you may see, newest first."""
    params = {key: value for key, value in (("Status", status), ("RoleArn", role_arn)) if value}
    answer = _call(_client(profile, endpoint_url, region), "list", params)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    for grant in answer["Grants"]:
        click.echo(f"{grant['GrantId']}\t{grant['Status']}\t{grant['RoleArn']}\t{grant['Requester']}\t"
                   f"{grant['RequestedAt']}\t{grant['Ticket'] or '-'}")


@break_glass.command("credentials")
@click.argument("grant")
@_output_options
@click.option("--profile", default=None, help="The AWS profile to sign with (the requester's).")
@click.option("--endpoint-url", default=None, help="The server  [default: the profile's endpoint_url].")
@click.option("--region", default=None, help="The region to sign for  [default: the profile's].")
def break_glass_credentials(grant, write_profile, output, profile, endpoint_url, region) -> None:
    """The credentials of GRANT's role session, for its requester: printed as an AWS profile (named
    after the grant), or written with --write-profile. They expire when the grant ends."""
    client = _client(profile, endpoint_url, region)
    answer = _call(client, "credentials", {"GrantId": grant})
    _credentials_out(answer, write_profile, "write" if write_profile else output, region=client.region,
                     endpoint_url=client.endpoint)


@break_glass.command("report")
@click.argument("grant")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Read the data directory itself instead of asking the server.")
@click.option("--profile", default=None, help="The AWS profile to sign with.")
@click.option("--endpoint-url", default=None, help="The server  [default: the profile's endpoint_url].")
@click.option("--region", default=None, help="The region to sign for  [default: the profile's].")
def break_glass_report(grant, data_dir, profile, endpoint_url, region) -> None:
    """Everything done under GRANT, as Markdown: who asked, who approved, every call made with its
    sessions (parameter names and outcome), how it ended."""
    if data_dir is None:
        answer = _call(_client(profile, endpoint_url, region), "report", {"GrantId": grant})
        click.echo(answer["Markdown"], nl=False)
        return
    from moatdb.breakglass import service
    from moatdb.breakglass.events import journal
    from moatdb.breakglass.report import audited, render

    with _directory(data_dir) as directory:
        procedure, _ = service.local(directory)
        found = procedure.grant(grant)
        click.echo(render(found, journal(directory.store, found.id), procedure.clock(), audited(data_dir, found)),
                   nl=False)


@break_glass.command("seal")
@click.option("--role", "role_arn", required=True, metavar="ARN", help="The break-glass role the seal opens.")
@click.option("--shares", type=click.IntRange(2, 255), required=True, help="N: how many custodians get a share.")
@click.option("--threshold", type=click.IntRange(2, 255), required=True, help="M: how many shares open it.")
@click.option("--duration", default="1h", show_default=True, help="How long the grant it opens lasts.")
@click.option("--share-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write each share to its own file here (0600) instead of printing them.")
@click.option("--as", "operator", default=None, help="Your name, for the record  [default: your login].")
@DATA_DIR
def break_glass_seal(role_arn, shares, threshold, duration, share_dir, operator, data_dir) -> None:
    """Set up the sealed path: an emergency grant of ROLE, opened by THRESHOLD of SHARES Shamir
    shares, one per custodian. Run on the data directory; the shares exist only in what this
    prints (or writes), once."""
    import os

    from moatdb.breakglass import durations, service
    from moatdb.breakglass.actors import Actor

    try:
        seconds = durations.parse(duration)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--duration") from None
    with _directory(data_dir) as directory:
        procedure, seals = service.local(directory)
        seal, split = seals.seal(Actor.local(operator), role_arn, shares=shares, threshold=threshold,
                                 duration=seconds)
        procedure.alarms.flush(timeout=10)  # the world's webhooks hear of it before this command ends
    click.echo(f"{seal.id}: {threshold} of these {shares} shares open a {durations.show(seconds)} grant of "
               f"{seal.role}, once. Give one to each custodian; they are shown only now.")
    if share_dir is None:
        for share in split:
            click.echo(share.text())
        return
    share_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for share in split:
        path = share_dir / f"{seal.id}-share-{share.index}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(share.text() + "\n")
        click.echo(str(path))


@break_glass.command("unseal")
@click.option("--share", "shares", multiple=True, metavar="SHARE", help="A share (repeatable).")
@click.option("--share-file", "share_files", multiple=True, type=click.File(), metavar="FILE",
              help="A file holding a share (repeatable).")
@click.option("--reason", default="", help="Why, for the record.")
@click.option("--ticket", default="", help="The incident or ticket id, for the record.")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Unseal on the data directory itself, without the server.")
@click.option("--as", "operator", default=None, help="With --data-dir: your name  [default: your login].")
@_output_options
@click.option("--profile", default=None, help="The AWS profile to sign with (without --data-dir).")
@click.option("--endpoint-url", default=None, help="The server  [default: the profile's endpoint_url].")
@click.option("--region", default=None, help="The region to sign for  [default: the profile's].")
def break_glass_unseal(shares, share_files, reason, ticket, data_dir, operator, write_profile, output, profile,
                       endpoint_url, region) -> None:
    """Open the sealed path with M shares: a grant of the sealed role, active at once for the
    sealed duration, without approvers; the seal is spent. This sounds the loudest alarm."""
    texts = [*shares, *(file.read().strip() for file in share_files)]
    if data_dir is None:
        client = _client(profile, endpoint_url, region)
        answer = _call(client, "unseal", {"Shares": texts, "Reason": reason, "Ticket": ticket})
        region, endpoint_url = client.region, client.endpoint
    else:
        answer = _unseal_locally(data_dir, texts, operator, reason, ticket, region or "us-east-1")
        endpoint_url = endpoint_url or "http://127.0.0.1:8000"
        region = region or "us-east-1"
    _credentials_out(answer, write_profile, "write" if write_profile else output, region=region,
                     endpoint_url=endpoint_url)


def _unseal_locally(data_dir: Path, texts: list[str], operator: str | None, reason: str, ticket: str,
                    region: str) -> dict:
    from moatdb.breakglass import service
    from moatdb.breakglass.actors import Actor
    from moatdb.breakglass.api import issued, view

    with _directory(data_dir) as directory:
        procedure, seals = service.local(directory)
        try:
            grant, session = seals.unseal(Actor.local(operator), texts, reason=reason, ticket=ticket)
        finally:
            # The alarms go out before this command ends, however it ends (bounded: the emergency
            # must not wait on a webhook that is down).
            procedure.alarms.flush(timeout=10)
        return issued(view(grant, region, procedure.clock()), session)


# --- to AWS and back: export, deploy, import (docs/export-deploy-import.md) ---------------------------------

for _command in deployment.COMMANDS:
    main.add_command(_command)
