"""What bad input gets back from every `bd` command: one line on stderr (JSON with --json),
exit status 1 and nothing written; hostile text stays data. Both in-process and through a
real `bd` process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beads import Ledger
from tests.bd_helpers import invoke
from tests.conftest import run_bd, tip


@pytest.fixture
def small(repo: Path) -> Path:
    """A ledger with gt-ab1x depending on gt-ab2x, built through the Python API (fast)."""
    ledger = Ledger.init(repo, "gt", actor="alice")
    ledger.create("first", bead_id="gt-ab1x")
    ledger.create("second", bead_id="gt-ab2x")
    ledger.dep_add("gt-ab1x", "gt-ab2x")
    return repo


BAD_JSONL_LINE = '{"id": "gt-new1", "title": "fine"}\n{"id": "gt-new2", "title": \n'


BAD_INPUT: list[tuple[str, tuple[str, ...], str | None, str]] = [
    ("unknown id", ("show", "gt-zzzz"), None, "no bead matches 'gt-zzzz'"),
    ("unknown id on update", ("update", "zzzz", "--title", "x"), None, "no bead matches"),
    ("unknown id on close", ("close", "gt-nope"), None, "no bead matches"),
    ("ambiguous partial id", ("close", "ab"), None, "ambiguous: gt-ab1x, gt-ab2x"),
    ("ambiguous on show", ("show", "gt-ab"), None, "ambiguous: gt-ab1x, gt-ab2x"),
    ("priority out of range", ("create", "t", "-p", "7"), None, "invalid priority '7'"),
    ("priority word", ("create", "t", "-p", "high"), None, "invalid priority"),
    ("priority on update", ("update", "gt-ab1x", "-p", "P9"), None, "invalid priority"),
    ("status", ("update", "gt-ab1x", "-s", "weird"), None, "invalid status 'weird'"),
    ("status via --set", ("update", "gt-ab1x", "--set", "status=weird"), None,
     "invalid status"),
    ("type", ("create", "t", "-t", "nope"), None, "invalid type 'nope'"),
    ("type on update", ("update", "gt-ab1x", "-t", "nope"), None, "invalid type"),
    ("dep on missing bead", ("create", "t", "--deps", "blocks:gt-missing"), None,
     "no bead matches 'gt-missing'"),
    ("parent missing", ("create", "t", "--parent", "gt-missing"), None, "gt-missing"),
    ("dep add missing", ("dep", "add", "gt-ab1x", "gt-missing"), None, "gt-missing"),
    ("cycle", ("dep", "add", "gt-ab2x", "gt-ab1x"), None, "cycle"),
    ("self cycle", ("dep", "add", "gt-ab1x", "gt-ab1x"), None, "itself"),
    ("id with slash", ("create", "t", "--id", "a/b"), None, "invalid bead id 'a/b'"),
    ("id with dotdot", ("create", "t", "--id", "../x"), None, "invalid bead id"),
    ("id with inner dotdot", ("create", "t", "--id", "a..b"), None, "invalid bead id"),
    ("id with space", ("create", "t", "--id", "a b"), None, "invalid bead id"),
    ("id with tab", ("create", "t", "--id", "a\tb"), None, "invalid bead id"),
    ("id with newline", ("create", "t", "--id", "a\nb"), None, "invalid bead id"),
    ("id with ESC", ("create", "t", "--id", "a\x1b[2Jb"), None, "invalid bead id"),
    ("id with DEL", ("create", "t", "--id", "a\x7fb"), None, "invalid bead id"),
    ("show path id", ("show", "../../etc/passwd"), None, "invalid bead id"),
    ("update spaced id", ("update", "gt ab1x", "--title", "x"), None, "invalid bead id"),
    ("dep to path id", ("dep", "add", "gt-ab1x", "a/b"), None, "invalid bead id"),
    ("long title", ("create", "x" * 501), None, "limit is 500"),
    ("long title on update", ("update", "gt-ab1x", "--title", "y" * 501), None,
     "limit is 500"),
    ("bad JSONL on stdin", ("create", "--file", "-"), '{"title": "ok"}\n{oops\n',
     "stdin line 2: malformed JSON"),
    ("bad JSON array on stdin", ("create", "--file", "-"), '[{"title": "ok"}, {oops',
     "stdin: malformed JSON"),
    ("invalid bead in --file", ("create", "--file", "-"),
     '{"title": "ok"}\n{"title": "x", "priority": 9}\n', "invalid priority"),
    ("--file not an object", ("create", "--file", "-"), '[{"title": "ok"}, 3]',
     "stdin item 2: expected a JSON object"),
    ("malformed import line", ("import", "-"), BAD_JSONL_LINE, "line 2: malformed JSON"),
    ("invalid import line", ("import", "-"),
     '{"id": "gt-new1", "title": "a"}\n\n{"id": "gt-new2", "title": "b", "priority": 8}\n',
     "line 3: invalid priority"),
    ("import line with path id", ("import", "-"), '{"id": "../evil", "title": "a"}\n',
     "line 1: invalid bead id"),
    ("duplicate import ids", ("import", "-"),
     '{"id": "gt-new1", "title": "a"}\n{"id": "gt-new1", "title": "b"}\n',
     "also on line 1"),
    ("bad metadata", ("create", "t", "--metadata", "{nope"), None, "--metadata"),
    ("bad date", ("create", "t", "--due", "next tuesday"), None, "invalid due_at"),
    ("derived field", ("update", "gt-ab1x", "--set", "created_at=2020-01-01"), None,
     "set by the ledger"),
    ("bad label", ("label", "add", "gt-ab1x", "a,b"), None, "invalid label"),
    ("blank comment", ("comment", "add", "gt-ab1x", " "), None, "needs text"),
    ("close guard", ("close", "gt-ab1x"), None, "blocked by open gt-ab2x"),
    ("delete guard", ("delete", "gt-ab2x"), None, "gt-ab1x depend"),
    ("reopen open bead", ("reopen", "gt-ab1x"), None, "is not closed"),
    ("burn a bead", ("wisp", "burn", "gt-ab1x"), None, "not a wisp"),
    ("promote a bead", ("promote", "gt-ab1x"), None, "not a wisp"),
    ("config key", ("config", "set", "Bad Key", "x"), None, "invalid config key"),
    ("missing --file", ("create", "--file", "no-such-file.jsonl"), None, "cannot read"),
]


@pytest.mark.parametrize(("args", "stdin", "fragment"),
                         [pytest.param(a, s, f, id=name) for name, a, s, f in BAD_INPUT])
def test_bad_input_one_line_nonzero_nothing_written(small: Path, args: tuple[str, ...],
                                                    stdin: str | None, fragment: str) -> None:
    before = tip(small)
    result = invoke(small, *args, stdin=stdin)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bd: "), result.stderr
    assert fragment in lines[0]
    assert "\x1b" not in result.stderr
    assert tip(small) == before
    as_json = invoke(small, "--json", *args, stdin=stdin)
    assert as_json.exit_code == 1 and as_json.stdout == ""
    error = json.loads(as_json.stderr)
    assert fragment in error["error"] and error["code"]
    assert tip(small) == before


@pytest.mark.parametrize("name", ["unknown id", "ambiguous partial id", "id with ESC", "cycle",
                                  "bad JSONL on stdin", "malformed import line"])
def test_bad_input_from_a_real_process(small: Path, name: str) -> None:
    """The same as above through a real `bd` process: its stderr, exit status and ref."""
    [(args, stdin, fragment)] = [(a, s, f) for n, a, s, f in BAD_INPUT if n == name]
    before = tip(small)
    for extra in ((), ("--json",)):
        result = run_bd(small, *extra, *args, stdin=stdin)
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr
        assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
        if extra:
            assert fragment in json.loads(result.stderr)["error"]
    assert tip(small) == before


def test_ambiguous_id_json_error_lists_candidates(small: Path) -> None:
    result = run_bd(small, "show", "ab", "--json")
    assert result.returncode == 1
    error = json.loads(result.stderr)
    assert error["code"] == "ambiguous_id"
    assert "gt-ab1x" in error["error"] and "gt-ab2x" in error["error"]


def test_import_is_all_or_nothing(small: Path) -> None:
    before = tip(small)
    lines = [json.dumps({"id": f"gt-bulk{n}", "title": f"bulk {n}"}) for n in range(30)]
    lines[25] = lines[25][:-5]
    result = run_bd(small, "import", "-", stdin="\n".join(lines))
    assert result.returncode == 1 and "line 26" in result.stderr
    assert tip(small) == before
    assert len(json.loads(run_bd(small, "list", "--json", "--all").stdout)) == 2


def test_usage_error_with_json_is_json(small: Path) -> None:
    """With --json every error is JSON on stderr, also a malformed option value."""
    before = tip(small)
    result = run_bd(small, "update", "gt-ab1x", "--set", "no-equals-sign", "--json")
    assert result.returncode != 0 and result.stdout == ""
    error = json.loads(result.stderr)
    assert "FIELD=VALUE" in error["error"]
    assert tip(small) == before


def test_invalid_utf8_argument_is_a_clean_error(small: Path) -> None:
    """A title that is not UTF-8 (byte 0x9b in argv) gets one line, not a traceback."""
    before = tip(small)
    result = run_bd(small, "create", "bad \udc9b byte")  # argv carries the raw byte 0x9b
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bd: "), result.stderr
    assert tip(small) == before


HOSTILE = ("ok\nsecond line\r\x1b[31mred\x1b[0m\x1b]0;title\x07 ; rm -rf ~ $(touch pwned) "
           "`touch pwned` \u009b2J \u2028 end")


def test_hostile_title_stored_exactly_human_output_inert(small: Path) -> None:
    created = run_bd(small, "create", HOSTILE, "--json", "-l", "tag")
    assert created.returncode == 0, created.stderr
    bead = json.loads(created.stdout)
    assert bead["title"] == HOSTILE
    assert json.loads(run_bd(small, "show", bead["id"], "--json").stdout)["title"] == HOSTILE
    run_bd(small, "comment", "add", bead["id"], HOSTILE, check=True)
    run_bd(small, "update", bead["id"], "--append-notes", HOSTILE, "-d", HOSTILE, check=True)
    shown = json.loads(run_bd(small, "show", bead["id"], "--json").stdout)
    assert shown["comments"][0]["text"] == HOSTILE
    assert shown["notes"] == HOSTILE and shown["description"] == HOSTILE
    assert not (small / "pwned").exists()
    for args in (("list",), ("show", bead["id"]), ("search", "second"), ("ready",),
                 ("history", bead["id"]), ("comment", "list", bead["id"]),
                 ("update", bead["id"], "-p", "1"), ("label", "list")):
        result = run_bd(small, *args)
        assert result.returncode == 0, (args, result.stderr)
        out = result.stdout + result.stderr
        assert "second line" in out or args == ("label", "list"), args
        assert "\x1b" not in out and "\x07" not in out and "\u009b" not in out, args
        assert "\u2028" not in out and "\r" not in out, args
    listed = run_bd(small, "list").stdout
    row = next(r for r in listed.splitlines() if bead["id"] in r)
    assert "ok\\nsecond line" in row and "\\x1b[31mred" in row
