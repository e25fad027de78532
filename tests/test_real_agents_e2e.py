"""Real Claude Code works a bead end to end in a real town, offline against the scripted model.

The town's claude preset is pointed at the scripted model server through settings alone
(`[runtimes.claude]` base_url, auth_token_env, offline, a config directory of the town's own,
and is_sandbox as root): no hand-made config. `gt up` runs the reactor; `gt sling --agent
claude` hooks a bead; the reactor starts Claude Code in tmux; its SessionStart hook runs
`gt prime --hook`, whose text the model is shown; the scenario then makes the model run `gt
hook --json`, edit a file, commit and run `gt done`; the Refinery merges and the convoy lands.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gt.rig import Rig
from gt.town import Town
from tests.gt_helpers import bd, gt, make_project, wait_for
from tests.real_agents import CLAUDE_PACKAGE, CODEX_PACKAGE, npm_tool
from tests.scripted_model import Reply, Rule, Scenario, ScriptedModel
from tests.scripted_model.wire import token_estimate

TOKEN_ENV = "GT_TEST_MODEL_TOKEN"
WORK_SECONDS = 45

WORK = Rule(prompt=r"^\[gas town\] You are proj/polecats/", steps=(
    Reply("Looking at my hook.", ("gt hook --json",)),
    Reply("Making the change.", ("printf 'made by claude\\n' > feature.txt && git add "
                                 "feature.txt && git commit -qm 'Add the feature'",)),
    Reply("Handing it over.", ("gt done",)),
), done="The work is done.")


@pytest.fixture(scope="module")
def claude() -> Path:
    return npm_tool(CLAUDE_PACKAGE, "claude")


@pytest.fixture
def town(tmp_path: Path, claude: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path / "town"
    env = {"PATH": f"{claude.parent}{os.pathsep}{os.environ['PATH']}", TOKEN_ENV: "scripted",
           "HOME": str(tmp_path / "home")}
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CONFIG_DIR"):
        os.environ.pop(name, None)
    gt(tmp_path, "install", str(root), env=env)
    gt(root, "rig", "add", "proj", str(make_project(tmp_path / "proj")), "--prefix", "pj",
       env=env)
    try:
        yield root, env
    finally:
        gt(root, "down", env=env, check=False)
        subprocess.run(["tmux", "-L", Town(root).socket, "kill-server"], capture_output=True,
                       check=False)


def point_at(root: Path, env: dict[str, str], runtime: str, model: ScriptedModel,
             **extra: str) -> None:
    settings = {"base_url": model.url + ("/v1" if runtime == "codex" else ""),
                "offline": "true", **extra}
    if runtime == "claude":
        settings.update(auth_token_env=TOKEN_ENV, config_dir="town")
        if os.geteuid() == 0:
            settings["is_sandbox"] = "true"
    else:
        settings.update(api_key_env=TOKEN_ENV, model="scripted")
    for key, value in settings.items():
        gt(root, "config", "set", f"runtimes.{runtime}.{key}", value, env=env)


def show(root: Path, bead_id: str) -> dict[str, object]:
    return json.loads(bd(root, "show", bead_id, "--json").stdout)


def sling_to_merge(root: Path, env: dict[str, str], runtime: str, model: ScriptedModel) -> str:
    bead = json.loads(bd(root / "proj", "create", "Add the feature", "--json").stdout)["id"]
    gt(root, "up", env=env)
    slung = json.loads(gt(root, "sling", bead, "proj", "--agent", runtime, "--json",
                          env=env).stdout)
    assert slung["wake"] == "the reactor wakes it"

    def merged() -> bool:
        return show(root, bead)["status"] == "closed"

    try:
        wait_for(merged, WORK_SECONDS, what=f"{bead} to be merged")
    except AssertionError:
        peek = gt(root, "peek", "proj/polecats/nux", env=env, check=False)
        raise AssertionError(f"not merged; the polecat shows:\n{peek.stdout}{peek.stderr}\n"
                             f"the model saw: {[r.prompt for r in model.turns()]}") from None
    assert show(root, bead)["mr_state"] == "merged"
    landed = subprocess.run(["git", "show", "main:feature.txt"], cwd=Rig(Town(root), "proj").repo,
                            capture_output=True, text=True)
    assert landed.stdout == "made by claude\n", landed.stderr
    convoy = json.loads(gt(root, "convoy", "list", "--all", "--json", env=env).stdout)
    assert [c["status"] for c in convoy if bead in [b["id"] for b in c["beads"]]] == ["closed"]
    return bead


def assert_costs(root: Path, env: dict[str, str], model: ScriptedModel, bead: str,
                 runtime: str) -> dict[str, object]:
    """`gt costs` counts, once each, the responses the model server gave the polecat's turns
    (the input tokens it reported for each), all charged to the bead and to today."""
    def report_now() -> dict[str, object]:
        return json.loads(gt(root, "costs", "--json", env=env).stdout)

    # The last response (after `gt done`) may still be on its way into the transcript.
    wait_for(lambda: report_now()["total"]["responses"] == len(model.turns()), 10,
             what="every response in the transcript")
    report, turns = report_now(), model.turns()
    field = "messages" if runtime == "claude" else "input"
    reported = sum(token_estimate(r.body.get(field, [])) for r in turns)
    total = report["total"]
    assert total["responses"] == len(turns), (report, len(turns))
    assert total["input"] + total["cache_read"] == reported
    assert total["output"] > 0
    assert [(a["agent"], a["total"]) for a in report["agents"]] == \
        [("proj/polecats/nux", total["total"])]
    assert [(b["bead"], b["total"]) for b in report["beads"]] == [(bead, total["total"])]
    today = datetime.now(UTC).date().isoformat()
    assert [(d["day"], d["total"]) for d in report["days"]] == [(today, total["total"])]
    assert [(t["runtime"], t["found"]) for t in report["transcripts"]] == [(runtime, True)]
    return report


def test_claude_polecat_works_a_bead_from_sling_to_merged_convoy(
        town: tuple[Path, dict[str, str]]) -> None:
    root, env = town
    with ScriptedModel(Scenario([WORK])) as model:
        point_at(root, env, "claude", model)
        bead = sling_to_merge(root, env, "claude", model)
        report = assert_costs(root, env, model, bead, "claude")

    first = model.turns()[0]
    assert first.prompt.startswith("[gas town] You are proj/polecats/nux")
    primed = [s for s in first.system if s.startswith("SessionStart:startup hook success")]
    assert len(primed) == 1 and f"On your hook: {bead}" in primed[0]
    commands = [c for r in model.turns() for c in r.commands]
    assert commands[0] == "gt hook --json" and commands[-1] == "gt done"
    # The hook's JSON reached the model as the first tool result.
    second = next(r for r in model.turns() if r.step == 1)
    results = [b for b in second.body["messages"][-1]["content"] if b.get("type") ==
               "tool_result"]
    assert bead in json.dumps(results)
    assert (root / ".git" / "gt" / "claude" / ".claude.json").exists()
    # Claude Code repeats a response's usage in one entry per content block: counted once.
    transcript = Path(report["transcripts"][0]["path"])
    entries = [json.loads(line) for line in transcript.read_text().splitlines()]
    assistant = [e for e in entries if e.get("type") == "assistant"]
    assert len(assistant) > report["total"]["responses"]


def test_codex_polecat_works_a_bead_from_sling_to_merged(
        tmp_path: Path, town: tuple[Path, dict[str, str]]) -> None:
    codex = npm_tool(CODEX_PACKAGE, "codex")
    root, env = town
    env["PATH"] = f"{codex.parent}{os.pathsep}{env['PATH']}"
    with ScriptedModel(Scenario([WORK])) as model:
        point_at(root, env, "codex", model)
        bead = sling_to_merge(root, env, "codex", model)
        assert_costs(root, env, model, bead, "codex")
    commands = [c for r in model.turns() for c in r.commands]
    assert commands[0] == "gt hook --json" and commands[-1] == "gt done"
