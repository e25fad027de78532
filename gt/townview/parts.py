"""The parts of the town as data, each read from the ledgers' caches and from refs: agents,
convoys with progress, work, merge queues, escalations, mail. Every function takes the
ledger views (`gt.townview.ledgers`) so one read of the town opens each cache once."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson

from beads import query
from beads.model import INFRA_TYPES, now_iso
from gt.agents import OVERSEER, Address
from gt.errors import GtError
from gt.town import Town
from gt.townview import refs
from gt.townview.ledgers import LedgerView, by_prefix

IN_PROGRESS = ("in_progress", "hooked")
SENT_BACK = ("rejected", "conflict", "invalid")  # merge request states a person may act on
ESCALATION = "escalation"  # an escalation is a bead of this type, or one with this label
_INFRA = ",".join(f"'{t}'" for t in sorted(INFRA_TYPES))


def seconds_since(stamp: str | float | None, now: float | None = None) -> float | None:
    """Seconds from an ISO time (or a unix time) to now; None when unknown."""
    if stamp is None or stamp == "":
        return None
    now = time.time() if now is None else now
    if isinstance(stamp, int | float):
        return max(0.0, now - stamp)
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, now - when.timestamp())


def agents(town: Town, views: list[LedgerView], live: set[str]) -> list[dict[str, Any]]:
    """Every agent bead of the town, with its hook, how long it has held it, whether its
    session is live and when its session last wrote output."""
    logs = town.state_dir / "logs"
    out = []
    for view in views:
        hooks: dict[str, str] = {}
        rows = view.beads("b.issue_type = 'agent' ORDER BY b.id")
        wanted = [row["hook_bead"] for row in rows if row.get("hook_bead")]
        if wanted:
            marks = ",".join("?" * len(wanted))
            hooks = dict(view.db.execute(f"SELECT id, title FROM beads WHERE id IN ({marks})",
                                         wanted).fetchall())
        for row in rows:
            try:
                address = Address.parse(row["title"])
            except GtError:
                continue
            hook = row.get("hook_bead")
            try:
                output_at: float | None = (logs / f"{address.session}.log").stat().st_mtime
            except OSError:
                output_at = None
            out.append({"agent": str(address), "id": row["id"], "ledger": view.name,
                        "role": address.role, "rig": address.rig, "home": row.get("home"),
                        "state": row.get("agent_state") or "idle", "hook": hook,
                        "hook_title": hooks.get(hook) if hook else None,
                        "since": row.get("updated_at"),
                        "session": address.session, "live": address.session in live,
                        "last_output": output_at})
    return out


def _tracked(town_view: LedgerView, convoy_ids: list[str]) -> dict[str, list[str]]:
    if not convoy_ids:
        return {}
    marks = ",".join("?" * len(convoy_ids))
    tracked: dict[str, list[str]] = defaultdict(list)
    for convoy_id, target in town_view.db.execute(
            f"SELECT id, target FROM deps WHERE type = 'tracks' AND id IN ({marks}) "
            "ORDER BY rowid", convoy_ids):
        tracked[convoy_id].append(target)
    return tracked


def _bead_states(views: list[LedgerView], ids: set[str]) -> dict[str, dict[str, Any]]:
    """id -> status, assignee, title, updated_at and whether it is held back, for `ids`."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for bead_id in ids:
        wanted[bead_id.split("-", 1)[0]].append(bead_id)
    states: dict[str, dict[str, Any]] = {}
    for prefix, view in by_prefix(views).items():
        chosen = wanted.get(prefix)
        if not chosen:
            continue
        held = view.held
        marks = ",".join("?" * len(chosen))
        for bead_id, status, assignee, title, updated in view.db.execute(
                f"SELECT id, status, assignee, title, updated_at FROM beads "
                f"WHERE id IN ({marks})", chosen):
            states[bead_id] = {"status": status, "assignee": assignee, "title": title,
                               "updated_at": updated, "held": bead_id in held}
    return states


def convoys(views: list[LedgerView], stranded_after: float, ready_after: float,
            include_closed: bool = False) -> list[dict[str, Any]]:
    """Each convoy with its progress (closed of total, in progress, ready), its waves and
    whether it is stranded: ready work and no agent on it for `ready_after` seconds, or no
    progress for `stranded_after` seconds. A staged convoy not launched yet waits for a
    person: it is never stranded."""
    town_view = views[0]
    where = "b.issue_type = 'convoy'" + ("" if include_closed else " AND b.status != 'closed'")
    rows = town_view.beads(where + " ORDER BY b.created_at, b.id")
    tracked = _tracked(town_view, [row["id"] for row in rows])
    states = _bead_states(views, {b for ids in tracked.values() for b in ids})
    now = time.time()
    out = []
    for row in rows:
        ids = tracked.get(row["id"], [])
        waves = [list(w) for w in row.get("waves") or []]
        wave = int(row.get("wave") or 0)
        # Only the launched waves count as work to do now; later waves wait their turn.
        current = {b for w in waves[:wave] for b in w} if waves else set(ids)
        beads = []
        for bead_id in ids:
            state = states.get(bead_id, {"status": "missing", "assignee": None, "title": None,
                                         "updated_at": None, "held": False})
            beads.append({"id": bead_id, **state})
        closed = sum(1 for b in beads if b["status"] == "closed")
        active = sum(1 for b in beads if b["status"] in IN_PROGRESS)
        ready = [b["id"] for b in beads if b["id"] in current and b["status"] == "open"
                 and not b["assignee"] and not b["held"]]
        # The convoy's own updates (a note that it was escalated) are not progress.
        stamps = [row.get("created_at") or ""] + [b["updated_at"] or "" for b in beads]
        last = max(stamps)
        idle_for = seconds_since(last, now)
        reason, kind = None, None
        launched = not waves or wave > 0
        if row["status"] != "closed" and ids and closed < len(ids) and launched \
                and idle_for is not None:
            if ready and not active and idle_for > ready_after:
                reason, kind = f"{len(ready)} ready bead(s) and no agent on any", "ready"
            elif idle_for > stranded_after:
                reason, kind = f"no progress for {int(idle_for // 60)} min", "idle"
        out.append({"id": row["id"], "title": row["title"], "status": row["status"],
                    "owner": row.get("owner"), "closed": closed, "total": len(ids),
                    "active": active, "ready": ready, "last_activity": last or None,
                    "waves": len(waves), "wave": wave, "stranded": reason, "stranded_kind": kind,
                    "escalated": row.get("stranded_escalated"), "beads": beads})
    return out


def _ready_count(view: LedgerView) -> int:
    """How many beads `bd ready` would list (beads.query.ready's rules), counted in SQL over
    the cache's stored blockers (`beads.blocking`)."""
    return view.db.execute(
        f"SELECT count(*) FROM beads b WHERE b.status = 'open' AND b.ephemeral = 0 "
        f"AND b.issue_type NOT IN ({_INFRA}) AND (b.defer_until IS NULL OR "
        "b.defer_until <= ?) AND b.id NOT IN (SELECT id FROM main.held)",
        (now_iso(),)).fetchone()[0]


def work(views: list[LedgerView], limit: int = 0) -> dict[str, Any]:
    """Counts of ready, in-progress and blocked work in every ledger; with `limit`, also up
    to that many beads of each (for the dashboard)."""
    totals = {"ready": 0, "in_progress": 0, "blocked": 0, "open": 0}
    lists: dict[str, list[dict[str, Any]]] = {"ready": [], "in_progress": [], "blocked": []}
    marks = ",".join("?" * len(IN_PROGRESS))
    for view in views:
        open_count, progress = view.db.execute(
            f"SELECT count(*), sum(status IN ({marks})) FROM beads "
            f"WHERE status != 'closed' AND ephemeral = 0 AND issue_type NOT IN ({_INFRA})",
            IN_PROGRESS).fetchone()
        totals["ready"] += _ready_count(view)
        totals["open"] += open_count or 0
        totals["in_progress"] += progress or 0
        totals["blocked"] += len(view.held)
        if not limit:
            continue
        lists["ready"] += [{"ledger": view.name, **_brief(orjson.loads(doc))}
                           for doc in query.ready(view.db, query.Filters(), "priority", limit)]
        lists["in_progress"] += [{"ledger": view.name, **_brief(doc)} for doc in view.beads(
            f"b.status IN ({marks}) AND b.issue_type NOT IN ({_INFRA}) "
            f"ORDER BY b.updated_at DESC LIMIT {int(limit)}", IN_PROGRESS)]
        shown = sorted(view.held)[:limit]
        if shown:
            held_marks = ",".join("?" * len(shown))
            lists["blocked"] += [{"ledger": view.name, **_brief(doc),
                                  "blocked_by": [i for i, _ in view.held[doc["id"]]]}
                                 for doc in view.beads(f"b.id IN ({held_marks})",
                                                       tuple(shown))]
    return {**totals, **({"lists": lists} if limit else {})}


def _brief(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["id"], "title": doc.get("title"), "status": doc.get("status"),
            "priority": doc.get("priority"), "assignee": doc.get("assignee"),
            "issue_type": doc.get("issue_type"), "updated_at": doc.get("updated_at")}


def merge_queue(view: LedgerView) -> dict[str, Any]:
    """A rig's merge requests: those queued (`refs/mr/*`, in about the Refinery's order)
    and the open beads whose last request was rejected or hit a conflict."""
    queued = refs.under(view.git_dir, "refs/mr/")
    ids = [ref.removeprefix("refs/mr/") for ref in queued]
    docs: dict[str, dict[str, Any]] = {}
    if ids:
        marks = ",".join("?" * len(ids))
        docs = {d["id"]: d for d in view.beads(f"b.id IN ({marks})", tuple(ids))}
    pending = []
    for ref, commit in queued.items():
        bead_id = ref.removeprefix("refs/mr/")
        doc = docs.get(bead_id, {})
        pending.append({"bead": bead_id, "title": doc.get("title"), "commit": commit,
                        "priority": doc.get("priority", 4), "retries": doc.get("rejections", 0),
                        "mr_state": doc.get("mr_state"),
                        "requested_at": doc.get("mr_requested_at"),
                        "ref_written": refs.changed_at(view.git_dir, ref)})
    pending.sort(key=lambda r: (r["priority"], r["retries"] or 0, r["requested_at"] or "",
                                r["bead"]))
    # A byte search (canonical JSON has no spaces), then the field itself.
    sent_back = [d for d in view.beads(
        "instr(d.doc, ?) > 0 AND b.status != 'closed' ORDER BY b.updated_at DESC",
        (b'"mr_state":"',)) if d.get("mr_state") in SENT_BACK]
    queued_ids = set(ids)
    return {"rig": view.name, "pending": pending,
            "rejected": [{"bead": d["id"], "title": d["title"], "mr_state": d["mr_state"],
                          "rejections": d.get("rejections", 0), "at": d.get("updated_at")}
                         for d in sent_back if d["id"] not in queued_ids]}


def escalations(views: list[LedgerView]) -> list[dict[str, Any]]:
    """Open escalations in every ledger (beads of type escalation, or labelled so); [] when
    the town has none."""
    out = []
    for view in views:
        for doc in view.beads(
                "b.id IN (SELECT id FROM beads WHERE issue_type = ? UNION "
                "SELECT id FROM labels WHERE label = ?) AND b.status != 'closed' "
                "ORDER BY b.priority, b.created_at", (ESCALATION, ESCALATION)):
            out.append({"id": doc["id"], "ledger": view.name, "title": doc["title"],
                        "priority": doc.get("priority"), "status": doc["status"],
                        "from": doc.get("sender") or doc.get("owner") or doc.get("created_by"),
                        "created_at": doc.get("created_at"),
                        "acknowledged": "acknowledged" in (doc.get("labels") or [])})
    return out


def mail(town_view: LedgerView, recipient: str = OVERSEER,
         limit: int = 0) -> dict[str, Any]:
    """The unread count of `recipient`'s inbox, and with `limit` its latest messages."""
    rows = town_view.db.execute(
        "SELECT count(*) FROM beads b WHERE b.issue_type = 'message' AND b.assignee = ? "
        "AND b.status != 'closed' AND b.id IN (SELECT id FROM labels WHERE label = 'unread')",
        (recipient,)).fetchone()
    out: dict[str, Any] = {"to": recipient, "unread": rows[0]}
    if limit:
        out["messages"] = [
            {"id": d["id"], "from": d.get("sender"), "to": d.get("assignee"),
             "subject": d["title"], "unread": "unread" in (d.get("labels") or []),
             "created_at": d.get("created_at")}
            for d in town_view.beads(f"b.issue_type = 'message' AND b.status != 'closed' "
                                     f"ORDER BY b.created_at DESC LIMIT {int(limit)}")]
    return out
