"""`gt refinery`, `gt mq`, `gt up`/`gt down` and `gt mayor`: the town's standing sessions."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from beads.cli.output import safe
from beads.model import now_iso
from gt.agents import Address
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.errors import GtError
from gt.launch import start, start_reactor, start_refinery
from gt.refinery.gates import GateResult
from gt.refinery.outcomes import Outcome, rejected
from gt.refinery.queue import requests
from gt.refinery.run import drain, run_forever
from gt.rig import Rig, rigs
from gt.work.done import write_request


def _report(outcome: Outcome) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    click.echo(f"{stamp} {outcome.bead}: {outcome.action} {safe(outcome.reason)}", err=False)


@click.group()
def refinery() -> None:
    """The Refinery: merges each rig's requests to its default branch, one at a time."""


@refinery.command("run")
@click.argument("rig_name")
@click.option("--once", is_flag=True, help="Drain the queue, then exit.")
@json_option
@handles_errors
def refinery_run(rig_name: str, once: bool) -> None:
    """Run the Refinery in the foreground."""
    target = Rig(ctx().town(), rig_name)
    if once:
        outcomes = drain(target, None if ctx().json else _report)
        if ctx().json:
            show([o.to_dict() for o in outcomes], lambda: None)
        return
    run_forever(target, _report)


@refinery.command("start")
@click.argument("rig_name")
@handles_errors
def refinery_start(rig_name: str) -> None:
    town = ctx().town()
    started = start_refinery(town, Rig(town, rig_name))
    echo(f"refinery of {rig_name} {'started' if started else 'already running'}")


@refinery.command("stop")
@click.argument("rig_name")
@handles_errors
def refinery_stop(rig_name: str) -> None:
    town = ctx().town()
    Rig(town, rig_name)
    town.backend().stop(Address("refinery", rig_name).session)
    echo(f"refinery of {rig_name} stopped")


@refinery.command("status")
@click.argument("rig_name")
@json_option
@handles_errors
def refinery_status(rig_name: str) -> None:
    town = ctx().town()
    target = Rig(town, rig_name)
    live = town.backend().is_live(Address("refinery", rig_name).session)
    queue = [r.to_dict() for r in requests(target)]
    show({"rig": rig_name, "running": live, "queue": queue},
         lambda: echo(f"refinery of {rig_name}: {'running' if live else 'stopped'}, "
                      f"{len(queue)} request(s) queued"))


@click.group()
def mq() -> None:
    """The merge queue of a rig."""


@mq.command("list")
@click.argument("rig_name")
@json_option
@handles_errors
def mq_list(rig_name: str) -> None:
    queue = [r.to_dict() for r in requests(Rig(ctx().town(), rig_name))]

    def human() -> None:
        if not queue:
            echo("the merge queue is empty")
        for item in queue:
            echo(f"{item['bead']}  P{item['priority']}  {item['commit'][:10]}  "
                 f"retries {item['retries']}")

    show(queue, human)


@mq.command("show")
@click.argument("rig_name")
@click.argument("bead")
@json_option
@handles_errors
def mq_show(rig_name: str, bead: str) -> None:
    """One request: its ref, commit, place in the queue and the bead's merge history."""
    target = Rig(ctx().town(), rig_name)
    ledger = target.ledger()
    bead_id = ledger.resolve(bead)
    item = ledger.get(bead_id)
    queue = requests(target)
    place = next((n for n, r in enumerate(queue, start=1) if r.bead == bead_id), None)
    events = [e for e in ledger.history(bead_id) if e["op"] == "update"
              and "mr_state" in (e.get("data") or {}).get("set", {})]
    info = {"bead": bead_id, "title": item["title"], "mr_state": item.get("mr_state"),
            "commit": item.get("mr_commit"), "merged_commit": item.get("merged_commit"),
            "rejections": item.get("rejections", 0), "queued": place is not None,
            "position": place, "events": [{"ts": e["ts"], "actor": e["actor"],
                                           "mr_state": e["data"]["set"]["mr_state"]}
                                          for e in events]}

    def human() -> None:
        echo(f"{bead_id}: {safe(item['title'])}")
        echo(f"  state: {info['mr_state']}  commit: {(info['commit'] or '-')[:10]}  "
             f"position: {place or '-'}  rejections: {info['rejections']}")
        for event in info["events"]:
            echo(f"  {event['ts']}  {safe(event['actor'])}: {event['mr_state']}")

    show(info, human)


@mq.command("retry")
@click.argument("rig_name")
@click.argument("bead")
@json_option
@handles_errors
def mq_retry(rig_name: str, bead: str) -> None:
    """Queue a rejected or dropped request again, at the commit it was made from."""
    target = Rig(ctx().town(), rig_name)
    ledger = target.ledger("overseer")
    bead_id = ledger.resolve(bead)
    item = ledger.get(bead_id)
    commit = item.get("mr_commit")
    if not commit:
        raise GtError(f"{bead_id} never had a merge request")
    if item["status"] == "closed":
        raise GtError(f"{bead_id} is closed")
    state = write_request(target, bead_id, commit)
    ledger.update_many(f"retry merge request {bead_id}", {bead_id: {"mr_state": "pending",
                                                              "mr_requested_at": now_iso()}})
    show({"bead": bead_id, "commit": commit, "request": state},
         lambda: echo(f"{bead_id}: queued again at {commit[:10]} ({state})"))


@mq.command("reject")
@click.argument("rig_name")
@click.argument("bead")
@click.option("-r", "--reason", required=True, help="Why (recorded on the bead).")
@json_option
@handles_errors
def mq_reject(rig_name: str, bead: str, reason: str) -> None:
    """Take a request out of the queue by hand; the bead goes back to open."""
    target = Rig(ctx().town(), rig_name)
    ledger = target.ledger("overseer")
    bead_id = ledger.resolve(bead)
    queued = next((r for r in requests(target) if r.bead == bead_id), None)
    if queued is None:
        raise GtError(f"{bead_id} has no request in the queue of {rig_name}")
    item = ledger.get(bead_id)
    outcome = rejected(target, queued, item, GateResult("by hand", False, "", reason))
    show(outcome.to_dict(), lambda: echo(f"{bead_id}: rejected ({safe(reason)})"))


@click.command()
@json_option
@handles_errors
def up() -> None:
    """Start the town's standing sessions: the reactor, each rig's Refinery (and the Mayor
    if a runtime is chosen for it)."""
    town = ctx().town()
    started = ["reactor"] if start_reactor(town) else []
    started += [f"{r.name}/refinery" for r in rigs(town) if start_refinery(town, r)]
    if town.config.get("agents", {}).get("mayor"):
        mayor = Address("mayor")
        if not town.backend().is_live(mayor.session):
            start(town, mayor)
            started.append("mayor")
    show({"started": started}, lambda: echo(
        f"started: {', '.join(started)}" if started else "everything was already running"))


@click.command()
@json_option
@handles_errors
def down() -> None:
    """Stop every session of the town."""
    town = ctx().town()
    sessions = town.backend()
    names = sessions.names()
    for name in names:
        sessions.stop(name)
    show({"stopped": names}, lambda: echo(f"stopped {len(names)} session(s)"))


@click.group()
def mayor() -> None:
    """The Mayor: the agent you talk to."""


@mayor.command("start")
@click.option("--agent", "runtime", help="Runtime for the Mayor's session.")
@handles_errors
def mayor_start(runtime: str | None) -> None:
    used = start(ctx().town(), Address("mayor"), runtime)
    echo(f"mayor started ({used})")


@mayor.command("stop")
@handles_errors
def mayor_stop() -> None:
    town = ctx().town()
    town.backend().stop(Address("mayor").session)
    echo("mayor stopped")


@mayor.command("attach")
@handles_errors
def mayor_attach() -> None:
    """Attach your terminal to the Mayor's tmux session."""
    town = ctx().town()
    sessions = town.backend()
    if sessions.kind != "tmux":
        raise GtError("attach needs tmux; without it, read the Mayor with `gt peek mayor`")
    if not sessions.is_live(Address("mayor").session):
        raise GtError("the Mayor is not running: `gt mayor start`")
    os.execvp("tmux", ["tmux", "-L", town.socket, "attach", "-t", Address("mayor").session])


def register(group: click.Group) -> None:
    for command in (refinery, mq, up, down, mayor):
        group.add_command(command)
