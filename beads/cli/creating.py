"""`bd create`: one bead from flags, or many from a JSON/JSONL file or stdin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from beads import canonical
from beads.cli.context import handles_errors, json_option, read_text_arg, settings
from beads.cli.output import emit_json, line, safe
from beads.errors import InvalidInput
from beads.guards import is_external


def parse_deps(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """`--deps blocks:gt-1,related:gt-2` (a bare id, or a bare `external:<project>:<id>`,
    means blocks)."""
    deps = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip()
            if not item:
                continue
            kind, sep, target = item.partition(":")
            bare = not sep or is_external(item)
            deps.append(("blocks", item) if bare else (kind, target))
    return deps


def split_labels(values: tuple[str, ...] | list[str]) -> list[str]:
    return [x.strip() for v in values for x in str(v).split(",") if x.strip()]


def parse_metadata(text: str | None) -> Any:
    if text is None:
        return None
    try:
        value = canonical.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"--metadata is not valid JSON: {exc}") from None
    return value


_FILE_KEYS = {"labels", "deps", "dependencies", "parent", "ephemeral", "id", "title"}


def spec_from_object(obj: Any, where: str) -> Any:
    from beads.ledger import NewBead

    if not isinstance(obj, dict):
        raise InvalidInput(f"{where}: expected a JSON object")
    title = obj.get("title")
    if not isinstance(title, str):
        raise InvalidInput(f"{where}: a bead needs a title")
    raw_deps = obj.get("deps") or []
    deps = parse_deps([d for d in raw_deps if isinstance(d, str)]) + [
        (d.get("type", "blocks"), d.get("depends_on_id") or d.get("id", ""))
        for d in raw_deps if isinstance(d, dict)]
    fields = {k: v for k, v in obj.items() if k not in _FILE_KEYS}
    labels = obj.get("labels") or []
    if not isinstance(labels, list):
        raise InvalidInput(f"{where}: labels must be a list")
    return NewBead(title=title, fields=fields, labels=labels, deps=deps,
                   parent=obj.get("parent"), ephemeral=bool(obj.get("ephemeral")),
                   bead_id=obj.get("id"))


def specs_from_text(text: str, source: str) -> list[Any]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = canonical.loads(stripped)
        except ValueError as exc:
            raise InvalidInput(f"{source}: malformed JSON ({exc})") from None
        return [spec_from_object(o, f"{source} item {n}") for n, o in enumerate(items, 1)]
    specs = []
    for number, row in enumerate(text.split("\n"), start=1):
        if not row.strip():
            continue
        try:
            obj = canonical.loads(row)
        except ValueError as exc:
            raise InvalidInput(f"{source} line {number}: malformed JSON ({exc})") from None
        specs.append(spec_from_object(obj, f"{source} line {number}"))
    return specs


@click.command()
@click.argument("title", required=False)
@click.option("--title", "title_opt", help="Title (instead of the argument).")
@click.option("-d", "--description", help="Description (- reads stdin).")
@click.option("--design", help="Design notes.")
@click.option("--acceptance", "--acceptance-criteria", "acceptance_criteria",
              help="Acceptance criteria.")
@click.option("--notes", help="Notes.")
@click.option("-p", "--priority", default="2", show_default=True, help="0-4 or P0-P4.")
@click.option("-t", "--type", "issue_type", default="task", show_default=True,
              help="bug, feature, task, epic, chore, decision, ... or a custom type.")
@click.option("-a", "--assignee", help="Who works on it.")
@click.option("--owner", help="Who answers for it.")
@click.option("-l", "--labels", multiple=True, help="Labels, comma-separated (repeatable).")
@click.option("--deps", multiple=True, help="Dependencies: type:id,... (a bare id blocks).")
@click.option("--parent", help="Parent bead: the new bead becomes <parent>.N.")
@click.option("--due", "due_at", help="Due date/time.")
@click.option("--defer", "defer_until", help="Hidden from ready until this date/time.")
@click.option("--estimate", "estimated_minutes", type=int, help="Estimated minutes.")
@click.option("--external-ref", help="Reference in another tracker.")
@click.option("--metadata", help="Free JSON metadata.")
@click.option("--ephemeral", is_flag=True, help="A wisp: kept out of history, never pushed.")
@click.option("--id", "bead_id", help="Use this id instead of minting one.")
@click.option("--file", "file_path", type=click.Path(allow_dash=True, dir_okay=False),
              help="Create many beads from JSON lines or a JSON array (- reads stdin).")
@click.option("--silent", is_flag=True, help="Print only the new id.")
@json_option
@handles_errors
def create(title: str | None, title_opt: str | None, file_path: str | None, labels: tuple,
           deps: tuple, parent: str | None, ephemeral: bool, bead_id: str | None,
           metadata: str | None, description: str | None, silent: bool, **fields: Any) -> None:
    """Create a bead (or many with --file)."""
    from beads.ledger import NewBead

    s = settings()
    if file_path:
        try:
            text = sys.stdin.read() if file_path == "-" else Path(file_path).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {file_path}: {exc}") from None
        specs = specs_from_text(text, "stdin" if file_path == "-" else file_path)
    else:
        title = title_opt or title
        if not title:
            raise InvalidInput("a bead needs a title: bd create \"Fix the login bug\"")
        extra = {k: v for k, v in fields.items() if v is not None}
        extra["description"] = read_text_arg(description)
        extra["metadata"] = parse_metadata(metadata)
        specs = [NewBead(title=title, fields=extra, labels=split_labels(labels),
                         deps=parse_deps(deps), parent=parent, ephemeral=ephemeral,
                         bead_id=bead_id)]
    created = s.ledger().create_many(specs)
    if s.json:
        from beads.cli.shaped import shaped

        out = shaped(created)
        emit_json(out[0] if len(out) == 1 and not file_path else out)
    elif silent:
        for bead in created:
            line(bead["id"])
    else:
        for bead in created:
            kind = "wisp" if bead.get("ephemeral") else "bead"
            line(f"created {kind} {bead['id']}: {safe(bead['title'])}")


def register(group: click.Group) -> None:
    group.add_command(create)
