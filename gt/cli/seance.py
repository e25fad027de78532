"""`gt seance <agent> [--ask ...]`: an agent's past sessions, and a question put to one."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.seance import ask, sessions


@click.command()
@click.argument("address")
@click.option("--ask", "question", help="Ask a predecessor session this question.")
@click.option("--session", "session_id", help="Which session to ask (default: the latest "
                                              "one before the running session).")
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds to wait for the answer.")
@json_option
@handles_errors
def seance(address: str, question: str | None, session_id: str | None,
           timeout: float) -> None:
    """List ADDRESS's past sessions (time, runtime, session id, transcript), or --ask one."""
    town = ctx().town()
    agent = Address.parse(address)
    if question is None:
        found = sessions(town, agent)

        def human() -> None:
            if not found:
                echo(f"no session of {agent} is recorded")
            for item in found:
                echo(f"{item.get('started_at')}  {safe(str(item.get('runtime')))}  "
                     f"{safe(str(item.get('id')))}"
                     + ("  (running now)" if item["current"] else "")
                     + (f"  {safe(str(item['transcript']))}" if item.get("transcript")
                        else ""))

        show(found, human)
        return
    answer = ask(town, agent, question, session_id, timeout)
    show(answer, lambda: click.echo(
        f"[session {safe(str(answer['session']['id']))}, "
        f"{safe(str(answer['session'].get('started_at')))}]\n"
        + safe(answer["answer"], keep_newlines=True)))


def register(group: click.Group) -> None:
    group.add_command(seance)
