"""What replay alone cannot check about a commit's events: who wrote them, and their clocks.

Who: every ledger commit is authored by the actor that stamped its events (the store signs
each commit with the actor's name), so an event whose actor is not the commit's author names
a re-authored or forged commit, and `git log --author=<actor>` stays an audit trail. git
trims the whitespace around a name, so the comparison does too.

When: the store stamps a commit's events with the lamport ticks right after its parent's
high-water mark (`meta.json`'s `lamport`), one tick per event. An event whose tick runs
further ahead than that carries a forged clock: accepted, it would outrank every honest write
of its registers for as long as the forger liked (a tick of 999999 freezes a title until the
ledger's clock reaches it). Such a commit is refused, wherever it comes from.
"""

from __future__ import annotations

import pygit2

from beads.events import Event, one_line

_GIT_TRIMMED = " \t\n\v\f\r"


def author(commit: pygit2.Commit) -> str:
    """The commit's author as `name <email>`, fit for a one-line message."""
    name = commit.author.raw_name.decode("utf-8", "replace")
    email = commit.author.raw_email.decode("utf-8", "replace")
    return one_line(f"{name} <{email}>", 120)


def event_problem(commit: pygit2.Commit, events: list[Event], high_water: int) -> str | None:
    """Why `commit`'s events cannot be trusted on top of a parent whose lamport high-water
    mark is `high_water`; None if they can."""
    name = commit.author.raw_name.decode("utf-8", "replace")
    for event in events:
        if event.actor.strip(_GIT_TRIMMED) != name:
            return (f"its events are by '{one_line(event.actor, 60)}' but its author is "
                    f"'{one_line(name, 60)}'")
    bound = high_water + len(events)
    for event in events:
        if event.lamport > bound:
            return (f"an event's clock ({event.lamport}) runs ahead of the ledger's "
                    f"({high_water}) by more than the commit's {len(events)} event(s): "
                    "a forged clock")
    return None
