"""`bd mol`: pour formulas into molecules (durable, or wisps), work them step by step, squash
or burn them.

Writes (`pour`, `wisp`, `step done`, `squash`, `burn`) go through `beads.mol`'s lifecycle,
one commit each (none for a wisp's own changes); reads (`current`, `progress`, `show`,
`list`, `stale`) use the cache only.
"""

from __future__ import annotations

import re
from typing import Any

import click

from beads.cli.context import handles_errors, json_option, settings
from beads.cli.formulas import formula_dirs, parse_vars, preset_option, var_option
from beads.cli.output import emit_json, line, safe
from beads.errors import InvalidInput
from beads.model import SCHEMA_VERSION

_MARKS = {"done": "✓", "active": "◐", "ready": "○", "blocked": "⊘"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _emit_rows(rows: list[dict[str, Any]]) -> None:
    """A JSON list of molecules, each carrying the schema version as beads do."""
    emit_json([{"schema_version": SCHEMA_VERSION, **row} for row in rows])


def parse_idle(text: str) -> float:
    """`90s`, `30m`, `2h`, `1d` (a bare number is seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None:
        raise InvalidInput(f"invalid duration {text!r}: use a number with s, m, h or d "
                           "(like 30m or 2h)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@click.group()
def mol() -> None:
    """Molecules: formulas poured into beads (a root, a child bead per step)."""


def _pour(source: str, variables: tuple[str, ...], preset: str, on: str | None,
          ephemeral: bool) -> None:
    from beads.mol import lifecycle
    from beads.mol import source as sources
    from beads.mol.pouring import pour

    s = settings()
    ledger = s.ledger()
    proto, from_proto = sources.protomolecule(source, parse_vars(variables), preset,
                                              formula_dirs(), ledger.db)
    poured = pour(ledger, proto, attach_to=on, ephemeral=ephemeral, from_proto=from_proto)
    state = lifecycle.current_step(ledger, poured.root)
    if s.json:
        emit_json({**poured.to_dict(), "formula": proto.formula, "total": len(proto.steps),
                   "current": state["current"]})
        return
    kind = "wisp" if ephemeral else "molecule"
    where = "inline in the root" if poured.inline else (
        f"{poured.steps[proto.steps[0].id]} … {poured.steps[proto.steps[-1].id]}")
    line(f"poured {safe(proto.formula)} as {kind} {poured.root}: {len(proto.steps)} steps "
         f"({where})")
    _print_current(state["current"])


@mol.command("pour")
@click.argument("source")
@var_option
@preset_option
@click.option("--on", metavar="BEAD", help="Pour onto this bead: it becomes the root.")
@json_option
@handles_errors
def mol_pour(source: str, variables: tuple[str, ...], preset: str, on: str | None) -> None:
    """Pour a formula (cooked here) or a protomolecule bead into a durable molecule: a root
    and a child bead per step, needs as blocking links, in one commit."""
    _pour(source, variables, preset, on, ephemeral=False)


@mol.command("wisp")
@click.argument("source")
@var_option
@preset_option
@click.option("--on", metavar="BEAD", help="Record the bead this wisp works on.")
@json_option
@handles_errors
def mol_wisp(source: str, variables: tuple[str, ...], preset: str, on: str | None) -> None:
    """Make an ephemeral molecule in the wisp overlay (nothing committed): the root only,
    with its steps inline, unless the formula says `pour = true`."""
    _pour(source, variables, preset, on, ephemeral=True)


def _load(bead: str) -> Any:
    from beads.mol.record import load

    return load(settings().db(), bead)


def _print_step_line(step: dict[str, Any]) -> None:
    where = f" ({step['bead']})" if step.get("bead") else ""
    extra = ""
    if step["state"] == "blocked":
        extra = f"  waits for {', '.join(step['waiting_on'])}"
    elif step["state"] == "done" and step.get("outcome") not in (None, "done"):
        extra = f"  [{step['outcome']}]"
    line(f"  {_MARKS[step['state']]} {safe(step['id'])}{where}: {safe(step['title'])}"
         f"{safe(extra)}")


def _print_current(current: dict[str, Any] | None) -> None:
    if current is None:
        line("no step can run now")
        return
    where = f" ({current['bead']})" if current.get("bead") else ""
    line(f"current: {safe(current['id'])}{where}: {safe(current['title'])}")


def _print_header(data: dict[str, Any]) -> None:
    kind = " [wisp]" if data["ephemeral"] else ""
    line(f"{data['id']}{kind}: {safe(data['title'])} (formula {safe(data['formula'])}, "
         f"{data['done']}/{data['total']} done)")


@mol.command("current")
@click.argument("bead")
@json_option
@handles_errors
def mol_current(bead: str) -> None:
    """The molecule's checklist and the step to work on now."""
    from beads.mol.progress import checklist

    data = checklist(_load(bead))
    if settings().json:
        emit_json(data)
        return
    _print_header(data)
    for step in data["steps"]:
        _print_step_line(step)
    current = data["current"]
    if data["complete"]:
        line(f"every step is done: squash it with `bd mol squash {data['id']}`")
        return
    _print_current(current)
    if current is not None:
        for key in ("description", "acceptance"):
            if current.get(key):
                line(f"\n{key.title()}:")
                for row in current[key].split("\n"):
                    line("  " + safe(row))


@mol.command("progress")
@click.argument("bead")
@json_option
@handles_errors
def mol_progress(bead: str) -> None:
    """Steps done of all, and each step's state."""
    from beads.mol.progress import progress

    data = progress(_load(bead))
    if settings().json:
        emit_json(data)
        return
    _print_header(data)
    line(f"  {data['percent']}% done; current: {safe(data['current'] or '-')}")
    for step in data["steps"]:
        _print_step_line(step)


@mol.command("show")
@click.argument("bead")
@json_option
@handles_errors
def mol_show(bead: str) -> None:
    """The molecule: its root, formula, variables, state and steps."""
    from beads.mol.progress import progress

    molecule = _load(bead)
    info = {k: v for k, v in molecule.info.items() if k not in ("proto", "done")}
    data = {**progress(molecule), "root": molecule.root, "molecule": info}
    if settings().json:
        emit_json(data)
        return
    _print_header(data)
    line(f"  status: {safe(data['status'])}   state: {safe(data['state'])}   "
         f"version: {safe(info.get('version'))}")
    for key in ("attached_to", "from_proto", "digest"):
        if info.get(key):
            line(f"  {key.replace('_', ' ')}: {safe(info[key])}")
    if info.get("vars"):
        line("  vars: " + ", ".join(f"{safe(k)}={safe(v)}" for k, v in info["vars"].items()))
    for step in data["steps"]:
        _print_step_line(step)


@mol.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also closed, squashed and burned ones.")
@json_option
@handles_errors
def mol_list(show_all: bool) -> None:
    """Molecules and wisps, with their progress."""
    from beads.mol.survey import molecules

    rows = molecules(settings().db(), include_finished=show_all)
    if settings().json:
        _emit_rows(rows)
        return
    if not rows:
        line("no molecules")
    for row in rows:
        kind = "wisp" if row["ephemeral"] else "mol"
        line(f"{row['id']} [{kind}] {safe(row['formula'])} {row['done']}/{row['total']} "
             f"current: {safe(row['current'] or '-')} - {safe(row['title'])}")


@mol.command("stale")
@click.option("--idle", default="24h", show_default=True,
              help="No progress for this long counts as stale (30m, 2h, 1d).")
@json_option
@handles_errors
def mol_stale(idle: str) -> None:
    """Open molecules whose steps are all done, or that made no progress for a while."""
    from beads.mol.survey import stale

    rows = stale(settings().db(), parse_idle(idle))
    if settings().json:
        _emit_rows(rows)
        return
    if not rows:
        line("no stale molecules")
    for row in rows:
        line(f"{row['id']} {safe(row['formula'])} {row['done']}/{row['total']}: "
             f"{safe(row['reason'])}")


@mol.group("step")
def step() -> None:
    """A molecule's steps."""


@step.command("done")
@click.argument("bead")
@click.argument("step_name", metavar="[STEP]", required=False)
@click.option("--reason", help="What came of the step.")
@click.option("--force", is_flag=True, help="Finish it even if its needs are not done.")
@json_option
@handles_errors
def step_done(bead: str, step_name: str | None, reason: str | None, force: bool) -> None:
    """Finish a step (by default the current one: a step id or its bead id) and show the
    next one."""
    from beads.mol.lifecycle import step_done as finish

    s = settings()
    data = finish(s.ledger(), bead, step_name, reason, force)
    if s.json:
        emit_json(data)
        return
    done = data["finished"]
    line(f"✓ {safe(done['id'])} done ({data['done']}/{data['total']})")
    if data.get("digest"):
        line(f"molecule complete: squashed into {data['digest']['id']}")
    elif data["complete"]:
        line(f"molecule complete: squash it with `bd mol squash {data['id']}`")
    else:
        current = data["current"]
        if current is not None:
            where = f" ({current['bead']})" if current.get("bead") else ""
            line(f"next: {safe(current['id'])}{where}: {safe(current['title'])}")
        else:
            line("no step can run now")


@mol.command("squash")
@click.argument("bead")
@click.option("--title", help="Title of the digest bead.")
@click.option("--force", is_flag=True, help="Squash even if steps are still open.")
@json_option
@handles_errors
def mol_squash(bead: str, title: str | None, force: bool) -> None:
    """Condense a finished molecule into one closed digest bead; a wisp's beads are burned,
    a durable one's root is closed."""
    from beads.mol.lifecycle import squash

    s = settings()
    data = squash(s.ledger(), bead, title, force)
    if s.json:
        emit_json(data)
        return
    line(f"squashed {data['molecule']} into {data['digest']['id']}: "
         f"{safe(data['digest']['title'])}")


@mol.command("burn")
@click.argument("bead")
@click.option("--reason", help="Why it is discarded.")
@json_option
@handles_errors
def mol_burn(bead: str, reason: str | None) -> None:
    """Discard a molecule: a wisp vanishes; a durable molecule's open steps are closed as
    burned (history keeps them)."""
    from beads.mol.lifecycle import burn

    s = settings()
    data = burn(s.ledger(), bead, reason)
    if s.json:
        emit_json(data)
        return
    if data["committed"]:
        line(f"burned {data['molecule']}: closed {len(data['closed'])} open steps")
    else:
        line(f"burned wisp {data['molecule']} ({len(data['burned'])} wisps; nothing committed)")


def register(group: click.Group) -> None:
    group.add_command(mol)
