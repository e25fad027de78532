"""The Witness's local memory of each agent (`.git/gt/supervision/<session>.json`): its
restarts (for backoff and crash loops), its last nudge, whether it was parked or escalated.
Local state, never committed: the ledger holds the actions, this holds their timing."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Memory:
    restarts: list[float] = field(default_factory=list)
    nudged_at: float | None = None
    stall_restarted_at: float | None = None
    escalated_for: str | None = None  # the hook (or state) it was escalated for
    gupp_escalated_for: str | None = None
    parked: bool = False


def memory_path(state_dir: Path, session: str) -> Path:
    return state_dir / "supervision" / f"{session}.json"


def load(state_dir: Path, session: str) -> Memory:
    try:
        data = json.loads(memory_path(state_dir, session).read_text())
        return Memory(**{k: v for k, v in data.items() if k in Memory.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return Memory()


def save(state_dir: Path, session: str, memory: Memory) -> None:
    path = memory_path(state_dir, session)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(memory)))
    os.replace(temporary, path)
