"""Escalations: beads in the town's ledger (type task, label `escalation`, a severity) routed
by the town's settings: mail to the Mayor, a nudge, and for critical ones an optional
external command (an argv, never a shell line). An escalation not acknowledged within
`supervision.escalate_again` seconds is raised again."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from beads.errors import BeadsError
from beads.model import check_utf8, now_iso
from beads.query import Filters
from gt.agents import Address
from gt.errors import GtError
from gt.supervision.signals import parse_time
from gt.town import Town
from gt.work import mail
from gt.work.nudge import nudge

SEVERITIES = {"critical": 0, "high": 1, "medium": 2, "low": 3}
LABEL = "escalation"
COMMAND_TIMEOUT = 30.0


def _check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise GtError(f"invalid severity {severity!r}: use {', '.join(SEVERITIES)}")
    return severity


def escalate(town: Town, severity: str, message: str, sender: str,
             bead: str | None = None) -> dict[str, Any]:
    """File an escalation and route it; returns the escalation bead with `routed`."""
    _check_severity(severity)
    check_utf8(message, "the escalation message")
    if not message.strip():
        raise GtError("an escalation needs a message")
    ledger = town.ledger(sender)
    fields: dict[str, Any] = {"issue_type": "task", "priority": SEVERITIES[severity],
                              "severity": severity, "escalated_by": sender,
                              "escalated_at": now_iso(), "raised": 1,
                              "description": message}
    if bead:
        fields["about"] = bead
    created = ledger.create(f"[{severity}] {message.splitlines()[0][:200]}",
                            labels=[LABEL, f"severity:{severity}"], **fields)
    created["routed"] = route(town, created, sender)
    return created


def route(town: Town, escalation: dict[str, Any], sender: str) -> list[str]:
    """Mail the Mayor, nudge it, and run the critical command; returns what was done."""
    limits = town.settings.supervision
    severity = str(escalation.get("severity") or "medium")
    subject = f"Escalation {escalation['id']} ({severity}): {escalation['title']}"[:500]
    body = str(escalation.get("description") or "")
    if escalation.get("about"):
        body += f"\n\nAbout: {escalation['about']}"
    body += f"\n\nAcknowledge with `gt escalate ack {escalation['id']}`."
    mail.send(town, sender, "mayor", subject, body)
    done = ["mailed the mayor"]
    if limits.escalate_nudge:
        done.append(f"nudge {nudge(town, Address('mayor'), subject, sender)}")
    if severity == "critical" and limits.escalate_command:
        argv = [*limits.escalate_command, severity, str(escalation["id"]), subject]
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=COMMAND_TIMEOUT, check=False)
            done.append(f"ran {limits.escalate_command[0]} (exit {result.returncode})")
        except (OSError, subprocess.TimeoutExpired) as exc:
            done.append(f"could not run {limits.escalate_command[0]}: {exc}")
    return done


def listing(town: Town, include_closed: bool = False) -> list[dict[str, Any]]:
    filters = Filters(labels_all=[LABEL], include_closed=include_closed)
    found = town.ledger().list(filters, sort="priority", limit=None)
    return [{"id": e["id"], "severity": e.get("severity"), "title": e["title"],
             "status": e["status"], "acked_by": e.get("acked_by"),
             "escalated_by": e.get("escalated_by"), "about": e.get("about"),
             "raised": e.get("raised", 1), "escalated_at": e.get("escalated_at")}
            for e in found]


def _escalation(town: Town, ref: str, actor: str) -> tuple[Any, dict[str, Any]]:
    ledger = town.ledger(actor)
    try:
        bead = ledger.get(ref)
    except BeadsError:
        raise GtError(f"no escalation {ref!r}") from None
    if LABEL not in bead.get("labels", []):
        raise GtError(f"{bead['id']} is not an escalation")
    return ledger, bead


def ack(town: Town, ref: str, actor: str) -> dict[str, Any]:
    ledger, bead = _escalation(town, ref, actor)
    ledger.update_many(f"acknowledge escalation {bead['id']}",
                       {bead["id"]: {"acked_by": actor, "acked_at": now_iso()}})
    return ledger.get(bead["id"])


def close(town: Town, ref: str, actor: str, reason: str | None = None) -> dict[str, Any]:
    ledger, bead = _escalation(town, ref, actor)
    ledger.close([bead["id"]], reason or "resolved")
    return ledger.get(bead["id"])


def raise_again(town: Town, now: float | None = None) -> list[str]:
    """Route again every open escalation unacknowledged past `escalate_again`; returns ids."""
    now = time.time() if now is None else now
    wait = town.settings.supervision.escalate_again
    again = []
    for item in listing(town):
        if item["acked_by"]:
            continue
        raised_at = parse_time(item.get("escalated_at"))
        if raised_at is None or now - raised_at < wait:
            continue
        ledger = town.ledger("deacon")
        ledger.update_many(f"escalation {item['id']} unacknowledged: raised again",
                           {item["id"]: {"escalated_at": now_iso(),
                                         "raised": int(item["raised"] or 1) + 1}})
        route(town, ledger.get(item["id"]), "deacon")
        again.append(item["id"])
    return again
