"""Variables: bind the caller's values to a formula's declarations, and substitute `{{name}}`.

Only a placeholder whose name is a declared variable (or a convoy input) is replaced. Every
other brace in the prose stays byte for byte: Go templates (`{{if .x}}`, `{{range}}`,
`{{.Field}}`, `{{end}}`), Handlebars (`{{#each}}`, `{{/each}}`, `{{else}}`), single braces
(`{step.id}`) and undeclared names, which Gas Town's and Beads' formulas use as prose for
agents. A value is inserted as it is and never scanned again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from beads.formula.document import Formula, Var
from beads.formula.source import error_at

PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")

# Template keywords that look like placeholders but never name a variable.
TEMPLATE_KEYWORDS = frozenset({
    "else", "end", "this", "root", "index", "key", "first", "last", "range", "with",
    "block", "define", "template", "nil"})


def substitute(text: str, values: Mapping[str, str]) -> str:
    """`text` with each `{{name}}` whose name is in `values` replaced by its value."""
    if "{{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def placeholders(texts: Iterable[str]) -> set[str]:
    """Every `{{name}}` used in `texts`."""
    found: set[str] = set()
    for text in texts:
        if "{{" in text:
            found.update(PLACEHOLDER.findall(text))
    return found


def bind(formula: Formula, given: Mapping[str, str]) -> dict[str, str]:
    """The value of every declared variable: given, else its default, else empty.

    Values given for names the formula does not declare are ignored (Gas Town passes
    `feature` and `issue` to every formula it slings). A required variable with no value,
    and a value outside a variable's `enum`, `pattern` or `type`, are errors.
    """
    bound: dict[str, str] = {}
    for name, var in formula.vars.items():
        value = given.get(name)
        if value is None:
            if var.default is None:
                if var.required:
                    raise _error(formula, var, f"missing required variable '{name}'",
                                 f"pass --var {name}=<value>"
                                 + (f" ({var.description})" if var.description else ""))
                bound[name] = ""
                continue
            value = var.default
        check(formula, var, value)
        bound[name] = value
    return bound


def check(formula: Formula, var: Var, value: str) -> None:
    """Raise if `value` is not allowed for `var`."""
    name = var.name
    if var.enum and value not in var.enum:
        raise _error(formula, var, f"variable '{name}' is {value!r}, not one of its allowed "
                     f"values", f"pass --var {name}=<one of {', '.join(var.enum)}>")
    if var.pattern and value and not re.search(var.pattern, value):
        raise _error(formula, var, f"variable '{name}' is {value!r}, which does not match "
                     f"{var.pattern!r}", f"pass a value for {name} that matches the pattern")
    if var.type == "int" and value and not re.fullmatch(r"-?\d+", value):
        raise _error(formula, var, f"variable '{name}' is {value!r}, not an integer",
                     f"pass --var {name}=<integer>")
    if var.type == "bool" and value and value not in ("true", "false"):
        raise _error(formula, var, f"variable '{name}' is {value!r}, not true or false",
                     f"pass --var {name}=true or --var {name}=false")


def undeclared(formula: Formula) -> list[str]:
    """Placeholders used in the formula's steps that name no variable, input or keyword.

    They are not errors (they stay as written), but a misspelt variable shows up here.
    """
    texts: list[str] = [formula.description]
    stack = list(formula.steps) + list(formula.template)
    while stack:
        step = stack.pop()
        texts += [step.title, step.description, step.acceptance, step.notes]
        stack.extend(step.children)
    for leg in formula.legs:
        texts += [leg.title, leg.focus, leg.description]
    if formula.synthesis:
        texts += [formula.synthesis.title, formula.synthesis.description]
    texts += formula.prompts.values()
    known = set(formula.vars) | set(formula.inputs) | TEMPLATE_KEYWORDS
    return sorted(placeholders(texts) - known)


def _error(formula: Formula, var: Var, problem: str, fix: str) -> Exception:
    source = var.source or formula.source
    line = None
    if source is not None:
        line = ((source.line_of_key(f"vars.{var.name}") if source.fmt == "toml" else None)
                or source.line_of_key(var.name))
    return error_at(source, f"formula '{formula.name}': {problem}", fix, line)
