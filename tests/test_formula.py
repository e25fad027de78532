"""The formula language on small formulas written here: each feature, and each error's message
(the file, the line and the fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beads.errors import BeadsError
from beads.formula import (
    BUILTIN_DIR,
    FormulaError,
    Protomolecule,
    cook,
    default_search_dirs,
    find,
    list_formulas,
    load,
    parse_text,
)
from beads.formula.variables import undeclared

SHINY = """\
formula = "shiny"
version = 1

[vars.feature]
description = "The feature"
required = true

[vars.assignee]
description = "Who"

[[steps]]
id = "design"
title = "Design {{feature}}"

[[steps]]
id = "implement"
title = "Implement {{feature}}"
description = "Write {{feature}}."
needs = ["design"]

[[steps]]
id = "review"
title = "Review"
needs = ["implement"]
"""

EXPANSION = """\
formula = "twice"
type = "expansion"
version = 1

[vars.rounds]
default = "two"

[vars.feature]
default = "the expansion's own"

[[template]]
id = "{target}.draft"
title = "Draft: {target.title}"
description = "First of {{rounds}}: {target.description}"

[[template]]
id = "{target}.polish"
title = "Polish {target.id}"
needs = ["{target}.draft"]
"""

ASPECT = """\
formula = "audit"
type = "aspect"
version = 1

[[advice]]
target = "*"
[advice.around]
[[advice.around.before]]
id = "{step.id}-pre"
title = "Before {step.title}"
[[advice.around.after]]
id = "{step.id}-post"

[[pointcuts]]
glob = "impl*"
"""


def write(directory: Path, name: str, text: str, suffix: str = ".formula.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def error(call, *args, **kwargs) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        call(*args, **kwargs)
    assert "\n" not in caught.value.message
    return caught.value


def ids(proto: Protomolecule) -> list[str]:
    return [s.id for s in proto.steps]


# -- parsing -------------------------------------------------------------------------------

def test_a_workflow_cooks_to_ordered_concrete_steps(tmp_path: Path) -> None:
    path = write(tmp_path, "shiny", SHINY)
    proto = cook(load(path), {"feature": "login", "issue": "ignored"})
    assert ids(proto) == ["design", "implement", "review"]
    assert proto.step("implement").title == "Implement login"
    assert proto.step("implement").description == "Write login."
    assert proto.step("implement").needs == ("design",)
    assert proto.step("design").type == "task"
    assert proto.vars == {"feature": "login", "assignee": ""}
    assert (proto.formula, proto.title, proto.type, proto.version) == (
        "shiny", "shiny", "workflow", 1)
    assert proto.source == str(path)


@pytest.mark.parametrize(("body", "kind"), [
    ('[[steps]]\nid = "a"\ntitle = "A"', "workflow"),
    ('[[legs]]\nid = "a"\ntitle = "A"', "convoy"),
    ('[[template]]\nid = "{target}.a"\ntitle = "A"', "expansion"),
    ('[[advice]]\ntarget = "a"\n[advice.before]\nid = "b"', "aspect"),
])
def test_the_type_is_inferred_from_the_content_when_absent(body: str, kind: str) -> None:
    assert parse_text(f'formula = "f"\n{body}\n').type == kind


def test_the_json_form_cooks_like_the_toml_form(tmp_path: Path) -> None:
    document = {
        "formula": "shiny", "version": 1,
        "vars": {"feature": {"description": "The feature", "required": True},
                 "assignee": {"description": "Who"}},
        "steps": [{"id": "design", "title": "Design {{feature}}"},
                  {"id": "implement", "title": "Implement {{feature}}",
                   "description": "Write {{feature}}.", "depends_on": ["design"]},
                  {"id": "review", "title": "Review", "needs": ["implement"]}],
    }
    from_json = cook(load(write(tmp_path / "j", "shiny", json.dumps(document), ".formula.json")),
                     {"feature": "x"})
    from_toml = cook(load(write(tmp_path / "t", "shiny", SHINY)), {"feature": "x"})
    assert from_json.steps == from_toml.steps


def test_toml_wins_over_json_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path, "shiny", '{"formula": "other", "steps": [{"id": "a"}]}', ".formula.json")
    write(tmp_path, "shiny", SHINY)
    assert find("shiny", [tmp_path]).name == "shiny.formula.toml"
    listed = [e for e in list_formulas([tmp_path]) if e.name == "shiny"]
    assert [e.path.name for e in listed] == ["shiny.formula.toml"]


def test_bad_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", 'formula = "bad"\n\n[[steps]]\nid = "a\n')
    err = error(load, path)
    assert err.message.startswith(f"{path}:4: invalid TOML")
    assert err.message.endswith("; fix the syntax")


def test_bad_json_and_bad_utf8_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", '{\n"formula": "bad",\n"steps": [}\n', ".formula.json")
    assert error(load, path).message.startswith(f"{path}:3: invalid JSON")
    raw = tmp_path / "raw.formula.toml"
    raw.write_bytes(b'formula = "raw"\ntitle = "\xff"\n')
    assert error(load, raw).message.startswith(f"{raw}:2: the file is not valid UTF-8")


def test_an_unknown_key_is_named_with_its_line_and_the_known_keys() -> None:
    text = SHINY.replace('needs = ["implement"]', 'need = ["implement"]')
    err = error(parse_text, text, "f.formula.toml")
    assert err.message.startswith("f.formula.toml:24: step 'review' has an unknown key 'need'")
    assert "known keys:" in err.message and "needs" in err.message


def test_a_wrong_value_type_says_how_to_write_it() -> None:
    err = error(parse_text, 'formula = "f"\n[[steps]]\nid = "a"\nneeds = "x"\ntitle = 3\n', "f")
    assert err.message == "f:5: step 'a': 'title' must be a string, not an integer; " \
                          "write it as title = \"...\""


def test_a_duplicate_step_id_names_the_second_one() -> None:
    text = 'formula = "f"\n[[steps]]\nid = "a"\n[[steps]]\nid = "b"\n[[steps]]\nid = "a"\n'
    err = error(parse_text, text, "f.formula.toml")
    assert err.message.startswith("f.formula.toml:7: duplicate step id 'a'")


def test_invalid_step_type_and_missing_name_are_refused() -> None:
    err = error(parse_text, 'formula = "f"\n[[steps]]\nid = "a"\ntype = "chant"\n', "f")
    assert "type 'chant' is not a step type; use one of task, human, gate" in err.message
    assert error(parse_text, '[[steps]]\nid = "a"\n', "f").message.startswith(
        "f:1: the formula has no name; add formula =")


# -- variables -----------------------------------------------------------------------------

def test_a_missing_required_variable_names_file_line_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "shiny", SHINY)
    err = error(cook, load(path), {})
    assert err.message == (f"{path}:4: formula 'shiny': missing required variable 'feature'; "
                           "pass --var feature=<value> (The feature)")
    assert isinstance(err, BeadsError) and err.code == "formula"


def test_defaults_shorthand_enum_pattern_and_type() -> None:
    formula = parse_text("""\
formula = "f"
[vars]
peg = "A"
[vars.env]
default = "staging"
enum = ["staging", "production"]
[vars.version]
required = true
default = "0.0.1"
pattern = "^\\\\d+\\\\.\\\\d+\\\\.\\\\d+$"
[vars.count]
type = "int"
default = "3"
[[steps]]
id = "a"
title = "{{peg}} {{env}} {{version}} {{count}}"
""", "f")
    assert cook(formula).steps[0].title == "A staging 0.0.1 3"
    assert cook(formula, {"env": "production", "version": "2.0.0"}).steps[0].title == \
        "A production 2.0.0 3"
    assert "not one of its allowed values; pass --var env=<one of staging, production>" in \
        error(cook, formula, {"env": "prod"}).message
    assert "does not match" in error(cook, formula, {"version": "v2"}).message
    assert "not an integer" in error(cook, formula, {"count": "many"}).message
    assert error(cook, formula, {"count": 3}).message.startswith(  # type: ignore[dict-item]
        "variable 'count' must be given as a string")


def test_only_declared_placeholders_are_substituted_and_all_else_passes_through() -> None:
    prose = ("{{if .pr}}PR {{.pr}}{{else}}{{range .files}}- {{.}}{{end}}{{end}} "
             "{{#each items}}{{this}}{{/each}} {step.id} {target} {{ name }} {{other}} "
             "{{name}}")
    formula = parse_text(f'formula = "f"\n[vars]\nname = "x"\n[[steps]]\nid = "a"\n'
                         f"title = 't'\ndescription = '''{prose}'''\n", "f")
    proto = cook(formula, {"name": "$(rm -rf /) `x` {{other}} \x1b[31m", "other": "no"})
    expected = prose[:-len("{{name}}")] + "$(rm -rf /) `x` {{other}} \x1b[31m"
    assert proto.steps[0].description == expected
    assert undeclared(formula) == ["other"]


def test_an_optional_variable_without_default_is_empty() -> None:
    formula = parse_text('formula = "f"\n[vars.focus]\nrequired = false\n'
                         '[[steps]]\nid = "a"\ntitle = "Focus: [{{focus}}]"\n', "f")
    assert cook(formula).steps[0].title == "Focus: []"


def test_a_bad_pattern_or_variable_name_is_refused_at_parse() -> None:
    assert "is not a valid regular expression" in error(
        parse_text, 'formula = "f"\n[vars.v]\npattern = "("\n[[steps]]\nid = "a"\n', "f").message
    err = error(parse_text, 'formula = "f"\n[vars]\n"my-var" = "x"\n[[steps]]\nid = "a"\n', "f")
    assert "variable name 'my-var' cannot be used as {{my-var}}" in err.message


# -- steps and the graph -------------------------------------------------------------------

def test_children_flatten_into_a_join_and_types_gates_carry_through() -> None:
    formula = parse_text("""\
formula = "boot"
[[steps]]
id = "start"
title = "Start"
[[steps]]
id = "group"
title = "Group"
needs = ["start"]
[[steps.children]]
id = "one"
title = "One"
[[steps.children]]
id = "two"
title = "Two"
type = "human"
[[steps]]
id = "check"
title = "Check"
needs = ["group"]
gate = { type = "conditional", condition = "all_up" }
[[steps]]
id = "wait"
title = "Wait"
type = "gate"
needs = ["check"]
""", "f")
    proto = cook(formula)
    assert ids(proto) == ["start", "one", "two", "group", "check", "wait"]
    assert proto.step("one").needs == ("start",) and proto.step("one").parent == "group"
    assert proto.step("group").needs == ("one", "two")
    assert proto.step("group").type == "parallel" and proto.step("group").bead_type == "task"
    assert proto.step("two").type == "human" and proto.step("two").bead_type == "task"
    assert proto.step("check").gate == {"type": "conditional", "condition": "all_up"}
    assert proto.step("check").type == "task"
    assert proto.step("wait").bead_type == "gate"


def test_steps_are_ordered_after_what_they_need() -> None:
    formula = parse_text('formula = "f"\n[[steps]]\nid = "b"\nneeds = ["a"]\n'
                         '[[steps]]\nid = "c"\n[[steps]]\nid = "a"\n', "f")
    assert ids(cook(formula)) == ["c", "a", "b"]


def test_an_unknown_need_names_the_step_line_and_a_likely_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "shiny", SHINY.replace('needs = ["design"]', 'needs = ["desing"]'))
    err = error(load, path)
    assert err.message == (f"{path}:19: formula 'shiny': step 'implement' needs unknown step "
                           "'desing'; fix the id in its needs (did you mean design?)")


def test_a_needs_cycle_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "loop", 'formula = "loop"\n[[steps]]\nid = "a"\nneeds = ["c"]\n'
                 '[[steps]]\nid = "b"\nneeds = ["a"]\n[[steps]]\nid = "c"\nneeds = ["b"]\n'
                 '[[steps]]\nid = "d"\n')
    err = error(load, path)
    assert err.message == (f"{path}:3: formula 'loop': needs cycle: a -> c -> b -> a; "
                           "remove one of these needs so the steps can run in some order")


# -- extends -------------------------------------------------------------------------------

def test_extends_merges_vars_and_overrides_steps_in_place(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "shinier", """\
formula = "shinier"
extends = ["shiny"]
pour = true
[vars.feature]
default = "everything"
[[steps]]
id = "implement"
title = "Implement {{feature}} twice"
needs = ["design"]
[[steps]]
id = "ship"
title = "Ship"
needs = ["review"]
""")
    proto = cook(load("shinier", [tmp_path]))
    assert ids(proto) == ["design", "implement", "review", "ship"]
    assert proto.step("implement").title == "Implement everything twice"
    assert proto.step("design").origin == "shiny" and proto.step("ship").origin == "shinier"
    assert proto.pour is True
    assert set(proto.vars) == {"feature", "assignee"}


def test_a_bad_extends_target_names_the_line_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "child", 'formula = "child"\nversion = 1\nextends = ["shinny"]\n')
    err = error(load, path, [tmp_path])
    assert err.message.startswith(f"{path}:3: extends 'shinny': formula 'shinny' not found in ")
    assert err.message.endswith("; fix the name in extends or add shinny.formula.toml to the "
                                "search path")


def test_an_extends_cycle_is_named(tmp_path: Path) -> None:
    write(tmp_path, "a", 'formula = "a"\nextends = ["b"]\n')
    write(tmp_path, "b", 'formula = "b"\nextends = ["a"]\n')
    assert "extends cycle: a -> b -> a" in error(load, "a", [tmp_path]).message


# -- compose -------------------------------------------------------------------------------

def test_expand_replaces_a_step_and_rewires_its_needs(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "twice", EXPANSION)
    write(tmp_path, "grand", 'formula = "grand"\nextends = ["shiny"]\n'
          '[[compose.expand]]\ntarget = "implement"\nwith = "twice"\n'
          'vars = { rounds = "3", feature = "not this" }\n')
    proto = cook(load("grand", [tmp_path]), {"feature": "f"})
    assert ids(proto) == ["design", "implement.draft", "implement.polish", "review"]
    draft = proto.step("implement.draft")
    assert draft.needs == ("design",) and draft.title == "Draft: Implement f"
    assert draft.description == "First of 3: Write f." and draft.origin == "twice"
    assert proto.step("implement.polish").title == "Polish implement"
    assert proto.step("review").needs == ("implement.polish",)


def test_map_expands_every_step_its_glob_selects(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "twice", EXPANSION)
    write(tmp_path, "mapped", 'formula = "mapped"\nextends = ["shiny"]\n'
          '[[compose.map]]\nselect = "*e*"\nwith = "twice"\n')
    proto = cook(load("mapped", [tmp_path]), {"feature": "f"})
    assert ids(proto) == ["design.draft", "design.polish", "implement.draft",
                          "implement.polish", "review.draft", "review.polish"]
    assert proto.step("review.draft").needs == ("implement.polish",)


def test_expand_errors_name_the_rule(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "twice", EXPANSION)
    path = write(tmp_path, "g", 'formula = "g"\nextends = ["shiny"]\n'
                 '[[compose.expand]]\ntarget = "build"\nwith = "twice"\n')
    err = error(load, path, [tmp_path])
    assert err.message.startswith(f"{path}:4: expand target 'build' is not a step of 'g'; "
                                  "name one of its steps (design, implement, review)")
    path = write(tmp_path, "h", 'formula = "h"\nextends = ["shiny"]\n'
                 '[[compose.expand]]\ntarget = "design"\nwith = "shiny"\n')
    assert f"{path}:5: expand 'shiny' is a workflow formula, not an expansion" in \
        error(load, path, [tmp_path]).message


def test_an_expansion_cooks_alone_on_a_main_step() -> None:
    proto = cook(parse_text(EXPANSION, "twice"))
    assert ids(proto) == ["main.draft", "main.polish"]
    assert proto.step("main.draft").title == "Draft: twice"


def test_aspects_weave_around_matched_steps_and_keep_them_in_line(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "audit", ASPECT)
    write(tmp_path, "safe", 'formula = "safe"\nextends = ["shiny"]\n[compose]\n'
          'aspects = ["audit"]\n')
    proto = cook(load("safe", [tmp_path]), {"feature": "f"})
    assert ids(proto) == ["design", "implement-pre", "implement", "implement-post", "review"]
    assert proto.step("implement-pre").needs == ("design",)
    assert proto.step("implement-pre").title == "Before Implement f"
    assert proto.step("implement").needs == ("implement-pre",)
    assert proto.step("implement-post").needs == ("implement",)
    assert proto.step("implement-post").title == "implement-post"
    assert proto.step("review").needs == ("implement-post",)


def test_a_workflows_own_advice_is_woven_and_never_advises_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "f", """\
formula = "f"
[[steps]]
id = "a"
[[steps]]
id = "b"
needs = ["a"]
[[advice]]
target = "*"
[advice.after]
id = "{step.id}-log"
""")
    assert ids(cook(load(path))) == ["a", "a-log", "b", "b-log"]


def test_cooking_an_unresolved_formula_or_a_preset_on_a_workflow_is_refused() -> None:
    child = parse_text('formula = "c"\nextends = ["p"]\n', "c")
    assert "load it with beads.formula.load" in error(cook, child).message
    plain = parse_text('formula = "f"\n[[steps]]\nid = "a"\n', "f")
    assert "presets select the legs of a convoy" in error(cook, plain, preset="x").message


# -- convoys -------------------------------------------------------------------------------

CONVOY = """\
formula = "review"
type = "convoy"
agent = "claude"

[inputs.pr]
description = "PR number"
required_unless = ["branch"]
[inputs.branch]
required_unless = ["pr"]

[prompts]
base = "Review {{.leg.id}} of {{pr}}: {{if .x}}y{{end}}"

[output]
directory = ".reviews/{{.review_id}}"

[[legs]]
id = "speed"
title = "Speed"
focus = "hot loops"
[[legs]]
id = "safety"
title = "Safety of {{pr}}"
agent = "codex"
[[legs]]
id = "style"

[synthesis]
title = "Combine"
depends_on = ["speed", "safety"]

[presets.quick]
description = "fast"
legs = ["safety", "style"]
"""


def test_a_convoy_cooks_legs_ready_at_once_and_a_synthesis_after_them() -> None:
    formula = parse_text(CONVOY, "review")
    proto = cook(formula, {"pr": "42"})
    assert ids(proto) == ["speed", "safety", "style", "synthesis"]
    assert [s.needs for s in proto.steps[:3]] == [(), (), ()]
    assert proto.step("synthesis").needs == ("speed", "safety")
    assert proto.step("speed").focus == "hot loops" and proto.step("speed").agent == "claude"
    assert proto.step("safety").agent == "codex" and proto.step("safety").title == "Safety of 42"
    assert proto.prompts == {"base": "Review {{.leg.id}} of 42: {{if .x}}y{{end}}"}
    assert proto.output == {"directory": ".reviews/{{.review_id}}"}
    quick = cook(formula, {"branch": "main"}, preset="quick")
    assert ids(quick) == ["safety", "style", "synthesis"] and quick.preset == "quick"
    assert quick.step("synthesis").needs == ("safety",)


def test_convoy_errors() -> None:
    formula = parse_text(CONVOY, "review.formula.toml")
    assert error(cook, formula, {"pr": "1"}, preset="slow").message == (
        "review.formula.toml: convoy 'review' has no preset 'slow'; use one of its presets "
        "(quick)")
    assert error(cook, formula, {}).message == (
        "review.formula.toml:5: formula 'review': missing input 'pr' (PR number); "
        "pass --var pr=<value> or --var branch=<value>")
    broken = parse_text(CONVOY.replace('legs = ["safety", "style"]', 'legs = ["safty"]'), "r")
    assert "preset 'quick' names unknown leg 'safty'" in error(cook, broken, {"pr": "1"}).message


# -- overlays ------------------------------------------------------------------------------

def test_overlays_replace_append_and_skip_steps_first_directory_wins(tmp_path: Path) -> None:
    write(tmp_path / "formulas", "shiny", SHINY)
    write(tmp_path / "town", "shiny", '[[step-overrides]]\nstep_id = "design"\nmode = "skip"\n',
          ".toml")
    write(tmp_path / "rig", "shiny", """\
[[step-overrides]]
step_id = "design"
mode = "replace"
description = "Sketch it."
[[step-overrides]]
step_id = "implement"
mode = "append"
description = "Mind the {{feature}} tests."
[[step-overrides]]
step_id = "review"
mode = "skip"
[[step-overrides]]
step_id = "gone"
mode = "skip"
""", ".toml")
    formula = load("shiny", [tmp_path / "formulas"], [tmp_path / "rig", tmp_path / "town"])
    proto = cook(formula, {"feature": "f"})
    assert ids(proto) == ["design", "implement"]
    assert proto.step("design").description == "Sketch it."
    assert proto.step("implement").description == "Write f.\nMind the f tests."
    assert formula.warnings == ("overlay names unknown step 'gone' of 'shiny' (stale override)",)
    town_only = cook(load("shiny", [tmp_path / "formulas"], [tmp_path / "town"]), {"feature": "f"})
    assert ids(town_only) == ["implement", "review"]
    assert town_only.step("implement").needs == ()


def test_a_bad_overlay_mode_names_its_line(tmp_path: Path) -> None:
    write(tmp_path / "formulas", "shiny", SHINY)
    path = write(tmp_path / "rig", "shiny", '[[step-overrides]]\nstep_id = "design"\n'
                 'mode = "erase"\n', ".toml")
    err = error(load, "shiny", [tmp_path / "formulas"], [tmp_path / "rig"])
    assert err.message == (f"{path}:2: override of 'design': mode 'erase' is not an override "
                           "mode; use one of replace, append, skip")


# -- the search path -----------------------------------------------------------------------

def test_resolution_order_work_tree_then_user_then_builtins(tmp_path: Path) -> None:
    work_tree, home = tmp_path / "repo", tmp_path / "home"
    dirs = default_search_dirs(work_tree, home)
    assert dirs == [work_tree / ".beads" / "formulas", home / ".beads" / "formulas"]
    assert find("bead-triage", dirs).parent == BUILTIN_DIR
    write(dirs[1], "bead-triage", SHINY.replace('"shiny"', '"bead-triage"'))
    assert find("bead-triage", dirs).parent == dirs[1]
    write(dirs[0], "bead-triage", SHINY.replace('"shiny"', '"bead-triage"'))
    assert find("bead-triage", dirs).parent == dirs[0]
    listed = {e.name: e.path.parent for e in list_formulas(dirs)}
    assert listed["bead-triage"] == dirs[0]


def test_a_path_works_where_a_name_does_and_finds_its_parents_beside_it(tmp_path: Path) -> None:
    write(tmp_path / "lib", "shiny", SHINY)
    child = write(tmp_path / "lib", "child", 'formula = "child"\nextends = ["shiny"]\n')
    assert ids(cook(load(child), {"feature": "f"})) == ["design", "implement", "review"]
    by_relative = write(tmp_path / "other", "rel",
                        'formula = "rel"\nextends = ["../lib/shiny.formula.toml"]\n')
    assert ids(cook(load(by_relative), {"feature": "f"})) == ["design", "implement", "review"]


def test_not_found_names_the_directories_and_the_fix(tmp_path: Path) -> None:
    err = error(load, "nothing", [tmp_path])
    assert err.message == (f"formula 'nothing' not found in {tmp_path}, {BUILTIN_DIR}; add "
                           "nothing.formula.toml to one of them, or give the path of its file")
    assert "no formula file at" in error(load, tmp_path / "missing.formula.toml").message
    assert "neither a formula name nor a path" in error(load, "bad name", []).message


def test_the_builtin_formula_cooks() -> None:
    proto = cook(load("bead-triage", []), {"bead": "bd-42"})
    assert ids(proto) == ["read", "reproduce", "decide"]
    assert proto.step("decide").description.startswith("Set its priority for normal urgency")


# -- the protomolecule ---------------------------------------------------------------------

def test_the_protomolecule_round_trips_through_json_and_refuses_junk(tmp_path: Path) -> None:
    write(tmp_path, "shiny", SHINY)
    write(tmp_path, "audit", ASPECT)
    write(tmp_path, "safe", 'formula = "safe"\nextends = ["shiny"]\nphase = "vapor"\n'
          '[squash]\ntrigger = "on_complete"\ninclude_metrics = true\n'
          '[compose]\naspects = ["audit"]\n')
    proto = cook(load("safe", [tmp_path]), {"feature": "f"})
    assert proto.squash == {"trigger": "on_complete", "include_metrics": True}
    assert proto.phase == "vapor"
    data = json.loads(json.dumps(proto.to_dict()))
    assert data["protomolecule"] == 1
    assert data["steps"][0] == {"id": "design", "title": "Design f", "origin": "shiny"}
    assert Protomolecule.from_dict(data) == proto
    assert "malformed" in error(Protomolecule.from_dict, {"protomolecule": 2}).message
    data["steps"][0]["colour"] = "red"
    assert "unknown fields ['colour']" in error(Protomolecule.from_dict, data).message
    assert "has no step 'nope'" in error(proto.step, "nope").message
