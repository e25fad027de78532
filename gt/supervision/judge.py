"""Judging an agent from its signals: a pure function of what was observed and when.

`judge(signals, thresholds, now)` names the agent's state and the evidence it rests on. No
state except `working`, `idle` and `spawning` is ever concluded from one signal:

| state      | evidence                                                                  |
| ---------- | ------------------------------------------------------------------------- |
| spawning   | work hooked; no session started since the hook was set, or one started but |
|            | its runtime not seen yet; within `spawn_grace`                             |
| working    | work hooked, the runtime alive, output, heartbeat or ledger recent         |
| stalled    | work hooked, the runtime alive, and output, heartbeat and ledger all quiet |
|            | for `stall_after`                                                          |
| dead       | work hooked, not spawning, the session gone and its process gone (or the  |
|            | session left with only a shell: its process tree without the runtime)      |
| idle       | nothing hooked, the session live                                           |
| done       | nothing hooked, no session                                                 |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gt.settings import SupervisionSettings

STATES = ("spawning", "working", "idle", "stalled", "dead", "done")


@dataclass(frozen=True)
class Signals:
    """What was observed of one agent; times are Unix seconds, None when unknown."""

    agent: str
    hook: str | None  # the bead on its hook
    agent_state: str  # the ledger's agent_state
    hooked_at: float | None  # when the work was put on its hook
    session_live: bool  # the backend says the session exists
    process_alive: bool  # the session's recorded process (pane or group leader) exists
    runtime_alive: bool  # that process is the runtime, not a shell left behind
    started_at: float | None  # when the session started
    output_at: float | None  # when its output last changed
    heartbeat_at: float | None  # its last `gt` command or runtime hook
    ledger_at: float | None  # its last ledger or worktree commit
    incarnation: str | None = None  # the session's id, to tell it from a predecessor

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    state: str
    evidence: dict[str, Any]


def _age(now: float, at: float | None) -> float | None:
    return None if at is None else round(max(0.0, now - at), 1)


def last_activity(signals: Signals) -> float | None:
    """The latest of output, heartbeat and ledger activity (and the session's start)."""
    times = [t for t in (signals.output_at, signals.heartbeat_at, signals.ledger_at,
                         signals.started_at) if t is not None]
    return max(times) if times else None


def _spawning(signals: Signals, limits: SupervisionSettings, now: float) -> bool:
    """Work hooked and its session still coming up: not started since the hook was set, or
    started but its runtime not seen yet, within `spawn_grace`."""
    if signals.runtime_alive:
        return False
    if signals.session_live:
        return signals.started_at is not None and now - signals.started_at < limits.spawn_grace
    started_since_hook = signals.started_at is not None and (
        signals.hooked_at is None or signals.started_at >= signals.hooked_at)
    return (not started_since_hook and signals.hooked_at is not None
            and now - signals.hooked_at < limits.spawn_grace)


def judge(signals: Signals, limits: SupervisionSettings, now: float) -> Verdict:
    """The agent's state and the signals it rests on (names and values)."""
    evidence: dict[str, Any] = {
        "hook": signals.hook, "agent_state": signals.agent_state,
        "session_live": signals.session_live, "process_alive": signals.process_alive,
        "runtime_alive": signals.runtime_alive,
        "hooked_age": _age(now, signals.hooked_at), "session_age": _age(now, signals.started_at),
        "output_age": _age(now, signals.output_at),
        "heartbeat_age": _age(now, signals.heartbeat_at),
        "ledger_age": _age(now, signals.ledger_at), "incarnation": signals.incarnation}
    if not signals.hook:
        return Verdict("idle" if signals.session_live else "done", evidence)
    if _spawning(signals, limits, now):
        return Verdict("spawning", evidence)
    gone = not signals.session_live and not signals.process_alive
    shell_only = signals.session_live and signals.process_alive and not signals.runtime_alive
    if gone or shell_only:
        evidence["why"] = ("the session and its process are gone" if gone else
                           "the session holds only a shell: the runtime exited")
        return Verdict("dead", evidence)
    if signals.session_live != signals.process_alive:
        evidence["why"] = "the session and its process disagree: judged again next pass"
        return Verdict("working", evidence)
    quiet = [t for t in (signals.output_at, signals.heartbeat_at, signals.ledger_at,
                         signals.started_at)]
    if all(t is None or now - t >= limits.stall_after for t in quiet):
        evidence["why"] = (f"no output, heartbeat or ledger activity for "
                           f"{limits.stall_after:g} s")
        return Verdict("stalled", evidence)
    return Verdict("working", evidence)
