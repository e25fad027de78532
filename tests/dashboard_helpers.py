"""Helpers for the dashboard's tests: a seeded town and `gt dashboard` as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gt.town import Town
from tests.gt_helpers import GT, _free_port, bd, gt, idle_agents, make_town, run, wait_for

HOSTILE = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> & \"q\""
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Served:
    town: Path
    url: str
    token: str
    process: subprocess.Popen[str]

    def post(self, action: str, body: dict, token: str | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"Content-Type": "application/json", "X-GT-Token": self.token
                if token is None else token, **(headers or {})}
        return httpx.post(f"{self.url}/api/{action}", content=json.dumps(body), headers=sent,
                          timeout=60)


def seed(town: Path) -> dict[str, str]:
    """A little of everything: ready, blocked and in-progress work, a convoy, an
    escalation, mail, a queued and a sent-back merge request, a hostile title."""
    rig = town / "proj"

    def create(where: Path, title: str, *args: str) -> str:
        return json.loads(bd(where, "create", title, *args, "--json").stdout)["id"]

    ids = {"ready": create(rig, "Ready work"), "hostile": create(rig, HOSTILE)}
    ids["blocked"] = create(rig, "Blocked work", "--deps", f"blocks:{ids['ready']}")
    ids["queued"] = create(rig, "Queued work")
    ids["sent_back"] = create(rig, "Sent back work")
    head = run(["git", "rev-parse", "main"], rig / ".repo.git").stdout.strip()
    run(["git", "update-ref", f"refs/mr/{ids['queued']}", head], rig / ".repo.git")
    ledger = Town(town).open_ledger(rig / ".repo.git")
    ledger.update_many("sent back by hand", {
        ids["sent_back"]: {"mr_state": "rejected", "rejections": 1, "mr_commit": head},
        ids["queued"]: {"mr_state": "pending", "mr_commit": head}})
    ids["escalation"] = create(town, "Gate keeps failing", "--labels", "escalation")
    ids["convoy"] = json.loads(gt(town, "convoy", "create", "Sample convoy", ids["ready"],
                                  ids["blocked"], "--json").stdout)["id"]
    gt(town, "mail", "send", "overseer", "-s", "Hello from the mayor", env={
        "GT_AGENT": "mayor"})
    return ids


@contextmanager
def dashboard(town: Path) -> Iterator[Served]:
    port = _free_port()
    process = subprocess.Popen([*GT, "dashboard", "--port", str(port)], cwd=town,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "GT_NO_TMUX": "1"})
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=30, what="the dashboard answering")
        token = (town / ".git" / "gt" / "dashboard.token").read_text().strip()
        yield Served(town, url, token, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def seeded_dashboard(base: Path) -> Iterator[Served]:
    """A town at `base` whose agents sleep on their work, seeded (`seed`; the ids on the
    server's `ids`), its dashboard served; the town is taken down afterwards."""
    town = make_town(base)
    idle_agents(town)
    ids = seed(town)
    with dashboard(town) as server:
        server.ids = ids  # type: ignore[attr-defined]
        yield server
    gt(town, "down", check=False)
