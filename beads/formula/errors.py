"""The formula language's exception: one line naming the file, the line and the fix."""

from __future__ import annotations

from beads.errors import BeadsError


class FormulaError(BeadsError):
    """A formula that cannot be read, resolved or cooked; `file` and `line` say where."""

    code = "formula"

    def __init__(self, problem: str, fix: str = "", *, file: str | None = None,
                 line: int | None = None) -> None:
        where = file or ""
        if where and line:
            where = f"{where}:{line}"
        text = f"{where}: {problem}" if where else problem
        if fix:
            text = f"{text}; {fix}"
        super().__init__(" ".join(text.split()), file=file, line=line)
        self.file = file
        self.line = line
