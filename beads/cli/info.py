"""`bd version`, `info` and `migrate`: what this bd is, where its ledger lives, its schema.

`bd version` names the Beads command-line interface this bd answers to (BEADS_COMPAT_VERSION)
and, in brackets, our own package version. Beads' clients read the first X.Y.Z of the line and
refuse a bd older than the interface they were built for (beads-mcp wants at least 0.9.0).
We report the Beads release whose clients we test against unchanged: beads-mcp 1.3.2 is
released from the Beads repository in step with bd 1.3.2, and the tests drive every call it
and beads-ui 0.12 make. A newer client that needs a newer interface then fails its own check
loudly instead of meeting a command we lack. `bd --version` stays our package's own version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line
from beads.model import DEP_TYPES, ISSUE_TYPES, SCHEMA_VERSION, STATUSES

BEADS_COMPAT_VERSION = "1.3.2"

F = TypeVar("F", bound=Callable[..., Any])


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gastown-py")
    except PackageNotFoundError:
        return "0+unknown"


def beads_flags(func: F) -> F:
    """Beads' global flags that change nothing here, accepted so its clients run unchanged.

    --sandbox means "no network side effects": this bd never syncs on its own, so every
    command already is. --no-auto-flush and --no-auto-import concern Beads' JSONL file,
    which this ledger does not keep: every write is a commit, every read the ledger itself.
    """
    for name, text in (("--sandbox", "No network side effects (always so here)."),
                       ("--no-auto-flush", "Accepted for Beads' clients; no effect here."),
                       ("--no-auto-import", "Accepted for Beads' clients; no effect here.")):
        func = click.option(name, is_flag=True, expose_value=False, help=text)(func)
    return func


@click.command("version")
@json_option
def version_cmd() -> None:
    """Print the Beads interface version this bd answers to, and our own."""
    ours = package_version()
    if settings().json:
        emit_json({"version": BEADS_COMPAT_VERSION, "build": f"gastown-py {ours}",
                   "package": "gastown-py", "package_version": ours})
    else:
        line(f"bd version {BEADS_COMPAT_VERSION} (gastown-py {ours})")


def _schema(db: Any, prefix: str, config: dict[str, Any]) -> dict[str, Any]:
    ids = [row[0] for row in db.execute("SELECT id FROM beads ORDER BY created_at LIMIT 5")]
    return {"storage": "git", "ledger_ref": "refs/heads/beads",
            "schema_version": SCHEMA_VERSION, "statuses": list(STATUSES),
            "issue_types": list(ISSUE_TYPES), "dependency_types": list(DEP_TYPES),
            "config": config, "sample_issue_ids": ids, "detected_prefix": prefix}


@click.command("info")
@click.option("--schema", is_flag=True, help="Add the schema: statuses, types, config, ids.")
@json_option
@handles_errors
def info_cmd(schema: bool) -> None:
    """Where the ledger lives and what it holds."""
    from beads import workspace

    s = settings()
    ledger = s.ledger()
    db = ledger.db()
    count = db.execute("SELECT count(*) FROM beads WHERE layer = 0").fetchone()[0]
    wisps = db.execute("SELECT count(*) FROM beads WHERE layer = 1").fetchone()[0]
    link = workspace.link_path(ledger.dirs)
    out: dict[str, Any] = {
        "database_path": str(ledger.dirs.common_dir), "mode": "direct", "backend": "git",
        "ledger_ref": "refs/heads/beads", "tip": str(ledger.store.tip()),
        "prefix": ledger.prefix, "issue_count": count, "wisp_count": wisps,
        "workspace": str(link) if link is not None else None,
        "version": BEADS_COMPAT_VERSION, "package_version": package_version()}
    if schema:
        out["schema"] = _schema(db, ledger.prefix, ledger.config())
    if s.json:
        emit_json(out)
        return
    for key in ("database_path", "ledger_ref", "tip", "prefix", "issue_count", "wisp_count",
                "workspace"):
        line(f"{key}: {out[key]}")
    if schema:
        for key, value in out["schema"].items():
            line(f"schema.{key}: {value}")


@click.command("migrate")
@click.option("--inspect", is_flag=True, help="Show the migration plan (there is none).")
@click.option("--dry-run", is_flag=True, help="Accepted; nothing would change.")
@json_option
@handles_errors
def migrate_cmd(inspect: bool, dry_run: bool) -> None:
    """Beads migrates its database between formats; this ledger has one format: nothing to do."""
    s = settings()
    db = s.db()
    count = db.execute("SELECT count(*) FROM beads WHERE layer = 0").fetchone()[0]
    message = ("nothing to migrate: the ledger is git commits on refs/heads/beads, "
               f"schema version {SCHEMA_VERSION}, with no database format to change")
    out = {"registered_migrations": [], "pending_migrations": [], "warnings": [],
           "invariants_to_check": [], "needs_migration": False,
           "current_state": {"backend": "git", "schema_version": SCHEMA_VERSION,
                             "issue_count": count, "db_exists": True},
           "inspect": inspect, "dry_run": dry_run, "message": message}
    if s.json:
        emit_json(out)
    else:
        line(message)


def register(group: click.Group) -> None:
    for command in (version_cmd, info_cmd, migrate_cmd):
        group.add_command(command)
