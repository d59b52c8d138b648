"""The commands that take a world to AWS and back: ``moatdb export``, ``moatdb deploy`` and
``moatdb import`` (docs/export-deploy-import.md). boto3 and rich are imported when a command runs."""

from __future__ import annotations

from pathlib import Path

import click

from moatdb.deployment import FORMATS


def _world(path: Path | None):
    from moatdb.world import WorldError, default_path, load

    try:
        return load(path or default_path())
    except WorldError as error:
        raise click.ClickException(str(error)) from None


WORLD = click.option("--world", "world_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="The world file  [default: the embedded default world].")
PROFILE = click.option("--profile", required=True, help="The AWS profile of the management account.")
ENDPOINT_URL = click.option("--endpoint-url", default=None, metavar="URL",
                            help="Send every AWS call here (a stand-in for AWS, such as moto_server).")
REGION = click.option("--region", default=None, help="The region  [default: the profile's].")
MEMBER_ROLE = click.option("--member-role", default="OrganizationAccountAccessRole", show_default=True,
                           help="The role assumed in each member account.")


@click.command()
@WORLD
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="What to write (repeatable)  [default: all three].")
@click.option("--account", default=None, metavar="ID", help="Only this account's files.")
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The directory to write into (created if need be).")
def export(world_file: Path | None, formats: tuple[str, ...], account: str | None, out: Path) -> None:
    """Write a world as the files one takes to AWS: the SCPs and RCPs with a manifest of their
    attachments, a CloudFormation template per account, and Terraform configurations."""
    from moatdb.deployment import export as exporter

    world = _world(world_file)
    if account is not None and account not in {entry.id for entry in world.accounts}:
        raise click.ClickException(f"no account {account} in {world.source}")
    try:
        written = exporter.write(world, out, formats or FORMATS, account)
    except OSError as error:
        raise click.ClickException(f"cannot write into {out}: {error.strerror}") from None
    for path in written:
        click.echo(str(path))


def _aws(profile: str, endpoint_url: str | None, region: str | None, member_role: str):
    # Imported here: boto3 costs a quarter of a second that every other command would pay.
    from moatdb.deployment.aws import AccessError, Aws

    try:
        return Aws(profile, endpoint_url, region, member_role)
    except AccessError as error:
        raise click.ClickException(str(error)) from None


@click.command("import")
@PROFILE
@ENDPOINT_URL
@REGION
@MEMBER_ROLE
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="The world file to write ('-': standard output).")
def import_world(profile: str, endpoint_url: str | None, region: str | None, member_role: str, out: Path) -> None:
    """Read an organization with boto3 (its OUs, accounts, SCPs and RCPs, each account's IAM,
    DynamoDB gateway endpoints and tables) and write it as a world file for `moatdb serve --world`."""
    from moatdb.deployment.aws import FAILURES
    from moatdb.deployment.importer import Importer, render

    aws = _aws(profile, endpoint_url, region, member_role)
    importer = Importer(aws)
    try:
        data = importer.world()
    except FAILURES as error:
        raise click.ClickException(f"cannot read the organization: {error}") from None
    text = render(data, importer.warnings, f"profile {profile}" + (f" at {endpoint_url}" if endpoint_url else ""))
    if str(out) == "-":
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise click.ClickException(f"cannot write {out}: {error.strerror}") from None
        click.echo(f"Wrote {out}: {len(data['accounts'])} accounts. Serve it with: moatdb serve --world {out}")
    for warning in importer.warnings:
        click.echo(f"Left out: {warning}", err=True)


@click.command()
@WORLD
@PROFILE
@ENDPOINT_URL
@click.option("--region", default=None, help="The region  [default: the world's].")
@MEMBER_ROLE
@click.option("--yes", is_flag=True, help="Apply without asking.")
def deploy(world_file: Path | None, profile: str, endpoint_url: str | None, region: str | None, member_role: str,
           yes: bool) -> None:
    """Apply a world to an AWS organization with boto3: print the plan (create, change, leave
    alone), ask, then apply it step by step. Never deletes anything; what exists and was not
    created by moatdb deploy is left alone. Exits 1 when the plan is blocked or a step fails."""
    world = _world(world_file)
    aws = _aws(profile, endpoint_url, region or world.region, member_role)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from moatdb.deployment import deploy as deployer
    from moatdb.deployment import plan as planner
    from moatdb.deployment.aws import FAILURES, AccessError
    click.echo(f"Reading AWS (account {aws.account}, {aws.region}) to plan {world.source}...")
    try:
        plan = planner.make(world, aws)
    except (*FAILURES, AccessError) as error:
        raise click.ClickException(f"cannot read what AWS holds, nothing was applied: {error}") from None
    click.echo(deployer.show(plan))
    if plan.blocked:
        raise click.ClickException("the plan is blocked (the lines marked !): nothing was applied")
    if not plan.work:
        click.echo("Nothing to do: AWS holds the world.")
        return
    if not yes and not click.confirm(f"Apply {len(plan.work)} steps?", default=False):
        raise click.ClickException("nothing was applied")
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("deploying", total=len(plan.work))

        def step_started(step, number: int, total: int) -> None:
            progress.update(task, completed=number - 1, description=f"{step.action} {step.what}")

        report = deployer.apply(plan, step_started)
        progress.update(task, completed=len(report.applied))
    click.echo(report.show())
    if report.failed is not None:
        raise click.ClickException("the deploy stopped at a failing step")


COMMANDS = [export, import_world, deploy]
