"""`gt rig add|list|remove|config`: the projects of the town."""

from __future__ import annotations

import click

from beads.cli.output import safe
from beads.model import check_utf8
from gt.cli.common import ctx, echo, handles_errors, json_option, show
from gt.control import rigs as lifecycle
from gt.errors import GtError
from gt.rig import Rig, rigs
from gt.settings import set_rig_key
from gt.setup import rig as rig_setup
from gt.whoami import actor


@click.group()
def rig() -> None:
    """Rigs: the projects of the town."""


@rig.command("add")
@click.argument("name")
@click.argument("source")
@click.option("--prefix", help="Bead-id prefix of the rig's ledger (default: from the name).")
@click.option("--branch", help="Default branch (default: the source's HEAD).")
@json_option
@handles_errors
def rig_add(name: str, source: str, prefix: str | None, branch: str | None) -> None:
    """Add a rig NAME from SOURCE (a git URL or path)."""
    added = rig_setup.add(ctx().town(), name, source, prefix, branch)
    show({"rig": added.name, "prefix": added.prefix, "branch": added.branch,
          "path": str(added.path)},
         lambda: echo(f"rig {added.name} added: prefix {added.prefix}, branch {added.branch}"))


@rig.command("list")
@json_option
@handles_errors
def rig_list() -> None:
    items = [{"rig": r.name, "prefix": r.prefix, "branch": r.branch,
              "url": r.settings.url, "gates": r.gates(), "here": r.present}
             for r in rigs(ctx().town(), everywhere=True)]

    def human() -> None:
        if not items:
            echo("no rigs (add one with `gt rig add <name> <git url>`)")
        for item in items:
            missing = "" if item["here"] else "  (not cloned here yet: run `gt sync`)"
            echo(f"{item['rig']}  prefix {item['prefix']}  branch {item['branch']}  "
                 f"{safe(item['url'])}{missing}")

    show(items, human)


@rig.command("remove")
@click.argument("name")
@handles_errors
def rig_remove(name: str) -> None:
    """Remove a rig: its clone and worktrees are deleted (its remote is untouched)."""
    town = ctx().town()
    target = Rig(town, name)
    live = [s for s in town.backend().names() if s.startswith(f"gt-{name}-")]
    if live:
        raise GtError(f"stop the rig's sessions first: {', '.join(live)}")
    rig_setup.remove(target)
    echo(f"rig {name} removed")


@rig.command("config")
@click.argument("name")
@click.argument("key")
@click.argument("value")
@handles_errors
def rig_config(name: str, key: str, value: str) -> None:
    """Set a rig setting: gates.<name> '<command>', gate_timeouts.<name> <seconds>,
    strategy mr|direct|local, merge merge|rebase, batch_size <n>, push true|false,
    max_polecats <n> (0: no limit)."""
    town = ctx().town()
    set_rig_key(Rig(town, name).settings, name, key, value, town.settings_file)
    town.save(f"gt rig config {name} {key}")
    echo(f"{name}: {key} = {safe(value)}")


@rig.command("park")
@click.argument("name")
@click.option("--reason", default="", help="Why: recorded with the park.")
@json_option
@handles_errors
def rig_park(name: str, reason: str) -> None:
    """Give the rig no new work, on every machine: slings to it queue until unparked; work
    already hooked runs to its end."""
    town = ctx().town()
    check_utf8(reason, "--reason")
    done = lifecycle.park(town, name, reason, actor(town))
    show(done, lambda: echo(f"rig {name} {'was already' if done['already_parked'] else 'is'} "
                            "parked: slings to it queue until `gt rig unpark`"))


@rig.command("unpark")
@click.argument("name")
@json_option
@handles_errors
def rig_unpark(name: str) -> None:
    """Let the rig take work again, and dispatch what was queued for it."""
    town = ctx().town()
    done = lifecycle.unpark(town, name, actor(town))
    slung = [d["bead"] for d in done["dispatched"] if "slung_to" in d]
    show(done, lambda: echo(f"rig {name} unparked" + (f"; slung {', '.join(slung)}"
                                                      if slung else "")))


@rig.command("start")
@click.argument("name")
@json_option
@handles_errors
def rig_start(name: str) -> None:
    """Start the rig's Refinery and wake its agents that have work on their hook."""
    done = lifecycle.start(ctx().town(), name)
    show(done, lambda: echo(f"rig {name}: " + (", ".join(done["started"])
                                               or "everything was already running")))


@rig.command("stop")
@click.argument("name")
@json_option
@handles_errors
def rig_stop(name: str) -> None:
    """Stop every session of the rig on this machine (work stays on the hooks)."""
    done = lifecycle.stop(ctx().town(), name)
    show(done, lambda: echo(f"rig {name}: stopped {len(done['stopped'])} session(s)"))


def register(group: click.Group) -> None:
    group.add_command(rig)
