"""`bd dep add|rm|list|tree|cycles`: the dependency graph (`dep remove` is `dep rm`)."""

from __future__ import annotations

import click

from beads import query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe
from beads.guards import is_external


@click.group()
def dep() -> None:
    """Dependencies: `bd dep add A B` means A depends on B (B blocks A)."""


@dep.command("add")
@click.argument("bead")
@click.argument("depends_on")
@click.option("-t", "--type", "dep_type", default="blocks", show_default=True,
              help="blocks, parent-child, related, discovered-from, tracks, waits-for, "
                   "conditional-blocks, or a custom type.")
@click.option("--gate", type=click.Choice(["all", "any"]),
              help="For waits-for: wait for all (default) or any of the target's children.")
@json_option
@handles_errors
def dep_add(bead: str, depends_on: str, dep_type: str, gate: str | None) -> None:
    """BEAD depends on DEPENDS_ON."""
    s = settings()
    metadata = {"gate": gate} if gate else None
    result = s.ledger().dep_add(bead, depends_on, dep_type, metadata)
    if s.json:
        emit_json(result)
    else:
        line(f"{result['issue_id']} depends on {result['depends_on_id']} ({result['type']})")


@dep.command("rm")
@click.argument("bead")
@click.argument("depends_on")
@click.option("-t", "--type", "dep_type", help="Only this type (default: any).")
@json_option
@handles_errors
def dep_rm(bead: str, depends_on: str, dep_type: str | None) -> None:
    """BEAD no longer depends on DEPENDS_ON."""
    s = settings()
    removed = s.ledger().dep_remove(bead, depends_on, dep_type)
    if s.json:
        emit_json({"removed": removed})
    else:
        line(f"removed {removed} dependenc{'y' if removed == 1 else 'ies'}")


@dep.command("list")
@click.argument("bead")
@json_option
@handles_errors
def dep_list(bead: str) -> None:
    """What BEAD depends on, and what depends on it."""
    s = settings()
    db = s.db()
    bead_id = query.resolve(db, bead)
    depends = [{"id": t, "type": k} for t, k in query.deps_of(db, bead_id)]
    dependents = [{"id": i, "type": k} for i, k in query.dependents_of(db, bead_id)]
    if s.json:
        emit_json({"id": bead_id, "depends_on": depends, "dependents": dependents})
        return
    line(f"{bead_id} depends on:" if depends else f"{bead_id} depends on nothing")
    for d in depends:
        line(f"  → {safe(d['id'])} ({safe(d['type'])})")
    if dependents:
        line("depended on by:")
        for d in dependents:
            line(f"  ← {safe(d['id'])} ({safe(d['type'])})")


def _tree(db: object, bead_id: str, reverse: bool, depth: int, seen: set[str],
          hierarchy: bool) -> dict:
    node: dict = {"id": bead_id}
    try:
        bead = query.get(db, bead_id)  # type: ignore[arg-type]
        node.update(title=bead.get("title"), status=bead.get("status"))
    except Exception:
        node.update(title=None, status="external" if is_external(bead_id) else "missing")
    if bead_id in seen or depth <= 0:
        node["children"] = []
        node["repeated"] = bead_id in seen
        return node
    seen = seen | {bead_id}
    edges = (query.dependents_of if reverse else query.deps_of)(db, bead_id)  # type: ignore
    node["children"] = [dict(_tree(db, other, reverse, depth - 1, seen, hierarchy), type=kind)
                        for other, kind in edges if hierarchy or kind != "parent-child"]
    return node


def _print_tree(node: dict, indent: str = "") -> None:
    kind = f" ({node['type']})" if "type" in node else ""
    mark = " ↺" if node.get("repeated") else ""
    line(f"{indent}{safe(node['id'])} [{node['status']}] {safe(node['title'] or '')}{kind}{mark}")
    for child in node["children"]:
        _print_tree(child, indent + "  ")


@dep.command("tree")
@click.argument("bead")
@click.option("--reverse", is_flag=True, help="Show what depends on BEAD instead.")
@click.option("--depth", default=10, show_default=True, help="How deep to go.")
@click.option("--hierarchy", is_flag=True, help="Follow parent-child links too.")
@json_option
@handles_errors
def dep_tree(bead: str, reverse: bool, depth: int, hierarchy: bool) -> None:
    """The tree of what BEAD depends on (or, with --reverse, what depends on it)."""
    s = settings()
    db = s.db()
    tree = _tree(db, query.resolve(db, bead), reverse, depth, set(), hierarchy)
    if s.json:
        emit_json(tree)
    else:
        _print_tree(tree)


@dep.command("cycles")
@json_option
@handles_errors
def dep_cycles() -> None:
    """Dependency cycles among blocking types (a merge of clones can create one)."""
    s = settings()
    cycles = query.find_cycles(query.blocking_edges(s.db()))
    if s.json:
        emit_json({"cycles": cycles})
    elif not cycles:
        line("no dependency cycles")
    else:
        for cycle in cycles:
            line(" -> ".join(safe(x) for x in cycle))


def register(group: click.Group) -> None:
    dep.add_command(dep_rm, name="remove")
    group.add_command(dep)
