"""Finding formulas on a search path, and resolving `extends` and `[compose]`.

Search order: the directories the caller passes, then the built-ins shipped with the package
(`beads/formula/builtin/`). For bd alone that is the work tree's `.beads/formulas/`, then
`~/.beads/formulas/` (`default_search_dirs`); in a town the caller passes the rig's and the
town's directories first. In each directory `<name>.formula.toml` wins over
`<name>.formula.json`. A path to a formula file works wherever a name does, and a formula
loaded by path finds the formulas it references in its own directory first.

`extends`: each parent is resolved, then merged in order: variables (a child's declaration
wins), steps (a child step with a parent step's id replaces it in place, new ones are
appended), legs and template steps the same way, other tables key by key; scalar settings
come from the child, else the first parent that sets them. Then the formula's own `[[advice]]`
is woven, `[compose]` expansions applied (`expand`, then `map`), and its aspects woven.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TypeVar

from beads.formula import compose, convoy, graph
from beads.formula.document import Formula, Leg, Step
from beads.formula.errors import FormulaError
from beads.formula.overlay import apply_overlay, find_overlay, load_overlay
from beads.formula.parse import NAME, parse_file
from beads.formula.source import error_at

BUILTIN_DIR = Path(__file__).resolve().with_name("builtin")
SUFFIXES = (".formula.toml", ".formula.json")

Item = TypeVar("Item", Step, Leg)


@dataclass(frozen=True)
class FormulaEntry:
    """A formula found on the search path: its name and the file that provides it."""

    name: str
    path: Path


def default_search_dirs(work_tree: str | Path | None = None,
                        home: str | Path | None = None) -> list[Path]:
    """bd's search directories: the work tree's `.beads/formulas`, then the user's."""
    dirs = [Path(work_tree) / ".beads" / "formulas"] if work_tree is not None else []
    dirs.append(Path(home if home is not None else Path.home()) / ".beads" / "formulas")
    return dirs


def search_path(search_dirs: Iterable[str | Path]) -> list[Path]:
    """The directories searched, in order: the given ones, then the built-ins."""
    dirs = [Path(d) for d in search_dirs]
    return [*dirs, BUILTIN_DIR] if BUILTIN_DIR not in dirs else dirs


def is_path(name_or_path: str | Path) -> bool:
    """Whether a formula reference is a file path rather than a name."""
    text = str(name_or_path)
    return isinstance(name_or_path, Path) or "/" in text or "\\" in text \
        or text.endswith((".toml", ".json"))


def list_formulas(search_dirs: Iterable[str | Path]) -> list[FormulaEntry]:
    """Every formula on the search path by name; a name found twice is the first one."""
    found: dict[str, Path] = {}
    for directory in search_path(search_dirs):
        if not directory.is_dir():
            continue
        for suffix in SUFFIXES:
            for path in sorted(directory.glob(f"*{suffix}")):
                name = path.name.removesuffix(suffix)
                if NAME.match(name) and path.is_file():
                    found.setdefault(name, path)
    return [FormulaEntry(name, path) for name, path in sorted(found.items())]


def find(name_or_path: str | Path, search_dirs: Iterable[str | Path]) -> Path:
    """The file of a formula, by name on the search path or as a path."""
    if is_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise FormulaError(f"no formula file at {path}",
                               "check the path (a formula file ends in .formula.toml or "
                               ".formula.json)")
        return path
    name = str(name_or_path)
    dirs = search_path(search_dirs)
    if not NAME.match(name):
        raise FormulaError(f"{name!r} is neither a formula name nor a path",
                           "name a formula (letters, digits, '.', '_', '-') or give its file")
    for directory in dirs:
        for suffix in SUFFIXES:
            path = directory / f"{name}{suffix}"
            if path.is_file():
                return path
    raise FormulaError(f"formula '{name}' not found in {', '.join(str(d) for d in dirs)}",
                       f"add {name}.formula.toml to one of them, or give the path of its file")


def load(name_or_path: str | Path, search_dirs: Sequence[str | Path] = (),
         overlay_dirs: Sequence[str | Path] = ()) -> Formula:
    """A formula by name or path, with `extends` and `[compose]` resolved and its step graph
    checked, and the first overlay found in `overlay_dirs` applied: ready for `cook`."""
    formula = _Loader(search_dirs).resolve(parse_file(find(name_or_path, search_dirs)), ())
    overlay = find_overlay(formula.name, overlay_dirs)
    if overlay is not None:
        formula = apply_overlay(formula, load_overlay(overlay))
    validate(formula)
    return formula


def validate(formula: Formula) -> None:
    """What a resolved formula must satisfy to be cooked, per type."""
    source = formula.source
    if formula.type == "workflow":
        if not formula.steps:
            raise error_at(source, f"workflow formula '{formula.name}' has no steps",
                           'add a [[steps]] entry with an id, or extends = ["<formula>"]')
        graph.ordered(formula, graph.flatten(formula.steps)[0])
    elif formula.type == "expansion" and not formula.template:
        raise error_at(source, f"expansion formula '{formula.name}' has no [[template]] steps",
                       "add [[template]] entries with ids like \"{target}.<name>\"")
    elif formula.type == "aspect" and not formula.advice:
        raise error_at(source, f"aspect formula '{formula.name}' has no [[advice]]",
                       "add an [[advice]] rule with before, after or around steps")
    elif formula.type == "convoy":
        convoy.validate(formula)


class _Loader:
    """Loads the formulas one resolution references, each file parsed once."""

    def __init__(self, search_dirs: Sequence[str | Path]) -> None:
        self.search_dirs = list(search_dirs)
        self.parsed: dict[Path, Formula] = {}

    def named(self, name: str, by: Formula, key: str, kind: str) -> Formula:
        """The resolved formula `by` references under `key`, of the given type."""
        dirs = ([Path(by.path).parent] if by.path else []) + self.search_dirs
        line = None
        if by.source is not None:
            field = "with" if key in ("expand", "map") else key
            line = by.source.line_of_value(field, name) or by.source.line_of_text(name)
        if is_path(name) and by.path and not Path(name).is_absolute():
            name = str(Path(by.path).parent / name)
        try:
            path = find(name, dirs)
        except FormulaError as exc:
            raise error_at(by.source, f"{key} '{name}': {exc.message}",
                           f"fix the name in {key} or add {name}.formula.toml to the search path",
                           line) from None
        path = path.resolve()
        if path not in self.parsed:
            self.parsed[path] = parse_file(path)
        found = self.parsed[path]
        if kind and found.type != kind:
            raise error_at(by.source, f"{key} '{name}' is a {found.type} formula, not an {kind}",
                           f"name an {kind} formula in {key}", line)
        return found

    def resolve(self, formula: Formula, chain: tuple[str, ...]) -> Formula:
        if formula.name in chain:
            cycle = " -> ".join((*chain, formula.name))
            raise error_at(formula.source, f"extends cycle: {cycle}",
                           "remove one of these extends")
        chain = (*chain, formula.name)
        merged = formula
        if formula.extends:
            parents = [self.resolve(self.named(p, formula, "extends", ""), chain)
                       for p in formula.extends]
            merged = _merge(formula, parents)
        steps = merged.steps
        if merged.advice and merged.type == "workflow":
            steps = compose.weave(steps, merged)
        rules = formula.compose
        if rules is not None:
            for rule in rules.expand:
                target = compose.find(steps, rule.target)
                if target is None:
                    raise _missing_target(formula, rule.target, steps)
                expansion = self.resolve(self.named(rule.with_, formula, "expand", "expansion"),
                                         chain)
                steps = compose.expand(steps, target, expansion, rule.vars)
            for rule in rules.map:
                expansion = self.resolve(self.named(rule.with_, formula, "map", "expansion"), chain)
                for step_id in [s.id for s in compose.all_steps(steps)
                                if fnmatchcase(s.id, rule.select)]:
                    target = compose.find(steps, step_id)
                    assert target is not None
                    steps = compose.expand(steps, target, expansion, rule.vars)
            for name in rules.aspects:
                aspect = self.resolve(self.named(name, formula, "aspects", "aspect"), chain)
                steps = compose.weave(steps, aspect)
        return replace(merged, steps=steps, extends=(), compose=None)


def _missing_target(formula: Formula, target: str, steps: Sequence[Step]) -> FormulaError:
    ids = [s.id for s in compose.all_steps(steps)]
    line = formula.source.line_of_value("target", target) if formula.source else None
    return error_at(formula.source, f"expand target '{target}' is not a step of "
                    f"'{formula.name}'", f"name one of its steps ({', '.join(ids[:12])})", line)


def _merge(child: Formula, parents: Sequence[Formula]) -> Formula:
    """A child formula on top of its resolved parents."""
    chain = [*parents, child]

    def setting(name: str, empty: Any = None) -> Any:
        for formula in (child, *parents):
            value = getattr(formula, name)
            if value is not None and value != "":
                return value
        return empty

    def tables(name: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for formula in chain:
            merged.update(getattr(formula, name))
        return merged

    variables: dict[str, Any] = {}
    for parent in parents:
        for name, var in parent.vars.items():
            variables.setdefault(name, var)
    variables.update(child.vars)
    return replace(
        child,
        description=setting("description", ""),
        vars=variables,
        steps=_by_id([f.steps for f in chain]),
        template=_by_id([f.template for f in chain]),
        legs=_by_id([f.legs for f in chain]),
        advice=tuple(a for f in chain for a in f.advice),
        pointcuts=tuple(p for f in chain for p in f.pointcuts),
        synthesis=setting("synthesis"),
        inputs=tables("inputs"),
        prompts=tables("prompts"),
        output=tables("output"),
        presets=tables("presets"),
        squash=setting("squash"),
        pour=setting("pour"),
        agent=setting("agent", ""),
        phase=setting("phase", ""),
        review_only=setting("review_only"),
        warnings=tuple(w for f in chain for w in f.warnings),
    )


def _by_id(lists: Sequence[Sequence[Item]]) -> tuple[Item, ...]:
    """Items in order; a later item with an earlier one's id replaces it in place."""
    merged: dict[str, Item] = {}
    for items in lists:
        for item in items:
            merged[item.id] = item
    return tuple(merged.values())
