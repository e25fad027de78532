"""Formula files (TOML, or Beads' JSON form) to `document.Formula`, checking every key and type.

Only what one file can tell is checked here: key names and value types, step types, duplicate
ids, variable declarations. What needs other files (`extends`, `[compose]`) or the whole step
graph (unknown `needs`, cycles) is checked when the formula is resolved and cooked.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from beads.formula.document import (
    FORMULA_TYPES,
    STEP_TYPES,
    Advice,
    AdviceStep,
    Compose,
    ExpandRule,
    Formula,
    Input,
    Leg,
    Pointcut,
    Preset,
    Step,
    Synthesis,
    Var,
)
from beads.formula.errors import FormulaError
from beads.formula.source import Source

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
VAR_TYPES = ("string", "int", "bool")

FORMULA_KEYS = frozenset({
    "formula", "description", "version", "type", "extends", "vars", "steps", "template",
    "compose", "advice", "pointcuts", "legs", "synthesis", "inputs", "prompts", "output",
    "presets", "squash", "pour", "agent", "phase", "review_only"})
STEP_KEYS = frozenset({
    "id", "title", "description", "type", "needs", "depends_on", "acceptance", "gate",
    "children", "assignee", "labels", "priority", "notes", "parallel", "interactive"})
VAR_KEYS = frozenset({"description", "default", "required", "pattern", "enum", "type"})
LEG_KEYS = frozenset({"id", "title", "focus", "description", "agent", "review_only"})
ADVICE_STEP_KEYS = frozenset({"id", "title", "description", "type", "acceptance"})

LineOf = Callable[[str], "int | None"]


def read_source(path: str | Path) -> Source:
    """The text of a formula or overlay file; TOML unless its name ends in `.json`."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormulaError(f"cannot read {name}: {exc.strerror or exc}",
                           "check the path and its permissions") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormulaError("the file is not valid UTF-8", "save it as UTF-8",
                           file=name, line=line) from None
    return Source(name, text, "json" if name.endswith(".json") else "toml")


def decode(source: Source) -> dict[str, Any]:
    """The raw tables of a source, with the decoder's line in any syntax error."""
    if source.fmt == "json":
        try:
            data = json.loads(source.text)
        except json.JSONDecodeError as exc:
            raise source.error(f"invalid JSON: {exc.msg}", "fix the syntax", exc.lineno) from None
        if not isinstance(data, dict):
            raise source.error("a JSON formula must be an object", 'start it with {"formula": ...}')
        return data
    try:
        return tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        problem = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise source.error(f"invalid TOML: {problem}", "fix the syntax",
                           int(found.group(1)) if found else None) from None


def parse_file(path: str | Path) -> Formula:
    """Read one formula file, as it is (no `extends` or `[compose]` applied)."""
    return parse_source(read_source(path))


def parse_text(text: str, path: str = "<formula>", fmt: str = "toml") -> Formula:
    """Read a formula held in a string; `path` is only used to name it in errors."""
    return parse_source(Source(path, text, fmt))


def parse_source(source: Source) -> Formula:
    return _Reader(source).formula(decode(source))


def _kind(value: object) -> str:
    return {str: "a string", bool: "true or false", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


class Table:
    """One table being read: typed getters, and an error for any key it does not know."""

    def __init__(self, data: object, where: str, source: Source, allowed: frozenset[str],
                 line_of: LineOf) -> None:
        if not isinstance(data, dict):
            raise source.error(f"{where} must be a table, not {_kind(data)}",
                               "write it as a [table] or {key = value}", line_of(""))
        unknown = sorted(set(data) - allowed)
        if unknown:
            key = unknown[0]
            raise source.error(
                f"{where} has an unknown key '{key}'",
                f"remove it or fix its spelling (known keys: {', '.join(sorted(allowed))})",
                line_of(key))
        self.data = data
        self.where = where
        self.source = source
        self.line_of = line_of

    def fail(self, key: str, problem: str, fix: str) -> FormulaError:
        return self.source.error(f"{self.where}: {problem}", fix, self.line_of(key))

    def _typed(self, key: str, kind: type, example: str) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"'{key}' must be {_kind(kind())}, not {_kind(value)}",
                            f"write it as {key} = {example}")
        return value

    def text(self, key: str) -> str:
        return self._typed(key, str, '"..."') or ""

    def flag(self, key: str) -> bool | None:
        return self._typed(key, bool, "true")

    def integer(self, key: str) -> int | None:
        return self._typed(key, int, "1")

    def table(self, key: str) -> dict[str, Any] | None:
        return self._typed(key, dict, "{ ... }")

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"'{key}' must be a list of strings",
                            f'write it as {key} = ["a", "b"]')
        return tuple(value)

    def tables(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            return [value]
        if not isinstance(value, list):
            raise self.fail(key, f"'{key}' must be a list of tables, not {_kind(value)}",
                            f"write each entry as [[{key}]]")
        return value


class _Reader:
    """Builds the document of one source."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = ""

    def at_id(self, step_id: str) -> LineOf:
        return lambda key: self.source.line_in_table(step_id, key)

    def formula(self, data: dict[str, Any]) -> Formula:
        top = Table(data, "the formula", self.source, FORMULA_KEYS, self.source.line_of_key)
        name = top.text("formula")
        if not name:
            raise self.source.error("the formula has no name", 'add formula = "<name>" at the top',
                                    1)
        if not NAME.match(name):
            raise top.fail("formula", f"formula name '{name}' is not usable as a file name",
                           "use letters, digits, '.', '_' and '-'")
        self.name = name
        declared = top.text("type")
        if declared and declared not in FORMULA_TYPES:
            raise top.fail("type", f"type '{declared}' is not a formula type",
                           f"use one of {', '.join(FORMULA_TYPES)}, or leave it out to infer it")
        version = top.integer("version")
        steps = tuple(self.step(s, "step") for s in top.tables("steps"))
        template = tuple(self.step(s, "template step") for s in top.tables("template"))
        self.unique_ids(steps, "step")
        self.unique_ids(template, "template step")
        legs = tuple(self.leg(leg) for leg in top.tables("legs"))
        self.unique_ids(legs, "leg")
        advice = tuple(self.advice(a, i) for i, a in enumerate(top.tables("advice")))
        pointcuts = tuple(self.pointcut(p) for p in top.tables("pointcuts"))
        extends = top.texts("extends")
        return Formula(
            name=name,
            description=top.text("description"),
            version=1 if version is None else version,
            type=declared or infer_type(bool(steps or extends), bool(legs), bool(template),
                                        bool(advice)),
            extends=extends,
            vars=self.vars(top.table("vars") or {}),
            steps=steps,
            template=template,
            compose=self.compose(top),
            advice=advice,
            pointcuts=pointcuts,
            legs=legs,
            synthesis=self.synthesis(top.table("synthesis")),
            inputs=self.inputs(top.table("inputs") or {}),
            prompts=self.strings(top, "prompts"),
            output=self.strings(top, "output"),
            presets=self.presets(top.table("presets") or {}),
            squash=top.table("squash"),
            pour=top.flag("pour"),
            agent=top.text("agent"),
            phase=top.text("phase"),
            review_only=top.flag("review_only"),
            source=self.source,
        )

    def unique_ids(self, items: Iterable[Step | Leg], what: str) -> None:
        seen: set[str] = set()
        for item in _walk(items):
            if item.id in seen:
                lines = [m.start() for m in re.finditer(
                    rf"(?m)^\s*id\s*=\s*[\"']{re.escape(item.id)}[\"']", self.source.text)]
                line = self.source.text.count("\n", 0, lines[1]) + 1 if len(lines) > 1 else None
                raise self.source.error(f"duplicate {what} id '{item.id}'",
                                        "give every step its own id", line)
            seen.add(item.id)

    def step(self, data: object, what: str) -> Step:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            title = data.get("title") if isinstance(data, dict) else None
            line = self.source.line_of_value("title", title) if isinstance(title, str) else None
            raise self.source.error(f"a {what} has no id", 'add id = "<step-id>" to it', line)
        step_id = data["id"]
        t = Table(data, f"{what} '{step_id}'", self.source, STEP_KEYS, self.at_id(step_id))
        step_type = t.text("type")
        if step_type and step_type not in STEP_TYPES:
            raise t.fail("type", f"type '{step_type}' is not a step type",
                         f"use one of {', '.join(STEP_TYPES)}")
        gate = t.table("gate")
        if gate is not None and not isinstance(gate.get("type"), str):
            raise t.fail("gate", "the gate has no type",
                         'write it as gate = { type = "human" } (or timer, conditional, ...)')
        priority = t.integer("priority")
        if priority is not None and not 0 <= priority <= 4:
            raise t.fail("priority", f"priority {priority} is out of range", "use 0 to 4")
        needs = dict.fromkeys(t.texts("needs") + t.texts("depends_on"))
        return Step(
            id=step_id,
            title=t.text("title"),
            description=t.text("description"),
            type=step_type,
            needs=tuple(needs),
            acceptance=t.text("acceptance"),
            gate=gate,
            children=tuple(self.step(c, "step") for c in t.tables("children")),
            assignee=t.text("assignee"),
            labels=t.texts("labels"),
            priority=priority,
            notes=t.text("notes"),
            parallel=bool(t.flag("parallel")),
            interactive=bool(t.flag("interactive")),
            origin=self.name,
            source=self.source,
        )

    def vars(self, table: dict[str, Any]) -> dict[str, Var]:
        found: dict[str, Var] = {}
        for name, spec in table.items():
            def line_of(key: str, name: str = name) -> int | None:
                return (self.source.line_of_key(f"vars.{name}") if self.source.fmt == "toml"
                        else None) or self.source.line_of_key(name)
            if not VAR_NAME.match(name):
                raise self.source.error(f"variable name '{name}' cannot be used as {{{{{name}}}}}",
                                        "use letters, digits and '_'", line_of(""))
            if isinstance(spec, str):
                found[name] = Var(name, default=spec, source=self.source)
                continue
            t = Table(spec, f"variable '{name}'", self.source, VAR_KEYS, line_of)
            default = spec.get("default")
            if isinstance(default, bool):
                default = "true" if default else "false"
            elif isinstance(default, int | float):
                default = str(default)
            elif default is not None and not isinstance(default, str):
                raise t.fail("default", "'default' must be a string", 'write it as default = "..."')
            var_type = t.text("type") or "string"
            if var_type not in VAR_TYPES:
                raise t.fail("type", f"type '{var_type}' is not a variable type",
                             f"use one of {', '.join(VAR_TYPES)}")
            pattern = t.text("pattern")
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise t.fail("pattern", f"pattern {pattern!r} is not a valid regular "
                                 f"expression ({exc})", "fix the pattern") from None
            found[name] = Var(name, description=t.text("description"), default=default,
                              required=bool(t.flag("required")), pattern=pattern,
                              enum=t.texts("enum"), type=var_type, source=self.source)
        return found

    def compose(self, top: Table) -> Compose | None:
        table = top.table("compose")
        if table is None:
            return None
        t = Table(table, "[compose]", self.source, frozenset({"expand", "map", "aspects"}),
                   self.source.line_of_key)
        return Compose(expand=tuple(self.expand_rule(r, "target") for r in t.tables("expand")),
                       map=tuple(self.expand_rule(r, "select") for r in t.tables("map")),
                       aspects=t.texts("aspects"))

    def expand_rule(self, data: object, key: str) -> ExpandRule:
        where = f"[[compose.{'expand' if key == 'target' else 'map'}]]"
        t = Table(data, where, self.source, frozenset({key, "with", "vars"}),
                   self.source.line_of_key)
        if not t.text(key) or not t.text("with"):
            raise t.fail(key, f"a rule needs both '{key}' and 'with'",
                         f'write {key} = "<step-id>" and with = "<expansion formula>"')
        variables = t.table("vars") or {}
        if not all(isinstance(v, str) for v in variables.values()):
            raise t.fail("vars", "expansion vars must be strings",
                         'write vars = { name = "value" }')
        return ExpandRule(with_=t.text("with"), target=t.text("target"), select=t.text("select"),
                          vars=dict(variables))

    def advice(self, data: object, index: int) -> Advice:
        def line_of(key: str) -> int | None:
            hits = [m.start() for m in re.finditer(r"(?m)^\s*\[\[advice\]\]", self.source.text)]
            return self.source.text.count("\n", 0, hits[index]) + 1 if index < len(hits) else None
        t = Table(data, f"advice #{index + 1}", self.source,
                   frozenset({"target", "before", "after", "around"}), line_of)
        around = t.table("around") or {}
        a = Table(around, f"advice #{index + 1} around", self.source,
                   frozenset({"before", "after"}), line_of)
        before = [self.advice_step(s, t) for s in t.tables("before") + a.tables("before")]
        after = [self.advice_step(s, t) for s in t.tables("after") + a.tables("after")]
        return Advice(target=t.text("target"), before=tuple(before), after=tuple(after))

    def advice_step(self, data: object, rule: Table) -> AdviceStep:
        t = Table(data, f"{rule.where} step", self.source, ADVICE_STEP_KEYS, rule.line_of)
        if not t.text("id"):
            raise t.fail("id", "an advice step has no id", 'add id = "{step.id}-<name>"')
        step_type = t.text("type")
        if step_type and step_type not in STEP_TYPES:
            raise t.fail("type", f"type '{step_type}' is not a step type",
                         f"use one of {', '.join(STEP_TYPES)}")
        return AdviceStep(id=t.text("id"), title=t.text("title"), description=t.text("description"),
                          type=step_type, acceptance=t.text("acceptance"))

    def pointcut(self, data: object) -> Pointcut:
        t = Table(data, "a pointcut", self.source, frozenset({"glob", "type", "label"}),
                   self.source.line_of_key)
        return Pointcut(glob=t.text("glob"), type=t.text("type"), label=t.text("label"))

    def leg(self, data: object) -> Leg:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise self.source.error("a leg has no id", 'add id = "<leg-id>" to it',
                                    self.source.line_of_key("legs"))
        t = Table(data, f"leg '{data['id']}'", self.source, LEG_KEYS, self.at_id(data["id"]))
        return Leg(id=data["id"], title=t.text("title"), focus=t.text("focus"),
                   description=t.text("description"), agent=t.text("agent"),
                   review_only=bool(t.flag("review_only")))

    def synthesis(self, data: dict[str, Any] | None) -> Synthesis | None:
        if data is None:
            return None
        t = Table(data, "[synthesis]", self.source,
                   frozenset({"title", "description", "depends_on"}), self.source.line_of_key)
        return Synthesis(title=t.text("title"), description=t.text("description"),
                         depends_on=t.texts("depends_on"))

    def inputs(self, table: dict[str, Any]) -> dict[str, Input]:
        found: dict[str, Input] = {}
        for name, spec in table.items():
            t = Table(spec, f"input '{name}'", self.source,
                       frozenset({"description", "type", "required", "required_unless",
                                  "default"}),
                       lambda key, name=name: self.source.line_of_key(f"inputs.{name}"))
            default = spec.get("default")
            found[name] = Input(name, description=t.text("description"),
                                type=t.text("type") or "string",
                                required=bool(t.flag("required")),
                                required_unless=t.texts("required_unless"),
                                default=None if default is None else str(default))
        return found

    def presets(self, table: dict[str, Any]) -> dict[str, Preset]:
        found: dict[str, Preset] = {}
        for name, spec in table.items():
            t = Table(spec, f"preset '{name}'", self.source, frozenset({"description", "legs"}),
                       lambda key, name=name: self.source.line_of_key(f"presets.{name}"))
            found[name] = Preset(name, description=t.text("description"), legs=t.texts("legs"))
        return found

    def strings(self, top: Table, key: str) -> dict[str, str]:
        table = top.table(key) or {}
        for name, value in table.items():
            if not isinstance(value, str):
                raise top.fail(name, f"[{key}] {name} must be a string, not {_kind(value)}",
                               f'write it as {name} = "..."')
        return dict(table)


def infer_type(has_steps: bool, has_legs: bool, has_template: bool, has_advice: bool) -> str:
    """The type of a formula that does not say: what its content is made of."""
    if has_steps:
        return "workflow"
    if has_legs:
        return "convoy"
    if has_template:
        return "expansion"
    if has_advice:
        return "aspect"
    return "workflow"


def _walk(items: Iterable[Any]) -> Iterable[Any]:
    for item in items:
        yield item
        yield from _walk(getattr(item, "children", ()))
