"""Gas Town's 47 formulas and Beads' 5 load, resolve and cook unchanged (read from ../shared).

Every expectation is derived here from the raw TOML (read with tomllib, not with the
library under test): step counts, step order, and the exact text of every step after
substituting the sample variables.
"""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from beads.formula import Protomolecule, cook, list_formulas, load
from tests.conftest import FIXTURES

GASTOWN = FIXTURES / "gastown-formulas"
BEADS = FIXTURES / "beads-formulas"
SEARCH = [GASTOWN, BEADS]

pytestmark = pytest.mark.skipif(not GASTOWN.is_dir() or not BEADS.is_dir(),
                                reason="../shared/fixtures (Gas Town and Beads formulas) is absent")

FILES = sorted(GASTOWN.glob("*.formula.toml")) + sorted(BEADS.glob("*.formula.toml")) \
    if GASTOWN.is_dir() and BEADS.is_dir() else []
PLACEHOLDER = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


def raw(name: str) -> dict[str, Any]:
    for directory in SEARCH:
        path = directory / f"{name}.formula.toml"
        if path.is_file():
            return tomllib.loads(path.read_text(encoding="utf-8"))
    raise AssertionError(f"no fixture {name}")


def declared(data: dict[str, Any]) -> dict[str, Any]:
    """The variables of a raw formula with those of its parents (a child's declaration wins)."""
    found: dict[str, Any] = {}
    for parent in data.get("extends", []):
        found.update(declared(raw(parent)))
    found.update(data.get("vars", {}))
    return found


def sample_value(name: str, spec: Any) -> str:
    """A value for a variable: one that fits its pattern, else a marker naming it."""
    pattern = spec.get("pattern") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and spec.get("enum"):
        return spec["enum"][-1]
    if pattern:
        return next(v for v in ("7", "1.2.3", "owner/name") if re.search(pattern, v))
    return f"⟪{name}⟫"


def samples(data: dict[str, Any]) -> dict[str, str]:
    values = {n: sample_value(n, s) for n, s in declared(data).items()}
    values.update({n: f"⟪{n}⟫" for n in data.get("inputs", {})})
    return values


def filled(text: str, names: set[str], values: dict[str, str]) -> str:
    """`text` with each declared placeholder replaced (plain string replacement)."""
    for name in names:
        text = text.replace("{{" + name + "}}", values[name])
    return text


def count_steps(steps: list[dict[str, Any]]) -> int:
    return sum(1 + count_steps(s.get("children", [])) for s in steps)


def raw_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of a raw formula after extends and compose, counted the simple way."""
    steps: list[dict[str, Any]] = []
    for parent in data.get("extends", []):
        steps += raw_steps(raw(parent))
    by_id = {s["id"]: i for i, s in enumerate(steps)}
    for step in data.get("steps", []):
        if step["id"] in by_id:
            steps[by_id[step["id"]]] = step
        else:
            steps.append(step)
    compose = data.get("compose", {})
    for rule in compose.get("expand", []):
        template = raw(rule["with"])["template"]
        index = next(i for i, s in enumerate(steps) if s["id"] == rule["target"])
        made = [{"id": t["id"].replace("{target}", rule["target"])} for t in template]
        steps[index:index + 1] = made
    for aspect_name in compose.get("aspects", []):
        aspect = raw(aspect_name)
        added = []
        for step in steps:
            for rule in aspect.get("advice", []):
                around = rule.get("around", {})
                cuts = aspect.get("pointcuts", [])
                if (fnmatchcase(step["id"], rule.get("target", "*"))
                        and (not cuts or any(fnmatchcase(step["id"], c["glob"]) for c in cuts))):
                    added += around.get("before", []) + around.get("after", [])
        steps = steps + added
    return steps


def expected_count(data: dict[str, Any]) -> int:
    kind = data.get("type")
    if kind == "convoy" or (not kind and data.get("legs")):
        return len(data["legs"]) + (1 if "synthesis" in data else 0)
    if kind == "expansion":
        return len(data["template"])
    if kind == "aspect":
        return 0
    return count_steps(raw_steps(data))


@pytest.fixture(scope="module")
def cooked() -> dict[str, tuple[dict[str, Any], Protomolecule]]:
    out = {}
    for path in FILES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out[data["formula"]] = (data, cook(load(path, SEARCH), samples(data)))
    return out


def test_the_fixtures_are_all_there() -> None:
    assert len(list(GASTOWN.glob("*.formula.toml"))) == 47
    assert len(list(BEADS.glob("*.formula.toml"))) == 5
    names = {e.name for e in list_formulas(SEARCH)}
    assert {p.name.removesuffix(".formula.toml") for p in FILES} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.removesuffix(".formula.toml"))
def test_each_fixture_cooks_to_its_independently_counted_steps(
        path: Path, cooked: dict[str, tuple[dict[str, Any], Protomolecule]]) -> None:
    data, proto = cooked[path.name.removesuffix(".formula.toml")]
    assert len(proto.steps) == expected_count(data)
    ids = [s.id for s in proto.steps]
    assert len(set(ids)) == len(ids)
    seen: set[str] = set()
    for step in proto.steps:
        assert set(step.needs) <= seen, f"{step.id} comes before something it needs"
        seen.add(step.id)
    assert proto.formula == data["formula"]
    assert proto.version == data["version"]
    assert proto.type == data.get("type", proto.type)
    assert proto.pour == data.get("pour", False)
    assert proto.squash == data.get("squash")
    again = Protomolecule.from_dict(json.loads(json.dumps(proto.to_dict())))
    assert again == proto


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.removesuffix(".formula.toml"))
def test_each_fixture_text_passes_through_byte_for_byte(
        path: Path, cooked: dict[str, tuple[dict[str, Any], Protomolecule]]) -> None:
    data, proto = cooked[path.name.removesuffix(".formula.toml")]
    values = samples(data)
    names = set(declared(data)) | set(data.get("inputs", {}))
    originals: dict[str, dict[str, Any]] = {}
    stack = list(raw_steps(data)) + list(data.get("legs", []))
    while stack:
        step = stack.pop()
        originals[step["id"]] = step
        stack += step.get("children", [])
    for step in proto.steps:
        original = originals.get(step.id)
        if original is None or "description" not in original:
            made = step.id + step.title + step.description  # by an expansion or an aspect
            assert "{target" not in made
            assert "{step." not in made
            continue
        assert step.description == filled(original["description"], names, values)
        assert step.title == filled(original.get("title", step.id), names, values)
        assert step.acceptance == filled(original.get("acceptance", ""), names, values)
    for key, prompt in data.get("prompts", {}).items():
        assert proto.prompts[key] == filled(prompt, names, values)
    for step in proto.steps:
        assert not set(PLACEHOLDER.findall(step.title + step.description)) & names


def test_plain_workflows_keep_their_order_children_before_their_container(
        cooked: dict[str, tuple[dict[str, Any], Protomolecule]]) -> None:
    checked = 0
    for data, proto in cooked.values():
        if data.get("type", "workflow") != "workflow" or "extends" in data:
            continue
        order: list[str] = []
        for step in data["steps"]:
            order += [c["id"] for c in step.get("children", [])] + [step["id"]]
        assert [s.id for s in proto.steps] == order
        checked += 1
    assert checked == 42


def test_gas_town_totals_and_the_largest_molecule(
        cooked: dict[str, tuple[dict[str, Any], Protomolecule]]) -> None:
    gastown = [cooked[p.name.removesuffix(".formula.toml")] for p in FILES
               if p.parent == GASTOWN]
    assert sum(len(d.get("steps", [])) for d, _ in gastown) == 1926
    assert sum(len(p.steps) for _, p in gastown) == sum(expected_count(d) for d, _ in gastown)
    _, hanoi = cooked["towers-of-hanoi-10"]
    assert len(hanoi.steps) == 1025
    assert hanoi.steps[0].needs == ()
    assert all(s.needs == (p.id,) for p, s in zip(hanoi.steps, hanoi.steps[1:], strict=False))


def test_composed_fixtures_weave_and_expand_in_line(
        cooked: dict[str, tuple[dict[str, Any], Protomolecule]]) -> None:
    _, secure = cooked["shiny-secure"]
    assert [s.id for s in secure.steps] == [
        "design", "implement-security-prescan", "implement", "implement-security-postscan",
        "review", "test", "submit-security-prescan", "submit", "submit-security-postscan"]
    assert secure.step("review").needs == ("implement-security-postscan",)
    _, enterprise = cooked["shiny-enterprise"]
    assert enterprise.step("implement.draft").needs == ("design",)
    assert enterprise.step("review").needs == ("implement.refine-4",)
    assert enterprise.step("implement.draft").title == "Draft: Implement ⟪feature⟫"
    _, review = cooked["code-review"]
    assert review.step("synthesis").needs == tuple(leg["id"] for leg in raw("code-review")["legs"])
    gate = cook(load("code-review", SEARCH), {"pr": "12"}, preset="gate")
    assert [s.id for s in gate.steps] == ["security", "smells", "wiring", "test-quality",
                                          "synthesis"]
    _, boot = cooked["mol-gastown-boot"]
    assert boot.step("ensure-witnesses").type == "parallel"
    assert boot.step("ensure-gastown-witness").parent == "ensure-witnesses"
    assert boot.step("ensure-gastown-witness").needs == ("ensure-deacon",)
    _, dance = cooked["mol-shutdown-dance"]
    assert [s.gate for s in dance.steps if s.gate] == [
        s["gate"] for s in raw("mol-shutdown-dance")["steps"] if "gate" in s]
