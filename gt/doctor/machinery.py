"""The machinery that acts on commits: the reactor (running, a cursor on every ledger, not
behind) and each rig's Refinery (running while requests wait)."""

from __future__ import annotations

import time

from gt.doctor.finding import Finding, Options, ok, problem
from gt.launch import start_reactor, start_refinery
from gt.reactor.state import start_cursors
from gt.rig import Rig
from gt.town import Town
from gt.townview import health, parts
from gt.townview.ledgers import ledgers

STUCK_SECONDS = 60.0  # a running reactor whose cursor has not moved for this long is stuck


def check(town: Town, options: Options) -> list[Finding]:
    views = ledgers(town)
    reactor = health.reactor(town, views)
    found = []
    if reactor["running"]:
        found.append(ok("reactor", "reactor", f"running (pid {reactor['pid']})"))
    else:
        found.append(problem("reactor", "reactor", "not running: nothing wakes agents, starts "
                             "Refineries or lands convoys", "gt reactor start",
                             lambda: "started the reactor" if start_reactor(town)
                             else "the reactor was already running"))
    for entry in reactor["ledgers"]:
        subject = f"cursor {entry['ledger']}"
        if entry["cursor"] is None and entry["tip"]:
            found.append(problem("reactor cursors", subject, "no cursor: a reactor would "
                                 "replay this ledger's whole history", "start it at the tip",
                                 lambda: (start_cursors(town)
                                          or "started missing cursors at their tips")))
        elif entry["behind"] is None:
            found.append(problem("reactor cursors", subject, "the cursor names a commit the "
                                 "ledger does not have", "gt reactor stop; remove its cursor; "
                                 "gt doctor --fix"))
        elif entry["behind"]:
            stuck = (reactor["running"] and reactor["cursor_saved_at"] is not None
                     and time.time() - reactor["cursor_saved_at"] > STUCK_SECONDS)
            message = f"{entry['behind']} commit(s) behind the tip"
            if stuck:
                found.append(problem("reactor cursors", subject, message + ", and the "
                                     f"reactor has not moved it for {int(STUCK_SECONDS)} s",
                                     "gt reactor stop; gt reactor start"))
            else:
                found.append(ok("reactor cursors", subject, message + ("; catching up" if
                                reactor["running"] else "; caught up when it starts")))
        else:
            found.append(ok("reactor cursors", subject, "at the tip"))
    live = set(town.backend().names())
    for view in views[1:]:
        queue = parts.merge_queue(view)
        state = health.refinery(view.name, live, queue)
        if state["running"]:
            found.append(ok("refinery", view.name, f"running, {state['pending']} queued"))
        elif state["pending"]:
            rig = Rig(town, view.name)
            found.append(problem("refinery", view.name, f"{state['pending']} request(s) "
                                 "queued and the Refinery is not running",
                                 f"gt refinery start {view.name}",
                                 lambda rig=rig: f"started the Refinery of {rig.name}"
                                 if start_refinery(town, rig) else "it was already running"))
        else:
            found.append(ok("refinery", view.name, "stopped, nothing queued"))
    return found
