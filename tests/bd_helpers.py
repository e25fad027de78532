"""Helpers for the `bd` command-line tests (tests/test_bd_*.py, one file per command module).

Most commands run in-process through click's CliRunner (fast); the entry point, error
reporting, exit codes and terminal safety run `bd` as a real subprocess (`run_bd`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from beads.cli.main import cli


def invoke(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Result:
    """Run `bd -C repo --actor actor ARGS` in-process."""
    return CliRunner().invoke(cli, ["-C", str(repo), "--actor", actor, *args], input=stdin,
                              catch_exceptions=False)


def ok(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Result:
    result = invoke(repo, *args, stdin=stdin, actor=actor)
    assert result.exit_code == 0, f"bd {' '.join(args)}: {result.stderr}"
    return result


def has_schema(value: Any) -> None:
    """JSON objects carry schema_version; so does every bead in a list."""
    if isinstance(value, dict):
        assert value.get("schema_version") == 1, value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "id" in item and "title" in item:
                assert item.get("schema_version") == 1, item


def js(repo: Path, *args: str, stdin: str | None = None, actor: str = "alice") -> Any:
    """Run a command with --json; it must succeed and print schema-versioned JSON."""
    value = json.loads(ok(repo, *args, "--json", stdin=stdin, actor=actor).stdout)
    has_schema(value)
    return value


def json_error(repo: Path, *args: str, actor: str = "alice") -> dict[str, Any]:
    """Run a command with --json that must fail: JSON on stderr, non-zero exit."""
    result = invoke(repo, *args, "--json", actor=actor)
    assert result.exit_code != 0
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["error"] and error["code"]
    return error


def ids(beads: list[dict[str, Any]]) -> list[str]:
    return [b["id"] for b in beads]


def new(repo: Path, title: str, *args: str) -> str:
    """Create a bead and return its id."""
    return str(js(repo, "create", title, *args)["id"])
