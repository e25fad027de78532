"""Gates: the rig's named check commands (setup, lint, test, build), each with a timeout.

A gate is a command line the rig's owner configured (`gates.<name>` in town.toml), run by
the shell in the Refinery's worktree; it passes when it exits 0 in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

ORDER = ("setup", "lint", "build", "test")
DEFAULT_TIMEOUT = 600.0


@dataclass
class GateResult:
    name: str
    passed: bool
    output: str
    reason: str = ""

    @property
    def tail(self) -> str:
        return "\n".join(self.output.strip().splitlines()[-20:])


def ordered(gates: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(gates.items(), key=lambda kv: (ORDER.index(kv[0]) if kv[0] in ORDER
                                                  else len(ORDER), kv[0]))


def run_gate(name: str, command: str, cwd: Path, timeout: float) -> GateResult:
    process = subprocess.Popen(command, shell=True, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               env={**os.environ, "GT_GATE": name})
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return GateResult(name, False, output, f"gate {name!r} timed out after {timeout:g}s")
    if process.returncode != 0:
        return GateResult(name, False, output,
                          f"gate {name!r} failed (exit status {process.returncode})")
    return GateResult(name, True, output)


def run_all(gates: dict[str, str], cwd: Path, timeouts: dict[str, float]) -> list[GateResult]:
    """Run gates in order, stopping at the first that fails."""
    results = []
    for name, command in ordered(gates):
        result = run_gate(name, command, cwd, timeouts.get(name, DEFAULT_TIMEOUT))
        results.append(result)
        if not result.passed:
            break
    return results
