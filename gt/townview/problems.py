"""What needs a person, read off the town as data: each problem has a severity (error or
warning), a kind, its subject and one line that says what is wrong. Errors come first."""

from __future__ import annotations

from typing import Any

# Agent states that are a problem in themselves (set by supervision when it sees them).
TROUBLED_STATES = {"stalled": "error", "dead": "error"}
# Agent states that need a live session.
NEEDS_SESSION = ("working",)
KINDS = ("agent", "escalation", "merge", "refinery", "reactor", "convoy", "ledger")


def problem(severity: str, kind: str, subject: str, message: str) -> dict[str, str]:
    return {"severity": severity, "kind": kind, "subject": subject, "message": message}


def find(town: dict[str, Any]) -> list[dict[str, str]]:
    """Every problem in a town snapshot (`gt.townview.snapshot.read`), errors first."""
    found: list[dict[str, str]] = []
    for agent in town["agents"]:
        state = agent["state"]
        if state in TROUBLED_STATES:
            hook = f" with {agent['hook']} on its hook" if agent["hook"] else ""
            found.append(problem(TROUBLED_STATES[state], "agent", agent["agent"],
                                 f"{state}{hook}"))
        elif state in NEEDS_SESSION and not agent["live"]:
            found.append(problem("error", "agent", agent["agent"],
                                 f"marked {state} ({agent['hook'] or 'nothing hooked'}) "
                                 "but its session is not running"))
    for item in town["escalations"]:
        if not item["acknowledged"]:
            found.append(problem("error", "escalation", item["id"], item["title"]))
    for queue in town["merge_queues"]:
        for item in queue["rejected"]:
            found.append(problem("warning", "merge", item["bead"],
                                 f"{item['mr_state']} in {queue['rig']}: {item['title']}"))
    for refinery in town["refineries"]:
        if refinery["pending"] and not refinery["running"]:
            found.append(problem("error", "refinery", refinery["rig"],
                                 f"{refinery['pending']} request(s) queued and its Refinery "
                                 "is not running (gt refinery start "
                                 f"{refinery['rig']})"))
    reactor = town["reactor"]
    if not reactor["running"]:
        found.append(problem("warning", "reactor", "reactor",
                             "not running: nothing wakes agents or lands convoys "
                             "(gt reactor start)"))
    elif reactor["lag"]:
        found.append(problem("warning", "reactor", "reactor",
                             f"{reactor['lag']} commit(s) behind the ledgers' tips"))
    for name in reactor["unknown_cursors"]:
        found.append(problem("warning", "reactor", name,
                             "the reactor has no cursor on this ledger (gt doctor --fix)"))
    for convoy in town["convoys"]:
        if convoy["stranded"]:
            found.append(problem("warning", "convoy", convoy["id"],
                                 f"stranded: {convoy['stranded']} ({convoy['title']})"))
    for ledger, notes in town["ledger_problems"].items():
        found += [problem("warning", "ledger", ledger, note) for note in notes]
    return sorted(found, key=lambda p: (p["severity"] != "error", KINDS.index(p["kind"])))


def key(item: dict[str, str]) -> tuple[str, str, str]:
    return item["kind"], item["subject"], item["message"]


def news(before: list[dict[str, str]], after: list[dict[str, str]]
         ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The problems that appeared between two reads, and those that went away."""
    old, new = {key(p) for p in before}, {key(p) for p in after}
    return ([p for p in after if key(p) not in old], [p for p in before if key(p) not in new])
