"""Waiting for the town to change: watchdog on every ledger's refs (as the reactor watches
them), `packed-refs`, the git hook shims' poke file and the wisp overlay, and on the
reactor's cursor. A reader's own cache writes are not changes, so a view that redraws on
each change never wakes itself."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from gt.town import Town
from gt.townview.ledgers import ledgers

SETTLE = 0.02  # a burst of ref writes is one change
_QUIET = ("opened", "closed_no_write")
_WATCHED_NAMES = {"packed-refs", "reactor.poke", "wisps.index", "cursor.json"}


class _Handler(FileSystemEventHandler):
    def __init__(self, changed: threading.Event) -> None:
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _QUIET:
            return
        paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
        if any(_counts(Path(p)) for p in paths if p):
            self.changed.set()


def _counts(path: Path) -> bool:
    """A write under refs/, or to one of the few files that mean "the town moved"."""
    if path.name.endswith(".lock"):
        return False
    return "refs" in path.parts or path.name in _WATCHED_NAMES


class TownWatch:
    """`with TownWatch(town) as watch: while watch.wait(): redraw()`."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.changed = threading.Event()
        self.observer = Observer()
        self.watched: set[str] = set()
        self.closed = False

    def __enter__(self) -> TownWatch:
        self.rescan()
        self.observer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.observer.stop()
            self.observer.join(timeout=2)

    def rescan(self) -> None:
        """Watch ledgers added since (a rig cloned after the watch began)."""
        handler = _Handler(self.changed)
        places = [(self.town.state_dir / "reactor", False)]
        for view in ledgers(self.town):
            places += [(view.git_dir, False), (view.git_dir / "refs", True),
                       (view.git_dir / "beads", False)]
        for path, recursive in places:
            if str(path) in self.watched:
                continue
            path.mkdir(parents=True, exist_ok=True)
            self.observer.schedule(handler, str(path), recursive=recursive)
            self.watched.add(str(path))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the town changes (True) or `timeout` passes (False)."""
        if not self.changed.wait(timeout):
            return False
        time.sleep(SETTLE)
        self.changed.clear()
        self.rescan()
        return True
