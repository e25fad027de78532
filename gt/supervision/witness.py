"""The Witness: deterministic supervision of the town's agents, run inside the reactor.

A pass observes every agent (or only those a session-end poke named), judges each
(`judge.judge`) and acts on fresh signals only, never on the event that woke it, so a stale
event about a previous session of the same name cannot touch the new one:

| state    | action                                                                     |
| -------- | -------------------------------------------------------------------------- |
| dead     | restart in place (same worktree, same hook) with a handoff note; the first |
|          | restart at once, then a backoff doubling from `restart_backoff`; a crash   |
|          | loop (`crash_loop_restarts` in `crash_loop_window`) parks and escalates    |
| stalled  | nudge; after a second silence restart with a note; then escalate           |
| idle     | a polecat's session is stopped after `idle_reap`                            |
| working  | hooked past `gupp_after` with no ledger activity: escalated once (GUPP)     |
| spawning | nothing: never judged                                                      |

Every action is a ledger event with its evidence (`record.record`) before it is carried out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from beads.errors import BeadsError
from gt import launch
from gt.agents import Address
from gt.errors import GtError
from gt.supervision import escalation, ledger_state
from gt.supervision.judge import Signals, Verdict, judge, last_activity
from gt.supervision.record import record, supervisor_of
from gt.supervision.signals import Agent, Observer, agents_here
from gt.supervision.signals import hook_bead as signals_hook_bead
from gt.town import Town
from gt.work.nudge import nudge
from gt.work.sling import ready_for_wake

RESTARTED_ROLES = ("polecat", "crew")
NUDGE_TEXT = ("[gas town] The Witness sees no progress on your hook. If you are waiting at a "
              "prompt, answer it; run `gt prime` to see your work and next step.")


def backoff(restarts: int, base: float, ceiling: float) -> float:
    """Seconds to wait before a restart after `restarts` recent ones: none for the first,
    then `base` doubling up to `ceiling`."""
    return 0.0 if restarts <= 0 else min(ceiling, base * 2 ** (restarts - 1))


def progress_at(signals: Signals) -> float | None:
    """The agent's last progress: a heartbeat (a `gt` command) or a ledger or worktree
    commit; output alone is not progress (a nudge's echo is output)."""
    return max((t for t in (signals.heartbeat_at, signals.ledger_at) if t is not None),
               default=None)


def handoff_note(verdict: Verdict, hook: str | None, why: str) -> str:
    evidence = verdict.evidence
    parts = [f"The Witness restarted your session: {why}."]
    if hook:
        parts.append(f"Your hook still holds {hook}; your worktree and branch are as your "
                     "predecessor left them: check `git status` and `git log` before you go on.")
    ages = {k: evidence.get(k) for k in ("output_age", "heartbeat_age", "ledger_age")
            if evidence.get(k) is not None}
    if ages:
        parts.append("Last signs of life (seconds ago): " +
                     ", ".join(f"{k.removesuffix('_age')} {v:g}" for k, v in ages.items()))
    return " ".join(parts)


class Witness:
    def __init__(self, town: Town, log: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.time) -> None:
        self.town = town
        self.log = log
        self.clock = clock

    def run_pass(self, only: Iterable[str] | None = None) -> list[str]:
        """Judge the agents (those whose sessions `only` names, else all); returns log lines."""
        wanted = set(only) if only is not None else None
        observer = Observer(self.town)
        lines = []
        for agent in agents_here(self.town):
            if wanted is not None and agent.address.session not in wanted:
                continue
            try:
                line = self.supervise(observer, agent)
            except (BeadsError, GtError, OSError) as exc:
                message = exc.message if isinstance(exc, BeadsError) else str(exc)
                line = f"{agent.address}: supervision failed: {message}"
            if line:
                lines.append(line)
                self.log(line)
        return lines

    def supervise(self, observer: Observer, agent: Agent) -> str | None:
        limits = self.town.settings.supervision
        hook_bead = signals_hook_bead(self.town, agent)
        signals = observer.signals(agent, hook_bead)
        now = self.clock()
        verdict = judge(signals, limits, now)
        memory = ledger_state.load(self.town.state_dir, agent.address.session)
        address = agent.address
        if verdict.state == "dead" and address.role in RESTARTED_ROLES:
            return self._dead(address, verdict, memory, now)
        progress = progress_at(signals)
        if verdict.state == "stalled" and address.role in RESTARTED_ROLES:
            return self._stalled(address, verdict, memory, now, progress)
        if verdict.state == "idle" and address.role == "polecat":
            quiet = last_activity(signals)
            if quiet is not None and now - quiet >= limits.idle_reap:
                record(self.town, address, "reap", verdict,
                       detail=f"idle for {limits.idle_reap:g} s with nothing hooked")
                self.town.backend().stop(address.session)
                return f"{address}: idle session reaped"
        if verdict.state in ("working", "spawning"):
            return self._working(address, verdict, memory, signals, progress, now)
        return None

    # ------------------------------------------------------------------ dead

    def _dead(self, address: Address, verdict: Verdict, memory: ledger_state.Memory,
              now: float) -> str | None:
        limits = self.town.settings.supervision
        if memory.parked:
            return None
        memory.restarts = [t for t in memory.restarts if now - t < limits.crash_loop_window]
        if len(memory.restarts) >= limits.crash_loop_restarts:
            memory.parked = True
            ledger_state.save(self.town.state_dir, address.session, memory)
            detail = (f"{len(memory.restarts)} restarts in {limits.crash_loop_window:g} s: "
                      "a crash loop; parked, not restarted")
            record(self.town, address, "park", verdict, {"agent_state": "parked"}, detail)
            escalation.escalate(self.town, "high", f"{address} is crash-looping: {detail}",
                                supervisor_of(address), verdict.evidence.get("hook"))
            return f"{address}: crash loop, parked and escalated"
        wait = backoff(len(memory.restarts), limits.restart_backoff, limits.restart_backoff_max)
        if memory.restarts and now - memory.restarts[-1] < wait:
            return None  # backing off; the timer pass comes back
        return self._restart(address, verdict, memory, now,
                             str(verdict.evidence.get("why") or "its session died"))

    def _restart(self, address: Address, verdict: Verdict, memory: ledger_state.Memory,
                 now: float, why: str) -> str:
        hook = verdict.evidence.get("hook")
        note = handoff_note(verdict, hook, why)
        record(self.town, address, "restart", verdict, {"handoff_note": note}, why)
        memory.restarts.append(now)
        ledger_state.save(self.town.state_dir, address.session, memory)
        sessions = self.town.backend()
        if sessions.is_live(address.session):
            sessions.stop(address.session)
        if not ready_for_wake(self.town, address):
            return f"{address}: hook emptied meanwhile; not restarted"
        launch.start(self.town, address)
        return f"{address}: restarted ({why})"

    # ------------------------------------------------------------------ stalled

    def _stalled(self, address: Address, verdict: Verdict, memory: ledger_state.Memory,
                 now: float, progress: float | None) -> str | None:
        limits = self.town.settings.supervision
        hook = str(verdict.evidence.get("hook"))
        if memory.nudged_at is None or (progress is not None and progress > memory.nudged_at):
            record(self.town, address, "nudge", verdict, detail="first silence: nudged")
            result = nudge(self.town, address, NUDGE_TEXT, supervisor_of(address))
            memory.nudged_at = now
            ledger_state.save(self.town.state_dir, address.session, memory)
            return f"{address}: stalled, nudge {result}"
        if now - memory.nudged_at < limits.stall_after:
            return None
        if memory.stall_restarted_at is None:
            memory.stall_restarted_at = now
            memory.nudged_at = now
            return self._restart(address, verdict, memory, now,
                                 "silent again after a nudge: restarted with a handoff note")
        if memory.escalated_for == hook:
            return None
        memory.escalated_for = hook
        ledger_state.save(self.town.state_dir, address.session, memory)
        record(self.town, address, "escalate", verdict,
               detail="still silent after a nudge and a restart")
        escalation.escalate(self.town, "high", f"{address} is stuck on {hook}: silent after a "
                            "nudge and a restart", supervisor_of(address), hook)
        return f"{address}: stalled after nudge and restart, escalated"

    # ------------------------------------------------------------------ working

    def _working(self, address: Address, verdict: Verdict, memory: ledger_state.Memory,
                 signals: Signals, progress: float | None, now: float) -> str | None:
        """Working again: a nudge is forgotten once the agent made progress (a `gt` command or
        a commit; output alone may be the nudge's own echo), a stall restart once it commits."""
        limits = self.town.settings.supervision
        changed = False
        if memory.nudged_at is not None and progress is not None and progress > memory.nudged_at:
            memory.nudged_at = None
            changed = True
        # a successor's start-up runs `gt` too: only a commit shows a stall restart worked
        if memory.stall_restarted_at is not None and signals.ledger_at is not None \
                and signals.ledger_at > memory.stall_restarted_at:
            memory.stall_restarted_at = None
            changed = True
        hook = verdict.evidence.get("hook")
        # GUPP counts commits only: a loop of `gt` commands is not progress on the work
        progress = max((t for t in (signals.hooked_at, signals.ledger_at) if t is not None),
                       default=None)
        line = None
        if verdict.state == "working" and hook and progress is not None \
                and now - progress >= limits.gupp_after and memory.gupp_escalated_for != hook:
            memory.gupp_escalated_for = str(hook)
            changed = True
            record(self.town, address, "escalate", verdict,
                   detail=f"GUPP: hooked {hook} with no progress for {limits.gupp_after:g} s")
            escalation.escalate(self.town, "medium", f"{address} has made no progress on {hook} "
                                f"for {limits.gupp_after:g} s", supervisor_of(address), hook)
            line = f"{address}: no progress on {hook}, escalated"
        if changed:
            ledger_state.save(self.town.state_dir, address.session, memory)
        return line
