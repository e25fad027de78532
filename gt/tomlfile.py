"""Read and write the small TOML files gt keeps (town.toml): tables of plain values."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from beads.model import check_utf8

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def load(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps(data: dict[str, Any]) -> str:
    """Plain values first, then each nested table as `[a.b]`, in key order. Text that is not
    UTF-8 (bytes from the command line) is refused: TOML cannot hold it."""
    lines: list[str] = []

    def table(prefix: list[str], values: dict[str, Any]) -> None:
        for key, value in values.items():
            check_utf8(key, f"the key {key!r}")
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    check_utf8(text, f"the value of {key!r}")
        plain = {k: v for k, v in values.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        if prefix and (plain or not nested):
            lines.append(f"\n[{'.'.join(_key(p) for p in prefix)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in sorted(plain.items()))
        for name, sub in sorted(nested.items()):
            table([*prefix, name], sub)

    table([], data)
    return "\n".join(lines).lstrip("\n") + "\n"


def save(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a temporary file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(dumps(data))
    os.replace(tmp, path)
