"""`bd doctor` and `bd repair-deps`: check the ledger and its machinery, each failure with
its fix.

Checks: the history replays (`bd verify`), the cache is sound and current, no dependency
points at a missing bead, no blocking cycle, the merge driver is registered, every remote's
fetch refspec brings the ledger, every wisp's blob is present, the work tree has its
`.beads` link, and a ledger move made without bd reaches Beads' tools (bd's
reference-transaction hook, or gt's). `--fix` applies the fixes that need no judgement.
Beads' clients also ask for `--check=pollution` (test beads that leaked into real work;
`--clean --yes` deletes them) and `--check=validate` (the data checks alone).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import click

from beads import query
from beads.cli.context import handles_errors, json_option, settings
from beads.cli.output import emit_json, line, safe
from beads.errors import InvalidInput


@dataclass
class Check:
    name: str
    status: str = "ok"  # ok, warning or error
    message: str = ""
    fix: str = ""
    fixed: bool = False
    details: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "message": self.message,
                "fix": self.fix, "fixed": self.fixed, "details": self.details}


def orphans(db: Any) -> list[dict[str, str]]:
    """Dependencies whose target is no bead of this ledger (a `tracks` link into another
    ledger is not one: convoys track beads of other ledgers)."""
    prefix_of = {row[0].split("-", 1)[0] for row in db.execute("SELECT id FROM beads")}
    rows = db.execute("SELECT d.id, d.target, d.type FROM deps d LEFT JOIN beads t "
                      "ON t.id = d.target WHERE t.id IS NULL ORDER BY d.id, d.target")
    return [{"issue_id": bead, "depends_on_id": target, "type": kind}
            for bead, target, kind in rows
            if not (kind == "tracks" and target.split("-", 1)[0] not in prefix_of)]


def _remove_orphans(found: list[dict[str, str]]) -> int:
    ledger = settings().ledger()
    return sum(ledger.dep_remove(o["issue_id"], o["depends_on_id"], o["type"]) for o in found)


def _check_orphans(db: Any, fix: bool) -> Check:
    found = orphans(db)
    check = Check("dependencies", details=found)
    if found:
        check.status, check.message = "error", f"{len(found)} dependency(ies) on missing beads"
        check.fix = "bd repair-deps --fix"
        if fix:
            _remove_orphans(found)
            check.fixed = True
    else:
        check.message = "every dependency names a bead"
    return check


def _check_cycles(db: Any) -> Check:
    cycles = query.find_cycles(query.blocking_edges(db))
    check = Check("cycles", details=cycles)
    if cycles:
        check.status = "error"
        check.message = f"{len(cycles)} blocking cycle(s): nothing in them can become ready"
        check.fix = "bd dep rm A B on one link of each cycle (bd dep cycles lists them)"
    else:
        check.message = "no blocking cycles"
    return check


def _check_duplicates(db: Any) -> Check:
    rows = db.execute("SELECT lower(title), group_concat(id, ' ') FROM beads WHERE "
                      "status != 'closed' AND layer = 0 GROUP BY lower(title), issue_type "
                      "HAVING count(*) > 1 ORDER BY 1").fetchall()
    groups = [ids.split(" ") for _, ids in rows]
    check = Check("duplicates", details=groups)
    if groups:
        check.status = "warning"
        check.message = f"{len(groups)} group(s) of open beads with the same title and type"
        check.fix = "bd close DUPLICATE --reason 'duplicate of ID' for each extra one"
    else:
        check.message = "no open beads share a title"
    return check


def _check_verify() -> Check:
    from beads.verify import verify

    ledger = settings().ledger()
    report = verify(ledger.repo, ledger.db())
    check = Check("verify", details=report.problems + report.junk)
    if report.ok:
        check.message = f"{report.commits} commits replay to the stored trees"
    else:
        check.status = "error"
        check.message = "the history does not replay to the stored trees"
        check.fix = "bd verify names the first divergence; restore the branch from a clone"
    return check


def _check_cache(fix: bool) -> Check:
    reader = settings().reader()
    check = Check("cache")
    try:
        reader.current()
        result = reader.db.execute("PRAGMA quick_check").fetchone()[0]
    except Exception as exc:  # a damaged file raises sqlite3 errors of several kinds
        result = str(exc)
    if result == "ok":
        check.message = "the read cache is sound and current"
        return check
    check.status, check.message, check.fix = "error", f"cache: {result}", "bd cache rebuild"
    if fix:
        reader.rebuild()
        check.fixed = True
    return check


def _git_config(common_dir: Any, *args: str) -> list[str]:
    done = subprocess.run(["git", "--git-dir", str(common_dir), "config", *args],
                          capture_output=True, text=True)
    return done.stdout.split("\n")[:-1] if done.returncode == 0 else []


def _check_merge_driver(fix: bool) -> Check:
    from beads import mergedriver

    common = settings().dirs().common_dir
    attributes = common / "info" / "attributes"
    present = attributes.read_text().splitlines() if attributes.exists() else []
    check = Check("merge driver")
    if _git_config(common, "--get", "merge.beads.driver") and \
            all(x in present for x in mergedriver.ATTRIBUTES):
        check.message = "a raw git merge of the beads branch uses bd's merge driver"
        return check
    check.status = "warning"
    check.message = "bd's merge driver is not registered: a raw git merge may conflict"
    check.fix = "bd doctor --fix (or bd init again)"
    if fix:
        mergedriver.install(common)
        check.fixed = True
    return check


def _covers_ledger(refspec: str) -> bool:
    source = refspec.lstrip("+").split(":", 1)[0]
    return source in ("refs/heads/*", "refs/heads/beads")


def _check_refspecs(fix: bool) -> Check:
    common = settings().dirs().common_dir
    remotes = [r for r in subprocess.run(["git", "--git-dir", str(common), "remote"],
                                         capture_output=True, text=True).stdout.split() if r]
    missing = [r for r in remotes
               if not any(_covers_ledger(x) for x in
                          _git_config(common, "--get-all", f"remote.{r}.fetch"))]
    check = Check("refspecs", details=missing)
    if not missing:
        check.message = (f"a plain git fetch of {', '.join(remotes)} brings the ledger"
                         if remotes else "no remotes")
        return check
    check.status = "warning"
    check.message = f"git fetch {missing[0]} does not bring the beads branch (bd sync still does)"
    check.fix = " && ".join(f"git config --add remote.{r}.fetch "
                            f"+refs/heads/beads:refs/remotes/{r}/beads" for r in missing)
    if fix:
        for remote in missing:
            _git_config(common, "--add", f"remote.{remote}.fetch",
                        f"+refs/heads/beads:refs/remotes/{remote}/beads")
        check.fixed = True
    return check


def _check_wisps() -> Check:
    _, problems = settings().ledger().overlay.read()
    check = Check("wisp blobs", details=problems)
    if problems:
        check.status = "error"
        check.message = f"{len(problems)} wisp(s) cannot be read (their blobs were pruned)"
        check.fix = "bd wisp burn ID for each (a wisp was never history: nothing else is lost)"
    else:
        check.message = "every wisp's blob is present"
    return check


def _check_workspace(fix: bool) -> Check:
    from beads import workspace

    dirs = settings().dirs()
    check = Check("workspace link")
    if workspace.link_path(dirs) is not None or workspace.work_tree(dirs) is None:
        check.message = ".beads links this work tree to the ledger for Beads' tools"
        return check
    check.status = "warning"
    check.message = "no .beads link: Beads' tools (beads-mcp, beads-ui) will not find the ledger"
    check.fix = "bd doctor --fix (or bd init again)"
    if fix:
        link, what = workspace.ensure(dirs)
        check.fixed = link is not None
        check.details = [what]
    return check


def _check_watch_hook(fix: bool) -> Check:
    from beads import watchhook, workspace

    dirs = settings().dirs()
    check = Check("watch hook")
    if workspace.link_path(dirs) is None:
        check.message = "no .beads link, so no watcher to tell"
        return check
    current, directory = watchhook.state(dirs)
    if current in (watchhook.INSTALLED, watchhook.BY_GT):
        who = "bd's" if current == watchhook.INSTALLED else "gt's"
        check.message = f"{who} {watchhook.HOOK_NAME} hook tells Beads' tools of ledger moves"
        return check
    check.status = "warning"
    if current == watchhook.UNREACHABLE:
        check.message = (f"the hooks directory {directory} is inside the work tree: a ledger "
                         "move made without bd (git fetch, merge) reaches Beads' tools only "
                         "at bd's next write")
        check.fix = (f"in your own {watchhook.HOOK_NAME} hook, after a committed transaction "
                     "naming refs/heads/beads, rewrite <git common dir>/beads/workspace/"
                     "last-change")
        return check
    check.message = ("a ledger move made without bd (git fetch, merge, update-ref) does not "
                     "reach Beads' tools until bd's next write")
    check.fix = "bd doctor --fix (adds bd's hook; an existing hook is kept and runs first)"
    if fix:
        check.fixed, what = watchhook.install(dirs)
        check.details = [what]
    return check


_TEST_TITLE = re.compile(r"^\s*(test|testing|tmp|dummy|foo|bar|asdf)\b[\s:_-]*\S*", re.I)


def pollution(db: Any) -> list[dict[str, str]]:
    """Open beads that look like test data: a title that is only 'test…', 'tmp…' and the like,
    or a `test` label."""
    out = []
    rows = db.execute("SELECT b.id, b.title, (SELECT 1 FROM labels l WHERE l.id = b.id AND "
                      "l.label = 'test') FROM beads b WHERE b.layer = 0 ORDER BY b.id")
    for bead_id, title, labelled in rows:
        words = (title or "").split()
        if labelled:
            out.append({"id": bead_id, "title": title, "reason": "labelled test"})
        elif _TEST_TITLE.match(title or "") and len(words) <= 3:
            out.append({"id": bead_id, "title": title, "reason": "title looks like test data"})
    return out


def _emit(report: dict[str, Any], lines: list[str], failed: bool) -> None:
    if settings().json:
        emit_json(report)
    else:
        for text in lines:
            line(text)
    if failed:
        errors = sum(1 for c in report.get("checks", []) if c["status"] == "error"
                     and not c.get("fixed"))
        sys.stderr.write(f"bd: doctor: {errors} check(s) failed\n")
        sys.exit(1)


@click.command()
@click.option("--check", "only", type=click.Choice(["pollution", "validate"]),
              help="Run one of Beads' checks alone.")
@click.option("--fix", is_flag=True, help="Apply the fixes that need no judgement.")
@click.option("--clean", is_flag=True, help="With --check=pollution: delete what it finds.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before deleting.")
@json_option
@handles_errors
def doctor(only: str | None, fix: bool, clean: bool, yes: bool) -> None:
    """Check the ledger and its machinery; each failure comes with its fix."""
    s = settings()
    if only == "pollution":
        found = pollution(s.db())
        deleted: list[str] = []
        if clean and found:
            if not yes:
                raise InvalidInput("--clean deletes beads: add --yes to confirm")
            deleted = s.ledger().delete([f["id"] for f in found], force=True)
        report = {"check": "pollution", "count": len(found), "suspects": found,
                  "deleted": deleted, "deleted_count": len(deleted)}
        text = [f"{safe(f['id'])}: {safe(f['title'])} ({f['reason']})" for f in found]
        _emit(report, text or ["no test beads found"], failed=False)
        return
    db = s.db()
    checks = [_check_orphans(db, fix), _check_cycles(db), _check_duplicates(db)]
    if only is None:
        checks += [_check_verify(), _check_cache(fix), _check_merge_driver(fix),
                   _check_refspecs(fix), _check_wisps(), _check_workspace(fix),
                   _check_watch_hook(fix)]
    failed = any(c.status == "error" and not c.fixed for c in checks)
    report = {"check": only or "all", "ok": not failed,
              "checks": [c.to_dict() for c in checks]}
    text = []
    for c in checks:
        mark = {"ok": "✓", "warning": "!", "error": "✗"}[c.status]
        text.append(f"{mark} {c.name}: {safe(c.message)}")
        if c.status != "ok":
            text.append("    fixed" if c.fixed else f"    fix: {safe(c.fix)}")
    # A single check is a query its caller reads; the whole doctor fails on unfixed errors.
    _emit(report, text, failed=failed and only is None)


@click.command("repair-deps")
@click.option("--fix", is_flag=True, help="Remove the dependencies on missing beads.")
@json_option
@handles_errors
def repair_deps(fix: bool) -> None:
    """Find dependencies on beads that do not exist (and, with --fix, remove them)."""
    s = settings()
    found = orphans(s.db())
    removed = _remove_orphans(found) if fix and found else 0
    if s.json:
        emit_json({"orphans_found": len(found), "orphans": found, "fixed": removed})
        return
    for o in found:
        line(f"{safe(o['issue_id'])} -> {safe(o['depends_on_id'])} ({safe(o['type'])})")
    line(f"{len(found)} orphaned dependency(ies)" + (f", {removed} removed" if fix else ""))


def register(group: click.Group) -> None:
    group.add_command(doctor)
    group.add_command(repair_deps)
