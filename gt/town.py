"""The town: a git repository with its own ledger (prefix `hq`), `town.toml` and its rigs.

Layout (local-only state lives under the town's git dir, never committed):

    <town>/town.toml            config: rigs, runtimes, role -> runtime choices
    <town>/.beads-routes.json   bead-id prefix -> ledger, so ids resolve anywhere in the town
    <town>/mayor/ deacon/       working dirs of the town-level agents
    <town>/<rig>/               one directory per rig (see gt.rig)
    <town>/.git/gt/             sessions, logs, queued nudges
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path
from typing import Any

from beads import Ledger
from beads.errors import NotInitialized
from beads.gitdir import ROUTES_FILE
from beads.model import check_utf8
from gt import githooks, tomlfile
from gt.agents import Address, ensure_agent
from gt.errors import GtError
from gt.git import commit_all, git, track_remote

TOWN_FILE = "town.toml"
TOWN_PREFIX = "hq"
GITIGNORE = "# rigs' clones, worktrees and sandboxes are local to each machine\n" \
            "*/.repo.git/\n*/refinery/\n*/polecats/\n*/crew/\n"


class Town:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.config: dict[str, Any] = tomlfile.load(self.root / TOWN_FILE)
        self._ledgers: dict[tuple[str, str], Ledger] = {}

    # ------------------------------------------------------------------ finding

    @classmethod
    def find(cls, start: Path | None = None) -> Town:
        """The town around `start` ($GT_TOWN, else the current directory)."""
        env = os.environ.get("GT_TOWN")
        here = Path(start or env or os.getcwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / TOWN_FILE).is_file() and (candidate / ".git").exists():
                return cls(candidate)
        raise GtError(f"not in a town: {here} (make one with `gt install <dir>`)")

    @classmethod
    def install(cls, path: Path, name: str | None = None, remote: str | None = None) -> Town:
        """Make a town at `path` (an existing town is left as it is), tracking `remote` as
        its origin when given; when the remote already holds a town, join it instead."""
        root = path.resolve()
        if (root / TOWN_FILE).is_file() and (root / ".git").exists():
            town = cls(root)
            town.settle()
            town._set_origin(remote)
            return town
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise GtError(f"refusing to install a town in {root}: the directory is not empty "
                          "and is not a town")
        check_utf8(name or root.name, "the town's name")
        if remote is not None:
            from gt import sharing

            if sharing.holds_town(remote):
                return sharing.join(root, remote)
        root.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "-b", "main", str(root))
        config = {"town": {"name": name or root.name, "default_agent": "scripted"}}
        tomlfile.save(root / TOWN_FILE, config)
        (root / ".gitignore").write_text(GITIGNORE)
        (root / ROUTES_FILE).write_text(json.dumps({TOWN_PREFIX: "."}, indent=2) + "\n")
        for agent_dir in ("mayor", "deacon"):
            (root / agent_dir).mkdir(exist_ok=True)
            (root / agent_dir / ".gitkeep").touch()
        commit_all(root, "gt install: new town")
        town = cls(root)
        town.settle()
        town._set_origin(remote)
        return town

    def settle(self) -> None:
        """The town's ledger, its own agents and the git hooks, made where missing."""
        self._ensure_ledger()
        githooks.install(self.root / ".git")

    def _set_origin(self, url: str | None) -> None:
        if url is None:
            return
        known = git("remote", "get-url", "origin", cwd=self.root, check=False)
        if known.returncode != 0:
            git("remote", "add", "origin", url, cwd=self.root)
        elif known.stdout.strip() != url:
            git("remote", "set-url", "origin", url, cwd=self.root)
        track_remote(self.root / ".git", "origin")

    def _ensure_ledger(self) -> None:
        from gt.reactor.run import start_cursors

        ledger = Ledger.init(self.root, TOWN_PREFIX, actor="gt")
        for role in ("mayor", "deacon"):
            ensure_agent(ledger, Address(role))
        start_cursors(self)

    # ------------------------------------------------------------------ state

    @property
    def name(self) -> str:
        return str(self.config.get("town", {}).get("name", self.root.name))

    @property
    def state_dir(self) -> Path:
        path = self.root / ".git" / "gt"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def machine(self) -> str:
        """This machine's name in the town (local, never committed): agents homed here are
        the ones this machine's reactor starts and nudges."""
        try:
            name = (self.state_dir / "machine").read_text().strip()
        except FileNotFoundError:
            name = ""
        return name or socket.gethostname()

    def set_machine(self, name: str) -> None:
        (self.state_dir / "machine").write_text(name + "\n")

    @property
    def socket(self) -> str:
        """The tmux socket name of this town: one server per town."""
        return "gt-" + hashlib.sha1(str(self.root).encode()).hexdigest()[:10]

    def open_ledger(self, path: Path, actor: str | None = None) -> Ledger:
        """A ledger of this town, opened once per path and actor for this process."""
        key = (str(path), actor or "gt")
        if key not in self._ledgers:
            self._ledgers[key] = Ledger(path, actor or "gt")
        return self._ledgers[key]

    def ledger(self, actor: str | None = None) -> Ledger:
        try:
            return self.open_ledger(self.root, actor)
        except NotInitialized as exc:
            raise GtError(f"the town's ledger is missing: {exc.message}") from None

    def save(self, message: str) -> None:
        tomlfile.save(self.root / TOWN_FILE, self.config)
        commit_all(self.root, message)

    def rig_names(self) -> list[str]:
        return sorted(self.config.get("rigs", {}))

    def set_route(self, prefix: str, target: str | None) -> None:
        path = self.root / ROUTES_FILE
        routes = json.loads(path.read_text()) if path.exists() else {}
        if target is None:
            routes.pop(prefix, None)
        else:
            routes[prefix] = target
        path.write_text(json.dumps(routes, indent=2, sort_keys=True) + "\n")

    def ledger_for(self, bead_id: str, actor: str | None = None) -> Ledger:
        """The ledger that a bead id's prefix routes to."""
        prefix = bead_id.split("-", 1)[0]
        routes = json.loads((self.root / ROUTES_FILE).read_text())
        if prefix not in routes:
            raise GtError(f"no ledger in this town for prefix {prefix!r} ({bead_id})")
        return self.open_ledger(self.root / routes[prefix], actor)
