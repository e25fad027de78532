"""Pushing the town to open pages: one watcher thread (`gt.townview.watch`) wakes the hub
when refs move; the hub reads the town again (in a worker thread), draws the panels and
sends each page only the panels whose HTML changed. Nothing is polled."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import orjson

from gt.dashboard import activity, panels
from gt.town import Town
from gt.townview.ledgers import ledgers
from gt.townview.snapshot import read
from gt.townview.watch import TownWatch

DETAIL = 15  # beads per work list, messages in the mail panel


def snapshot(town: Town) -> dict[str, Any]:
    """The town as the dashboard shows it: the status snapshot, lists and activity."""
    views = ledgers(town)
    town_data = read(town, views, detail=DETAIL)
    town_data["activity"] = activity.recent(views)
    return town_data


class Hub:
    def __init__(self, town: Town) -> None:
        self.town = town
        self.clients: set[asyncio.Queue[bytes]] = set()
        self.drawn: dict[str, str] = {}
        self.version = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.changed = asyncio.Event()
        self.watch = TownWatch(town)
        self.task: asyncio.Task[None] | None = None
        self.thread: threading.Thread | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.drawn = panels.draw_all(await asyncio.to_thread(snapshot, self.town))
        self.watch.__enter__()
        self.thread = threading.Thread(target=self._watching, daemon=True)
        self.thread.start()
        self.task = asyncio.create_task(self._redraw_loop())

    async def stop(self) -> None:
        self.watch.close()
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    def _watching(self) -> None:
        while not self.watch.closed:
            if self.watch.wait(timeout=1.0) and self.loop is not None:
                self.loop.call_soon_threadsafe(self.changed.set)

    async def redraw(self) -> None:
        drawn = panels.draw_all(await asyncio.to_thread(snapshot, self.town))
        changed = {name: html for name, html in drawn.items() if self.drawn.get(name) != html}
        self.drawn = drawn
        if changed:
            self.version += 1
            message = b"data: " + orjson.dumps({"version": self.version,
                                                "panels": changed}) + b"\n\n"
            for queue in list(self.clients):
                queue.put_nowait(message)

    async def _redraw_loop(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            await self.redraw()

    def subscribe(self) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes]) -> None:
        self.clients.discard(queue)
