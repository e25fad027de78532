"""Real Claude Code as the Mayor, offline against the scripted model: mail, nudges, handoff and
compaction reach the model the way the hooks promise.

Mail arrives through the UserPromptSubmit hook (`gt mail check --inject`) as a system entry of
the next prompt; a nudge to a busy agent waits for its next idle moment and arrives as a
prompt of its own, never folded into the running turn; `gt handoff` restarts the session and
the successor's SessionStart hook shows it the note; `/compact` re-primes the session (its
SessionStart hook runs again, for "compact").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gt.town import Town
from tests import test_real_agents_e2e as e2e
from tests.gt_helpers import gt, wait_for
from tests.scripted_model import Logged, Reply, Rule, Scenario, ScriptedModel
from tests.test_real_agents_e2e import point_at

# The e2e module's fixtures: Claude Code from npm, and a town with the rig proj.
claude = e2e.claude
town = e2e.town

MAYOR = "mayor"
SECONDS = 30
PRIMED = re.compile(r"^SessionStart:(\w+) hook success")


def turn(model: ScriptedModel, test: Callable[[Logged], bool], what: str) -> Logged:
    found = model.wait_for(lambda r: r.kind == "turn" and test(r), SECONDS)
    assert found is not None, f"the model never got {what}; it got {model.prompts()}"
    return found


def start_mayor(root: Path, env: dict[str, str], model: ScriptedModel) -> Town:
    point_at(root, env, "claude", model)
    gt(root, "mayor", "start", "--agent", "claude", env=env)
    turn(model, lambda r: r.step == 0 and r.prompt.startswith("[gas town]"), "the beacon")
    mayor = Town(root)
    wait_for(lambda: mayor.backend().screen_state("gt-mayor") == "idle", SECONDS,
             what="the Mayor to be idle after its first turn")
    return mayor


def nudge(root: Path, env: dict[str, str], text: str) -> str:
    return json.loads(gt(root, "nudge", MAYOR, text, "--json", env=env).stdout)["result"]


@pytest.mark.slow
def test_mail_reaches_the_model_with_the_next_prompt(
        town: tuple[Path, dict[str, str]]) -> None:
    root, env = town
    with ScriptedModel(Scenario()) as model:
        start_mayor(root, env, model)
        gt(root, "mail", "send", MAYOR, "-s", "Pelican report due Friday", "-m", "details",
           env=env)
        assert nudge(root, env, "anything new for me?") == "delivered"
        asked = turn(model, lambda r: r.prompt == "anything new for me?" and r.step == 0,
                     "the nudge")
    hooked = [s for s in asked.system if s.startswith("UserPromptSubmit")]
    assert len(hooked) == 1 and "Pelican report due Friday" in hooked[0], asked.system
    first = model.turns()[0]
    assert not any("Pelican" in s for s in first.system)


@pytest.mark.slow
def test_a_nudge_to_a_busy_agent_arrives_as_its_own_prompt_once_idle(
        town: tuple[Path, dict[str, str]]) -> None:
    root, env = town
    long_task = Rule(prompt="^run the long task$", steps=(Reply("Running.", ("sleep 3",)),),
                     done="Long task done.")
    with ScriptedModel(Scenario([long_task])) as model:
        mayor = start_mayor(root, env, model)
        assert nudge(root, env, "run the long task") == "delivered"
        turn(model, lambda r: r.prompt == "run the long task", "the long task")
        wait_for(lambda: mayor.backend().screen_state("gt-mayor") == "busy", SECONDS,
                 what="the Mayor to be busy with `sleep 3`")
        assert nudge(root, env, "the second nudge") == "queued"
        second = turn(model, lambda r: r.prompt == "the second nudge", "the queued nudge")
    long_turns = [r for r in model.turns() if r.prompt == "run the long task"]
    # The long task's turn finished (its tool result came back) before the nudge went in.
    assert [r.step for r in long_turns] == [0, 1]
    assert second.at > long_turns[-1].at
    assert second.step == 0
    assert model.prompts().count("the second nudge") == 1
    # Never folded into the running turn.
    for request in long_turns:
        assert "the second nudge" not in json.dumps(request.body)


@pytest.mark.slow
def test_handoff_restarts_the_session_and_the_successor_sees_the_note(
        town: tuple[Path, dict[str, str]]) -> None:
    root, env = town
    hand_off = Rule(prompt="^hand off now$", steps=(
        Reply("Handing off.", ("gt handoff -m 'Pelican-42: the migration is half done'",)),))
    with ScriptedModel(Scenario([hand_off])) as model:
        start_mayor(root, env, model)
        assert nudge(root, env, "hand off now") == "delivered"
        successor = turn(model, lambda r: r.step == 0 and r.prompt.startswith("[gas town]")
                         and any("Pelican-42" in s for s in r.system), "the successor's beacon")
    primes = [s for s in successor.system if PRIMED.match(s)]
    assert len(primes) == 1 and "Note from your predecessor" in primes[0]
    beacons = [r for r in model.turns() if r.step == 0 and r.prompt.startswith("[gas town]")]
    assert len(beacons) == 2 and beacons[0].body["metadata"] != beacons[1].body["metadata"]


SUMMARY = Rule(prompt="create a detailed summary of the conversation", steps=(
    Reply("<analysis>Warm-ups only.</analysis>\n<summary>The Mayor answered three "
          "warm-ups.</summary>"),))


@pytest.mark.slow
def test_compact_primes_the_session_again(town: tuple[Path, dict[str, str]]) -> None:
    root, env = town
    with ScriptedModel(Scenario([SUMMARY])) as model:
        mayor = start_mayor(root, env, model)
        # Compaction needs a conversation to compact: a few turns first.
        for number in range(3):
            assert nudge(root, env, f"warm-up {number}") in ("delivered", "queued")
            turn(model, lambda r, n=number: r.prompt == f"warm-up {n}", f"warm-up {number}")
        wait_for(lambda: mayor.backend().screen_state("gt-mayor") == "idle", SECONDS)
        assert nudge(root, env, "/compact") == "delivered"
        summary = turn(model, lambda r: "create a detailed summary" in r.prompt,
                       "the summary request")
        wait_for(lambda: mayor.backend().screen_state("gt-mayor") == "idle", SECONDS,
                 what="the compaction to end")
        assert nudge(root, env, "after the compaction") == "delivered"
        after = turn(model, lambda r: r.prompt.endswith("after the compaction"),
                     "the next prompt")
    # PreCompact's `gt prime` goes into the summary's instructions ...
    instructions = summary.prompt.split("Additional Instructions:", 1)[1]
    assert "# mayor" in instructions and "## Next step" in instructions
    # ... and the compacted session is primed again by its SessionStart hook.
    # (After a compaction Claude Code hands the model its hook texts in one system entry.)
    shown = "\n".join(after.system)
    assert "SessionStart:compact hook success" in shown, shown
    assert "# mayor" in shown.split("SessionStart:compact hook success", 1)[1]
