"""`bd comment add|list`: a bead's discussion."""

from __future__ import annotations

import click

from beads import query
from beads.cli.context import handles_errors, json_option, read_text_arg, settings
from beads.cli.output import emit_json, line, safe


@click.group()
def comment() -> None:
    """Comments on a bead."""


@comment.command("add")
@click.argument("bead")
@click.argument("text")
@json_option
@handles_errors
def comment_add(bead: str, text: str) -> None:
    """Add TEXT (- reads stdin) as a comment on BEAD."""
    s = settings()
    added = s.ledger().comment(bead, read_text_arg(text) or "")
    if s.json:
        emit_json(added)
    else:
        line(f"commented on {query.resolve(s.db(), bead)}")


@comment.command("list")
@click.argument("bead")
@json_option
@handles_errors
def comment_list(bead: str) -> None:
    """BEAD's comments, oldest first."""
    s = settings()
    db = s.db()
    comments = query.get(db, query.resolve(db, bead)).get("comments", [])
    if s.json:
        emit_json(comments)
        return
    if not comments:
        line("no comments")
    for item in comments:
        line(f"[{safe(item['created_at'])}] {safe(item['author'])}:")
        for row in item["text"].split("\n"):
            line(f"  {safe(row)}")


def register(group: click.Group) -> None:
    group.add_command(comment)
    group.add_command(comment, name="comments")
