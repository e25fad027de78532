"""`judge`: an agent's state from its signals, as a pure function of what was seen and when."""

from __future__ import annotations

import dataclasses

import pytest

from gt.settings import SupervisionSettings
from gt.supervision.judge import Signals, judge
from gt.supervision.witness import backoff

NOW = 10_000.0
LIMITS = SupervisionSettings(spawn_grace=20, stall_after=300)


def signals(**changes: object) -> Signals:
    """A polecat working normally: hooked a minute ago, session up, all signals fresh."""
    base = Signals(agent="proj/polecats/nux", hook="pj-1", agent_state="working",
                   hooked_at=NOW - 60, session_live=True, process_alive=True,
                   runtime_alive=True, started_at=NOW - 55, output_at=NOW - 1,
                   heartbeat_at=NOW - 5, ledger_at=NOW - 30, incarnation="1$0")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "state"), [
    ({}, "working"),
    # just slung, no session yet: spawning, never dead (Gas Town #2036)
    ({"hooked_at": NOW - 2, "session_live": False, "process_alive": False,
      "runtime_alive": False, "started_at": None}, "spawning"),
    # the session of a previous hook is older than this hook: still spawning
    ({"hooked_at": NOW - 2, "session_live": False, "process_alive": False,
      "runtime_alive": False, "started_at": NOW - 500}, "spawning"),
    # a session up, its runtime not seen yet, within the grace
    ({"started_at": NOW - 1, "hooked_at": NOW - 2, "runtime_alive": False}, "spawning"),
    # started after the hook, then gone: dead at once, however young
    ({"hooked_at": NOW - 2, "started_at": NOW - 1, "session_live": False,
      "process_alive": False, "runtime_alive": False}, "dead"),
    ({"session_live": False, "process_alive": False, "runtime_alive": False}, "dead"),
    # the session left with only a shell
    ({"runtime_alive": False}, "dead"),
    # one signal alone is never enough: tmux lost the session but the process runs
    ({"session_live": False, "runtime_alive": False}, "working"),
    # silent everywhere for longer than stall_after
    ({"output_at": NOW - 400, "heartbeat_at": NOW - 400, "ledger_at": NOW - 900,
      "started_at": NOW - 1000}, "stalled"),
    # output alone keeps it working
    ({"output_at": NOW - 10, "heartbeat_at": NOW - 400, "ledger_at": NOW - 900,
      "started_at": NOW - 1000}, "working"),
    ({"hook": None}, "idle"),
    ({"hook": None, "session_live": False, "process_alive": False}, "done"),
])
def test_judge_states(changes: dict[str, object], state: str) -> None:
    verdict = judge(signals(**changes), LIMITS, NOW)
    assert verdict.state == state, verdict.evidence


def test_evidence_names_every_signal_with_its_value() -> None:
    verdict = judge(signals(session_live=False, process_alive=False, runtime_alive=False),
                    LIMITS, NOW)
    assert verdict.evidence["session_live"] is False
    assert verdict.evidence["process_alive"] is False
    assert verdict.evidence["heartbeat_age"] == 5.0
    assert verdict.evidence["hook"] == "pj-1"
    assert verdict.evidence["incarnation"] == "1$0"
    assert "gone" in verdict.evidence["why"]


def test_backoff_doubles_to_its_ceiling() -> None:
    assert [backoff(n, 30, 600) for n in range(7)] == [0, 30, 60, 120, 240, 480, 600]
