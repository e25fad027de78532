"""`gt mail send|inbox|read|archive|check`: messages between agents (and the overseer)."""

from __future__ import annotations

import click

from beads.cli.output import safe
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import actor, current_agent
from gt.work import mail as mailbox


@click.group()
def mail() -> None:
    """Mail: message beads in the town's ledger."""


@mail.command("send")
@click.argument("to")
@click.option("-s", "--subject", required=True)
@click.option("-m", "--message", "body", default="")
@json_option
@handles_errors
def mail_send(to: str, subject: str, body: str) -> None:
    """Send mail TO an agent address (or `overseer`)."""
    town = ctx().town()
    sent = mailbox.send(town, actor(town), to, subject, body)
    show(sent, lambda: echo(f"sent {sent['id']} to {to}"))


@mail.command("inbox")
@click.argument("address", required=False)
@click.option("--unread", is_flag=True, help="Only unread mail.")
@json_option
@handles_errors
def mail_inbox(address: str | None, unread: bool) -> None:
    """Open mail for you (or ADDRESS)."""
    town = ctx().town()
    who = address or actor(town)
    items = mailbox.inbox(town, who, unread)

    def human() -> None:
        if not items:
            echo(f"no mail for {who}")
        for m in items:
            mark = "●" if "unread" in m.get("labels", []) else " "
            echo(f"{mark} {m['id']}  from {safe(m.get('sender'))}: {safe(m['title'])}")

    show(items, human)


@mail.command("read")
@click.argument("message")
@json_option
@handles_errors
def mail_read(message: str) -> None:
    town = ctx().town()
    item = mailbox.read(town, actor(town), message)

    def human() -> None:
        echo(f"From: {safe(item.get('sender'))}\nTo: {safe(item.get('assignee'))}\n"
             f"Subject: {safe(item['title'])}\n")
        echo(safe(item.get("description", ""), keep_newlines=True))

    show(item, human)


@mail.command("archive")
@click.argument("message")
@handles_errors
def mail_archive(message: str) -> None:
    town = ctx().town()
    item = mailbox.archive(town, actor(town), message)
    echo(f"archived {item['id']}")


@mail.command("check")
@click.option("--inject", is_flag=True, help="Print for a runtime's prompt hook.")
@json_option
@handles_errors
def mail_check(inject: bool) -> None:
    """Unread mail and queued nudges (a prompt hook prints them into the session)."""
    town = ctx().town()
    payload = mailbox.check(town, current_agent(town))
    unread, nudges = payload["unread"], payload["nudges"]

    def human() -> None:
        if inject and not unread and not nudges:
            return
        if unread:
            echo(f"You have {len(unread)} unread message(s):")
            for m in unread:
                echo(f"  {m['id']} from {safe(m['from'])}: {safe(m['subject'])}")
        for n in nudges:
            echo(f"Nudge from {safe(n['from'])}: {safe(n['text'])}")
        if not inject and not unread and not nudges:
            echo("no unread mail")

    show(payload, human)


def register(group: click.Group) -> None:
    group.add_command(mail)
