"""The town's settings: `town.toml` parses and checks (read before anything else), and the
runtime each role would start with exists."""

from __future__ import annotations

from gt.doctor.finding import Finding, Options, ok, problem
from gt.errors import GtError
from gt.runtimes import presets
from gt.settings import ROLES
from gt.town import Town


def check(town: Town, options: Options) -> list[Finding]:
    found = []
    for role in ROLES:
        try:
            runtime = presets.choose(town.settings, role)
        except GtError as error:
            found.append(problem("town settings", f"agents.{role}", error.message,
                                 "gt config role-agent, or gt config agent set"))
            continue
        found.append(ok("town settings", f"agents.{role}", f"runs {runtime.name}"))
    return found
