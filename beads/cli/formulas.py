"""`bd formula list|show` and `bd cook`: the formulas on the search path, and protomolecules.

The search path (`formula_dirs`): the work tree's `.beads/formulas/`, then
`~/.beads/formulas/`, then the built-ins. A path to a formula file works wherever a name does.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe
from beads.errors import InvalidInput
from beads.model import check_utf8

var_option = click.option("--var", "variables", multiple=True, metavar="KEY=VALUE",
                          help="A formula variable (repeatable).")
preset_option = click.option("--preset", default="", metavar="NAME",
                             help="A convoy formula's preset (which legs to run).")


def parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    """`--var key=value` pairs; a later one wins. The value is data, whatever it holds."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"invalid --var {item!r}: use --var name=value")
        out[check_utf8(key.strip(), "a --var name")] = check_utf8(value, f"--var {key.strip()}")
    return out


def work_tree(start: str | None) -> Path | None:
    """The directory holding `.git` (or a ledger marker) at or above `start`."""
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists() or (candidate / ".beads-ledger").is_file():
            return candidate
    return None


def formula_dirs() -> list[Path]:
    """bd's formula search directories (the built-ins are searched after them)."""
    from beads.formula import default_search_dirs

    return default_search_dirs(work_tree(settings().repo))


def _where(path: Path, dirs: list[Path]) -> str:
    from beads.formula import BUILTIN_DIR

    kinds = {BUILTIN_DIR: "builtin"}
    if dirs:
        kinds.setdefault(dirs[-1], "user")
    if len(dirs) > 1:
        kinds.setdefault(dirs[0], "project")
    return kinds.get(path.parent, str(path.parent))


@click.group()
def formula() -> None:
    """Formulas: workflow templates that `bd cook` and `bd mol pour` turn into molecules."""


@formula.command("list")
@json_option
@handles_errors
def formula_list() -> None:
    """Every formula on the search path (a name found twice is the first one)."""
    from beads.formula import FormulaError, list_formulas, parse_file

    dirs = formula_dirs()
    entries: list[dict[str, Any]] = []
    for entry in list_formulas(dirs):
        item: dict[str, Any] = {"name": entry.name, "path": str(entry.path),
                                "where": _where(entry.path, dirs)}
        try:
            parsed = parse_file(entry.path)
            item.update(type=parsed.type, version=parsed.version,
                        description=parsed.description.strip())
        except FormulaError as exc:
            item.update(type="unreadable", version=None, description="", error=exc.message)
        entries.append(item)
    if settings().json:
        emit_json(entries)
        return
    if not entries:
        line("no formulas")
    for item in entries:
        summary = item.get("error") or item["description"].split("\n", 1)[0]
        line(f"{safe(item['name']):<32} {item['type']:<10} {safe(item['where']):<8} "
             f"{safe(summary)[:70]}")


@formula.command("show")
@click.argument("name")
@var_option
@preset_option
@json_option
@handles_errors
def formula_show(name: str, variables: tuple[str, ...], preset: str) -> None:
    """A formula resolved (extends, compose), its variables and its cooked steps.

    Required variables not given stay as `{{name}}` placeholders in the preview.
    """
    from beads.formula import cook, load

    given = parse_vars(variables)
    loaded = load(name, formula_dirs())
    missing = {n: replace(v, required=False, default="{{" + n + "}}", pattern="", enum=(),
                          type="string")
               for n, v in loaded.vars.items() if v.required and n not in given}
    inputs = {n: "{{" + n + "}}" for n in loaded.inputs if n not in given}
    preview = cook(replace(loaded, vars={**loaded.vars, **missing}), {**inputs, **given},
                   preset=preset)
    data: dict[str, Any] = {
        "name": loaded.name, "path": loaded.path, "type": loaded.type,
        "version": loaded.version, "description": loaded.description.strip(),
        "pour": bool(loaded.pour), "agent": loaded.agent, "squash": loaded.squash,
        "vars": [{"name": v.name, "description": v.description, "default": v.default,
                  "required": v.required, "enum": list(v.enum), "pattern": v.pattern}
                 for v in loaded.vars.values()],
        "inputs": [{"name": i.name, "description": i.description, "required": i.required}
                   for i in loaded.inputs.values()],
        "presets": {p.name: list(p.legs) for p in loaded.presets.values()},
        "placeholders": sorted([*missing, *inputs]),
        "steps": [s.to_dict() for s in preview.steps]}
    if settings().json:
        emit_json(data)
        return
    line(f"{safe(data['name'])} ({data['type']}, v{data['version']}): {safe(data['path'])}")
    if data["description"]:
        line("  " + safe(data["description"].split("\n", 1)[0]))
    if data["vars"]:
        line("Variables:")
        for var in data["vars"]:
            extra = " (required)" if var["required"] else (
                f" (default {var['default']!r})" if var["default"] is not None else "")
            line(f"  {safe(var['name'])}{safe(extra)}: {safe(var['description'])}")
    if data["presets"]:
        line("Presets: " + ", ".join(safe(p) for p in data["presets"]))
    line(f"Steps ({len(preview.steps)}):")
    for step in preview.steps:
        needs = f"  (needs {', '.join(step.needs)})" if step.needs else ""
        line(f"  {safe(step.id)}: {safe(step.title)}{safe(needs)}")


@click.command()
@click.argument("name")
@var_option
@preset_option
@click.option("--dry-run", is_flag=True, help="Print the protomolecule; write nothing.")
@json_option
@handles_errors
def cook(name: str, variables: tuple[str, ...], preset: str, dry_run: bool) -> None:
    """Cook a formula into a protomolecule bead (type molecule, label template), to pour later
    with `bd mol pour <id>`."""
    from beads.formula import cook as cook_formula
    from beads.formula import load

    s = settings()
    proto = cook_formula(load(name, formula_dirs()), parse_vars(variables), preset=preset)
    if dry_run:
        if s.json:
            emit_json(proto.to_dict())
            return
        line(f"{safe(proto.formula)}: {len(proto.steps)} steps (not written)")
        for step in proto.steps:
            line(f"  {safe(step.id)}: {safe(step.title)}")
        return
    from beads.mol.pouring import store_proto

    bead = store_proto(s.ledger(), proto)
    if s.json:
        emit_json({"proto": bead["id"], "formula": proto.formula,
                   "steps": len(proto.steps), "bead": bead})
        return
    line(f"cooked {safe(proto.formula)} into {bead['id']} ({len(proto.steps)} steps); "
         f"pour it with: bd mol pour {bead['id']}")


def register(group: click.Group) -> None:
    group.add_command(formula)
    group.add_command(cook)
