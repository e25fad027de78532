"""`bd prime` and `bd quickstart`: the workflow in a page, for agents and for people.

`prime` is what a session hook injects at the start of an agent's session (Beads' clients
run it so): short enough to cost little context, complete enough to work from.
"""

from __future__ import annotations

import click

from beads.cli.context import json_option, settings
from beads.cli.output import emit_json

PRIME = """\
# Issue tracking with bd

This repository tracks its work with bd: an issue ledger kept in git, on the `beads` branch
(your checked-out branch and work tree are never touched). Use bd for every task you find,
start or finish, instead of TODO comments or markdown lists. Add `--json` to any command
for machine-readable output.

## Start of session
- `bd ready --json`: work that can start now (open, unblocked, not deferred).
- `bd show ID --json`: one bead in full, with what it depends on and what depends on it.
- `bd list --status in_progress --json`: what is already under way.

## Taking and doing work
- `bd update ID --claim`: take a bead atomically (assignee you, status in_progress);
  `bd ready --claim` takes the first ready one. Fails if someone else holds it.
- `bd note ID "what I found"`: append to its notes; `bd comment ID "text"` to discuss.
- `bd create "Title" -t bug|feature|task|epic|chore -p 0-4 -d "why"`: new work
  (P0 is most urgent). `--parent EPIC` makes a child; `--deps discovered-from:ID` records
  where you found it, `--deps ID` that it waits for ID.
- `bd dep add A B`: A depends on B (B blocks A). `bd dep remove A B` undoes it.
- `bd close ID --reason "what was done"`: finish (refused while it has open blockers or
  children). `bd reopen ID --reason "why"` if it was not done after all.

## Overview
- `bd blocked --json`: what is held back and by what. `bd epic status --json`: progress.
- `bd stats --json`, `bd count --status open`, `bd children EPIC`.
- `bd defer ID --until 2026-12-01` hides a bead from ready; `bd undefer ID` brings it back.

## Rules
- File a bead for any work you notice but will not do now, linked with
  `--deps discovered-from:CURRENT`, rather than expanding the current task.
- Keep titles short and specific; put detail in the description or notes.
- Close what you finish in the same session, with a reason a reviewer can check.
- Sharing: `bd sync` fetches, merges and pushes the ledger (nothing is synced on its own).
"""

QUICKSTART = """\
bd quickstart: a git-native issue ledger

  bd init --prefix app          start a ledger in this repository (or directory: it
                                becomes a git repository); beads are app-xxxxx
  bd create "Fix login" -p 1    new bead (types: -t bug|feature|task|epic|chore)
  bd list                       open beads (--all for closed too, --json for tools)
  bd ready                      what can start now: open, unblocked, not deferred
  bd show app-4f2a              one bead in full (partial ids work when unambiguous)
  bd update app-4f2a --claim    take it: assignee you, status in_progress
  bd dep add app-b app-a        app-b depends on app-a (app-a blocks it)
  bd comment app-4f2a "text"    discuss; bd comments app-4f2a lists the discussion
  bd close app-4f2a -r "done"   finish it
  bd sync                       fetch, merge and push the ledger through origin

Everything is stored as commits on the `beads` branch: `git log beads` is the history,
`bd history ID` one bead's story, `bd verify` replays it all. Agents: run `bd prime`.
"""


@click.command()
@json_option
def prime() -> None:
    """The workflow context for an agent's session (what to run, and when)."""
    if settings().json:
        emit_json({"prime": PRIME})
    else:
        click.echo(PRIME, nl=False)


@click.command()
@json_option
def quickstart() -> None:
    """The commands to start with, on one screen."""
    if settings().json:
        emit_json({"quickstart": QUICKSTART})
    else:
        click.echo(QUICKSTART, nl=False)


def register(group: click.Group) -> None:
    group.add_command(prime)
    group.add_command(quickstart)
