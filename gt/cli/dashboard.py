"""`gt dashboard [--port] [--bind] [--open]`: the town in a browser, live (`gt.dashboard`)."""

from __future__ import annotations

import webbrowser

import click

from gt.cli.common import ctx, echo, handles_errors
from gt.dashboard.app import build
from gt.dashboard.security import town_token
from gt.errors import GtError
from gt.whoami import actor

LOCAL = ("127.0.0.1", "localhost", "::1")
GRACE = 2  # seconds open pages (their event streams) get when the server stops


@click.command()
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@click.option("--bind", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but this machine needs --public.")
@click.option("--public", is_flag=True, help="Allow a --bind address other machines reach.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@handles_errors
def dashboard(port: int, bind: str, public: bool, open_browser: bool) -> None:
    """Serve the town's dashboard; state-changing requests need the printed token."""
    import uvicorn

    if bind not in LOCAL and not public:
        raise GtError(f"--bind {bind} lets other machines in: add --public if you mean it")
    town = ctx().town()
    token = town_token(town.state_dir)
    person = actor(town)
    app = build(town, person, token, bind, port)
    url = f"http://{bind}:{port}/?token={token}"
    echo(f"gt dashboard for {town.name}: {url}")
    echo(f"actions are made as {person}; the token is also in .git/gt/dashboard.token")
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(app, host=bind, port=port, log_level="warning",
                timeout_graceful_shutdown=GRACE)


def register(group: click.Group) -> None:
    group.add_command(dashboard)
