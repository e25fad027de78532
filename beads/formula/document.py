"""A formula as read from its file: immutable dataclasses, one per construct of the language.

The parser (`beads.formula.parse`) builds these; resolution (`resolve`, `compose`) builds new
ones from old with `dataclasses.replace`; cooking (`cook`) turns one into a protomolecule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from beads.formula.source import Source

FORMULA_TYPES = ("workflow", "convoy", "expansion", "aspect")
STEP_TYPES = ("task", "human", "gate", "parallel", "bug", "feature", "chore", "epic")


@dataclass(frozen=True)
class Var:
    """A `[vars.<name>]` declaration (or the shorthand `name = "default"`)."""

    name: str
    description: str = ""
    default: str | None = None
    required: bool = False
    pattern: str = ""
    enum: tuple[str, ...] = ()
    type: str = "string"
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Step:
    """A `[[steps]]` entry (also an expansion's `[[template]]` entry), children nested."""

    id: str
    title: str = ""
    description: str = ""
    type: str = ""
    needs: tuple[str, ...] = ()
    acceptance: str = ""
    gate: dict[str, Any] | None = None
    children: tuple[Step, ...] = ()
    assignee: str = ""
    labels: tuple[str, ...] = ()
    priority: int | None = None
    notes: str = ""
    parallel: bool = False
    interactive: bool = False
    origin: str = ""
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Leg:
    """A convoy's `[[legs]]` entry: one unit of parallel work."""

    id: str
    title: str = ""
    focus: str = ""
    description: str = ""
    agent: str = ""
    review_only: bool = False


@dataclass(frozen=True)
class Synthesis:
    """A convoy's `[synthesis]`: the step that waits for the legs and combines their output."""

    title: str = ""
    description: str = ""
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preset:
    """A convoy's `[presets.<name>]`: a named selection of legs."""

    name: str
    description: str = ""
    legs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Input:
    """A convoy's `[inputs.<name>]`: a value given when the convoy is run."""

    name: str
    description: str = ""
    type: str = "string"
    required: bool = False
    required_unless: tuple[str, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class ExpandRule:
    """`[[compose.expand]]` (one `target` step) or `[[compose.map]]` (steps `select` matches)."""

    with_: str
    target: str = ""
    select: str = ""
    vars: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AdviceStep:
    """A step an aspect inserts; `{step.id}` and `{step.title}` name the step it advises."""

    id: str
    title: str = ""
    description: str = ""
    type: str = ""
    acceptance: str = ""


@dataclass(frozen=True)
class Advice:
    """An `[[advice]]` rule: steps woven before and after each step it matches."""

    target: str = ""
    before: tuple[AdviceStep, ...] = ()
    after: tuple[AdviceStep, ...] = ()


@dataclass(frozen=True)
class Pointcut:
    """A `[[pointcuts]]` entry: which steps an aspect applies to (by id glob and/or type)."""

    glob: str = ""
    type: str = ""
    label: str = ""


@dataclass(frozen=True)
class Compose:
    """`[compose]`: expansions applied to steps and aspects woven through them."""

    expand: tuple[ExpandRule, ...] = ()
    map: tuple[ExpandRule, ...] = ()
    aspects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Formula:
    """One formula file. After `resolve.load`, `extends` and `compose` have been applied."""

    name: str
    description: str = ""
    version: int = 1
    type: str = "workflow"
    extends: tuple[str, ...] = ()
    vars: dict[str, Var] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    template: tuple[Step, ...] = ()
    compose: Compose | None = None
    advice: tuple[Advice, ...] = ()
    pointcuts: tuple[Pointcut, ...] = ()
    legs: tuple[Leg, ...] = ()
    synthesis: Synthesis | None = None
    inputs: dict[str, Input] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)
    output: dict[str, str] = field(default_factory=dict)
    presets: dict[str, Preset] = field(default_factory=dict)
    squash: dict[str, Any] | None = None
    pour: bool | None = None
    agent: str = ""
    phase: str = ""
    review_only: bool | None = None
    warnings: tuple[str, ...] = ()
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def path(self) -> str:
        """The file this formula was read from ("" when built in memory)."""
        return self.source.path if self.source else ""

    @property
    def unresolved(self) -> bool:
        """True while `extends` or `[compose]` still wait to be applied by `resolve.load`."""
        return bool(self.extends) or self.compose is not None
