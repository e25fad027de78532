"""`bd update`, `close`, `reopen` and `delete`: changing beads."""

from __future__ import annotations

from typing import Any

import click

from beads.cli.context import handles_errors, json_option, read_text_arg, settings
from beads.cli.creating import parse_metadata, split_labels
from beads.cli.output import emit_json, line, safe
from beads.cli.shaped import shaped


@click.command()
@click.argument("bead")
@click.option("--title", help="New title.")
@click.option("-d", "--description", help="New description (- reads stdin).")
@click.option("--design", help="New design notes.")
@click.option("--acceptance", "--acceptance-criteria", "acceptance_criteria",
              help="New acceptance criteria.")
@click.option("--notes", help="Replace the notes.")
@click.option("--append-notes", help="Append a line to the notes.")
@click.option("-s", "--status", help="New status.")
@click.option("-p", "--priority", help="New priority (0-4 or P0-P4).")
@click.option("-t", "--type", "issue_type", help="New type.")
@click.option("-a", "--assignee", help="New assignee ('' to clear).")
@click.option("--owner", help="New owner.")
@click.option("--due", "due_at", help="Due date/time ('' to clear).")
@click.option("--defer", "defer_until", help="Defer until ('' to clear).")
@click.option("--estimate", "estimated_minutes", help="Estimated minutes.")
@click.option("--external-ref", help="Reference in another tracker.")
@click.option("--metadata", help="Replace the metadata (JSON).")
@click.option("--set", "set_pairs", multiple=True, metavar="FIELD=VALUE",
              help="Set any other field (repeatable).")
@click.option("--add-label", multiple=True, help="Add labels (comma-separated).")
@click.option("--remove-label", multiple=True, help="Remove labels (comma-separated).")
@click.option("--claim", is_flag=True, help="Atomically take it: assignee you, in_progress.")
@json_option
@handles_errors
def update(bead: str, append_notes: str | None, add_label: tuple, remove_label: tuple,
           claim: bool, set_pairs: tuple, metadata: str | None, description: str | None,
           **fields: Any) -> None:
    """Change any field of a bead; --claim takes it atomically."""
    s = settings()
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if value == "" and name in ("assignee", "due_at", "defer_until", "owner",
                                    "external_ref", "estimated_minutes"):
            changes[name] = None
        else:
            changes[name] = value
    if description is not None:
        changes["description"] = read_text_arg(description)
    if metadata is not None:
        changes["metadata"] = parse_metadata(metadata)
    for pair in set_pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: use FIELD=VALUE", param_hint="--set")
        changes[name.strip()] = value
    result = s.ledger().update(bead, changes, add_labels=split_labels(add_label),
                               remove_labels=split_labels(remove_label),
                               append_notes=append_notes, claim=claim)
    if s.json:
        emit_json(shaped([result])[0])
    else:
        verb = "claimed" if claim else "updated"
        line(f"{verb} {result['id']}: {safe(result['title'])} [{result['status']}]")


@click.command()
@click.argument("beads", nargs=-1, required=True)
@click.option("-r", "--reason", help="Why it is closed.")
@click.option("--failed", is_flag=True, help="Closed as failed (releases conditional-blocks).")
@click.option("-f", "--force", is_flag=True, help="Close despite open blockers or children.")
@json_option
@handles_errors
def close(beads: tuple[str, ...], reason: str | None, failed: bool, force: bool) -> None:
    """Close beads (refused while they have open blockers or children, unless --force)."""
    s = settings()
    closed = s.ledger().close(beads, reason=reason, failed=failed, force=force)
    if s.json:
        emit_json(shaped(closed))
    else:
        for bead in closed:
            line(f"closed {bead['id']}: {safe(bead['title'])}"
                 + (" (failed)" if bead.get("close_failed") else ""))


@click.command()
@click.argument("beads", nargs=-1, required=True)
@click.option("-r", "--reason", help="Why: recorded as a comment on each bead.")
@json_option
@handles_errors
def reopen(beads: tuple[str, ...], reason: str | None) -> None:
    """Reopen closed beads."""
    s = settings()
    ledger = s.ledger()
    opened = ledger.reopen(beads)
    if reason:
        for bead in opened:
            ledger.comment(bead["id"], f"Reopened: {reason}")
    if s.json:
        emit_json(shaped(opened))
    else:
        for bead in opened:
            line(f"reopened {bead['id']}: {safe(bead['title'])}")


@click.command()
@click.argument("beads", nargs=-1, required=True)
@click.option("-f", "--force", is_flag=True, help="Delete even if other beads depend on it.")
@json_option
@handles_errors
def delete(beads: tuple[str, ...], force: bool) -> None:
    """Delete beads (kept in history; a tombstone stops merges from resurrecting them)."""
    s = settings()
    deleted = s.ledger().delete(beads, force=force)
    if s.json:
        emit_json({"deleted": deleted})
    else:
        for bead_id in deleted:
            line(f"deleted {bead_id}")


def register(group: click.Group) -> None:
    for command in (update, close, reopen, delete):
        group.add_command(command)
