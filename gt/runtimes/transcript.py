"""The scripted runtime's sessions: an id per session and a transcript of what it said, so
that `--resume <id> --ask <question>` answers from it, as Claude Code answers from its own
transcript. Transcripts are local files under `$GT_TOWN/.git/gt/transcripts/<id>.jsonl`.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MIN_WORD = 4
MAX_LINES = 20


def directory() -> Path:
    return Path(os.environ.get("GT_TOWN") or ".") / ".git" / "gt" / "transcripts"


def path_of(session_id: str) -> Path:
    if not SESSION_ID.fullmatch(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    return directory() / f"{session_id}.jsonl"


class Transcript:
    """One session's transcript, appended line by line as the session speaks."""

    def __init__(self) -> None:
        self.session_id = str(uuid.uuid4())
        self.path = path_of(self.session_id)

    def write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "text": text}
        with self.path.open("a") as handle:
            handle.write(json.dumps(line) + "\n")

    def hook_input(self) -> dict[str, Any]:
        """What Claude Code hands its SessionStart hook, for `gt prime --hook`."""
        return {"session_id": self.session_id, "transcript_path": str(self.path),
                "cwd": os.getcwd(), "source": "startup", "hook_event_name": "SessionStart"}


def lines(session_id: str) -> list[str]:
    """What the session said, in order; FileNotFoundError when its transcript is not here."""
    out = []
    for row in path_of(session_id).read_text().splitlines():
        try:
            out.append(str(json.loads(row)["text"]))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def answer(session_id: str, question: str) -> str:
    """The lines of the session that share a word with the question (every line when none
    does), the most recent last."""
    said = lines(session_id)
    words = {w for w in re.findall(r"\w+", question.lower()) if len(w) >= MIN_WORD}
    matching = [line for line in said if words & set(re.findall(r"\w+", line.lower()))]
    chosen = (matching or said)[-MAX_LINES:]
    return f"In session {session_id} I said:\n" + "\n".join(f"- {line}" for line in chosen)
