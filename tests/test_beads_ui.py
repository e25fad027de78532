"""Beads' web UI (beads-ui, installed unchanged into .npm-tools/ by ./tasks) runs on our `bd`.

Its server starts on 127.0.0.1 in a real workspace; a websocket client (tests/bdui_client.mjs,
using the `ws` package from beads-ui's own node_modules) speaks its protocol: every list
subscription and every mutation of its server/ws.js, each result checked with `bd show --json`
in another process. The live cases: a `bd create` in another process, and a `git fetch` +
`git merge` of another clone's ledger with no bd at all, reach a subscribed client through
beads-ui's watcher of `.beads/`, with no request from the client.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, run_bd

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / ".npm-tools" / "node_modules"
SERVER = NODE_MODULES / "beads-ui" / "server" / "index.js"
CLIENT = Path(__file__).with_name("bdui_client.mjs")

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="beads-ui needs node: not found"),
    pytest.mark.skipif(not SERVER.is_file(), reason="beads-ui is not installed in .npm-tools/ "
                       "(./tasks installs it when npm is available)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def show(workspace: Path, bead_id: str) -> dict[str, Any]:
    return json.loads(run_bd(workspace, "show", bead_id, "--json", check=True).stdout)


def new(workspace: Path, *args: str) -> str:
    return run_bd(workspace, "create", *args, "--silent", check=True).stdout.strip()


class Client:
    """One websocket connection to the UI server, through the node client process."""

    def __init__(self, url: str) -> None:
        env = {**os.environ, "BDUI_NODE_MODULES": str(NODE_MODULES)}
        self.process = subprocess.Popen(["node", str(CLIENT), url], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)
        self.frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.counter = 0
        assert self._next(10)["type"] == "client-open"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            self.frames.put(json.loads(text))

    def _next(self, timeout: float) -> dict[str, Any]:
        return self.frames.get(timeout=timeout)

    def request(self, kind: str, payload: Any = None, timeout: float = 30) -> dict[str, Any]:
        """Send a request; return its reply (pushed events on the way are kept)."""
        self.counter += 1
        rid = f"req-{self.counter}"
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"id": rid, "type": kind, "payload": payload})
                                 + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            frame = self._next(max(0.01, deadline - time.monotonic()))
            if frame.get("id") == rid:
                return frame
            self.events.append(frame)

    def ok(self, kind: str, payload: Any = None) -> Any:
        reply = self.request(kind, payload)
        assert reply["ok"], reply
        return reply["payload"]

    def wait_event(self, match: Callable[[dict[str, Any]], bool], timeout: float) -> float:
        """Seconds until a pushed frame matches (frames already received count at once)."""
        started = time.monotonic()
        while True:
            for frame in self.events:
                if match(frame):
                    return time.monotonic() - started
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                raise AssertionError(f"no matching event in {timeout}s: {self.events[-5:]}")
            try:
                self.events.append(self._next(left))
            except queue.Empty:
                continue

    def subscribe(self, sub_id: str, kind: str, **params: Any) -> list[dict[str, Any]]:
        """Subscribe; return the snapshot's issues (the snapshot precedes the reply)."""
        payload: dict[str, Any] = {"id": sub_id, "type": kind}
        if params:
            payload["params"] = params
        self.ok("subscribe-list", payload)
        snapshots = [e for e in self.events if e.get("type") == "snapshot"
                     and e["payload"]["id"] == sub_id]
        assert snapshots, f"no snapshot for {kind}"
        return snapshots[-1]["payload"]["issues"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def workspace(repo: Path) -> Path:
    run_bd(repo, "init", "--prefix", "ui", check=True)
    return repo


@pytest.fixture
def ui(workspace: Path, tmp_path: Path) -> Iterator[Client]:
    """beads-ui's server in the workspace, with our bd first on PATH; a client connected."""
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "HOME": str(tmp_path / "home")}
    server = subprocess.Popen(["node", str(SERVER), "--host", "127.0.0.1", "--port", str(port)],
                              cwd=workspace, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    banner = []
    for text in server.stdout:
        banner.append(text)
        if "listening" in text:
            break
    assert any(".beads" in text for text in banner), banner  # it found our workspace
    threading.Thread(target=server.stdout.read, daemon=True).start()
    client = Client(f"ws://127.0.0.1:{port}/ws")
    try:
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def test_every_subscription(workspace: Path, ui: Client) -> None:
    epic = new(workspace, "Epic", "-t", "epic")
    child = new(workspace, "Child", "--parent", epic)
    done = new(workspace, "Done child", "--parent", epic)
    run_bd(workspace, "close", done, check=True)
    gate = new(workspace, "Gate", "-p", "1")
    held = new(workspace, "Held", "--deps", gate)
    busy = new(workspace, "Busy")
    run_bd(workspace, "update", busy, "--status", "in_progress", check=True)

    every = ui.subscribe("all", "all-issues")
    assert ids(every) == {epic, child, gate, held, busy}
    counts = {i["id"]: (i["dependency_count"], i["dependent_count"]) for i in every}
    assert counts[held] == (1, 0) and counts[gate] == (0, 1) and counts[epic] == (0, 2)

    epics = ui.subscribe("epics", "epics")
    assert [(e["id"], e["total_children"], e["closed_children"], e["eligible_for_close"])
            for e in epics] == [(epic, 2, 1, False)]
    assert ids(ui.subscribe("blocked", "blocked-issues")) == {held}
    assert ids(ui.subscribe("ready", "ready-issues")) == {epic, child, gate}
    assert ids(ui.subscribe("busy", "in-progress-issues")) == {busy}
    assert ids(ui.subscribe("closed", "closed-issues")) == {done}
    assert ids(ui.subscribe("closed-since", "closed-issues", since=1)) == {done}

    [detail] = ui.subscribe("detail", "issue-detail", id=held)
    assert [(d["id"], d["title"], d["dependency_type"]) for d in detail["dependencies"]] == [
        (gate, "Gate", "blocks")]
    [gate_detail] = ui.subscribe("gate", "issue-detail", id=gate)
    assert [(d["id"], d["title"]) for d in gate_detail["dependents"]] == [(held, "Held")]

    assert ui.ok("unsubscribe-list", {"id": "detail"}) == {"id": "detail", "unsubscribed": True}


def test_every_mutation(workspace: Path, ui: Client) -> None:
    a = new(workspace, "Alpha")
    b = new(workspace, "Beta")
    assert "ts" in ui.ok("ping")

    assert ui.ok("update-status", {"id": a, "status": "in_progress"})["status"] == "in_progress"
    assert show(workspace, a)["status"] == "in_progress"
    assert ui.ok("update-priority", {"id": a, "priority": 0})["priority"] == 0
    assert show(workspace, a)["priority"] == 0
    hostile = "line one\n$(touch pwned) `id` ; 'q' \"dq\""
    for field, key in (("title", "title"), ("description", "description"),
                       ("acceptance", "acceptance_criteria"), ("notes", "notes"),
                       ("design", "design")):
        shown = ui.ok("edit-text", {"id": a, "field": field, "value": f"{field}: {hostile}"})
        assert shown[key] == f"{field}: {hostile}"
        assert show(workspace, a)[key] == f"{field}: {hostile}"
    assert not (workspace / "pwned").exists()
    assert ui.ok("update-assignee", {"id": a, "assignee": "dana"})["assignee"] == "dana"
    assert show(workspace, a)["assignee"] == "dana"
    ui.ok("update-assignee", {"id": a, "assignee": ""})
    assert show(workspace, a).get("assignee") is None

    shown = ui.ok("dep-add", {"a": a, "b": b})
    assert [(d["id"], d["dependency_type"]) for d in shown["dependencies"]] == [(b, "blocks")]
    assert [d["depends_on_id"] for d in show(workspace, a)["dependencies"]] == [b]
    shown = ui.ok("dep-remove", {"a": a, "b": b, "view_id": b})
    assert shown["id"] == b and shown["dependents"] == []
    assert show(workspace, a)["dependencies"] == []

    assert ui.ok("label-add", {"id": a, "label": "frontend"})["labels"] == ["frontend"]
    assert show(workspace, a)["labels"] == ["frontend"]
    assert ui.ok("label-remove", {"id": a, "label": "frontend"})["labels"] == []
    assert show(workspace, a)["labels"] == []

    assert ui.ok("get-comments", {"id": a}) == []
    comments = ui.ok("add-comment", {"id": a, "text": "looks good"})
    assert [(c["issue_id"], c["author"], c["text"]) for c in comments] == [
        (a, "Test Person", "looks good")]
    assert show(workspace, a)["comments"][0]["author"] == "Test Person"
    assert ui.ok("get-comments", {"id": a}) == comments

    assert ui.ok("create-issue", {"title": "From the UI", "type": "bug", "priority": 1,
                                  "description": "made in the browser"}) == {"created": True}
    made = json.loads(run_bd(workspace, "list", "--title", "From the UI", "--json",
                             check=True).stdout)
    assert [(m["issue_type"], m["priority"], m["description"]) for m in made] == [
        ("bug", 1, "made in the browser")]
    assert ui.ok("delete-issue", {"id": b}) == {"deleted": True, "id": b}
    assert run_bd(workspace, "show", b, "--json").returncode != 0

    assert ui.ok("update-status", {"id": a, "status": "closed"})["status"] == "closed"
    assert show(workspace, a)["status"] == "closed"

    current = ui.ok("get-workspace")
    assert Path(current["root_dir"]) == workspace
    assert Path(current["db_path"]) == workspace / ".beads"
    assert ui.ok("list-workspaces")["current"] == current
    assert ui.ok("set-workspace", {"path": str(workspace)})["changed"] is False
    assert git(workspace, "status", "--porcelain") == ""


def test_a_write_elsewhere_reaches_a_subscribed_client(workspace: Path, ui: Client) -> None:
    first = new(workspace, "First")
    # beads-ui ignores its watcher for a second after each refresh (its cooldown), and that
    # write just caused one: let the cooldown pass, as it would between a person's edits.
    time.sleep(1.5)
    assert ids(ui.subscribe("all", "all-issues")) == {first}
    ui.events.clear()
    later = new(workspace, "Written by another process")
    written = time.monotonic()

    def upsert_of_later(frame: dict[str, Any]) -> bool:
        return frame.get("type") == "upsert" and frame["payload"]["issue"]["id"] == later

    waited = ui.wait_event(upsert_of_later, timeout=30)
    print(f"the new bead reached the client {time.monotonic() - written:.2f}s after the write "
          f"({waited:.2f}s of waiting)")


def test_a_write_from_another_work_tree_reaches_the_client(workspace: Path, ui: Client,
                                                           tmp_path: Path) -> None:
    """Work trees share the ledger and the directory `.beads` links to: one write, every page."""
    other = tmp_path / "other-tree"
    git(workspace, "worktree", "add", "-q", "-b", "side", str(other))
    assert ui.subscribe("all", "all-issues") == []
    ui.events.clear()
    made = new(other, "From the other work tree")

    def delivered(frame: dict[str, Any]) -> bool:
        # A list that was empty is sent whole again (a snapshot), else changes come as upserts.
        issues = frame.get("payload", {}).get("issues") or [frame.get("payload", {}).get("issue")]
        return frame.get("type") in ("snapshot", "upsert") and made in ids([i for i in issues if i])

    ui.wait_event(delivered, timeout=30)
    assert git(workspace, "status", "--porcelain") == ""
    assert git(other, "status", "--porcelain") == ""


def test_a_git_fetch_and_merge_reaches_the_client(workspace: Path, ui: Client,
                                                  tmp_path: Path) -> None:
    """No bd in this repository moves the ledger: git fetches another clone's ledger and
    merges it. bd's reference-transaction hook rewrites `.beads/last-change`, the watcher
    sees it, and the page gets the bead written elsewhere."""
    first = new(workspace, "First")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(workspace), str(clone))
    elsewhere = new(clone, "Written in another clone")  # the clone adopts the ledger first
    beads_tree = tmp_path / "beads-branch"
    git(workspace, "worktree", "add", "-q", str(beads_tree), "beads")
    time.sleep(1.5)  # past the cooldown of the refresh the first write caused
    assert ids(ui.subscribe("all", "all-issues")) == {first}
    ui.events.clear()
    signal = workspace / ".beads" / "last-change"
    before = signal.read_text()
    git(beads_tree, "fetch", "-q", str(clone), "beads")
    git(beads_tree, "merge", "-q", "--ff-only", "FETCH_HEAD")
    merged = time.monotonic()
    assert signal.read_text() != before

    def upsert_of_elsewhere(frame: dict[str, Any]) -> bool:
        return frame.get("type") == "upsert" and frame["payload"]["issue"]["id"] == elsewhere

    ui.wait_event(upsert_of_elsewhere, timeout=30)
    print(f"the merged bead reached the client {time.monotonic() - merged:.2f}s after the merge")
    assert git(workspace, "status", "--porcelain") == ""
