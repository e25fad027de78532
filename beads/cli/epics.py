"""`bd epic status|close-eligible` and `bd children`: epics and their progress."""

from __future__ import annotations

import click

from beads import query, shapes
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import bead_line, emit_json, emit_raw_list, line, safe


@click.group()
def epic() -> None:
    """Epics: progress of their children, and closing the finished ones."""


@epic.command("status")
@click.option("--eligible-only", is_flag=True, help="Only epics whose children are all closed.")
@json_option
@handles_errors
def epic_status(eligible_only: bool) -> None:
    """Each open epic with how many of its children are closed."""
    s = settings()
    out = shapes.epic_status(s.db())
    if eligible_only:
        out = [e for e in out if e["eligible_for_close"]]
    if s.json:
        emit_json(out)
        return
    if not out:
        line("no open epics")
    for item in out:
        bead, total, closed = item["epic"], item["total_children"], item["closed_children"]
        share = closed * 100 // total if total else 0
        line(f"{'✓' if item['eligible_for_close'] else '○'} {safe(bead['id'])} "
             f"{safe(bead['title'])}: {closed}/{total} children closed ({share}%)")


@epic.command("close-eligible")
@click.option("--dry-run", is_flag=True, help="Only say which epics would close.")
@json_option
@handles_errors
def epic_close_eligible(dry_run: bool) -> None:
    """Close every open epic whose children are all closed."""
    s = settings()
    ids = [e["epic"]["id"] for e in shapes.epic_status(s.db()) if e["eligible_for_close"]]
    if not dry_run and ids:
        s.ledger().close(ids, reason="All children completed")
    if s.json:
        emit_json({"closed": [] if dry_run else ids, "count": len(ids), "dry_run": dry_run,
                   "eligible": ids})
        return
    verb = "would close" if dry_run else "closed"
    line(f"{verb} {len(ids)} epic(s)" + "".join(f"\n  {safe(i)}" for i in ids))


@click.command()
@click.argument("bead")
@json_option
@handles_errors
def children(bead: str) -> None:
    """BEAD's children (closed ones too)."""
    s = settings()
    db = s.db()
    rows = query.list_docs(db, query.Filters(parent=query.resolve(db, bead)), "id")
    if s.json:
        emit_raw_list(rows)
        return
    from beads import canonical

    if not rows:
        line("no children")
    for raw in rows:
        line(bead_line(canonical.loads(raw)))


def register(group: click.Group) -> None:
    group.add_command(epic)
    group.add_command(children)
