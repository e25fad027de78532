"""docs/bd-json.md matches the code: regenerated from every command's real output, and
naming every command bd registers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from beads.cli.main import cli

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bd_json_doc.py"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bd_json_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found |= _commands(command, path + " ")
        else:
            found.add(path)
    return found


def test_the_page_is_what_the_commands_print() -> None:
    generator = _generator()
    assert generator.render() == generator.DOC.read_text(), \
        "docs/bd-json.md is stale: run python scripts/bd_json_doc.py"


def test_every_command_is_on_the_page() -> None:
    generator = _generator()
    missing = _commands(cli) - generator.documented_commands(generator.DOC.read_text())
    assert not missing, f"add these to scripts/bd_json_doc.py: {sorted(missing)}"
