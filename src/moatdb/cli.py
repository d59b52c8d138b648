"""The ``moatdb`` command."""

from __future__ import annotations

from pathlib import Path

import click

from moatdb import __version__


@click.group()
@click.version_option(__version__, prog_name="moatdb")
def main() -> None:
    """moatdb: a private DynamoDB with AWS's authorization and a network perimeter."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--data-dir", default=".moatdb", show_default=True, type=click.Path(path_type=Path),
              help="Directory holding the database (created with mode 0700).")
@click.option("--region", default="us-east-1", show_default=True,
              help="The AWS region this server is; requests signed for another region are refused.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes sharing the same data.")
def serve(host: str, port: int, data_dir: Path, region: str, log_level: str, workers: int) -> None:
    """Serve DynamoDB's API on HOST:PORT until SIGINT or SIGTERM."""
    from moatdb.server import Settings
    from moatdb.server import serve as run

    run(Settings(host=host, port=port, data_dir=data_dir, region=region, log_level=log_level, workers=workers))
