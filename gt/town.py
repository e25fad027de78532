"""The town as data and paths: a git repository with its own ledger (prefix `hq`),
`town.toml` and its rigs. Making one is set-up's job (`gt.setup.town`).

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
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from beads.errors import NotInitialized
from beads.gitdir import ROUTES_FILE
from gt import settings as town_settings
from gt.errors import GtError
from gt.git import commit_all
from gt.sessions import Backend, ExitWatch, choose_backend

if TYPE_CHECKING:
    from beads.ledger import Ledger

TOWN_FILE = "town.toml"
TOWN_PREFIX = "hq"
# The standing sessions that supervise the rest; when one ends, the session manager runs Boot.
REACTOR_SESSION = "gt-reactor"
DEACON_SESSION = "gt-deacon-loop"


class Town:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.settings = town_settings.load(self.root / TOWN_FILE)
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

    # ------------------------------------------------------------------ state

    @property
    def name(self) -> str:
        return self.settings.name

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

    def backend(self, no_tmux: bool | None = None) -> Backend:
        """Where this town's sessions run: tmux, or plain processes when tmux is missing, the
        town says so (`sessions = "process"`), $GT_NO_TMUX=1 or `no_tmux`."""
        if no_tmux is None:
            no_tmux = os.environ.get("GT_NO_TMUX") == "1" or self.settings.sessions == "process"
        return choose_backend(self.state_dir, self.socket, no_tmux=no_tmux,
                              exit_poke=self.session_poke, exit_watch=self.boot_watch)

    @property
    def boot_watch(self) -> ExitWatch:
        """Boot (`gt.supervision.deacon`), run by tmux's hook or the process wrapper when the
        reactor's or the Deacon's session ends: if both died, neither can restart the other."""
        return ExitWatch((REACTOR_SESSION, DEACON_SESSION),
                         (sys.executable, "-m", "gt.supervision.deacon", str(self.root)))

    @property
    def session_poke(self) -> Path:
        """The file a session's end is appended to, in the town ledger's `beads/` directory
        (which the reactor watches): the Witness then judges that agent at once."""
        return self.root / ".git" / "beads" / "sessions.poke"

    def open_ledger(self, path: Path, actor: str | None = None) -> Ledger:
        """A ledger of this town, opened once per path and actor for this process."""
        from beads import Ledger  # here: reads through the cache never load pygit2

        key = (str(path), actor or "gt")
        if key not in self._ledgers:
            # Imported here: pygit2 costs ~100 ms, and reads such as `gt prime` need none.
            from beads.ledger import Ledger

            self._ledgers[key] = Ledger(path, actor or "gt")
        return self._ledgers[key]

    def ledger(self, actor: str | None = None) -> Ledger:
        try:
            return self.open_ledger(self.root, actor)
        except NotInitialized as exc:
            raise GtError(f"the town's ledger is missing: {exc.message}") from None

    @property
    def settings_file(self) -> Path:
        return self.root / TOWN_FILE

    def save(self, message: str) -> None:
        """Check and write the settings, and commit them on the town's branch."""
        town_settings.save(self.settings, self.root / TOWN_FILE)
        commit_all(self.root, message)

    def rig_names(self) -> list[str]:
        return sorted(self.settings.rigs)

    def routes(self) -> dict[str, str]:
        """Bead-id prefix -> the ledger it routes to, relative to the town."""
        path = self.root / ROUTES_FILE
        return json.loads(path.read_text()) if path.exists() else {}

    def set_route(self, prefix: str, target: str | None) -> None:
        path = self.root / ROUTES_FILE
        routes = self.routes()
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
