"""`bd init`, `verify`, `export`, `import`, `config`, `cache`, `sync` and `resolve-merge`: the
ledger as a whole."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from beads import gitdir
from beads.adopt import fetch_remote_ledger
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe
from beads.errors import InvalidInput


@click.command()
@click.option("--prefix", "-p", default="bd", show_default=True,
              help="Prefix of bead ids (gt makes gt-7k2mq).")
@click.option("--non-interactive", is_flag=True, help="Never ask (bd init never does).")
@click.option("--skip-agents", is_flag=True,
              help="Accepted for Beads' tools: bd init writes no agent instructions anyway.")
@click.option("--skip-hooks", is_flag=True,
              help="Add no git hook (bd's reference-transaction hook tells Beads' tools when "
                   "the ledger moves without bd).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@json_option
@handles_errors
def init(prefix: str, non_interactive: bool, skip_agents: bool, skip_hooks: bool,
         quiet: bool) -> None:
    """Create the ledger on this repository's `beads` branch (the work tree is untouched but
    for an untracked, git-excluded `.beads` link for Beads' tools, whose watchers a small git
    hook tells of ledger moves made without bd). Outside a git repository, the current
    directory becomes one first. A ledger already here, or a remote's that a clone adopts, is
    kept: never a second root."""
    from beads import watchhook, workspace
    from beads.errors import NotInitialized
    from beads.ledger import Ledger

    s = settings()
    made_repo = None
    try:
        gitdir.find(s.repo)
    except NotInitialized:
        import pygit2

        from beads.ids import check_prefix

        check_prefix(prefix)
        made_repo = Path(s.repo or os.environ.get("BEADS_WORKING_DIR") or os.getcwd())
        if made_repo.name == workspace.LINK_NAME:
            made_repo = made_repo.parent
        made_repo.mkdir(parents=True, exist_ok=True)
        pygit2.init_repository(str(made_repo))
        s.repo = str(made_repo)
    dirs = s.dirs()
    chosen = click.get_current_context().get_parameter_source("prefix")
    if gitdir.read_ref(dirs.common_dir) is not None and chosen is ParameterSource.DEFAULT:
        prefix = s.ledger().prefix
    ledger = Ledger.init(s.repo, prefix, s.actor)
    tip = str(ledger.store.tip())
    link, link_note = workspace.ensure(ledger.dirs)
    hook_ok, hook_note = True, None
    if link is not None and not skip_hooks:
        hook_ok, hook_note = watchhook.install(ledger.dirs)
    if s.json:
        emit_json({"prefix": prefix, "ref": "refs/heads/beads", "tip": tip,
                   "database": str(ledger.dirs.common_dir),
                   "git_repository_created": str(made_repo) if made_repo else None,
                   "workspace": str(link) if link else None, "workspace_note": link_note,
                   "watch_hook": hook_note,
                   "message": f"ledger ready: prefix {prefix}"})
    elif not quiet:
        if made_repo is not None:
            line(f"initialized a git repository in {safe(made_repo)}")
        line(f"ledger ready: prefix {prefix}, refs/heads/beads at {tip[:10]}")
        if link is None and workspace.work_tree(ledger.dirs) is not None:
            line(f"note: {safe(link_note)}")
        if not hook_ok:
            line(f"note: {safe(hook_note)}")


def _progress(label: str):  # type: ignore[no-untyped-def]
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{label}: {done}/{total}", err=True, nl=False)

    return report


@click.command()
@json_option
@handles_errors
def verify() -> None:
    """Replay every event from the root and check the tree of each commit against it."""
    from beads.verify import verify as run

    s = settings()
    ledger = s.ledger()
    report = run(ledger.repo, ledger.db(), _progress("verifying commits"))
    if s.json:
        emit_json(report.to_dict())
    else:
        if sys.stderr.isatty():
            click.echo("", err=True)
        state = "ok" if report.ok else "FAILED"
        line(f"verify {state}: {report.commits} commits, {report.events} events, "
             f"{report.beads} bead files")
        if report.first_divergence:
            d = report.first_divergence
            line(f"first divergence at {d['commit'][:10]} ({safe(d['summary'])}): {d['reason']}")
            for path in d["paths"]:
                line(f"  {safe(path)}")
        for problem in report.problems + report.junk:
            line(f"  problem: {safe(problem)}")
        for cycle in report.cycles:
            line(f"  dependency cycle: {' -> '.join(safe(x) for x in cycle)}")
    if not report.ok:
        sys.exit(1)


@click.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@handles_errors
def export_cmd(output: str | None) -> None:
    """Write every bead as Beads' JSONL (one issue per line)."""
    from beads.jsonl import write_export

    ledger = settings().ledger()
    if output:
        with open(output, "wb") as out:
            count = write_export(ledger, out)
        click.echo(f"exported {count} beads to {output}", err=True)
    else:
        write_export(ledger, sys.stdout.buffer)


@click.command("import")
@click.argument("source", type=click.Path(allow_dash=True, dir_okay=False))
@json_option
@handles_errors
def import_cmd(source: str) -> None:
    """Import Beads' JSONL (a file, or - for stdin): all lines or none."""
    from beads.jsonl import import_records, parse_lines

    s = settings()
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {source}: {exc}") from None
    counts = import_records(s.ledger(), parse_lines(text.split("\n")))
    if s.json:
        emit_json(counts)
    else:
        line(f"imported: {counts['created']} created, {counts['updated']} updated, "
             f"{counts['unchanged']} unchanged")


@click.group()
def config() -> None:
    """Ledger settings shared by every clone (custom statuses, types, dependency types)."""


@config.command("set")
@click.argument("key")
@click.argument("value")
@handles_errors
def config_set(key: str, value: str) -> None:
    """Set KEY (e.g. status.custom "review,qa") to VALUE."""
    settings().ledger().config_set(key, value)


@config.command("unset")
@click.argument("key")
@handles_errors
def config_unset(key: str) -> None:
    settings().ledger().config_set(key, None)


@config.command("list")
@json_option
@handles_errors
def config_list() -> None:
    s = settings()
    values = s.ledger().config()
    if s.json:
        emit_json({"config": values})
    else:
        for key, value in sorted(values.items()):
            line(f"{key} = {safe(value)}")


@click.group()
def cache() -> None:
    """The local read cache (always safe to delete)."""


@cache.command("rebuild")
@json_option
@handles_errors
def cache_rebuild() -> None:
    """Throw the cache away and rebuild it from the ledger."""
    import time

    s = settings()
    reader = s.reader()
    started = time.perf_counter()
    reader.rebuild(_progress("caching beads"))
    count = reader.db.execute("SELECT count(*) FROM beads").fetchone()[0]
    seconds = round(time.perf_counter() - started, 3)
    if s.json:
        emit_json({"beads": count, "seconds": seconds})
    else:
        line(f"cache rebuilt: {count} beads in {seconds}s")


@click.command("sync")
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
@json_option
@handles_errors
def sync_cmd(remote: str) -> None:
    """Fetch the remote's ledger, merge it deterministically, push the result (with a lease)."""
    from beads.sync import sync

    s = settings()
    dirs = s.dirs()
    if gitdir.read_ref(dirs.common_dir) is None:
        fetch_remote_ledger(dirs, remote)
    report = sync(s.ledger(), remote)
    if s.json:
        emit_json(report.to_dict())
    else:
        line(f"{remote}: {report.action}; {report.events_in} event(s) in, "
             f"{report.events_out} out")
        for note in report.notes:
            line(f"  {safe(note)}")


@click.command("resolve-merge")
@json_option
@handles_errors
def resolve_merge() -> None:
    """Finish a raw `git merge` of the checked-out beads branch with the replay merge's tree
    (when the merge driver stopped on twin ids)."""
    from beads.mergedriver import resolve

    s = settings()
    commit = resolve(s.ledger().repo)
    if s.json:
        emit_json({"commit": commit})
    else:
        line(f"merge concluded: {commit[:10]}")


def register(group: click.Group) -> None:
    for command in (init, verify, export_cmd, import_cmd, config, cache, sync_cmd,
                    resolve_merge):
        group.add_command(command)
