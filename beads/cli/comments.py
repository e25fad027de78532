"""`bd comment add|list` and Beads' forms `bd comment ID TEXT` and `bd comments ID`."""

from __future__ import annotations

import click

from beads import query, shapes
from beads.cli.context import handles_errors, json_option, read_text_arg, settings
from beads.cli.output import emit_json, line, safe


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to `default`:
    `bd comment gt-1 "text"` is `bd comment add gt-1 "text"`."""

    def __init__(self, *args: object, default: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.command("add")
@click.argument("bead")
@click.argument("text")
@click.option("--author", help="Who wrote it (default: the acting user).")
@json_option
@handles_errors
def comment_add(bead: str, text: str, author: str | None) -> None:
    """Add TEXT (- reads stdin) as a comment on BEAD."""
    s = settings()
    if author:
        s.actor = author
    added = s.ledger().comment(bead, read_text_arg(text) or "")
    bead_id = query.resolve(s.db(), bead)
    if s.json:
        emit_json(shapes.comments(bead_id, [added])[0])
    else:
        line(f"commented on {bead_id}")


@click.command("list")
@click.argument("bead")
@json_option
@handles_errors
def comment_list(bead: str) -> None:
    """BEAD's comments, oldest first."""
    s = settings()
    db = s.db()
    bead_id = query.resolve(db, bead)
    comments = shapes.comments(bead_id, query.get(db, bead_id).get("comments", []))
    if s.json:
        emit_json(comments)
        return
    if not comments:
        line("no comments")
    for item in comments:
        line(f"[{safe(item['created_at'])}] {safe(item['author'])}:")
        for row in item["text"].split("\n"):
            line(f"  {safe(row)}")


def _group(name: str, default: str, text: str) -> click.Group:
    group = DefaultGroup(name, help=text, default=default)
    group.add_command(comment_add)
    group.add_command(comment_list)
    return group


def register(group: click.Group) -> None:
    group.add_command(_group("comment", "add", "Comments on a bead: `bd comment ID TEXT` adds "
                             "one (also `bd comment add`), `bd comment list ID` lists them."))
    group.add_command(_group("comments", "list", "A bead's comments: `bd comments ID` lists "
                             "them (also `bd comments add ID TEXT`)."))
