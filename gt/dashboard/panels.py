"""The dashboard's panels as HTML, drawn from a town snapshot (`gt.townview.snapshot`).
Every text that comes from a bead, an agent or a commit passes through `esc`: a hostile
title is shown as text. Buttons carry what their action needs in `data-` attributes."""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from typing import Any

from gt.townview.parts import seconds_since

PANELS = ("problems", "convoys", "work", "agents", "merge", "mail", "escalations",
          "activity", "rigs")


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size * (2 if unit == "m" else 1):
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def button(label: str, action: str, **data: Any) -> str:
    attrs = "".join(f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in data.items())
    return f'<button type="button" data-action="{esc(action)}"{attrs}>{esc(label)}</button>'


def _table(head: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    cells = "".join(f"<th>{esc(h)}</th>" for h in head)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def problems(town: dict[str, Any]) -> str:
    items = town["problems"]
    if not items:
        return '<p class="ok">No problems.</p>'
    rows = [f'<li class="{esc(p["severity"])}"><b>{esc(p["kind"])}</b> '
            f'<code>{esc(p["subject"])}</code> {esc(p["message"])}</li>' for p in items]
    return f"<ul class=\"problems\">{''.join(rows)}</ul>"


def convoys(town: dict[str, Any]) -> str:
    rows = []
    for c in town["convoys"]:
        share = int(100 * c["closed"] / c["total"]) if c["total"] else 0
        waves = f'{c["wave"]}/{c["waves"]}' if c["waves"] else "-"
        badge = f' <span class="bad">stranded: {esc(c["stranded"])}</span>' if c["stranded"] \
            else ""
        rows.append(f'<tr><td><code>{esc(c["id"])}</code></td><td>{esc(c["title"])}{badge}</td>'
                    f'<td><div class="bar"><div style="width:{share}%"></div></div>'
                    f'{c["closed"]}/{c["total"]}</td><td>{c["active"]}</td>'
                    f'<td>{len(c["ready"])}</td><td>{waves}</td>'
                    f'<td>{ago(seconds_since(c["last_activity"], town["at"]))}</td></tr>')
    form = ('<form data-form="convoy"><input name="name" placeholder="convoy name" required>'
            '<input name="beads" placeholder="bead ids, comma-separated" required>'
            '<button>Create convoy</button></form>')
    return _table(["convoy", "title", "progress", "active", "ready", "wave", "last"], rows,
                  "No open convoys.") + form


def _bead_rows(items: list[dict[str, Any]], sling: bool, rigs: dict[str, str]) -> str:
    out = []
    for b in items:
        extra = ""
        if sling and b["ledger"] in rigs.values():
            extra = button("Sling", "sling", bead=b["id"], target=b["ledger"])
        blocked = (" <small>blocked by " + esc(", ".join(b["blocked_by"][:3])) + "</small>"
                   if b.get("blocked_by") else "")
        who = f' <small>@{esc(b["assignee"])}</small>' if b.get("assignee") else ""
        out.append(f'<li><code>{esc(b["id"])}</code> P{esc(b["priority"])} '
                   f'{esc(b["title"])}{who}{blocked} {extra}</li>')
    return "".join(out) or '<li class="empty">none</li>'


def work(town: dict[str, Any]) -> str:
    w = town["work"]
    lists = w.get("lists", {"ready": [], "in_progress": [], "blocked": []})
    rigs = {r["prefix"]: r["name"] for r in town["rigs"]}
    options = "".join(f'<option value="{esc(r["name"])}">{esc(r["name"])}</option>'
                      for r in town["rigs"])
    form = ('<form data-form="bead"><select name="rig"><option value="">town</option>'
            f'{options}</select><input name="title" placeholder="title of a new bead" '
            'required><select name="priority"><option>0</option><option>1</option>'
            '<option selected>2</option><option>3</option><option>4</option></select>'
            '<button>Create bead</button></form>')
    return (f'<div class="cols"><div><h3>Ready ({w["ready"]})</h3><ul>'
            f'{_bead_rows(lists["ready"], True, rigs)}</ul></div>'
            f'<div><h3>In progress ({w["in_progress"]})</h3><ul>'
            f'{_bead_rows(lists["in_progress"], False, rigs)}</ul></div>'
            f'<div><h3>Blocked ({w["blocked"]})</h3><ul>'
            f'{_bead_rows(lists["blocked"], False, rigs)}</ul></div></div>{form}')


def agents(town: dict[str, Any]) -> str:
    rows = []
    for a in town["agents"]:
        hook = (f'<code>{esc(a["hook"])}</code> {esc(a["hook_title"])}' if a["hook"]
                else "-")
        live = '<span class="ok">live</span>' if a["live"] else '<span class="dim">stopped</span>'
        state = f'<span class="state-{esc(a["state"])}">{esc(a["state"])}</span>'
        rows.append(f'<tr><td>{esc(a["agent"])}</td><td>{state}</td><td>{hook}</td>'
                    f'<td>{ago(seconds_since(a["since"], town["at"]))}</td><td>{live}</td>'
                    f'<td>{ago(seconds_since(a["last_output"], town["at"]))}</td>'
                    f'<td class="acts">{button("Nudge", "nudge", agent=a["agent"])} '
                    f'{button("Peek", "peek", agent=a["agent"])}</td></tr>')
    return _table(["agent", "state", "hook", "for", "session", "output", ""], rows,
                  "No agents.") + '<pre id="peek" hidden></pre>'


def merge(town: dict[str, Any]) -> str:
    parts = []
    refineries = {r["rig"]: r for r in town["refineries"]}
    for q in town["merge_queues"]:
        r = refineries[q["rig"]]
        running = '<span class="ok">running</span>' if r["running"] else \
            '<span class="dim">stopped</span>'
        rows = [f'<tr><td><code>{esc(p["bead"])}</code></td><td>{esc(p["title"])}</td>'
                f'<td>pending</td><td><code>{esc(p["commit"][:10])}</code></td>'
                f'<td>{button("Reject", "reject", rig=q["rig"], bead=p["bead"])}</td></tr>'
                for p in q["pending"]]
        rows += [f'<tr><td><code>{esc(p["bead"])}</code></td><td>{esc(p["title"])}</td>'
                 f'<td class="bad">{esc(p["mr_state"])}</td><td>{esc(p["rejections"])}x</td>'
                 f'<td>{button("Retry", "retry", rig=q["rig"], bead=p["bead"])}</td></tr>'
                 for p in q["rejected"]]
        parts.append(f'<h3>{esc(q["rig"])}: Refinery {running}</h3>'
                     + _table(["bead", "title", "state", "commit", ""], rows, "Queue empty."))
    return "".join(parts) or '<p class="empty">No rigs.</p>'


def mail(town: dict[str, Any]) -> str:
    rows = [f'<tr class="{"unread" if m["unread"] else ""}"><td>{esc(m["from"])}</td>'
            f'<td>{esc(m["to"])}</td><td>{esc(m["subject"])}</td>'
            f'<td>{ago(seconds_since(m["created_at"], town["at"]))}</td></tr>'
            for m in town["mail"].get("messages", [])]
    return (f'<p>{town["mail"]["unread"]} unread for {esc(town["mail"]["to"])}</p>'
            + _table(["from", "to", "subject", "age"], rows, "No mail."))


def escalations(town: dict[str, Any]) -> str:
    def ack(item: dict[str, Any]) -> str:
        return "acknowledged" if item["acknowledged"] else \
            button("Acknowledge", "ack", bead=item["id"])

    rows = [f'<tr><td><code>{esc(e["id"])}</code></td><td>P{esc(e["priority"])}</td>'
            f'<td>{esc(e["title"])}</td><td>{esc(e["from"])}</td><td>{ack(e)}</td></tr>'
            for e in town["escalations"]]
    return _table(["id", "pri", "title", "from", ""], rows, "No open escalations.")


def activity(town: dict[str, Any]) -> str:
    rows = [f'<li><time>{time.strftime("%H:%M:%S", time.localtime(r["time"]))}</time> '
            f'<b>[{esc(r["ledger"])}]</b> {esc(r["actor"])}: {esc(r["summary"])}</li>'
            for r in town.get("activity", [])]
    return f"<ul class=\"feed\">{''.join(rows)}</ul>" if rows else \
        '<p class="empty">No activity.</p>'


def rigs(town: dict[str, Any]) -> str:
    lag = {entry["ledger"]: entry for entry in town["reactor"]["ledgers"]}
    reactor = "running" if town["reactor"]["running"] else "stopped"
    rows = [f'<tr><td>{esc(r["name"])}</td><td>{esc(r["prefix"])}</td>'
            f'<td>{esc(r["branch"])}</td><td>{esc(r["strategy"])}</td>'
            f'<td><code>{esc((town["tips"][r["name"]] or "")[:10])}</code></td>'
            f'<td>{esc(lag.get(r["name"], {}).get("behind"))}</td></tr>'
            for r in town["rigs"]]
    return (f'<p>Reactor {reactor}, {town["reactor"]["lag"]} commit(s) behind.</p>'
            + _table(["rig", "prefix", "branch", "strategy", "ledger tip", "reactor lag"],
                     rows, "No rigs."))


DRAW: dict[str, Callable[[dict[str, Any]], str]] = {
    "problems": problems, "convoys": convoys, "work": work, "agents": agents, "merge": merge,
    "mail": mail, "escalations": escalations, "activity": activity, "rigs": rigs}


def draw_all(town: dict[str, Any]) -> dict[str, str]:
    return {name: DRAW[name](town) for name in PANELS}
