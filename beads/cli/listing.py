"""`bd list`, `search`, `ready`, `blocked` and `stats`: queries served from the cache."""

from __future__ import annotations

from typing import Any

import click

from beads import canonical, query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.creating import split_labels
from beads.cli.output import bead_line, emit_json, emit_raw_list, line, safe
from beads.model import normalize_time, parse_priority


def _filters(status: tuple[str, ...] = (), issue_type: tuple[str, ...] = (),
             priority: str | None = None, priority_min: str | None = None,
             priority_max: str | None = None, assignee: str | None = None,
             label: tuple[str, ...] = (), label_any: tuple[str, ...] = (),
             text: str | None = None, parent: str | None = None, include_closed: bool = True,
             wisps: bool = False, title: str | None = None, unassigned: bool = False,
             **dates: str | None) -> query.Filters:
    filters = query.Filters(status=split_labels(status), types=split_labels(issue_type),
                            assignee=assignee, labels_all=split_labels(label),
                            labels_any=split_labels(label_any), text=text, title=title,
                            unassigned=unassigned, include_closed=include_closed,
                            wisps_only=wisps)
    if priority is not None:
        filters.priority_min = filters.priority_max = parse_priority(priority)
    if priority_min is not None:
        filters.priority_min = parse_priority(priority_min)
    if priority_max is not None:
        filters.priority_max = parse_priority(priority_max)
    if parent:
        filters.parent = query.resolve(settings().db(), parent)
    for name, value in dates.items():
        if value:
            setattr(filters, name, normalize_time(value, f"--{name.replace('_', '-')}"))
    return filters


def _print_rows(rows: list[bytes], empty: str, tree: bool = False) -> None:
    if settings().json:
        emit_raw_list(rows)
        return
    if not rows:
        line(empty)
    beads = [canonical.loads(raw) for raw in rows]
    if tree:
        _print_tree(beads)
        return
    for bead in beads:
        line(bead_line(bead))


def _print_tree(beads: list[dict[str, Any]]) -> None:
    """Each bead under its parent (when the parent is listed too), indented."""
    listed = {bead["id"] for bead in beads}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for bead in beads:
        parent = bead.get("parent") if bead.get("parent") in listed else None
        children.setdefault(parent, []).append(bead)

    def show(parent: str | None, depth: int) -> None:
        for bead in children.get(parent, []):
            line("  " * depth + bead_line(bead))
            show(bead["id"], depth + 1)

    show(None, 0)


_filter_options = [
    click.option("-s", "--status", multiple=True, help="Statuses, comma-separated."),
    click.option("-t", "--type", "issue_type", multiple=True, help="Types, comma-separated."),
    click.option("-p", "--priority", help="Exactly this priority."),
    click.option("--priority-min", help="At least this urgent... numerically at least."),
    click.option("--priority-max", help="Numerically at most (P0 is most urgent)."),
    click.option("-a", "--assignee", help="Assigned to."),
    click.option("-l", "--label", multiple=True, help="Has all these labels."),
    click.option("--label-any", multiple=True, help="Has any of these labels."),
    click.option("--parent", help="Children of this bead."),
]
_date_options = [click.option(f"--{name.replace('_', '-')}", name, help="Date filter.")
                 for name in ("created_after", "created_before", "updated_after",
                              "updated_before", "closed_after", "closed_before")]


def _apply(options: list[Any], func: Any) -> Any:
    for option in reversed(options):
        func = option(func)
    return func


@click.command("list")
@click.option("-q", "--text", help="Text in title, description, notes, design or id.")
@click.option("--all", "include_closed", is_flag=True, help="Include closed beads.")
@click.option("--wisps", is_flag=True, help="Only wisps (ephemeral beads).")
@click.option("--sort", default="priority", show_default=True,
              type=click.Choice(query.SORTS))
@click.option("-r", "--reverse", is_flag=True, help="Reverse the sort.")
@click.option("-n", "--limit", default=50, show_default=True, help="At most this many (0: all).")
@click.option("--title", help="Title contains this text (any case).")
@click.option("--no-assignee", "unassigned", is_flag=True, help="Only unassigned beads.")
@click.option("--tree", type=click.BOOL, is_flag=False, flag_value=True, default=False,
              help="Show children under their parents (--tree=false: flat; JSON is flat).")
@json_option
@handles_errors
def list_cmd(sort: str, reverse: bool, limit: int, tree: bool, **options: Any) -> None:
    """List beads (open ones unless --all or --status says otherwise)."""
    filters = _filters(**options)
    _print_rows(query.list_docs(settings().db(), filters, sort, reverse, limit), "no beads",
                tree)


list_cmd = _apply(_filter_options + _date_options, list_cmd)


@click.command()
@click.argument("text")
@click.option("-n", "--limit", default=50, show_default=True, help="At most this many (0: all).")
@json_option
@handles_errors
def search(text: str, limit: int) -> None:
    """Find beads (closed ones too) whose text or id contains TEXT."""
    filters = query.Filters(text=text)
    _print_rows(query.list_docs(settings().db(), filters, "updated", True, limit),
                f"nothing matches {safe(text)!r}")


@click.command()
@click.option("--sort", default="priority", show_default=True,
              type=click.Choice(query.READY_SORTS))
@click.option("-n", "--limit", default=10, show_default=True, help="At most this many (0: all).")
@click.option("--claim", is_flag=True, help="Atomically claim the first ready bead.")
@click.option("--unassigned", is_flag=True, help="Only unassigned beads.")
@json_option
@handles_errors
def ready(sort: str, limit: int, claim: bool, **options: Any) -> None:
    """Work that can start now: open, unblocked, not deferred, not machinery."""
    s = settings()
    filters = _filters(**options)
    if claim:
        bead = s.ledger().claim_ready(filters, sort)
        if s.json:
            emit_json(bead if bead is not None else {"claimed": None})
        elif bead is None:
            line("nothing ready to claim")
        else:
            line(f"claimed {bead['id']}: {safe(bead['title'])}")
        return
    _print_rows(query.ready(s.db(), filters, sort, limit), "nothing ready")


ready = _apply(_filter_options, ready)


@click.command()
@click.option("--parent", help="Only beads below this one (its descendants).")
@json_option
@handles_errors
def blocked(parent: str | None) -> None:
    """Beads that something holds back, each with its blockers."""
    from beads import shapes

    s = settings()
    db = s.db()
    held = query.blockers(db)
    ids = sorted(held.by_bead)
    if parent:
        below = set(query.descendants(db, query.resolve(db, parent)))
        ids = [i for i in ids if i in below]
    out = [shapes.issue(db, query.get(db, i), held) for i in ids]
    if s.json:
        emit_json(out)
        return
    if not out:
        line("nothing blocked")
    for bead in out:
        line(bead_line(bead))
        for blocker in bead["blockers"]:
            line(f"    ⊘ {safe(blocker['id'])} ({blocker['reason']})")


@click.command()
@json_option
@handles_errors
def stats() -> None:
    """Counts by status, type and priority; ready and blocked totals."""
    from beads import shapes

    s = settings()
    numbers = shapes.stats(s.db())
    if s.json:
        emit_json(numbers)
        return
    line(f"beads: {numbers['total']}   wisps: {numbers['wisps']}   ready: {numbers['ready']}"
         f"   blocked: {numbers['blocked']}")
    for title, key in (("by status", "by_status"), ("by type", "by_type"),
                       ("by priority", "by_priority")):
        parts = ", ".join(f"{safe(k)}: {v}" for k, v in sorted(numbers[key].items()))
        line(f"  {title}: {parts}")


def register(group: click.Group) -> None:
    for command in (list_cmd, search, ready, blocked, stats):
        group.add_command(command)
