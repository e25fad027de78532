"""`gt status` drawn for a terminal, and its fast path: `gt status [--json]` is answered
here before click and pygit2 are loaded (about 100 ms of imports), since people and agents
run it often. Every other form goes through the click command (`gt.cli.status`)."""

from __future__ import annotations

import sys
import time
from typing import Any

from beads.cli.output import emit_json, safe

WIDTH = 100
SHOWN = 12  # rows per section on one screen; the rest are counted


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{int(seconds)}s"
    if seconds < 5400:
        return f"{int(seconds // 60)}m"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def _bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "#" * filled + "-" * (width - filled)


def _more(lines: list[str], rows: list[Any], shown: int) -> None:
    if len(rows) > shown:
        lines.append(f"  ... and {len(rows) - shown} more")


def render(town: dict[str, Any]) -> str:
    """The whole town on one screen, problems first; all bead text made safe."""
    from gt.townview.parts import seconds_since

    now = town["at"]
    lines: list[str] = []
    states = ", ".join(f"{n} {s}" for s, n in sorted(town["agent_states"].items()))
    reactor = town["reactor"]
    react = (f"reactor running (lag {reactor['lag']})" if reactor["running"]
             else "reactor STOPPED")
    lines.append(safe(f"town {town['town']}: {len(town['rigs'])} rig(s), "
                      f"{len(town['agents'])} agent(s) ({states or 'none'}), {react}"))
    problems = town["problems"]
    lines.append(f"PROBLEMS ({len(problems)})" if problems else "no problems")
    for item in problems[:SHOWN]:
        mark = "x" if item["severity"] == "error" else "!"
        lines.append(safe(f"  {mark} {item['kind']} {item['subject']}: {item['message']}"))
    _more(lines, problems, SHOWN)

    busy = [a for a in town["agents"] if a["hook"] or a["state"] != "idle"]
    idle = [a for a in town["agents"] if a not in busy]
    lines.append(f"AGENTS ({len(busy)} busy, {len(idle)} idle)")
    for agent in busy[:SHOWN]:
        hook = agent["hook"] or "-"
        title = f" {agent['hook_title']}" if agent["hook_title"] else ""
        since = ago(seconds_since(agent["since"], now))
        live = "live" if agent["live"] else "no session"
        lines.append(safe(f"  {agent['state']:<14} {agent['agent']:<28} {hook}{title}"
                          )[:WIDTH - 20] + f"  {since:>4} {live}")
    _more(lines, busy, SHOWN)
    if idle:
        names = ", ".join(a["agent"] for a in idle[:8])
        lines.append(safe(f"  idle: {names}{' ...' if len(idle) > 8 else ''}"))

    lines.append(f"CONVOYS ({len(town['convoys'])} open)")
    for convoy in town["convoys"][:SHOWN]:
        waves = f" wave {convoy['wave']}/{convoy['waves']}" if convoy["waves"] else ""
        stranded = "  STRANDED" if convoy["stranded"] else ""
        lines.append(safe(f"  {convoy['id']:<12} [{_bar(convoy['closed'], convoy['total'])}] "
                          f"{convoy['closed']}/{convoy['total']} {convoy['active']} active"
                          f"{waves}  {convoy['title']}")[:WIDTH - 10] + stranded)
    _more(lines, town["convoys"], SHOWN)

    lines.append("MERGE QUEUE")
    refineries = {r["rig"]: r for r in town["refineries"]}
    for queue in town["merge_queues"]:
        refinery = refineries[queue["rig"]]
        running = "running" if refinery["running"] else "stopped"
        oldest = f" (oldest {ago(refinery['oldest_seconds'])})" if refinery["pending"] else ""
        lines.append(safe(f"  {queue['rig']}: refinery {running}, {refinery['pending']} "
                          f"pending{oldest}, {len(queue['rejected'])} sent back"))
        for item in queue["pending"][:3]:
            lines.append(safe(f"    {item['bead']} {item['commit'][:8]} {item['title'] or ''}"
                              )[:WIDTH])
    if not town["merge_queues"]:
        lines.append("  no rigs")

    if town["escalations"]:
        lines.append(f"ESCALATIONS ({len(town['escalations'])})")
        for item in town["escalations"][:SHOWN]:
            ack = " (acknowledged)" if item["acknowledged"] else ""
            lines.append(safe(f"  {item['id']} P{item['priority']} {item['title']}{ack}"))
    work = town["work"]
    lines.append(f"WORK ready {work['ready']}, in progress {work['in_progress']}, "
                 f"blocked {work['blocked']}, open {work['open']}")
    lines.append(f"MAIL {town['mail']['unread']} unread for {town['mail']['to']}")
    return "\n".join(lines)


def answer(argv: list[str]) -> bool:
    """Answer `gt status` or `gt status --json`; False for anything else (the full path)."""
    if not argv or argv[0] != "status" or any(a not in ("--json",) for a in argv[1:]):
        return False
    from gt.town import Town
    from gt.townview.snapshot import read

    town = read(Town.find())
    if "--json" in argv:
        emit_json(town)
    else:
        sys.stdout.write(render(town) + "\n")
    return True


def clear_screen() -> str:
    return "\x1b[H\x1b[2J"


def stamp() -> str:
    return time.strftime("%H:%M:%S")
