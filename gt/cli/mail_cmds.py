"""`gt mail` and `gt convoy`: messages between agents, and batches of tracked work."""

from __future__ import annotations

import click

from beads.cli.output import safe
from beads.query import Filters
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.whoami import current_agent
from gt.work import convoy as convoys
from gt.work import mail as mailbox
from gt.work.nudge import drain


def _me() -> str:
    return str(current_agent(ctx().town()) or mailbox.OVERSEER)


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
    sent = mailbox.send(ctx().town(), _me(), to, subject, body)
    show(sent, lambda: echo(f"sent {sent['id']} to {to}"))


@mail.command("inbox")
@click.argument("address", required=False)
@click.option("--unread", is_flag=True, help="Only unread mail.")
@json_option
@handles_errors
def mail_inbox(address: str | None, unread: bool) -> None:
    """Open mail for you (or ADDRESS)."""
    who = address or _me()
    items = mailbox.inbox(ctx().town(), who, unread)

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
    item = mailbox.read(ctx().town(), _me(), message)

    def human() -> None:
        echo(f"From: {safe(item.get('sender'))}\nTo: {safe(item.get('assignee'))}\n"
             f"Subject: {safe(item['title'])}\n")
        echo(safe(item.get("description", ""), keep_newlines=True))

    show(item, human)


@mail.command("archive")
@click.argument("message")
@handles_errors
def mail_archive(message: str) -> None:
    item = mailbox.archive(ctx().town(), _me(), message)
    echo(f"archived {item['id']}")


@mail.command("check")
@click.option("--inject", is_flag=True, help="Print for a runtime's prompt hook.")
@json_option
@handles_errors
def mail_check(inject: bool) -> None:
    """Unread mail and queued nudges (a prompt hook prints them into the session)."""
    town = ctx().town()
    who = current_agent(town)
    name = str(who) if who else mailbox.OVERSEER
    unread = mailbox.inbox(town, name, unread_only=True)
    nudges = drain(town, who) if who is not None else []
    payload = {"agent": name, "unread": [{"id": m["id"], "from": m.get("sender"),
                                          "subject": m["title"]} for m in unread],
               "nudges": nudges}

    def human() -> None:
        if inject and not unread and not nudges:
            return
        if unread:
            echo(f"You have {len(unread)} unread message(s):")
            for m in unread:
                echo(f"  {m['id']} from {safe(m.get('sender'))}: {safe(m['title'])}")
        for n in nudges:
            echo(f"Nudge from {safe(n['from'])}: {safe(n['text'])}")
        if not inject and not unread and not nudges:
            echo("no unread mail")

    show(payload, human)


@click.group()
def convoy() -> None:
    """Convoys: batches of work tracked together; they land when every bead closes."""


@convoy.command("create")
@click.argument("name")
@click.argument("beads", nargs=-1, required=True)
@click.option("--strategy", type=click.Choice(["mr", "direct", "local"]),
              help="How its finished work reaches the branch (default: the rig's).")
@json_option
@handles_errors
def convoy_create(name: str, beads: tuple[str, ...], strategy: str | None) -> None:
    created = convoys.create(ctx().town(), name, list(beads), owner=_me(), actor=_me(),
                             strategy=strategy)
    show(created, lambda: echo(f"convoy {created['id']}: {safe(name)} ({len(beads)} beads)"))


@convoy.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Landed convoys too.")
@json_option
@handles_errors
def convoy_list(include_closed: bool) -> None:
    town = ctx().town()
    items = town.ledger().list(Filters(types=["convoy"], include_closed=include_closed),
                               sort="created", limit=None)
    rows = [convoys.status(town, c["id"]) for c in items]

    def human() -> None:
        if not rows:
            echo("no convoys")
        for row in rows:
            echo(f"{row['id']}  {row['status']:<7} {row['closed']}/{row['total']}  "
                 f"{safe(row['title'])}")

    show(rows, human)


@convoy.command("status")
@click.argument("convoy_id")
@json_option
@handles_errors
def convoy_status(convoy_id: str) -> None:
    state = convoys.status(ctx().town(), convoy_id)

    def human() -> None:
        echo(f"{state['id']} [{state['status']}] {safe(state['title'])}  "
             f"{state['closed']}/{state['total']} closed")
        for bead in state["beads"]:
            who = f" @{bead['assignee']}" if bead.get("assignee") else ""
            mr = f" mr:{bead['mr_state']}" if bead.get("mr_state") else ""
            echo(f"  ├─ {bead['id']} [{bead['status']}]{who}{mr} {safe(bead['title'] or '')}")

    show(state, human)


def register(group: click.Group) -> None:
    group.add_command(mail)
    group.add_command(convoy)
