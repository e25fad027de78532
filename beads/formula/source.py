"""Where a formula came from: its file and text, and the line a key or step id is on.

Lines are looked up only when an error is raised, so loading a large formula costs nothing
for them.
"""

from __future__ import annotations

import json
import re

from beads.formula.errors import FormulaError

TABLE_HEADER = re.compile(r"[ \t]*\[")


class Source:
    """The text of one formula (or overlay) file, in TOML or JSON."""

    def __init__(self, path: str, text: str, fmt: str) -> None:
        self.path = path
        self.text = text
        self.fmt = fmt

    def _line_at(self, pattern: str) -> int | None:
        match = re.search(pattern, self.text, re.MULTILINE)
        if match is None:
            return None
        return self.text.count("\n", 0, match.start()) + 1

    def _quoted(self, value: str) -> str:
        if self.fmt == "json":
            return re.escape(json.dumps(value))
        return "[\"']" + re.escape(value) + "[\"']"

    def line_of_value(self, key: str, value: str) -> int | None:
        """The first line where `key` is given the string `value` (`id = "x"`)."""
        if self.fmt == "json":
            return self._line_at(rf'"{re.escape(key)}"\s*:\s*{self._quoted(value)}')
        return self._line_at(
            rf"(?:^|[{{,])[ \t]*{re.escape(key)}[ \t]*=[ \t]*{self._quoted(value)}")

    def line_in_table(self, step_id: str, key: str = "") -> int | None:
        """The line of `key` in the table of the step with this id (else of its id)."""
        anchor = self.line_of_value("id", step_id)
        if anchor is None or self.fmt != "toml" or not key:
            return anchor
        lines = self.text.split("\n")
        start = anchor - 1
        while start > 0 and not TABLE_HEADER.match(lines[start]):
            start -= 1
        end = anchor
        while end < len(lines) and not TABLE_HEADER.match(lines[end]):
            end += 1
        setting = re.compile(rf"[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=")
        return next((i + 1 for i in range(start, end) if setting.match(lines[i])), anchor)

    def line_of_key(self, key: str) -> int | None:
        """The first line that sets `key` or opens a table named `key`."""
        name = re.escape(key)
        if self.fmt == "json":
            return self._line_at(rf'"{name}"\s*:')
        return (self._line_at(rf"^[ \t]*\[\[?[ \t]*(?:[\w.-]+\.)?{name}[ \t]*\]\]?")
                or self._line_at(rf"(?:^|[{{,])[ \t]*[\"']?{name}[\"']?[ \t]*="))

    def line_of_text(self, value: str) -> int | None:
        """The first line holding `value` as a quoted string (an entry of a list)."""
        return self._line_at(self._quoted(value))

    def error(self, problem: str, fix: str = "", line: int | None = None) -> FormulaError:
        return FormulaError(problem, fix, file=self.path, line=line)


def error_at(source: Source | None, problem: str, fix: str = "",
             line: int | None = None) -> FormulaError:
    """An error naming `source`'s file (when known) and `line`."""
    if source is None:
        return FormulaError(problem, fix)
    return source.error(problem, fix, line)
